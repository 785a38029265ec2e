"""Dossier follow-up: the state machine's next steps, the timeline, apologies, on-server marks."""

from __future__ import annotations

import hashlib
import queue
from collections.abc import Callable
from datetime import timedelta

import pytest

from mobile.app.context import AppContext
from mobile.app.viewmodels.base import UserError
from mobile.app.viewmodels.dossier import (
    DossierModel,
    PhotoView,
    photo_fetcher,
    photo_placeholder,
    photo_source,
)
from mobile.app.viewmodels.setup import FirstRunModel
from mobile.photos import FetchResult, PhotoState, WantedPhoto
from sync.domain import DOSSIER_TRANSITIONS, DossierStatus
from sync.errors import ServerRefused, TransportError
from tests.mobile.app.conftest import FIXED_NOW, PIN, fixed_clock
from tests.sync.fake_server import FakeServer, FakeTransport


def test_actions_follow_the_state_machine(ctx: AppContext) -> None:
    dossier_id = ctx.tablet.create_dossier(3, "Sùng Thị Mai")
    model = DossierModel(ctx, dossier_id)
    for status in DossierStatus:
        model.record["status"] = status.value
        offered = {a.status for a in model.actions()}
        assert offered == {s.value for s in DOSSIER_TRANSITIONS.get(status, frozenset())}
    model.load()
    labels = [a.label for a in model.actions()]
    assert labels[:3] == ["Bắt đầu giải quyết", "Yêu cầu bổ sung", "Đồng ý (giải quyết xong)"]
    assert {a.status for a in model.actions() if a.needs_reason} == {
        "needs_supplement",
        "refused",
        "rejected",
        "stopped",
    }


def test_processing_can_be_stopped_with_a_reason(ctx: AppContext) -> None:
    """Form 05 (Thông báo dừng giải quyết hồ sơ, Circular 03/2025/TT-VPCP): the tablet
    offers the step, asks for the reason printed on the notice, and nothing follows."""
    dossier_id = ctx.tablet.create_dossier(3, "Sùng Thị Mai")
    model = DossierModel(ctx, dossier_id)
    (stop,) = [a for a in model.actions() if a.status == "stopped"]
    assert stop.label == "Dừng giải quyết (mẫu 05)" and stop.danger and stop.needs_reason
    with pytest.raises(UserError, match="Cần ghi lý do"):
        model.apply("stopped")
    assert model.apply("stopped", "Công dân có đơn đề nghị dừng giải quyết") == (
        "Đã lưu: Dừng giải quyết"
    )
    assert model.status is DossierStatus.STOPPED
    assert model.actions() == []
    events = ctx.tablet.timeline(dossier_id)
    assert events[-1]["to_status"] == "stopped"
    assert events[-1]["note"] == "Công dân có đơn đề nghị dừng giải quyết"


def test_follow_up_to_the_result_returned(ctx: AppContext) -> None:
    dossier_id = ctx.tablet.create_dossier(3, "Sùng Thị Mai", applicant_phone="0912345678")
    model = DossierModel(ctx, dossier_id)
    with pytest.raises(UserError, match="Cần ghi lý do") as refused:
        model.apply("needs_supplement")
    assert "note" in refused.value.errors
    assert model.apply("needs_supplement", "Thiếu giấy xác nhận tình trạng hôn nhân") == (
        "Đã lưu: Yêu cầu bổ sung"
    )
    model.apply("in_progress", "Đã nhận đủ giấy tờ")
    model.add_note("Gọi điện hẹn công dân")
    model.apply("approved")
    model.apply("result_returned")
    assert model.actions() == []
    header = model.header()
    assert header.status == "Trạng thái: Đã trả kết quả"
    assert any(line.startswith("Đã trả kết quả lúc") for line in header.lines)
    assert "0912345678" in header.lines[0]
    assert not header.on_server and header.on_server_label == "Chưa gửi lên máy chủ"
    timeline = model.timeline_rows()
    assert [r["title"].split(" · ")[1] for r in timeline] == [
        "Tiếp nhận hồ sơ",
        "Chuyển trạng thái",
        "Chuyển trạng thái",
        "Ghi chú",
        "Chuyển trạng thái",
        "Chuyển trạng thái",
    ]
    assert timeline[1]["subtitle"] == (
        "Đã tiếp nhận » Yêu cầu bổ sung · Thiếu giấy xác nhận tình trạng hôn nhân"
    )
    with pytest.raises(UserError, match="Không thể chuyển"):
        model.apply("in_progress")
    report = ctx.tablet.sync(ctx.make_transport())
    assert report.ok, report.error
    assert model.header().on_server
    assert all(r["synced"] for r in model.timeline_rows())


