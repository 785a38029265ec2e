"""The real Kivy app, offscreen: a two-party marriage intake, a correction, a conflict card.

Not collected by the main run (one Kivy window per process): ``test_gui.py`` runs this
module in its own process. The tests share one running app and run in order. Each
screen is saved to ``test-artifacts/tablet/`` (``2x-…``).
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.mobile.app.kivy_harness import Harness, configure, open_desk

configure(Path(os.environ.get("MOTCUA_GUI_TMP") or tempfile.mkdtemp()) / "kivy")  # before Kivy

from mobile.app.context import AppContext  # noqa: E402
from mobile.app.viewmodels.setup import FirstRunModel  # noqa: E402
from mobile.tablet import Tablet  # noqa: E402
from tests.sync.fake_server import FakeServer, FakeTransport  # noqa: E402

PIN = "246810"
MARRIAGE_ID = "4"  # "Đăng ký kết hôn trong nước", with the shipped form (bên nữ, bên nam)


@dataclass
class World:
    server: FakeServer
    ctx: AppContext
    colleague: Tablet
    online: dict[str, bool]
    state: dict[str, Any]

    def colleague_sync(self) -> None:
        report = self.colleague.sync(FakeTransport(self.server, 2))
        assert report.ok, report.error


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("gui-parties")
    desk = open_desk(tmp)
    assert desk.tablet.sync(desk.transport()).ok
    ctx = desk.ctx
    FirstRunModel(ctx).choose_pin(PIN, PIN)
    ctx.lock()
    yield World(desk.server, ctx, desk.colleague, desk.online, {})
    desk.colleague.close()
    ctx.close()


@pytest.fixture(scope="module")
def h(world: World) -> Iterator[Harness]:
    harness = Harness.start_quiet(world.ctx, probe_interval=0.2)
    yield harness
    harness.stop()


def _fill(h: Harness, screen: Any, values: dict[str, str]) -> None:
    for key, text in values.items():
        h.type(screen._form_widgets[key], text)


def test_unlock(h: Harness) -> None:
    h.unlock(PIN)


def test_a_marriage_intake_records_both_parties(h: Harness, world: World) -> None:
    intake = h.start_intake("ket hon trong nuoc", MARRIAGE_ID)
    ids = intake.ids
    assert intake.model.step == "applicant"
    assert intake.step_title == "Bước 2/6: Người nộp hồ sơ"
    h.type(ids.name, "Giàng Thị Mai")
    h.type(ids.cccd, "001301012345")
    h.type(ids.dob, "05/04/2001")
    h.type(ids.address, "Bản Tả Van")
    h.tap(ids.next)
    # Step 3: bên nữ, built from the form; the applicant is the bride.
    assert intake.model.step == "party:bride"
    assert intake.step_title == "Bước 3/6: Bên nữ"
    assert h.find("Họ, chữ đệm và tên *") is not None
    h.tap(ids.copy_applicant)
    assert intake._form_widgets["full_name"].text == "Giàng Thị Mai"
    h.tap(ids.next)  # ethnicity missing: refused, the field says why
    assert intake.model.step == "party:bride"
    assert intake._form_widgets["ethnicity"].error == "Không được để trống"
    assert h.app.snack == "Không được để trống" and h.app.snack_error
    h.screenshot("21-intake-bride-error")
    _fill(h, intake, {"ethnicity": "Mông"})
    assert h.app.snack == ""  # corrected: the red bar goes with the error
    h.screenshot("22-intake-bride")
    h.tap(ids.next)
    assert intake.model.step == "party:groom"
    assert intake.step_title == "Bước 4/6: Bên nam"
    _fill(
        h,
        intake,
        {
            "full_name": "Sùng A Páo",
            "dob": "20/11/1999",
            "ethnicity": "Mông",
            "cccd": "00109901234",  # 11 digits
            "residence": "Bản Lao Chải",
        },
    )
    h.tap(ids.next)
    assert intake._form_widgets["cccd"].error == "Số CCCD phải gồm đúng 12 chữ số"
    assert h.app.snack == "Số CCCD phải gồm đúng 12 chữ số"
    _fill(h, intake, {"cccd": "0010990123"})  # still wrong: the bar still says so
    assert h.app.snack == "Số CCCD phải gồm đúng 12 chữ số" and h.app.snack_error
    _fill(h, intake, {"cccd": "001099012345"})
    assert h.app.snack == ""
    h.screenshot("23-intake-groom")
    h.tap(ids.next)
    assert intake.model.step == "documents"
    h.tap_text("Tờ khai (bắt buộc)")
    h.tap(ids.next)
    assert intake.model.step == "review"
    h.screenshot("24-intake-review-parties")
    h.tap(ids.save)
    h.wait(lambda: intake.model.step == "receipt", what="the receipt")
    receipt = intake.model.receipt
    assert receipt is not None
    stored = world.ctx.tablet.dossier(receipt.dossier_id) or {}
    assert stored["parties"]["bride"]["full_name"] == "Giàng Thị Mai"
    assert stored["parties"]["bride"]["dob"] == "2001-04-05"
    assert stored["parties"]["groom"] == {
        "full_name": "Sùng A Páo",
        "dob": "1999-11-20",
        "ethnicity": "Mông",
        "nationality": "Việt Nam",
        "cccd": "001099012345",
        "residence": "Bản Lao Chải",
    }
    world.state["dossier_id"] = receipt.dossier_id


def test_the_search_finds_the_dossier_by_the_grooms_name(h: Harness, world: World) -> None:
    h.app.go("home")
    home = h.screen("home")
    h.type(home.ids.search, "sung a pao")
    rows = home.ids.rows
    h.wait(
        lambda: [r["record_id"] for r in rows.data] == [world.state["dossier_id"]],
        what="the search by a party's name",
    )
    h.type(home.ids.search, "")


def test_a_misspelled_name_is_corrected(h: Harness, world: World) -> None:
    dossier_id = world.state["dossier_id"]
    h.app.go("dossier", dossier_id=dossier_id)
    screen = h.screen("dossier")
    assert "Bên nam: Sùng A Páo · 20/11/1999" in screen.details
    h.screenshot("25-dossier-parties")
    h.tap(screen.ids.correct)
    popup = h.wait(
        lambda: next((w for w in h.window.children if hasattr(w, "fields")), None),
        what="the correction form",
    )
    assert popup.fields["parties.groom.full_name"].text == "Sùng A Páo"
    h.type(popup.fields["parties.groom.full_name"].ids.input, "Sùng A Pào")
    h.type(popup.fields["applicant_phone"].ids.input, "0912345678")
    h.screenshot("26-dossier-correct")
    h.tap(popup.ids.ok)
    h.wait(lambda: popup.parent is None, what="the form to close")
    stored = world.ctx.tablet.dossier(dossier_id) or {}
    assert stored["parties"]["groom"]["full_name"] == "Sùng A Pào"
    assert stored["applicant_phone"] == "0912345678"
    titles = [r["subtitle"] for r in screen.ids.timeline.data]
    assert "Đã sửa: Số điện thoại, Bên nam · Họ, chữ đệm và tên" in titles
    h.screenshot("27-dossier-corrected")


def test_a_conflict_card_in_vietnamese(h: Harness, world: World) -> None:
    dossier_id = world.state["dossier_id"]
    world.online["now"] = True
    h.wait(lambda: h.app.connection in ("online", "syncing"), what="online")
    assert world.ctx.tablet.sync(world.ctx.make_transport()).ok
    world.colleague_sync()
    # Both correct the bride offline: here her name, on tablet 2 her name and birth date.
    parties = world.ctx.tablet.dossier(dossier_id)["parties"]  # type: ignore[index]
    mine = {**parties, "bride": {**parties["bride"], "full_name": "Giàng Thị Mái"}}
    world.ctx.tablet.correct_dossier(dossier_id, applicant_name="Giàng Thị Mái", parties=mine)
    time.sleep(0.01)
    theirs = {
        **parties,
        "bride": {**parties["bride"], "full_name": "Giàng Thị May", "dob": "2001-05-04"},
    }
    world.colleague.correct_dossier(dossier_id, applicant_name="Giàng Thị May", parties=theirs)
    world.colleague_sync()
    h.app.go("sync")
    screen = h.screen("sync")
    before = h.app.runner.last_report
    h.tap(screen.ids.sync_now)
    h.wait(
        lambda: h.app.runner.last_report is not before and not screen.syncing,
        what="the sync",
    )
    h.frames(5)
    cards = [c for c in screen.ids.conflicts.children if hasattr(c, "ids") and "kept" in c.ids]
    assert len(cards) == 1  # name and parties were written together: one card
    [card] = cards
    kept = {v.label: v.value for v in card.ids.kept.children}
    lost = {v.label: v.value for v in card.ids.lost.children}
    assert kept == {
        "Họ tên người nộp": "Giàng Thị May",
        "Bên nữ · Họ, chữ đệm và tên": "Giàng Thị May",
        "Bên nữ · Ngày sinh": "04/05/2001",
    }
    assert lost["Bên nữ · Họ, chữ đệm và tên"] == "Giàng Thị Mái"
    assert lost["Bên nữ · Ngày sinh"] == "05/04/2001"
    assert card.ids.kept_by.text.startswith("Lò Văn Pằng · máy tính bảng số 2 · ")
    assert card.ids.lost_by.text.startswith("Sùng Thị Mai · máy này (số 1) · ")
    assert screen.conflicts_heading == "Xung đột cần người quyết định: 1"
    assert h.app.bar_problems == "Xung đột: 1"
    h.screenshot("28-sync-conflict-card")
    h.tap(card.ids.keep_kept)
    assert world.ctx.tablet.conflicts() == []
    h.frames(3)
    assert h.app.bar_problems == ""
