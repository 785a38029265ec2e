"""The Kivy App: builds the frame (top bar, navigation, screens) around an ``AppContext``.

Kept thin on purpose: screens hold their own logic in view models; the App only
navigates, shows messages, relays the background sync (``SyncRunner``, reporting
through the Kivy clock) and locks the app after a while without a touch.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.factory import Factory
from kivy.lang import Builder
from kivy.properties import BooleanProperty, NumericProperty, StringProperty

from mobile.app.context import AppContext
from mobile.app.fmt import fmt_datetime
from mobile.app.sync_runner import ConnState, SyncRunner, kivy_dispatch
from mobile.app.viewmodels.status import StatusBarModel
from sync.engine import SyncReport

__all__ = ["AUTO_LOCK_SECONDS", "MotCuaApp"]

HERE = Path(__file__).resolve().parent
#: Lock the app after this long without a touch (a tablet left on a table).
AUTO_LOCK_SECONDS = 10 * 60
STATUS_REFRESH_SECONDS = 3.0
#: How often the screen being used keeps its draft (``mobile.drafts``).
DRAFT_SECONDS = 2.0
SNACK_SECONDS = 5.0
#: Screens shown without the navigation rail (before unlocking, or when revoked).
LOCKED_SCREENS = ("setup", "unlock", "recover", "revoked")


class MotCuaApp(App):  # type: ignore[misc]
    title = "Một Cửa Field"
    lang = StringProperty("vi")
    font_scale = NumericProperty(1.0)
    unlocked = BooleanProperty(False)
    #: The navigation rail shows once unlocked, except on the locked screens.
    rail_visible = BooleanProperty(False)
    #: The window is taller than wide: the rail folds away behind "Menu".
    portrait = BooleanProperty(False)
    rail_open = BooleanProperty(False)
    #: Whether the rail takes its place now (visible, and landscape or opened).
    rail_shown = BooleanProperty(False)
    section = StringProperty("")
    connection = StringProperty(ConnState.OFFLINE.value)
    bar_commune = StringProperty("")
    bar_pending = StringProperty("")
    bar_synced = StringProperty("")
    bar_problems = StringProperty("")
    bar_connection = StringProperty("")
    snack = StringProperty("")
    snack_error = BooleanProperty(False)

    def __init__(
        self,
        ctx: AppContext,
        *,
        runner_options: dict[str, Any] | None = None,
        auto_lock_seconds: float = AUTO_LOCK_SECONDS,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.ctx = ctx
        self.runner = SyncRunner(ctx, dispatch=kivy_dispatch, **(runner_options or {}))
        self.status_model = StatusBarModel(ctx)
        self.auto_lock_seconds = auto_lock_seconds
        self._idle_lock: Any = None
        self._snack_clear: Any = None
        self.draft_popup: Any = None
        self.lang = ctx.tr.lang
        self.font_scale = ctx.prefs.font_scale

    # -- building ------------------------------------------------------------------------------

    def build(self) -> Any:
        Builder.load_file(str(HERE / "theme.kv"))
        from mobile.app.screens import load_screens

        root = Factory.RootLayout()
        self.screens = root.ids.screens
        for screen in load_screens():
            self.screens.add_widget(screen)
        self.ctx.tr.on_change(self._language_changed)
        self.runner.state_changed.connect(self._connection_changed)
        self.runner.progress.connect(self._sync_progress)
        self.runner.finished.connect(self._sync_finished)
        Clock.schedule_interval(lambda _dt: self.refresh_status(), STATUS_REFRESH_SECONDS)
        Clock.schedule_interval(lambda _dt: self.keep_draft(), DRAFT_SECONDS)
        Window.bind(on_touch_down=self._touched, size=self._resized)
        self._resized(Window, Window.size)
        Window.clearcolor = (0.96, 0.96, 0.97, 1)
        self._idle_lock = Clock.create_trigger(self._lock_when_idle, self.auto_lock_seconds)
        self.show_start()
        return root

    def _resized(self, _window: Any, size: tuple[int, int]) -> None:
        self.portrait = size[0] < size[1]

    def on_portrait(self, *_args: Any) -> None:
        self._place_rail()

    def on_rail_open(self, *_args: Any) -> None:
        self._place_rail()

    def on_rail_visible(self, *_args: Any) -> None:
        self._place_rail()

    def _place_rail(self) -> None:
        self.rail_shown = self.rail_visible and (not self.portrait or self.rail_open)

    def show_start(self) -> None:
        """First run, or the PIN: whatever the tablet needs before work can start."""
        first_run = not self.ctx.registered or not self.ctx.vault.is_set_up
        self.go("setup" if first_run else "unlock")

    def on_stop(self) -> None:
        self.keep_draft()
        self.runner.stop(timeout=2.0)

    def on_pause(self) -> bool:
        """Android sends the app to the background (another app, the screen off): the
        draft is saved now, since the system may kill a paused app without a word."""
        self.keep_draft()
        return True

    # -- drafts --------------------------------------------------------------------------------

    def keep_draft(self) -> None:
        """The screen being used saves what is typed (nothing when it has no draft)."""
        if not self.unlocked:
            return
        screen = self.screens.current_screen
        if screen is not None and hasattr(screen, "keep_draft"):
            screen.keep_draft()

    def offer_drafts(self) -> None:
        """After the PIN: say what was left unfinished, and open it on "Tiếp tục làm"."""
        from mobile.app.widgets import FormPopup

        waiting = [d for d in self.ctx.drafts.drafts() if self.screens.has_screen(d.key)]
        if not waiting:
            return
        lines = []
        for info in waiting:
            draft = self.ctx.drafts.load(info.key)
            if draft is not None:
                lines.append(
                    self.t(
                        "draft.offer_line",
                        kind=self.t(f"draft.kind.{info.key}"),
                        summary=draft.summary,
                        time=fmt_datetime(draft.saved_at),
                    )
                )
        first = waiting[0].key

        def go_on(_values: dict[str, str]) -> None:
            self.go(first)

        popup = FormPopup(
            title=self.t("draft.offer"),
            fields=[],
            on_submit=go_on,
            ok_text=self.t("draft.continue"),
            cancel_text=self.t("draft.later"),
        )
        popup.ids.fields.add_widget(Factory.Txt(text="\n".join(lines)))
        popup.open()
        self.draft_popup = popup

    # -- texts ---------------------------------------------------------------------------------

    def t(self, key: str, *_bindings: Any, **values: Any) -> str:
        """A text in the current language (kv passes ``app.lang`` so it re-reads on switch)."""
        return self.ctx.tr(key, **values)

    def _language_changed(self, lang: str) -> None:
        self.lang = lang
        self.refresh_status()
        screen = self.screens.current_screen
        if screen is not None and hasattr(screen, "render"):
            screen.render()

    def set_font_scale(self, scale: float) -> None:
        self.font_scale = scale

    # -- navigation ----------------------------------------------------------------------------

    def go(self, name: str, **options: Any) -> None:
        self.clear_snack()
        if name not in LOCKED_SCREENS and not self.unlocked:
            name = "unlock" if self.ctx.registered and self.ctx.vault.is_set_up else "setup"
        if name not in LOCKED_SCREENS and self.ctx.prefs.revoked:
            name = "revoked"
        screen = self.screens.get_screen(name)
        if hasattr(screen, "prepare"):
            screen.prepare(**options)
        if self.screens.current == name and hasattr(screen, "render"):
            screen.render()
        self.screens.current = name
        self.section = name if name != "dossier" else "home"
        self.rail_visible = self.unlocked and name not in LOCKED_SCREENS
        self.rail_open = False  # a destination chosen: the folded rail closes
        self.refresh_status()

    def open_record(self, kind: str, record_id: str) -> None:
        if kind == "dossier":
            self.go("dossier", dossier_id=record_id)
        elif kind == "feedback":
            self.go("feedback", feedback_id=record_id)

    # -- locking -------------------------------------------------------------------------------

    def unlocked_now(self) -> None:
        """The PIN was right (or just chosen): start working and syncing."""
        self.unlocked = True
        self.runner.start()
        self._idle_lock()
        self.go("revoked" if self.ctx.prefs.revoked else "home")
        if not self.ctx.prefs.revoked:
            self.offer_drafts()

    def lock(self) -> None:
        self.keep_draft()  # while the key is still there
        self.runner.stop(timeout=0.5)
        self.ctx.lock()
        self.unlocked = False
        self.go("unlock")

    def _touched(self, *_args: Any) -> None:
        if self.unlocked and self._idle_lock is not None:
            self._idle_lock.cancel()
            self._idle_lock()

    def _lock_when_idle(self, _dt: float) -> None:
        if self.unlocked:
            self.lock()

    # -- the top bar and the message bar -------------------------------------------------------

    def refresh_status(self) -> None:
        view = self.status_model.view()
        self.bar_commune = " · ".join(p for p in (view.commune, view.officer) if p)
        self.bar_pending = view.pending_label if self.ctx.registered else ""
        self.bar_synced = view.last_sync_label
        self.bar_problems = view.problems_label
        self.bar_connection = view.connection_label
        self.connection = view.connection.value

    def notify(self, text: str, *, error: bool = False) -> None:
        self.snack = text
        self.snack_error = error
        if self._snack_clear is not None:
            self._snack_clear.cancel()
        self._snack_clear = Clock.schedule_once(lambda _dt: self.clear_snack(), SNACK_SECONDS)

    def clear_snack(self) -> None:
        if self._snack_clear is not None:
            self._snack_clear.cancel()
        self.snack = ""

    # -- sync ----------------------------------------------------------------------------------

    def sync_now(self) -> bool:
        started = self.runner.sync_now()
        if not started:
            self.notify(self.t("sync.busy"))
        return started

    def _connection_changed(self, state: ConnState) -> None:
        self.status_model.connection = state
        self.refresh_status()
        screen = self.screens.get_screen("sync")
        screen.on_connection(state)

    def _sync_progress(self, phase: str, done: int, total: int) -> None:
        self.screens.get_screen("sync").on_progress(phase, done, total)

    def _sync_finished(self, report: SyncReport) -> None:
        if report.revoked and not self.ctx.prefs.revoked:
            self.ctx.prefs.revoked = True
            self.ctx.save_prefs()
        elif report.ok and self.ctx.prefs.revoked:
            self.ctx.prefs.revoked = False
            self.ctx.save_prefs()
        self.refresh_status()
        for screen in self.screens.screens:
            if hasattr(screen, "on_sync_finished"):
                screen.on_sync_finished(report)
        if report.revoked and self.screens.current != "revoked" and self.unlocked:
            self.go("revoked")
