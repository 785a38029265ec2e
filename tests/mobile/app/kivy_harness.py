"""Drive the real Kivy app offscreen: start it, tap widgets, wait, take screenshots.

Kivy's window is one per process, so the widget tests run in a subprocess each (see
``test_gui.py``): ``configure`` must run before anything imports Kivy.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
SCREENSHOTS = ROOT / "test-artifacts" / "tablet"
WIDTH, HEIGHT = 1280, 800


def configure(kivy_home: Path) -> None:
    """Headless Kivy at tablet size; call before importing kivy."""
    kivy_home.mkdir(parents=True, exist_ok=True)
    os.environ["SDL_VIDEODRIVER"] = "offscreen"
    os.environ["KIVY_NO_ARGS"] = "1"
    os.environ["KIVY_NO_CONSOLELOG"] = "1"
    os.environ["KIVY_NO_FILELOG"] = "1"
    os.environ["KIVY_LOG_MODE"] = "MIXED"  # keep stderr: tracebacks must show
    os.environ["KIVY_HOME"] = str(kivy_home)
    os.environ.setdefault("KIVY_GL_BACKEND", "sdl2")
    from kivy.config import Config

    Config.set("graphics", "width", str(WIDTH))
    Config.set("graphics", "height", str(HEIGHT))
    Config.set("graphics", "maxfps", "0")  # frames as fast as the tests ask
    Config.set("input", "mouse", "mouse,disable_multitouch")
    Config.set("kivy", "exit_on_escape", "0")


class Harness:
    """A running ``MotCuaApp`` and the hands to use it."""

    def __init__(self, app: Any) -> None:
        from kivy.base import EventLoop

        self.app = app
        self.loop = EventLoop

    @classmethod
    def start(cls, ctx: Any, **app_options: Any) -> Harness:
        from kivy.base import runTouchApp

        from mobile.app import main as app_main
        from mobile.app.main import MotCuaApp

        # The bar's message clears itself after 5 s; on a loaded 2-core machine a tap and
        # the frames after it can take longer than that, and the test then reads an empty
        # bar. What the bar says is checked, not how long it stays.
        app_main.SNACK_SECONDS = 600.0
        app = MotCuaApp(ctx, **app_options)
        app._run_prepare()
        runTouchApp(embedded=True)
        harness = cls(app)
        harness.frames(5)
        return harness

    @classmethod
    def start_quiet(cls, ctx: Any, *, probe_interval: float) -> Harness:
        """Start the app with no sync or lock of its own accord for an hour.

        Pushes and pulls wait an hour and the screen locks after one, so the tests make
        the syncs; the server is probed every ``probe_interval`` seconds.
        """
        return cls.start(
            ctx,
            runner_options={
                "probe_interval": probe_interval,
                "push_delay": 3600,
                "pull_interval": 3600,
            },
            auto_lock_seconds=3600,
        )

    @classmethod
    def running_quiet(cls, ctx: Any, *, probe_interval: float) -> Iterator[Harness]:
        """:meth:`start_quiet` for a fixture: yields the harness, stops it afterwards."""
        harness = cls.start_quiet(ctx, probe_interval=probe_interval)
        try:
            yield harness
        finally:
            harness.stop()

    def dialog(self) -> Any:
        """The dialog (popup) open now, waited for."""
        from kivy.uix.modalview import ModalView

        return self.wait(
            lambda: next((w for w in self.window.children if isinstance(w, ModalView)), None),
            what="a dialog",
        )

    def stop(self) -> None:
        from kivy.base import stopTouchApp

        self.app.runner.stop(timeout=5)
        self.app.dispatch("on_stop")
        stopTouchApp()

    # -- time ----------------------------------------------------------------------------------

    def frames(self, count: int = 3) -> None:
        for _ in range(count):
            self.loop.idle()

    def wait(self, condition: Callable[[], Any], timeout: float = 15.0, what: str = "") -> Any:
        """Run frames until ``condition()`` is truthy; fail after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.frames(1)
            value = condition()
            if value:
                return value
            time.sleep(0.01)
        raise AssertionError(f"timed out after {timeout} s waiting for {what or condition}")

    # -- finding -------------------------------------------------------------------------------

    @property
    def window(self) -> Any:
        from kivy.core.window import Window

        return Window

    def screen(self, name: str | None = None) -> Any:
        screens = self.app.screens
        return screens.get_screen(name) if name else screens.current_screen

    def widgets(self, root: Any = None) -> Iterator[Any]:
        roots = [root] if root is not None else list(reversed(self.window.children))
        for top in roots:
            yield from top.walk(restrict=True)

    @staticmethod
    def shown(widget: Any) -> bool:
        node = widget
        while node is not None and node is not node.parent:
            if getattr(node, "opacity", 1) == 0 or getattr(node, "disabled", False):
                return False
            node = node.parent
        return widget.get_root_window() is not None and widget.width > 0 and widget.height > 0

    def find(self, text: str, root: Any = None, *, exact: bool = True) -> Any:
        """The visible widget showing ``text`` (the last one opened wins: popups)."""
        found = [
            w
            for w in self.widgets(root)
            if isinstance(getattr(w, "text", None), str)
            and (w.text == text if exact else text in w.text)
            and self.shown(w)
        ]
        if not found:
            raise AssertionError(f"no visible widget shows {text!r}")
        return found[-1]

    # -- hands ---------------------------------------------------------------------------------

    def tap(self, widget: Any) -> None:
        """A real touch at the widget's centre, through the window's event dispatch."""
        from kivy.tests.common import UnitTestTouch

        self.frames(2)  # let the layout settle: a widget just shown may not be placed yet
        assert self.shown(widget), f"{widget} is not visible"
        x, y = widget.to_window(*widget.center)
        assert 0 <= x < WIDTH and 0 <= y < HEIGHT, f"{widget} is off screen at {(x, y)}"
        touch = UnitTestTouch(x, y)
        touch.touch_down()
        self.frames(1)
        touch.touch_up()
        self.frames(3)
        if self._scroll_views(widget):  # a ScrollView hands the release on 0.2 s later
            self.pause(0.25)

    def pause(self, seconds: float) -> None:
        """Run frames for ``seconds`` (the clock's delayed calls come due)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.frames(1)
            time.sleep(0.01)

    @staticmethod
    def _scroll_views(widget: Any) -> list[Any]:
        from kivy.uix.scrollview import ScrollView

        found = []
        node = widget.parent
        while node is not None and node is not node.parent:
            if isinstance(node, ScrollView):
                found.append(node)
            node = node.parent
        return found

    def scroll_into_view(self, widget: Any) -> Any:
        """Scroll every ScrollView holding ``widget`` until it shows; returns the widget."""
        self.frames(2)
        for view in self._scroll_views(widget):
            view.scroll_to(widget, padding=10, animate=False)
            self.frames(2)
        self.frames(2)
        return widget

    def tap_text(self, text: str, root: Any = None, *, exact: bool = True) -> None:
        self.frames(2)
        self.tap(self.find(text, root, exact=exact))

    def type(self, field: Any, text: str) -> None:
        """Type into a text input (or a ``Field``), as the keyboard would."""
        target = field.ids.input if hasattr(field, "ids") and "input" in field.ids else field
        target.focus = True
        target.text = ""
        target.insert_text(text)
        target.focus = False
        self.frames(2)

    def unlock(self, pin: str) -> None:
        """Type the PIN on the keypad and wait for the home screen."""
        for digit in pin:
            self.tap_text(digit)
        self.wait(lambda: self.app.screens.current == "home", what="home")

    def start_intake(self, search: str, procedure_id: str) -> Any:
        """From home: a new dossier, the procedure found by ``search`` and picked."""
        self.tap(self.screen("home").ids.new_dossier)
        intake = self.screen("intake")
        self.type(intake.ids.procedure_search, search)
        self.wait(lambda: len(intake.ids.procedures.data) == 1, what="the procedure search")
        self.tap(self.row(intake.ids.procedures, procedure_id))
        return intake

    def row(self, rows: Any, record_id: str) -> Any:
        """The visible row of a ``RowList`` for a record (scrolled into view first)."""
        index = next(i for i, d in enumerate(rows.data) if d.get("record_id") == record_id)
        if len(rows.data) > 1:
            rows.scroll_y = 1 - index / (len(rows.data) - 1)
        self.frames(3)
        for view in rows.children[0].children:
            if getattr(view, "record_id", None) == record_id:
                return view
        raise AssertionError(f"row {record_id} not shown")

    def screenshot(self, name: str) -> Path:
        """Save the window as ``test-artifacts/tablet/<name>.png`` (after a few frames)."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.frames(6)
        target = SCREENSHOTS / f"{name}.png"
        made = self.window.screenshot(name=str(SCREENSHOTS / f".{name}.png"))
        os.replace(made, target)
        return target


