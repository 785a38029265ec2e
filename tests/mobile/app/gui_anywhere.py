"""The real Kivy app, offscreen: filing anywhere in the province (Decree 118/2025/NĐ-CP).

An intake in Tả Van of a procedure on the province's list, settled by Sa Pa and
returned there; the dossier screen with both centres; a second handover (to Bản Hồ,
with its reason); the timeline. Not collected by the main run (one Kivy window per
process): ``test_gui.py`` runs this module in its own process; the tests share one
running app and run in order. Screens are saved to ``test-artifacts/tablet/4x-…``.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.mobile.app.kivy_harness import Harness, configure

configure(Path(os.environ.get("MOTCUA_GUI_TMP") or tempfile.mkdtemp()) / "kivy")  # before Kivy

from mobile.app.context import AppContext  # noqa: E402
from mobile.app.platform import DesktopCamera, NoLocation, Platform  # noqa: E402
from mobile.app.viewmodels.setup import FirstRunModel  # noqa: E402
from mobile.tablet import Tablet  # noqa: E402
from tests.mobile.app.province import BAN_HO, CERTIFICATION, SA_PA, seed_province  # noqa: E402
from tests.sync.fake_server import COMMUNE_ID, FakeServer, FakeTransport  # noqa: E402

PIN = "246810"


@dataclass
class World:
    ctx: AppContext
    state: dict[str, Any]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("gui-anywhere")
    server = FakeServer()
    server.seed_reference()
    seed_province(server)
    tablet = Tablet(tmp / "data" / "tablet.db")
    registration = tablet.adopt_registration("http://motcua.test", server.registration())
    assert tablet.sync(FakeTransport(server, registration.device_no)).ok
    ctx = AppContext.open(
        tmp / "data",
        tablet=tablet,
        platform=Platform(
            camera=DesktopCamera(tmp), location=NoLocation(), probe=lambda _url: False
        ),
        scrypt_n=2**10,
    )
    ctx.transport_factory = lambda: FakeTransport(server, registration.device_no)
    FirstRunModel(ctx).choose_pin(PIN, PIN)
    ctx.lock()
    yield World(ctx, {})
    ctx.close()


@pytest.fixture(scope="module")
def h(world: World) -> Iterator[Harness]:
    harness = Harness.start_quiet(world.ctx, probe_interval=0.2)
    yield harness
    harness.stop()


def test_unlock(h: Harness) -> None:
    h.unlock(PIN)


def test_the_intake_names_the_settling_commune(h: Harness, world: World) -> None:
    intake = h.start_intake("chung thuc", CERTIFICATION)
    ids = intake.ids
    assert intake.model.step == "settling"
    assert intake.step_title == "Bước 2/5: Xã giải quyết, nơi trả kết quả"
    assert ids.settling.text == "Xã Tả Van (xã tiếp nhận)"  # this commune by default
    assert ids.return_there.disabled  # nothing else to choose yet
    h.tap(ids.settling)
    h.tap_text("Phường Sa Pa")
    assert intake.model.settling_id() == SA_PA
    h.tap(ids.return_there)
    assert intake.model.return_to == "settling"
    h.screenshot("40-intake-settling")
    h.tap(ids.next)
    assert intake.model.step == "applicant"
    h.type(ids.name, "Lý Thị Sử")
    h.type(ids.cccd, "010195012345")
    h.type(ids.dob, "08/03/1995")
    h.tap(ids.next)
    h.tap_text("Tờ khai (bắt buộc)")
    h.tap(ids.next)
    assert intake.model.step == "review"
    assert h.find("Phường Sa Pa") is not None
    h.screenshot("41-intake-review-settling")
    h.tap(ids.save)
    h.wait(lambda: intake.model.step == "receipt", what="the receipt")
    receipt = intake.model.receipt
    assert receipt is not None
    stored = world.ctx.tablet.dossier(receipt.dossier_id) or {}
    assert (stored["settling_commune_id"], stored["return_commune_id"]) == (SA_PA, SA_PA)
    world.state["dossier_id"] = receipt.dossier_id


def test_the_dossier_is_handed_over_again(h: Harness, world: World) -> None:
    h.app.go("dossier", dossier_id=world.state["dossier_id"])
    screen = h.screen("dossier")
    assert (
        "Tiếp nhận: Xã Tả Van · Giải quyết: Phường Sa Pa · Trả kết quả: Phường Sa Pa"
        in screen.details
    )
    button = next(w for w in screen.ids.actions.children if getattr(w, "action", "") == "hand_over")
    h.tap(button)
    popup = h.wait(lambda: screen.popup if screen.popup and screen.popup.parent else None)
    h.tap(screen.handover_spinner)
    h.tap_text("Xã Bản Hồ")
    h.tap(popup.ids.ok)  # a second handover needs a reason: refused, it says so
    assert popup.field("reason").error == "Không được để trống"
    h.type(popup.field("reason").ids.input, "Người nộp thường trú tại Bản Hồ")
    h.screenshot("42-dossier-handover")
    h.tap(popup.ids.ok)
    h.wait(lambda: popup.parent is None, what="the dialog to close")
    stored = world.ctx.tablet.dossier(world.state["dossier_id"]) or {}
    assert stored["settling_commune_id"] == BAN_HO
    assert stored["return_commune_id"] == COMMUNE_ID  # Sa Pa gave it up: back to Tả Van
    subtitles = [r["subtitle"] for r in screen.ids.timeline.data]
    assert "Từ Phường Sa Pa đến Xã Bản Hồ · Lý do: Người nộp thường trú tại Bản Hồ" in subtitles
    assert "Từ Xã Tả Van đến Phường Sa Pa" in subtitles
    h.screenshot("43-dossier-handed-over")
