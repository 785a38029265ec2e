"""The sync screen's model: progress, result, refused records to fix, conflicts to decide."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from mobile.app.context import AppContext
from mobile.app.viewmodels.conflicts import ConflictRow, fmt_moment
from mobile.app.viewmodels.setup import UnlockModel
from mobile.app.viewmodels.status import StatusBarModel
from mobile.app.viewmodels.sync import SyncModel
from mobile.tablet import Tablet
from sync.engine import SyncReport
from sync.hlc import ManualClock
from tests.mobile.app.conftest import PIN
from tests.sync.fake_server import FakeServer


def test_progress_and_result_texts(ctx: AppContext) -> None:
    model = SyncModel(ctx)
    assert model.progress_text == "Sẵn sàng"
    model.on_progress("push", 5, 10)
    assert model.progress_text == "Đang gửi thay đổi: 5/10"
    assert model.progress_value == pytest.approx(0.45)
    model.on_progress("pull", 3, 3)
    assert model.progress_value == 1.0
    report = ctx.tablet.sync(ctx.make_transport())
    model.on_finished(report)
    assert model.result_ok and model.result_text.startswith("Xong lúc")
    failed = SyncReport(
        started_at=datetime.now(UTC), error="Không kết nối được (connection refused)"
    )
    ctx.tr.set_language("en")
    model.on_finished(failed)
    assert not model.result_ok
    assert model.result_text.startswith("Not synced (connection refused).")
    lines = model.overview()
    assert lines[0] == "Server: http://motcua.test"
    assert lines[1].startswith("Last successful sync: ")
    assert lines[2] == "Changes not yet on the server: 0"


def test_a_refused_record_is_listed_opened_and_dismissed(
    make_ctx: Callable[..., AppContext], fake_server: FakeServer, tmp_path: object
) -> None:
    ahead = ManualClock(int(datetime.now(UTC).timestamp() * 1000) + 3_600_000)
    tablet = Tablet(f"{tmp_path}/ahead.db", physical=ahead)
    tablet.adopt_registration("fake://", fake_server.registration())
    ctx = make_ctx(tablet)
    # Nothing to push yet: the pull brings the catalog but no clock correction.
    assert tablet.sync(ctx.make_transport()).ok
    dossier_id = tablet.create_dossier(1, "Thào A Tủa")  # received "in an hour"
    feedback_id = tablet.add_feedback("praise", "Cán bộ nhiệt tình")
    report = tablet.sync(ctx.make_transport())
    assert report.ok and report.rejected >= 2
    model = SyncModel(ctx)
    rows = model.rejected_rows()
    titles = [r["title"] for r in rows]
    assert any(t.startswith("Hồ sơ ") and t.endswith("Thào A Tủa") for t in titles)
    assert "Phản ánh, kiến nghị · Cán bộ nhiệt tình" in titles
    assert all(r["subtitle"] for r in rows)
    assert any("nhanh" in line for line in model.overview())  # the clock warning
    by_title = {r["title"]: r for r in rows}
    feedback_row = by_title["Phản ánh, kiến nghị · Cán bộ nhiệt tình"]
    assert model.target(feedback_row["op_id"]) == ("feedback", feedback_id)
    dossier_rows = [r for r in rows if r["title"].startswith("Hồ sơ")]
    assert model.target(dossier_rows[0]["op_id"]) == ("dossier", dossier_id)
    event_rows = [r for r in rows if r["title"].startswith("Diễn biến")]
    assert all(model.target(r["op_id"]) == ("dossier", dossier_id) for r in event_rows)
    assert model.dismiss(feedback_row["op_id"])
    assert len(model.rejected_rows()) == len(rows) - 1
    assert model.target("no-such-op") is None


def test_a_conflict_is_shown_side_by_side_and_resolved(
    make_ctx: Callable[..., AppContext],
) -> None:
    a, b = make_ctx(), make_ctx()
    dossier_id = a.tablet.create_dossier(1, "Giàng Seo Chứ")
    assert a.tablet.sync(a.make_transport()).ok
    assert b.tablet.sync(b.make_transport()).ok
    a.tablet.edit("dossier", dossier_id, note="Ghi chú của máy 1")
    time.sleep(0.005)
    b.tablet.edit("dossier", dossier_id, note="Ghi chú của máy 2")
    for ctx in (b, a, b):
        assert ctx.tablet.sync(ctx.make_transport()).ok
    model = SyncModel(a)
    [conflict] = model.conflicts()
    receipt = a.tablet.dossier(dossier_id)["receipt_number"]  # type: ignore[index]
    assert conflict.title == f"Hồ sơ {receipt} · Giàng Seo Chứ"
    assert conflict.rows == (ConflictRow("Ghi chú", "Ghi chú của máy 2", "Ghi chú của máy 1"),)
    assert conflict.can_overturn
    model.resolve(conflict.conflict_ids, "lost")
    assert model.conflicts() == []
    assert a.tablet.dossier(dossier_id)["note"] == "Ghi chú của máy 1"  # type: ignore[index]
    for ctx in (a, b):
        assert ctx.tablet.sync(ctx.make_transport()).ok
    assert b.tablet.dossier(dossier_id)["note"] == "Ghi chú của máy 1"  # type: ignore[index]
    assert SyncModel(b).conflicts() == []


def test_a_status_conflict_cannot_be_overturned(make_ctx: Callable[..., AppContext]) -> None:
    a, b = make_ctx(), make_ctx()
    dossier_id = a.tablet.create_dossier(1, "Sình A Pó")
    assert a.tablet.sync(a.make_transport()).ok
    assert b.tablet.sync(b.make_transport()).ok
    for status in ("approved", "result_returned"):
        a.tablet.change_status(dossier_id, status)
    assert a.tablet.sync(a.make_transport()).ok
    b.tablet.change_status(dossier_id, "in_progress")
    assert b.tablet.sync(b.make_transport()).ok
    [conflict] = SyncModel(b).conflicts()
    assert [(r.kept, r.lost) for r in conflict.rows] == [("Đã trả kết quả", "Đang giải quyết")]
    assert not conflict.can_overturn and conflict.note
    SyncModel(b).resolve(conflict.conflict_ids, "kept")
    assert SyncModel(b).conflicts() == []


MARRIAGE_PARTIES = {
    "bride": {
        "full_name": "Giàng Thị Mai",
        "dob": "2001-04-05",
        "ethnicity": "Mông",
        "nationality": "Việt Nam",
        "cccd": "001301012345",
        "residence": "Bản Tả Van",
    },
    "groom": {
        "full_name": "Sùng A Páo",
        "dob": "1999-11-20",
        "ethnicity": "Mông",
        "nationality": "Việt Nam",
        "cccd": "001099012345",
        "residence": "Bản Lao Chải",
    },
}


def test_fields_written_together_make_one_card_in_vietnamese(
    make_ctx: Callable[..., AppContext],
) -> None:
    """Two tablets correct the same marriage dossier offline (issue: a misspelled name)."""
    a, b = make_ctx(), make_ctx()
    dossier_id = a.tablet.create_dossier(4, "Giàng Thị Mai", parties=MARRIAGE_PARTIES)
    assert a.tablet.sync(a.make_transport()).ok
    assert b.tablet.sync(b.make_transport()).ok
    mine = {
        **MARRIAGE_PARTIES,
        "bride": {**MARRIAGE_PARTIES["bride"], "full_name": "Giàng Thị Mại"},
    }
    a.tablet.correct_dossier(
        dossier_id, applicant_name="Giàng Thị Mại", applicant_phone="0912345678", parties=mine
    )
    time.sleep(0.005)
    theirs = {**MARRIAGE_PARTIES, "bride": {**MARRIAGE_PARTIES["bride"], "dob": "2001-05-04"}}
    b.tablet.correct_dossier(
        dossier_id, applicant_name="Giàng Thị May", applicant_phone="0987654321", parties=theirs
    )
    for ctx in (b, a):
        assert ctx.tablet.sync(ctx.make_transport()).ok
    model = SyncModel(a)
    [card] = model.conflicts()  # three fields, one save: one card
    assert len(card.conflict_ids) == 3
    assert {r.label: (r.kept, r.lost) for r in card.rows} == {
        "Họ tên người nộp": ("Giàng Thị May", "Giàng Thị Mại"),
        "Số điện thoại": ("0987654321", "0912345678"),
        "Bên nữ · Họ, chữ đệm và tên": ("Giàng Thị Mai", "Giàng Thị Mại"),
        "Bên nữ · Ngày sinh": ("04/05/2001", "05/04/2001"),
    }
    # Who, on which tablet, when: tablet 2 (b) kept, this tablet (no. 1) lost.
    # The colleague by name (the server writes it into the conflict record; tablets do
    # not hold the list of officers).
    assert card.kept_by.startswith("Lò Văn Pằng · máy tính bảng số 2 · ")
    assert card.lost_by.startswith(a.tablet.registration.officer_name + " · máy này (số 1) · ")
    when = card.lost_by.rsplit(" · ", 1)[1]
    assert len(when) == 16 and when[2] == "/" and when[5] == "/" and when[13] == ":"
    assert model.conflicts_heading([card]) == "Xung đột cần người quyết định: 1"
    a.vault.set_up(PIN)
    unlock = UnlockModel(a)
    assert [unlock.press(d) for d in PIN][-1]
    assert StatusBarModel(a).view().problems_label == "Xung đột: 1"  # the same count
    model.resolve(card.conflict_ids, "lost")
    assert model.conflicts() == []
    stored = a.tablet.dossier(dossier_id) or {}
    assert stored["applicant_name"] == "Giàng Thị Mại"
    assert stored["parties"]["bride"]["full_name"] == "Giàng Thị Mại"


def test_local_time_is_office_time() -> None:
    """07/12/2026 05:36 UTC is 12:36 in Hà Nội (UTC+7, Asia/Ho_Chi_Minh)."""
    assert fmt_moment("2026-12-07T05:36:01.002132+00:00") == "07/12/2026 12:36"


def test_the_last_result_follows_a_language_switch(ctx: AppContext) -> None:
    model = SyncModel(ctx)
    model.on_finished(ctx.tablet.sync(ctx.make_transport()))
    assert model.result_text.startswith("Xong lúc")
    ctx.tr.set_language("en")
    model.retell()
    assert model.result_text.startswith("Done at") and model.progress_text == "Ready"


def test_only_a_held_record_offers_confirm_as_is(ctx: AppContext) -> None:
    from mobile.app.viewmodels.base import UserError
    from sync.ops import Outcome, OutcomeKind, Reason

    tablet = ctx.tablet
    assert tablet.sync(ctx.make_transport()).ok  # the catalog
    tablet.create_dossier(1, "Thào A Tủa")
    feedback_id = tablet.add_feedback("praise", "Cán bộ nhiệt tình")
    ops = tablet.store.pending_operations()
    tablet.store.apply_outcomes(
        [
            Outcome(
                op.op_id,
                OutcomeKind.REJECTED,
                reason=Reason.INVALID if op.record_id == feedback_id else Reason.CLOCK_CONFIRM,
                message="Cần xác nhận ngày (confirm the date)",
            )
            for op in ops
        ]
    )
    model = SyncModel(ctx)
    rows = {row["op_id"]: row for row in model.rejected_rows()}
    by_op = {op.op_id: op for op in ops}
    assert {by_op[i].collection for i, r in rows.items() if r["can_confirm"]} == {
        "dossier",
        "dossier_event",
    }
    [refused] = [i for i, r in rows.items() if not r["can_confirm"]]
    with pytest.raises(UserError, match="xác nhận ngày"):
        model.confirm_held(refused)  # refused for another reason: correct it instead
    dossier_op = next(i for i in rows if by_op[i].collection == "dossier")
    sent = model.confirm_held(dossier_op)
    assert len(sent) == 2  # the dossier and its "received" event, in that order
    pending = tablet.store.pending_operations()
    assert [op.collection for op in pending] == ["dossier", "dossier_event"]
    assert (
        pending[0].create
        and pending[0].fields["received_at"] == by_op[dossier_op].fields["received_at"]
    )
    assert [r["op_id"] for r in model.rejected_rows()] == [refused]