@dataclass
class Desk:
    """A tablet registered with a fake server and opened as the app opens it (offline
    until ``online["now"]``), and a colleague's tablet of the same commune."""

    server: Any
    tablet: Any
    device_no: int
    colleague: Any
    online: dict[str, bool]
    ctx: Any

    def transport(self) -> Any:
        from tests.sync.fake_server import FakeTransport

        return FakeTransport(self.server, self.device_no)


def open_desk(tmp: Path) -> Desk:
    """The world most GUI scripts start from (call after ``configure``)."""
    from mobile.app.context import AppContext
    from mobile.app.platform import DesktopCamera, NoLocation, Platform
    from mobile.tablet import Tablet
    from tests.sync.fake_server import FakeServer

    server = FakeServer()
    server.seed_reference()
    tablet = Tablet(tmp / "data" / "tablet.db")
    registration = tablet.adopt_registration("http://motcua.test", server.registration())
    colleague = Tablet(tmp / "colleague.db")
    colleague.adopt_registration("fake://", server.registration("tuphap.tavan"))
    online = {"now": False}
    ctx = AppContext.open(
        tmp / "data",
        tablet=tablet,
        platform=Platform(
            camera=DesktopCamera(tmp), location=NoLocation(), probe=lambda _url: online["now"]
        ),
        scrypt_n=2**10,
    )
    desk = Desk(server, tablet, registration.device_no, colleague, online, ctx)
    ctx.transport_factory = desk.transport
    return desk
