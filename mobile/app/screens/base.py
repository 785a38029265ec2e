"""What every screen shares: the app, its context, kv loading, work off the UI thread,
and the export of slip 01 as a PDF (the intake's receipt and the dossier screen)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from kivy.app import App
from kivy.clock import Clock
from kivy.lang import Builder
from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.screenmanager import Screen

from mobile.app.context import AppContext
from mobile.app.viewmodels.base import UserError
from mobile.app.viewmodels.slips import prepare_receipt_export, prepare_stop_notice_export

__all__ = ["BaseScreen", "in_background", "load_kv"]

T = TypeVar("T")


def load_kv(module_file: str) -> None:
    """Load the ``.kv`` beside a screen module, once."""
    path = str(Path(module_file).with_suffix(".kv"))
    if path not in Builder.files:
        Builder.load_file(path)


def in_background(
    work: Callable[[], T], done: Callable[[T | None, BaseException | None], None]
) -> threading.Thread:
    """Run ``work`` off the UI thread; ``done(result, error)`` runs on the Kivy clock."""

    def run() -> None:
        result: T | None = None
        failure: BaseException | None = None
        try:
            result = work()
        except Exception as error:  # handed to the UI, which says what went wrong
            failure = error
        Clock.schedule_once(lambda _dt: done(result, failure), 0)

    thread = threading.Thread(target=run, name="motcua-task", daemon=True)
    thread.start()
    return thread


class BaseScreen(Screen):  # type: ignore[misc]
    #: A PDF is being drawn (its button is disabled meanwhile).
    exporting = BooleanProperty(False)
    #: The path of the last PDF exported from this screen.
    last_export = StringProperty("")

    @property
    def app(self) -> Any:
        return App.get_running_app()

    @property
    def ctx(self) -> AppContext:
        ctx: AppContext = self.app.ctx
        return ctx

    def t(self, key: str, **values: Any) -> str:
        return self.ctx.tr(key, **values)

    def prepare(self, **options: Any) -> None:
        """Called by ``app.go`` before the screen shows, with the navigation options."""

    def render(self) -> None:
        """Show the view model's current state."""

    def on_pre_enter(self, *args: Any) -> None:
        self.render()

    def fail(self, error: UserError) -> None:
        self.app.notify(error.message, error=True)

    def ok(self, text: str) -> None:
        self.app.notify(text)

    # -- slip 01 as a PDF ------------------------------------------------------------------------

    def export_receipt(self, dossier_id: str) -> None:
        """Write ``exports/receipt-<number>.pdf``; the path goes to the message bar.

        The data is read here (the store belongs to the UI thread); the PDF is drawn and
        written off it, so the screen stays responsive on a slow tablet.
        """
        if self.exporting:
            return
        try:
            job = prepare_receipt_export(self.ctx, dossier_id)
        except UserError as error:
            self.fail(error)
            return
        self.exporting = True
        self.ok(self.t("slip.exporting"))
        in_background(job.write, self._receipt_exported)

    def export_stop_notice(self, dossier_id: str) -> None:
        """Write ``exports/stop-<number>.pdf`` (form 05), like :meth:`export_receipt`."""
        if self.exporting:
            return
        try:
            job = prepare_stop_notice_export(self.ctx, dossier_id)
        except UserError as error:
            self.fail(error)
            return
        self.exporting = True
        self.ok(self.t("slip.exporting"))
        in_background(job.write, self._receipt_exported)

    def _receipt_exported(self, path: Path | None, error: BaseException | None) -> None:
        self.exporting = False
        if error is not None or path is None:
            message = error.message if isinstance(error, UserError) else str(error)
            self.fail(UserError(message or self.t("slip.write_failed", error="?")))
            return
        self.last_export = str(path)
        self.ok(self.t("slip.saved", path=path))
