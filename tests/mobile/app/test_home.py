"""Home: today's work in buckets, overdue in red, and diacritic-insensitive search."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from mobile.app.context import AppContext
from mobile.app.viewmodels.home import HomeModel
from tests.mobile.app.conftest import FIXED_NOW, fixed_clock
from tests.sync.fake_server import VILLAGE_IDS


def _at(days_ago: int, hour: int = 9) -> datetime:
    """A moment ``days_ago`` days before the fixed 'now', at ``hour`` office time."""
    return (FIXED_NOW - timedelta(days=days_ago)).replace(hour=hour - 7)


def _setup(ctx: AppContext) -> dict[str, str]:
    tablet = ctx.tablet
    ids = {
        # same-day procedure received a week ago: 6 working days late
        "late": tablet.create_dossier(
            1,
            "Nguyễn Văn An",
            applicant_cccd="010090123456",
            received_at=_at(8),
            village_id=VILLAGE_IDS[1],
        ),
        # same-day procedure received this morning: due today
        "today": tablet.create_dossier(1, "Giàng A Páo", received_at=_at(0, 8)),
        # five working days: due next week, then waiting for papers
        "supplement": tablet.create_dossier(3, "Sùng Thị Mai", received_at=_at(1)),
        # one working day, decided: waiting to be handed back
        "decided": tablet.create_dossier(2, "Lò Văn Thắng", received_at=_at(2)),
        # late, but the citizen was given a new date
        "apologised": tablet.create_dossier(1, "Vàng Thị Mỷ", received_at=_at(6)),
        "returned": tablet.create_dossier(1, "Đặng Văn Đức", received_at=_at(3)),
    }
    tablet.change_status(ids["supplement"], "needs_supplement", "Thiếu giấy xác nhận")
    tablet.change_status(ids["decided"], "approved")
    tablet.add_apology(ids["apologised"], "Chờ xác minh", "2026-03-09")
    for status in ("approved", "result_returned"):
        tablet.change_status(ids["returned"], status)
    ids["feedback"] = tablet.add_feedback("complaint", "Chờ lâu quá", citizen_name="Lầu A Chư")
    tablet.add_feedback("praise", "Cán bộ nhiệt tình")  # nothing to answer
    return ids


def test_buckets_of_todays_work(make_ctx: Callable[..., AppContext]) -> None:
    ctx = make_ctx(physical=fixed_clock())
    ids = _setup(ctx)
    model = HomeModel(ctx)
    model.refresh()
    counts = {b.key: b.count for b in model.buckets()}
    assert counts == {
        "overdue": 1,
        "today": 1,
        "supplement": 1,
        "to_return": 1,
        "open": 4,
        "feedback": 2,  # the praise too: it is new, though no answer is due
    }
    [overdue] = model.rows()  # the default bucket
    assert overdue["record_id"] == ids["late"] and overdue["danger"]
    assert "Quá hạn 6 ngày làm việc" in overdue["subtitle"]
    assert (
        " · Thôn Thôn 2 · " in overdue["subtitle"]
    )  # kind and name, as the intake  # the village, to plan the rounds
    assert overdue["title"].endswith("· Nguyễn Văn An")
    assert not overdue["synced"] and overdue["sync_label"] == "Chưa gửi lên máy chủ"
    assert model.buckets()[0].danger is True
    model.select("open")
    rows = {r["record_id"]: r for r in model.rows()}
    assert "hẹn lại 09/03/2026" in rows[ids["apologised"]]["subtitle"]
    assert not rows[ids["apologised"]]["danger"]
    model.select("feedback")
    first = model.rows()[0]
    assert first["record_id"] == ids["feedback"]
    assert "Khiếu nại · Lầu A Chư" in first["title"]
    assert "Hạn trả lời" in first["subtitle"]
    assert model.heading() == "Việc hôm nay, 04/03/2026"


def test_search_ignores_diacritics(make_ctx: Callable[..., AppContext]) -> None:
    ctx = make_ctx(physical=fixed_clock())
    ids = _setup(ctx)
    model = HomeModel(ctx)
    model.refresh()
    for query, expected in (
        ("nguyen van", {ids["late"]}),
        ("NGUYỄN   văn an", {ids["late"]}),
        ("dang van duc", {ids["returned"]}),  # Đ folds to d; finished dossiers are found too
        ("010090123456", {ids["late"]}),
        ("van", {ids["late"], ids["decided"], ids["returned"], ids["apologised"]}),  # Vàng
        ("khong co ai", set()),
    ):
        model.search(query)
        assert {r["record_id"] for r in model.rows()} == expected, query
    receipt = ctx.tablet.dossier(ids["today"])["receipt_number"]  # type: ignore[index]
    model.search(receipt)
    assert [r["record_id"] for r in model.rows()] == [ids["today"]]
    assert model.heading() == "Kết quả tìm kiếm: 1"
    assert not any(b.selected for b in model.buckets())
    model.select("today")
    assert model.query == "" and len(model.rows()) == 1


def test_rows_follow_the_language_and_the_server(make_ctx: Callable[..., AppContext]) -> None:
    ctx = make_ctx(physical=fixed_clock())
    ids = _setup(ctx)
    ctx.tr.set_language("en")
    model = HomeModel(ctx)
    model.refresh()
    assert [b.label for b in model.buckets()][:2] == ["Overdue", "Due today"]
    assert "6 working days late" in model.rows()[0]["subtitle"]
    report = ctx.tablet.sync(ctx.make_transport())
    assert report.ok, report.error
    model.refresh()
    assert model.rows()[0]["synced"] and model.rows()[0]["sync_label"] == "On the server"
    assert ids


def test_the_search_index_is_made_at_the_first_search_after_a_refresh(
    make_ctx: Callable[..., AppContext],
) -> None:
    ctx = make_ctx(physical=fixed_clock())
    ids = _setup(ctx)
    model = HomeModel(ctx)
    model.refresh()
    assert model._all is None  # the buckets do not need the (sealed) citizen IDs
    model.search("010090123456")
    assert [r["record_id"] for r in model.rows()] == [ids["late"]]
    later = ctx.tablet.create_dossier(
        2, "Hờ A Dình", applicant_cccd="011095000777", received_at=_at(0, 8)
    )
    model.search("011095000777")
    assert model.rows() == []  # not refreshed yet: the index is the last refresh's
    model.refresh()
    model.search("hơ a dinh 011095000777")
    [found] = model.rows()
    assert found["record_id"] == later and found["title"].endswith("· Hờ A Dình")
    model.search("dang van duc")  # closed dossiers are found (their rows built on demand)
    [returned] = model.rows()
    assert returned["record_id"] == ids["returned"] and "Đã trả kết quả" in returned["subtitle"]
