"""First run against a real server on loopback: register, choose the PIN, work, sync.

Run by ``test_gui.py`` in its own process (Kivy's window is one per process), with the
server's address and an officer's log-in in the environment. Writes what it made to
``MOTCUA_LIVE_RESULT`` so the parent test can look for it in the server's database.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.mobile.app.kivy_harness import Harness, configure

configure(Path(os.environ.get("MOTCUA_GUI_TMP") or tempfile.mkdtemp()) / "kivy")  # before Kivy

from mobile.app.context import AppContext  # noqa: E402
from mobile.app.platform import DesktopCamera, NoLocation, Platform  # noqa: E402

URL = os.environ.get("MOTCUA_LIVE_URL", "")
USERNAME = os.environ.get("MOTCUA_LIVE_USERNAME", "")
PASSWORD = os.environ.get("MOTCUA_LIVE_PASSWORD", "")
PROCEDURE_ID = os.environ.get("MOTCUA_LIVE_PROCEDURE", "")
CCCD = os.environ.get("MOTCUA_LIVE_CCCD", "")
RESULT = os.environ.get("MOTCUA_LIVE_RESULT", "")
PIN = "135792"

pytestmark = pytest.mark.skipif(not URL, reason="run by test_gui.py with a live server")


@pytest.fixture(scope="module")
def ctx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppContext]:
    tmp = tmp_path_factory.mktemp("live")
    context = AppContext.open(
        tmp / "data",
        server_url=URL,  # as `python -m mobile.app --server URL` does
        platform=Platform(camera=DesktopCamera(tmp), location=NoLocation()),
        scrypt_n=2**10,
    )
    yield context
    context.close()


@pytest.fixture(scope="module")
def h(ctx: AppContext) -> Iterator[Harness]:
    harness = Harness.start_quiet(ctx, probe_interval=0.3)
    yield harness
    harness.stop()


def test_first_run_registers_online_then_sets_the_pin(h: Harness, ctx: AppContext) -> None:
    screen = h.screen("setup")
    assert h.app.screens.current == "setup" and screen.step == "register"
    assert h.app.bar_commune == "Máy chưa đăng ký" and not h.app.rail_visible
    assert screen.ids.server.text == URL
    h.type(screen.ids.username, USERNAME)
    h.type(screen.ids.password, "not the password")
    h.screenshot("00-setup-register")
    h.tap(screen.ids.register)
    h.wait(lambda: not screen.busy, what="the refusal")
    assert screen.ids.password.error == "Sai tên đăng nhập hoặc mật khẩu"
    h.type(screen.ids.password, PASSWORD)
    h.tap(screen.ids.register)
    h.wait(lambda: screen.step == "pin", what="the registration")
    assert ctx.registered and "Tả Van" in screen.registered_text
    h.type(screen.ids.pin, PIN)
    h.type(screen.ids.pin_again, "135790")
    h.tap(screen.ids.save_pin)
    assert screen.ids.pin_again.error == "Hai lần nhập không giống nhau"
    h.type(screen.ids.pin_again, PIN)
    h.screenshot("00-setup-pin")
    h.tap(screen.ids.save_pin)
    h.wait(lambda: h.app.screens.current == "home", what="home")
    assert ctx.unlocked and ctx.vault.is_set_up


def test_the_catalog_arrives_by_itself(h: Harness, ctx: AppContext) -> None:
    # Online: the runner syncs as soon as it sees the server, bringing the catalog.
    report = h.wait(lambda: h.app.runner.last_report, timeout=30, what="the first sync")
    assert report.ok, report.error
    assert h.app.bar_connection == "Trực tuyến"
    assert ctx.tablet.procedure(int(PROCEDURE_ID)) is not None
    assert ctx.tablet.villages()


def test_receive_a_dossier_and_sync_it_now(h: Harness, ctx: AppContext) -> None:
    h.tap(h.screen("home").ids.new_dossier)
    intake = h.screen("intake")
    h.tap(h.row(intake.ids.procedures, PROCEDURE_ID))
    h.type(intake.ids.name, "Hầu A Dơ")
    h.type(intake.ids.cccd, CCCD)
    h.tap(intake.ids.next)
    h.tap(intake.ids.next)
    h.tap(intake.ids.save)
    receipt = intake.model.receipt
    assert receipt is not None and receipt.status_url.startswith(URL + "/tra-cuu/")
    assert ctx.tablet.status().pending == 2
    h.app.go("sync")
    screen = h.screen("sync")
    before = h.app.runner.last_report
    h.tap(screen.ids.sync_now)
    h.wait(
        lambda: h.app.runner.last_report is not before and not screen.syncing,
        timeout=30,
        what="the sync",
    )
    report = h.app.runner.last_report
    assert report.ok and report.pushed == 2 and report.rejected == 0, report
    h.frames(5)
    assert ctx.tablet.status().pending == 0 and h.app.bar_pending == "Chưa gửi: 0"
    assert ctx.tablet.on_server("dossier", receipt.dossier_id)
    assert screen.result_ok and screen.result_text.startswith("Xong lúc")
    h.screenshot("20-sync-live-server")
    Path(RESULT).write_text(
        json.dumps({"dossier_id": receipt.dossier_id, "receipt_number": receipt.receipt_number}),
        encoding="utf-8",
    )


NEW_PIN = "864213"


def test_a_forgotten_pin_is_set_anew_with_the_password(h: Harness, ctx: AppContext) -> None:
    # After the first good sync the data key is also wrapped under the server's secret.
    enrolled = h.wait(lambda: ctx.vault.recovery_id, timeout=30, what="the recovery enrolment")
    feedback_id = ctx.tablet.add_feedback(
        "report", "Cầu treo bản Sín Chải bị hỏng", citizen_name="Sùng A Tủa"
    )
    unsent = ctx.tablet.status().pending
    assert unsent >= 1
    h.app.lock()
    unlock = h.screen("unlock")
    assert h.app.screens.current == "unlock"
    h.tap(unlock.ids.forgot)
    screen = h.screen("recover")
    assert h.app.screens.current == "recover" and not h.app.rail_visible
    assert screen.ids.username.text == USERNAME
    h.type(screen.ids.password, "not the password")
    h.type(screen.ids.pin, NEW_PIN)
    h.type(screen.ids.pin_again, NEW_PIN)
    h.tap(screen.ids.save)
    h.wait(lambda: not screen.busy, timeout=30, what="the refusal")
    assert screen.ids.password.error.startswith("Sai tên đăng nhập hoặc mật khẩu")
    assert screen.message == ""  # said once, under the field
    assert not ctx.unlocked
    h.screenshot("26-recover-wrong-password")
    h.type(screen.ids.password, PASSWORD)
    h.tap(screen.ids.save)
    h.wait(lambda: h.app.screens.current == "home", timeout=30, what="home after recovery")
    assert ctx.unlocked
    assert h.app.snack == "Đã đặt mã PIN mới. Dữ liệu trên máy được giữ nguyên."
    kept = ctx.tablet.store.get("feedback", feedback_id)
    assert kept is not None and kept["citizen_name"] == "Sùng A Tủa"
    assert ctx.tablet.status().pending >= unsent or ctx.tablet.on_server("feedback", feedback_id)
    h.screenshot("27-recover-done")
    # The next sync sends the work and replaces the secret that was just used.
    h.app.runner.sync_now()
    h.wait(
        lambda: ctx.vault.recovery_id not in (None, enrolled) and not ctx.recovery_due,
        timeout=30,
        what="the secret rotated",
    )
    assert ctx.tablet.on_server("feedback", feedback_id)
    # The new PIN opens the app; the old one no longer does.
    h.app.lock()
    for digit in NEW_PIN:
        h.tap(h.find(digit, unlock.ids.keypad))
    h.wait(lambda: ctx.unlocked, what="unlocked with the new PIN")
