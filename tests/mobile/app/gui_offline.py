"""The real Kivy app, offscreen, driven by touches through its main flows (fake server).

Not collected by the main run (Kivy's window is one per process): ``test_gui.py`` runs
this module in its own process. The tests share one running app and run in order:
unlock → home → intake with a photo → follow-up to the result → apology → feedback →
survey → sync with a conflict resolved on screen → English → revocation → lock.
Each main screen is saved to ``test-artifacts/tablet/``.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.mobile.app.kivy_harness import Harness, configure, open_desk

configure(Path(os.environ.get("MOTCUA_GUI_TMP") or tempfile.mkdtemp()) / "kivy")  # before Kivy

from mobile.app.context import AppContext  # noqa: E402
from mobile.app.viewmodels.setup import FirstRunModel  # noqa: E402
from mobile.photo_resize import FORMATS, options_for  # noqa: E402
from mobile.tablet import Tablet  # noqa: E402
from tests.sync.fake_server import FakeServer, FakeTransport  # noqa: E402

PIN = "246810"


@dataclass
class World:
    server: FakeServer
    ctx: AppContext
    colleague: Tablet
    online: dict[str, bool]
    ids: dict[str, str]
    photo: Path
    tmp: Path

    def colleague_sync(self) -> None:
        report = self.colleague.sync(FakeTransport(self.server, 2))
        assert report.ok, report.error


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("gui")
    desk = open_desk(tmp)
    server, tablet, ctx = desk.server, desk.tablet, desk.ctx
    assert tablet.sync(desk.transport()).ok
    now = tablet.now()
    ids = {
        "late": tablet.create_dossier(
            1, "Nguyễn Văn An", applicant_cccd="010090123456", received_at=now - timedelta(days=9)
        ),
        "late2": tablet.create_dossier(2, "Vàng Thị Mỷ", received_at=now - timedelta(days=6)),
        "shared": tablet.create_dossier(3, "Giàng Seo Chứ", received_at=now - timedelta(hours=2)),
        "supplement": tablet.create_dossier(3, "Sùng Thị Mai", received_at=now - timedelta(days=1)),
    }
    tablet.change_status(ids["supplement"], "needs_supplement", "Thiếu giấy xác nhận")
    tablet.add_feedback("complaint", "Chờ lâu quá, hẹn trả nhưng chưa có", citizen_name="Lầu A Chư")
    assert tablet.sync(desk.transport()).ok
    FirstRunModel(ctx).choose_pin(PIN, PIN)  # as the first run does: the data gets sealed
    ctx.lock()
    photo = tmp / "photos" / "giay-dang-ky-ket-hon.png"
    photo.parent.mkdir()
    _write_photo(photo)
    yield World(server, ctx, desk.colleague, desk.online, ids, photo, tmp)
    desk.colleague.close()
    ctx.close()


def _write_photo(path: Path) -> None:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (480, 640), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((20, 20, 460, 620), outline="black", width=4)
    for row in range(12):
        draw.line((50, 80 + row * 45, 430, 80 + row * 45), fill="gray", width=3)
    image.save(path)


@pytest.fixture(scope="module")
def h(world: World) -> Iterator[Harness]:
    harness = Harness.start_quiet(world.ctx, probe_interval=0.2)
    yield harness
    harness.stop()


def _sync_on_screen(h: Harness) -> Any:
    """Tap "Đồng bộ ngay" and wait for the report to reach the screen."""
    before = h.app.runner.last_report
    h.app.go("sync")
    h.tap(h.screen("sync").ids.sync_now)
    h.wait(
        lambda: h.app.runner.last_report is not before and not h.screen("sync").syncing,
        what="the sync to finish",
    )
    h.frames(5)
    return h.app.runner.last_report


def _popup(h: Harness) -> Any:
    from kivy.uix.modalview import ModalView

    return h.wait(
        lambda: next((w for w in h.window.children if isinstance(w, ModalView)), None),
        what="a dialog",
    )


# -- the flows, in order ---------------------------------------------------------------------


def test_unlock_counts_wrong_pins_then_opens(h: Harness, world: World) -> None:
    assert h.app.screens.current == "unlock"
    assert h.app.bar_commune == "Xã Tả Van · Sùng Thị Mai"
    assert h.app.bar_connection == "Ngoại tuyến" and h.app.bar_pending == "Chưa gửi: 0"
    h.screenshot("01-unlock")
    for digit in "111111":
        h.tap_text(digit)
    assert h.screen("unlock").message == "Mã PIN không đúng, còn 4 lần thử"
    h.screenshot("02-unlock-wrong-pin")
    h.tap_text("2")
    h.tap(h.screen("unlock").ids.key_back)
    assert h.screen("unlock").model.pin == ""
    for digit in PIN:
        h.tap_text(digit)
    h.wait(lambda: h.app.screens.current == "home", what="home")
    assert world.ctx.unlocked and h.app.rail_visible


def test_home_lists_todays_work_and_searches(h: Harness, world: World) -> None:
    home = h.screen("home")
    rows = home.ids.rows
    assert [r["record_id"] for r in rows.data] == [world.ids["late"], world.ids["late2"]]
    assert all(r["danger"] for r in rows.data)
    h.screenshot("03-home")
    h.type(home.ids.search, "nguyen van")
    h.wait(lambda: [r["record_id"] for r in rows.data] == [world.ids["late"]], what="search")
    assert home.heading == "Kết quả tìm kiếm: 1"
    h.screenshot("04-home-search")
    h.type(home.ids.search, "")
    h.wait(lambda: len(rows.data) == 2, what="the bucket again")
    h.tap_text("Chờ bổ sung\n", exact=False)
    assert [r["record_id"] for r in rows.data] == [world.ids["supplement"]]


def test_intake_with_a_photo(h: Harness, world: World) -> None:
    h.tap(h.screen("home").ids.new_dossier)
    intake = h.screen("intake")
    assert h.app.screens.current == "intake" and intake.model.step == "procedure"
    h.screenshot("05-intake-procedure")
    h.type(intake.ids.procedure_search, "ket hon")
    h.wait(lambda: len(intake.ids.procedures.data) == 2, what="the procedure search")
    h.tap(h.row(intake.ids.procedures, "3"))
    assert intake.model.step == "applicant"
    ids = intake.ids
    h.tap(ids.next)  # empty name: refused, the field says why
    assert ids.name.error == "Không được để trống" and intake.model.step == "applicant"
    h.type(ids.name, "Giàng A Páo")
    h.type(ids.cccd, "0100851234")
    h.type(ids.dob, "17/05/1985")
    h.type(ids.phone, "0912345678")
    h.tap(ids.next)
    assert ids.cccd.error == "Số CCCD phải gồm đúng 12 chữ số"
    h.type(ids.cccd, "010085123456")
    h.tap(ids.village)
    h.tap_text("Thôn Thôn 2")
    h.tap_text("Lưu động tại thôn, bản")
    h.screenshot("06-intake-applicant")
    h.tap(ids.next)
    assert intake.model.step == "documents"
    assert intake.model.applicant.village_id == 72
    h.tap_text("Tờ khai (bắt buộc)")
    h.tap_text("CCCD (bắt buộc)")
    assert intake.model.provided == {0, 1}
    h.tap(ids.add_photo)  # the desktop camera: a file chooser
    popup = _popup(h)
    popup.open_folder(world.photo.parent)
    h.frames(3)
    h.tap(h.row(popup.ids.files, str(world.photo)))
    assert popup.preview == str(world.photo)
    h.tap(popup.ids.choose)
    h.wait(lambda: len(intake.model.photos) == 1, what="the photo")
    h.screenshot("07-intake-documents")
    h.tap(ids.next)
    assert intake.model.step == "review"
    assert intake.due_text.startswith("Ngày hẹn trả kết quả: ")
    h.screenshot("08-intake-review")
    h.tap(ids.save)
    assert intake.model.step == "receipt"
    receipt = intake.model.receipt
    assert receipt is not None and receipt.qr_path is not None and receipt.qr_path.exists()
    assert intake.ids.qr.texture is not None
    h.screenshot("09-intake-receipt")
    world.ids["new"] = receipt.dossier_id
    dossier = world.ctx.tablet.dossier(receipt.dossier_id)
    assert dossier is not None and dossier["channel"] == "village_visit"
    code = dossier["check_code"]  # made on the tablet at intake; the QR link carries it
    assert intake.receipt_url == f"http://motcua.test/tra-cuu/{receipt.receipt_number}?k={code}"
    assert dossier["applicant_cccd"] == "010085123456"
    [photo] = world.ctx.tablet.photos("dossier", receipt.dossier_id)
    # Re-encoded when taken as a paper (``mobile.photo_resize``), without metadata.
    content_type, extension = FORMATS[options_for("paper").format]
    assert photo["filename"] == world.photo.with_suffix(extension).name
    assert photo["content_type"] == content_type
    assert h.app.bar_pending != "Chưa gửi: 0"


def _export_on_screen(h: Harness, screen: Any, number: str) -> Path:
    """Tap "Xuất phiếu 01 (PDF)" and wait for the file named by the message bar."""
    target = Path(screen.ctx.data_dir) / "exports" / f"receipt-{number}.pdf"
    target.unlink(missing_ok=True)
    h.tap_text("Xuất phiếu 01 (PDF)", screen)
    h.wait(lambda: target.is_file() and not screen.exporting, what="the PDF")
    h.wait(lambda: h.app.snack == f"Đã lưu phiếu 01: {target}", what="the path in the bar")
    assert screen.last_export == str(target) and not h.app.snack_error
    assert target.read_bytes().startswith(b"%PDF-")
    return target


def test_the_receipt_exported_as_a_pdf(h: Harness, world: World) -> None:
    intake = h.screen("intake")
    receipt = intake.model.receipt
    assert h.app.screens.current == "intake" and receipt is not None
    path = _export_on_screen(h, intake, receipt.receipt_number)
    assert path.parent == world.tmp / "data" / "exports"
    h.screenshot("09b-intake-receipt-exported")


def test_follow_up_to_the_result_returned(h: Harness, world: World) -> None:
    h.tap(h.screen("intake").ids.open_dossier)
    screen = h.screen("dossier")
    assert h.app.screens.current == "dossier"
    # The photo of the papers is sealed on disk and shown from memory, never from a file.
    [thumb] = screen.ids.photos.children
    assert not thumb.source and thumb.texture is not None
    assert tuple(thumb.texture.size) == (480, 640)
    plain = world.photo.read_bytes()
    sealed = world.ctx.tablet.store.blob_path(thumb.photo_sha256)
    assert sealed is not None and sealed.read_bytes()[:4] == b"MCB1"
    files = [p for p in (world.tmp / "data").rglob("*") if p.is_file()]
    assert sealed in files and not [p for p in files if plain[64:4096] in p.read_bytes()]
    h.screenshot("09c-dossier-photo")
    for label in ("Yêu cầu bổ sung", "Bắt đầu giải quyết"):
        h.tap_text(label, screen)
        popup = _popup(h)
        if label == "Yêu cầu bổ sung":
            h.tap(popup.ids.ok)  # a reason is required
            # Its own label, and the error said once: under the field, not again above.
            assert popup.field("note").label == "Giấy tờ cần bổ sung và lý do"
            assert popup.field("note").error == "Cần ghi lý do cho thao tác này"
            assert popup.message == ""
            h.type(popup.field("note"), "Thiếu giấy xác nhận tình trạng hôn nhân")
        h.tap(popup.ids.ok)
        h.wait(lambda p=popup: p.parent is None, what="the dialog to close")
    for label in ("Đồng ý (giải quyết xong)", "Trả kết quả"):
        h.tap_text(label, screen)
        h.tap(_popup(h).ids.ok)
        h.frames(3)
    dossier = world.ctx.tablet.dossier(world.ids["new"])
    assert dossier is not None and dossier["status"] == "result_returned"
    assert screen.status_text == "Trạng thái: Đã trả kết quả"
    assert [r["title"].split(" · ")[1] for r in screen.ids.timeline.data][:2] == [
        "Chuyển trạng thái",
        "Chuyển trạng thái",
    ]
    assert len(screen.ids.timeline.data) == 5
    assert screen.server_label == "Chưa gửi lên máy chủ"
    h.screenshot("10-dossier-returned")
    number = world.ctx.tablet.dossier(world.ids["new"])["receipt_number"]  # type: ignore[index]
    _export_on_screen(h, screen, number)  # from the dossier screen too


def test_a_late_dossier_gets_an_apology(h: Harness, world: World) -> None:
    h.app.go("home")
    home = h.screen("home")
    h.tap_text("Quá hạn\n", exact=False)
    h.tap(h.row(home.ids.rows, world.ids["late"]))
    screen = h.screen("dossier")
    assert screen.overdue.startswith("QUÁ HẠN")
    h.screenshot("11-dossier-overdue")
    h.tap(screen.ids.apologise)
    popup = _popup(h)
    assert popup.field("new_date").text  # a date is proposed
    h.type(popup.field("reason"), "Chờ xác minh tại thôn")
    h.type(popup.field("new_date"), "01/01/2020")
    h.tap(popup.ids.ok)
    assert popup.field("new_date").error == "Ngày hẹn mới phải sau hôm nay"
    new_date = (world.ctx.tablet.now() + timedelta(days=7)).strftime("%d/%m/%Y")
    h.type(popup.field("new_date"), new_date)
    h.tap(popup.ids.ok)
    h.wait(lambda: popup.parent is None, what="the apology dialog to close")
    assert screen.overdue == "" and f"Đã hẹn lại: {new_date}" in screen.details
    assert world.ctx.tablet.store.count_records("dossier_apology") == 1


def test_processing_stopped_and_its_notice_exported(h: Harness, world: World) -> None:
    """Form 05 of Circular 03/2025/TT-VPCP: stop with a reason, then export the notice."""
    h.app.go("home")
    home = h.screen("home")
    h.tap_text("Quá hạn\n", exact=False)
    h.tap(h.row(home.ids.rows, world.ids["late2"]))
    screen = h.screen("dossier")
    assert not screen.stopped and screen.ids.export_stop.parent.height == 0
    h.tap_text("Dừng giải quyết (mẫu 05)", screen)
    popup = _popup(h)  # the reason is required (tests/mobile/app/test_dossier.py)
    h.type(popup.field("note"), "Công dân có đơn đề nghị dừng giải quyết")
    h.tap(popup.ids.ok)
    h.wait(lambda: popup.parent is None, what="the dialog to close")
    dossier = world.ctx.tablet.dossier(world.ids["late2"])
    assert dossier is not None and dossier["status"] == "stopped"
    assert screen.status_text == "Trạng thái: Dừng giải quyết"
    assert screen.stopped
    h.frames(3)
    assert screen.ids.export_stop.parent.height > 0
    h.screenshot("11b-dossier-stopped")
    target = Path(screen.ctx.data_dir) / "exports" / f"stop-{dossier['receipt_number']}.pdf"
    h.tap(screen.ids.export_stop)
    h.wait(lambda: target.is_file() and not screen.exporting, what="the stop notice")
    assert target.read_bytes().startswith(b"%PDF") and not h.app.snack_error


def test_feedback_recorded_and_answered(h: Harness, world: World) -> None:
    h.tap(h.app.root.ids.nav_feedback)
    screen = h.screen("feedback")
    ids = screen.ids
    h.tap(ids.new)
    h.tap_text("Khiếu nại", screen)
    h.type(ids.content, "Hẹn trả kết quả đăng ký kết hôn nhưng chưa có")
    h.type(ids.citizen_name, "Lầu A Chư")
    h.type(ids.citizen_phone, "09876")
    h.tap(ids.save)  # a phone number cut short: refused, the bar and the field say so
    refused = ids.citizen_phone.error
    assert refused and h.app.snack == refused and h.app.snack_error
    h.type(ids.citizen_phone, "0987654321")
    assert h.app.snack == ""  # corrected: the red bar goes
    receipt = world.ctx.tablet.dossier(world.ids["late"])["receipt_number"]  # type: ignore[index]
    h.type(ids.receipt, receipt)
    h.screenshot("12-feedback-new")
    h.tap(ids.save)
    assert screen.mode == "detail"
    assert h.app.snack.startswith("Đã ghi nhận. Hạn trả lời: ")
    saved = world.ctx.tablet.store.get("feedback", screen.model.selected or "")
    assert saved is not None and saved["kind"] == "complaint"
    assert saved["dossier_id"] == world.ids["late"]
    h.type(ids.response, "Xã đã trả kết quả; xin lỗi ông vì chậm trễ.")
    h.tap(ids.send_answer)
    saved = world.ctx.tablet.store.get("feedback", saved["id"])
    assert saved is not None and saved["status"] == "answered"
    h.screenshot("13-feedback-answered")


def test_survey_of_several_respondents(h: Harness, world: World) -> None:
    h.tap(h.app.root.ids.nav_survey)
    screen = h.screen("survey")
    h.tap(screen.ids.village)
    h.tap_text("Thôn Thôn 3")
    h.tap(screen.ids.start)
    assert screen.running
    for number, score in enumerate(("5", "4", "5"), start=1):
        assert screen.respondent == f"Người trả lời số {number}"
        for question in screen.model.questions():
            buttons = screen._buttons.get(question.id, [])
            wanted = {"likert5": score, "yes_no": "Không", "single_choice": "hmn"}.get(
                question.type
            )
            for button in buttons:
                if button.text == wanted:
                    card = button.parent.parent
                    screen.ids.scroller.scroll_to(card, padding=10, animate=False)
                    h.frames(2)
                    h.tap(button)
        if number == 1:
            h.screenshot("14-survey")
        h.tap(screen.ids.save_next)
        assert h.app.snack == f"Đã lưu phiếu số {number}", h.app.snack
    responses = world.ctx.tablet.store.list_records("survey_response")
    assert [r["answers"]["q1"] for r in responses] == [5, 4, 5]
    assert {r["village_id"] for r in responses} == {73}
    assert screen.header.endswith(" · Thôn Thôn 3")  # the village, in the header
    # A fourth respondent half answered: "Kết thúc khảo sát" asks before dropping it.
    first = screen.model.questions()[0]
    screen.ids.scroller.scroll_to(screen._buttons[first.id][0].parent.parent, animate=False)
    h.frames(2)
    h.tap(screen._buttons[first.id][2])
    h.tap(screen.ids.finish)
    confirm = _popup(h)
    assert screen.running
    h.screenshot("14b-survey-finish-asks")
    h.tap(confirm.ids.ok)  # "Bỏ và kết thúc"
    assert not screen.running
    assert len(world.ctx.tablet.store.list_records("survey_response")) == 3


def test_sync_then_a_conflict_resolved_on_screen(h: Harness, world: World) -> None:
    world.online["now"] = True
    h.wait(lambda: h.app.connection in ("online", "syncing"), what="online")
    report = _sync_on_screen(h)
    assert report.ok and report.rejected == 0
    assert world.ctx.tablet.status().pending == 0
    assert h.app.bar_pending == "Chưa gửi: 0"
    assert world.server.count("survey_response") == 3
    assert world.server.count("attachment") == 1
    # A colleague edits the same dossier's note meanwhile; ours is older.
    world.colleague_sync()
    shared = world.ids["shared"]
    world.ctx.tablet.edit("dossier", shared, note="Hẹn công dân thứ Hai")
    time.sleep(0.01)
    world.colleague.edit("dossier", shared, note="Công dân xin lùi lịch sang thứ Ba")
    world.colleague_sync()
    report = _sync_on_screen(h)
    assert report.ok and report.conflicts == 1
    screen = h.screen("sync")
    [card] = [c for c in screen.ids.conflicts.children if hasattr(c, "ids") and "kept" in c.ids]
    assert [(v.label, v.value) for v in card.ids.kept.children] == [
        ("Ghi chú", "Công dân xin lùi lịch sang thứ Ba")
    ]
    assert [v.value for v in card.ids.lost.children] == ["Hẹn công dân thứ Hai"]
    assert h.app.bar_problems == "Xung đột: 1"
    h.screenshot("15-sync-conflict")
    h.tap(card.ids.keep_lost)  # the officer knows better: Monday stands
    assert world.ctx.tablet.conflicts() == []
    assert world.ctx.tablet.dossier(shared)["note"] == "Hẹn công dân thứ Hai"  # type: ignore[index]
    report = _sync_on_screen(h)
    assert report.ok
    world.colleague_sync()
    assert world.colleague.dossier(shared)["note"] == "Hẹn công dân thứ Hai"  # type: ignore[index]
    assert h.app.bar_problems == ""
    h.screenshot("16-sync-done")


def test_english_and_larger_text(h: Harness, world: World) -> None:
    h.tap(h.app.root.ids.nav_settings)
    h.tap_text("English")
    assert h.app.lang == "en" and h.app.root.ids.nav_home.text == "Today"
    h.tap_text("Large")
    assert h.app.font_scale == 1.2
    h.screenshot("17-settings-english")
    h.tap(h.app.root.ids.nav_home)
    assert h.screen("home").ids.buckets.children[-1].text.startswith("Overdue")
    h.screenshot("18-home-english-large")
    h.tap(h.app.root.ids.nav_settings)
    h.tap_text("Tiếng Việt")
    h.tap_text("Vừa")
    assert h.app.lang == "vi" and h.app.font_scale == 1.0
    assert world.ctx.prefs.language == "vi"


def test_a_revoked_tablet_locks_work_and_keeps_its_data(h: Harness, world: World) -> None:
    world.ctx.tablet.add_feedback("praise", "Cán bộ nhiệt tình")
    world.server.revoked.add(1)
    report = _sync_on_screen(h)
    assert report.revoked
    h.wait(lambda: h.app.screens.current == "revoked", what="the revoked screen")
    assert not h.app.rail_visible
    screen = h.screen("revoked")
    assert "1 thay đổi chưa gửi" in screen.body
    h.screenshot("19-revoked")
    h.app.go("home")  # no way around it
    assert h.app.screens.current == "revoked"
    world.server.revoked.clear()  # an administrator reinstates the device
    h.tap(screen.ids.retry)
    h.wait(lambda: h.app.screens.current == "home", what="back to work")
    assert world.ctx.tablet.status().pending == 0 and not world.ctx.prefs.revoked


def test_lock(h: Harness, world: World) -> None:
    h.tap(h.app.root.ids.nav_lock)
    assert h.app.screens.current == "unlock" and not world.ctx.unlocked
    assert not h.app.rail_visible
    assert world.ctx.tablet.store.cipher is None  # the key is forgotten
    h.frames(5)
    h.app.refresh_status()  # the top bar still works while the data is sealed
    assert h.app.bar_commune == "Xã Tả Van · Sùng Thị Mai"