def test_a_late_dossier_gets_an_apology_and_a_new_date(
    make_ctx: Callable[..., AppContext],
) -> None:
    ctx = make_ctx(physical=fixed_clock())
    dossier_id = ctx.tablet.create_dossier(
        1, "Vàng Thị Mỷ", received_at=FIXED_NOW - timedelta(days=7)
    )
    model = DossierModel(ctx, dossier_id)
    assert model.is_overdue()
    assert model.header().overdue == "QUÁ HẠN 5 ngày làm việc"
    suggested = model.suggested_new_date()
    assert suggested.isoformat() == "2026-03-05"
    for reason, new_date, field in (
        ("", "20/03/2026", "reason"),
        ("Chờ xác minh", "30/02/2026", "new_date"),
        ("Chờ xác minh", "04/03/2026", "new_date"),
    ):
        with pytest.raises(UserError) as refused:
            model.apologise(reason, new_date)
        assert field in refused.value.errors
    model.apologise("Chờ xác minh tại thôn", "09/03/2026")
    assert not model.is_overdue()
    header = model.header()
    assert header.overdue == ""
    assert "Đã hẹn lại: 09/03/2026" in header.lines
    last = model.timeline_rows()[-1]
    assert last["title"].endswith("Thư xin lỗi, hẹn lại")
    assert last["subtitle"] == "Đã hẹn lại: 09/03/2026 · Chờ xác minh tại thôn"


def test_unknown_dossier(ctx: AppContext) -> None:
    with pytest.raises(UserError, match="Không tìm thấy hồ sơ"):
        DossierModel(ctx, "0190a0b0-0000-7000-8000-000000000000")


def test_photos_are_opened_in_memory_from_the_sealed_store(ctx: AppContext) -> None:
    FirstRunModel(ctx).choose_pin(PIN, PIN)  # the store has the key: photos are sealed
    dossier_id = ctx.tablet.create_dossier(3, "Giàng A Páo")
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 20
    ctx.tablet.attach_photo("dossier", dossier_id, png, "image/png", filename="cccd.png")
    ctx.tablet.attach_photo("dossier", dossier_id, b"%PDF-1.4 ...", filename="to-khai")
    sha = hashlib.sha256(png).hexdigest()
    path = ctx.tablet.store.blob_path(sha)
    assert path is not None and png not in path.read_bytes()
    model = DossierModel(ctx, dossier_id)
    views = model.photo_views()
    assert [(v.filename, v.extension) for v in views] == [("cccd.png", "png"), ("to-khai", "")]
    assert views[0].data == png and views[0].sha256 == sha
    # Already decoded by the screen: not read again.
    again = model.photo_views(known=frozenset({sha}))
    assert again[0].sha256 == sha and again[0].data == b""
    assert PhotoView("x", "anh.JPEG", "application/octet-stream").extension == "jpg"
    assert PhotoView("x", "anh", "image/jpeg").extension == "jpg"
    # Locked: nothing can be read, and nothing is shown.
    ctx.lock()
    assert model.photo_views() == []


def test_a_file_that_is_not_an_image_is_not_opened_to_show(ctx: AppContext) -> None:
    FirstRunModel(ctx).choose_pin(PIN, PIN)
    dossier_id = ctx.tablet.create_dossier(3, "Giàng A Páo")
    ctx.tablet.attach_photo("dossier", dossier_id, b"%PDF-1.4 ...", filename="to-khai")
    [view] = DossierModel(ctx, dossier_id).photo_views()
    assert view.on_tablet and not view.showable and view.data == b""


class FetchingTransport(FakeTransport):
    """The fake server's transport, able to hand out photos as ``HttpTransport`` does."""

    def fetch_blob(self, sha256: str) -> bytes:
        self.calls.append(("fetch_blob", sha256))
        if sha256 not in self.server.complete:
            raise ServerRefused(404, "Không tìm thấy ảnh (not found)")
        return bytes(self.server.blob_data[sha256])


def test_a_colleagues_photo_is_fetched_for_the_screen(
    make_ctx: Callable[..., AppContext], fake_server: FakeServer
) -> None:
    mine, colleague = make_ctx(), make_ctx()
    for each in (mine, colleague):
        FirstRunModel(each).choose_pin(PIN, PIN)
    dossier_id = colleague.tablet.create_dossier(3, "Giàng A Páo")
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 30
    sha = hashlib.sha256(png).hexdigest()
    colleague.tablet.attach_photo("dossier", dossier_id, png, "image/png", filename="cccd.png")
    assert colleague.tablet.sync(colleague.make_transport()).ok
    assert mine.tablet.sync(mine.make_transport()).ok
    model = DossierModel(mine, dossier_id)
    [view] = model.photo_views()  # the record came by pull, its bytes did not
    assert not view.on_tablet and view.data == b"" and view.showable
    assert view.wanted == WantedPhoto(sha, len(png), "image/png")
    assert "Ảnh giấy tờ: 1" in model.header().lines[-1]
    with pytest.raises(TransportError, match="không tải được ảnh"):
        photo_source(mine)  # a connection without ``fetch_blob``: a failure to show
    device_no = mine.tablet.registration.device_no
    mine.transport_factory = lambda: FetchingTransport(fake_server, device_no)
    reports: queue.Queue[Callable[[], None]] = queue.Queue()
    results: list[FetchResult] = []
    fetcher = photo_fetcher(mine, dispatch=reports.put, on_result=results.append)
    assert fetcher.request(view.wanted).state is PhotoState.LOADING
    reports.get(timeout=30)()  # the UI thread runs what the worker hands back
    [result] = results
    assert result.state is PhotoState.READY and result.data == png
    [view] = model.photo_views()
    assert view.on_tablet and view.data == png
    path = mine.tablet.store.blob_path(sha)
    assert path is not None and png[8:200] not in path.read_bytes()  # sealed
    # A photo whose bytes the server does not have yet (records go first): on its way,
    # said as such, no error; asked again when a sync went through.
    missing = WantedPhoto(hashlib.sha256(b"x").hexdigest(), 1, "image/jpeg")
    fetcher.request(missing)
    reports.get(timeout=30)()
    assert results[-1].state is PhotoState.ON_ITS_WAY and not results[-1].failed
    assert photo_placeholder(mine, results[-1]) == "Ảnh đang được gửi"
    assert fetcher.request(missing).state is PhotoState.ON_ITS_WAY  # not fetched again
    assert fetcher.retry_failed() == 1
    reports.get(timeout=30)()
    assert results[-1].state is PhotoState.ON_ITS_WAY


