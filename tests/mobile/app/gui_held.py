"""Held dates confirmed as they are, on the sync screen, against the real server.

Run by ``test_gui.py`` in its own process (Kivy's window is one per process). The
tablet's clock is two years behind: a dossier received on it goes out, and the server
holds its legal dates (reason ``clock_confirm``, PROTOCOL.md §4). Saving the dossier
again unchanged would send nothing; the refused row on the sync screen has "Xác nhận
giữ nguyên", which sends the held values again through the outbox, and the next sync
gets them accepted. The parent test then finds the dossier on the server with the date
as it was typed.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.mobile.app.kivy_harness import Harness, configure

configure(Path(os.environ.get("MOTCUA_GUI_TMP") or tempfile.mkdtemp()) / "kivy")  # before Kivy

from mobile.app.context import STORE_NAME, AppContext  # noqa: E402
from mobile.app.platform import DesktopCamera, NoLocation, Platform  # noqa: E402
from mobile.app.viewmodels.setup import FirstRunModel  # noqa: E402
from mobile.tablet import Tablet  # noqa: E402
from sync.hlc import ManualClock  # noqa: E402

URL = os.environ.get("MOTCUA_LIVE_URL", "")
USERNAME = os.environ.get("MOTCUA_LIVE_USERNAME", "")
PASSWORD = os.environ.get("MOTCUA_LIVE_PASSWORD", "")
PROCEDURE = int(os.environ.get("MOTCUA_LIVE_PROCEDURE") or 0)
RESULT = os.environ.get("MOTCUA_LIVE_RESULT", "")
PIN = "314159"
CONFIRM_VI = "Xác nhận giữ nguyên"

pytestmark = pytest.mark.skipif(not URL, reason="run by test_gui.py with a live server")


@pytest.fixture(scope="module")
def ctx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppContext]:
    tmp = tmp_path_factory.mktemp("held")
    wrong = datetime.now(UTC) - timedelta(days=730)
    tablet = Tablet(tmp / "data" / STORE_NAME, physical=ManualClock(int(wrong.timestamp() * 1000)))
    context = AppContext.open(
        tmp / "data",
        server_url=URL,
        platform=Platform(camera=DesktopCamera(tmp), location=NoLocation()),
        scrypt_n=2**10,
        tablet=tablet,
    )
    context.tablet.register(URL, USERNAME, PASSWORD, "Máy đồng hồ chậm")
    FirstRunModel(context).choose_pin(PIN, PIN)
    assert context.tablet.sync(context.make_transport()).ok  # the catalog, nothing pushed
    dossier_id = context.tablet.create_dossier(PROCEDURE, "Sùng A Chớ")
    report = context.tablet.sync(context.make_transport())
    assert report.ok and report.rejected == 2, report  # the dossier and its "received" event
    assert len(context.tablet.held_for_confirmation()) == 2
    dossier = context.tablet.dossier(dossier_id)
    assert dossier is not None
    if RESULT:
        Path(RESULT).write_text(
            json.dumps({"dossier_id": dossier_id, "received_at": dossier["received_at"]}),
            encoding="utf-8",
        )
    context.lock()
    yield context
    context.close()


@pytest.fixture(scope="module")
def h(ctx: AppContext) -> Iterator[Harness]:
    yield from Harness.running_quiet(ctx, probe_interval=0.2)


def _rows(h: Harness) -> list[Any]:
    h.frames(3)
    rows = h.screen("sync").ids.rejected
    return [v for v in rows.children[0].children if v.__class__.__name__ == "RejectedRow"]


def test_unlock(h: Harness) -> None:
    assert h.app.screens.current == "unlock"
    for digit in PIN:
        h.tap_text(digit)
    h.wait(lambda: h.app.screens.current == "home", what="home")


def test_held_rows_offer_confirm_as_is_in_one_language(h: Harness, ctx: AppContext) -> None:
    h.app.go("sync")
    h.wait(lambda: len(_rows(h)) == 2, what="the two held rows")
    for row in _rows(h):
        assert row.can_confirm
        assert "730 ngày" in row.subtitle and "days" not in row.subtitle
    h.find(CONFIRM_VI)  # shown, in Vietnamese
    assert "chậm 730 ngày" in h.screen("sync").overview  # the clock warning, in days
    h.screenshot("40-held-dates-confirm-as-is")
    ctx.tr.set_language("en")
    h.frames(6)
    for row in _rows(h):
        assert "730 days" in row.subtitle and "ngày" not in row.subtitle
    h.find("Confirm as is")
    screen = h.screen("sync")
    # One language on the whole screen, the last sync's result included.
    assert screen.progress_text == "Ready" and screen.result_text.startswith("Done at")
    assert "730 days behind the server's" in screen.overview
    h.screenshot("41-held-dates-confirm-as-is-en")
    ctx.tr.set_language("vi")
    h.frames(6)


def test_confirm_sends_the_held_values_and_the_sync_gets_them_accepted(
    h: Harness, ctx: AppContext
) -> None:
    [dossier_row] = [r for r in _rows(h) if r.title.startswith("Hồ sơ")]
    buttons = [w for w in h.widgets(dossier_row) if getattr(w, "text", None) == CONFIRM_VI]
    h.tap(buttons[0])
    assert ctx.tablet.held_for_confirmation() == []  # both rows of the dossier went out
    h.wait(lambda: not _rows(h), what="the rows to go")
    assert ctx.tablet.store.pending_count() == 2
    h.tap_text("Đồng bộ ngay")
    h.wait(
        lambda: ctx.tablet.store.pending_count() == 0 and not ctx.tablet.status().rejected,
        timeout=60,
        what="the next sync to send them",
    )
    h.screenshot("42-held-dates-confirmed-and-sent")
