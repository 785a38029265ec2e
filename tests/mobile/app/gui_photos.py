"""A colleague's photos on the dossier screen: fetched from the real server in the background.

Run by ``test_gui.py`` in its own process (Kivy's window is one per process). The parent
test registers a colleague's tablet with the real server on loopback, receives two
dossiers there with a photo each and syncs them up; this tablet registers, pulls the
dossiers (their ``attachment`` records, not the bytes), and the officer opens them:

1. a placeholder "Đang tải ảnh…" while the photo is fetched — held back by a gate to
   see it, the window still drawing frames meanwhile — then the photo itself;
2. with the server out of reach: "Chưa tải được ảnh — sẽ thử lại khi có mạng"; a tap
   tries again; once the server is back, the sync's success fetches it by itself.
"""

from __future__ import annotations

import os
import socket
import tempfile
import threading
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
from mobile.transport import HttpTransport  # noqa: E402

URL = os.environ.get("MOTCUA_LIVE_URL", "")
USERNAME = os.environ.get("MOTCUA_LIVE_USERNAME", "")
PASSWORD = os.environ.get("MOTCUA_LIVE_PASSWORD", "")
DOSSIERS = [d for d in os.environ.get("MOTCUA_PHOTO_DOSSIERS", "").split(",") if d]
#: The colleague's photos are 480 × 640 PNGs (``test_gui.paper_photo``).
PHOTO_SIZE = (480, 640)
PIN = "314159"
LOADING = "Đang tải ảnh…"
OFFLINE = "Chưa tải được ảnh — sẽ thử lại khi có mạng\nChạm để thử lại"

pytestmark = pytest.mark.skipif(not URL, reason="run by test_gui.py with a live server")


@dataclass
class World:
    ctx: AppContext
    tmp: Path
    #: Lets ``HttpTransport.fetch_blob`` go on; cleared, a fetch waits on it.
    gate: threading.Event
    #: Each photo fetch asked of the server: (SHA-256, thread name).
    attempts: list[tuple[str, str]]


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("photos")
    ctx = AppContext.open(
        tmp / "data",
        server_url=URL,
        platform=Platform(camera=DesktopCamera(tmp), location=NoLocation()),  # real probe
        scrypt_n=2**10,
    )
    ctx.tablet.register(URL, USERNAME, PASSWORD, "Máy xem ảnh")
    FirstRunModel(ctx).choose_pin(PIN, PIN)
    report = ctx.tablet.sync(ctx.make_transport())
    assert report.ok, report.error
    for dossier_id in DOSSIERS:
        [attachment] = ctx.tablet.photos("dossier", dossier_id)
        assert ctx.tablet.store.blob_info(attachment["sha256"]) is None  # not its bytes
    ctx.lock()
    gate = threading.Event()
    attempts: list[tuple[str, str]] = []
    real_fetch = HttpTransport.fetch_blob

    def gated_fetch(self: HttpTransport, sha256: str) -> bytes:
        attempts.append((sha256, threading.current_thread().name))
        assert gate.wait(60), "the gate was never opened"
        return real_fetch(self, sha256)

    patch = pytest.MonkeyPatch()
    patch.setattr(HttpTransport, "fetch_blob", gated_fetch)
    yield World(ctx, tmp, gate, attempts)
    gate.set()
    patch.undo()
    ctx.close()


@pytest.fixture(scope="module")
def h(world: World) -> Iterator[Harness]:
    harness = Harness.start_quiet(world.ctx, probe_interval=0.2)
    yield harness
    harness.stop()


def _photos(h: Harness) -> list[Any]:
    return list(h.screen("dossier").ids.photos.children)


def _placeholder(h: Harness) -> Any:
    [widget] = _photos(h)
    assert widget.__class__.__name__ == "PhotoPlaceholder", widget
    return widget


def _shown_photo(h: Harness) -> Any:
    """The thumbnail once the photo is shown, else None."""
    widgets = _photos(h)
    if len(widgets) == 1 and widgets[0].__class__.__name__ == "Thumb":
        return widgets[0] if widgets[0].texture is not None else None
    return None


def _nothing_plain_on_disk(world: World, thumb: Any) -> None:
    plain = world.ctx.tablet.store.blob_bytes(thumb.photo_sha256)
    assert plain is not None and plain.startswith(b"\x89PNG")
    sealed = world.ctx.tablet.store.blob_path(thumb.photo_sha256)
    assert sealed is not None and sealed.read_bytes()[:4] == b"MCB1"
    files = [p for p in (world.tmp / "data").rglob("*") if p.is_file()]
    assert sealed in files
    assert not [p for p in files if plain[100:2000] in p.read_bytes()]


# -- in order ----------------------------------------------------------------------------------


def test_unlock(h: Harness, world: World) -> None:
    assert h.app.screens.current == "unlock"
    for digit in PIN:
        h.tap_text(digit)
    h.wait(lambda: h.app.screens.current == "home", what="home")
    h.wait(lambda: h.app.bar_connection == "Trực tuyến", what="online")


def test_the_placeholder_then_the_photo(h: Harness, world: World) -> None:
    world.gate.clear()
    h.app.go("dossier", dossier_id=DOSSIERS[0])
    screen = h.screen("dossier")
    assert h.app.screens.current == "dossier"
    placeholder = _placeholder(h)
    assert placeholder.text == LOADING and not placeholder.failed
    # The fetch waits at the gate on its own thread; the window goes on drawing.
    h.wait(lambda: world.attempts, what="the fetch to start")
    assert world.attempts[-1][1] == "motcua-photos"
    h.frames(10)
    assert _placeholder(h).text == LOADING
    assert screen.ids.photos.children  # still drawn while the photo is on its way
    h.screenshot("21-dossier-photo-loading")
    world.gate.set()
    thumb = h.wait(lambda: _shown_photo(h), timeout=30, what="the photo")
    assert tuple(thumb.texture.size) == PHOTO_SIZE and not thumb.source
    _nothing_plain_on_disk(world, thumb)
    info = world.ctx.tablet.store.blob_info(thumb.photo_sha256)
    assert info is not None and info[1]  # on the server already: never sent back
    h.screenshot("22-dossier-photo-fetched")


def test_offline_says_so_a_tap_retries_and_it_comes_when_online(h: Harness, world: World) -> None:
    world.ctx.prefs.server_url = f"http://127.0.0.1:{_closed_port()}"  # out of reach
    h.wait(lambda: h.app.bar_connection == "Ngoại tuyến", what="offline")
    before = len(world.attempts)
    h.app.go("dossier", dossier_id=DOSSIERS[1])
    assert _placeholder(h).text == LOADING
    h.wait(lambda: _placeholder(h).text == OFFLINE, timeout=30, what="the offline message")
    assert _placeholder(h).failed and len(world.attempts) == before + 1
    h.screenshot("23-dossier-photo-offline")
    h.tap(h.scroll_into_view(_placeholder(h)))  # try again: still out of reach
    h.wait(lambda: len(world.attempts) == before + 2, what="the retry")
    h.wait(lambda: _placeholder(h).text == OFFLINE, timeout=30, what="the message again")
    assert not h.app.snack_error  # being offline is not an error to shout about
    world.ctx.prefs.server_url = URL  # back in signal: the sync succeeds, the photo comes
    thumb = h.wait(lambda: _shown_photo(h), timeout=60, what="the photo once online")
    assert h.app.runner.last_report is not None and h.app.runner.last_report.ok
    assert tuple(thumb.texture.size) == PHOTO_SIZE
    assert len(world.attempts) == before + 3
    _nothing_plain_on_disk(world, thumb)