def test_a_photo_not_yet_sent_is_said_to_be_on_its_way(
    make_ctx: Callable[..., AppContext], fake_server: FakeServer
) -> None:
    """The dossier reaches the server before its photos: until the bytes are sent the
    tablet that took them says so beside the count."""
    ctx = make_ctx()
    FirstRunModel(ctx).choose_pin(PIN, PIN)
    dossier_id = ctx.tablet.create_dossier(3, "Giàng A Páo")
    ctx.tablet.attach_photo("dossier", dossier_id, b"\xff\xd8 one", "image/jpeg")
    ctx.tablet.attach_photo("dossier", dossier_id, b"\xff\xd8 two", "image/jpeg")
    model = DossierModel(ctx, dossier_id)
    assert model.sending() == 2
    assert model.header().lines[-1].endswith("Ảnh giấy tờ: 2 (2 ảnh đang được gửi)")
    assert ctx.tablet.sync(ctx.make_transport()).ok
    model = DossierModel(ctx, dossier_id)
    assert model.sending() == 0
    assert model.header().lines[-1].endswith("Ảnh giấy tờ: 2")


def test_the_placeholder_says_what_happens(ctx: AppContext) -> None:
    sha = "0" * 64
    assert photo_placeholder(ctx, FetchResult(sha, PhotoState.LOADING)) == "Đang tải ảnh…"
    assert photo_placeholder(ctx, FetchResult(sha, PhotoState.OFFLINE)) == (
        "Chưa tải được ảnh — sẽ thử lại khi có mạng\nChạm để thử lại"
    )
    damaged = photo_placeholder(ctx, FetchResult(sha, PhotoState.DAMAGED, error="x"))
    assert damaged.startswith("Ảnh nhận được bị sai nên đã bỏ")
    ctx.tr.set_language("en")
    assert photo_placeholder(ctx, FetchResult(sha, PhotoState.OFFLINE)) == (
        "Photo not downloaded yet — will try again when online\nTap to try again"
    )


def test_a_misspelled_name_is_corrected_until_the_result_is_returned(
    make_ctx: Callable[..., AppContext],
) -> None:
    """Applicant and party fields stay editable until the result is returned."""
    from tests.mobile.app.test_sync_screen import MARRIAGE_PARTIES

    ctx = make_ctx()
    dossier_id = ctx.tablet.create_dossier(4, "Giàng Thị Mai", parties=MARRIAGE_PARTIES)
    model = DossierModel(ctx, dossier_id)
    assert (
        "Bên nữ",
        "Giàng Thị Mai · 05/04/2001 · Mông · Việt Nam · 001301012345 · Bản Tả Van",
    ) in (model.people_lines())
    sections = model.correction_sections()
    assert [title for title, _ in sections] == ["Người nộp hồ sơ", "Bên nữ", "Bên nam"]
    typed = {f.key: f.value for _, fields in sections for f in fields}
    assert typed["parties.bride.dob"] == "05/04/2001"
    typed["parties.groom.full_name"] = "Sùng A Pào"  # the tone mark was wrong
    typed["parties.bride.cccd"] = "0013"
    with pytest.raises(UserError) as refused:
        model.correct(typed)
    assert set(refused.value.errors) == {"parties.bride.cccd"}
    typed["parties.bride.cccd"] = "001301012345"
    assert model.correct(typed) == ["parties.groom.full_name"]
    stored = ctx.tablet.dossier(dossier_id) or {}
    assert stored["parties"]["groom"]["full_name"] == "Sùng A Pào"
    [corrected] = [r for r in model.timeline_rows() if "Sửa thông tin" in r["title"]]
    assert corrected["subtitle"] == "Đã sửa: Bên nam · Họ, chữ đệm và tên"
    for status in ("approved", "result_returned"):
        ctx.tablet.change_status(dossier_id, status)
    model.load()
    assert not model.can_correct()
    with pytest.raises(UserError, match="Hồ sơ đã trả kết quả, không sửa được"):
        model.correct(typed | {"applicant_name": "Giàng Thị Mại"})
