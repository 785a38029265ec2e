"""What every screen shares: the app, its context, kv loading, work off the UI thread,
the drafts of work being typed (``mobile.drafts``), and the export of slip 01 as a PDF
(the intake's receipt and the dossier screen)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from kivy.app import App
from kivy.clock import Clock
from kivy.lang import Builder
from kivy.logger import Logger
from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.screenmanager import Screen

from mobile.app.context import AppContext
from mobile.app.fmt import fmt_datetime
from mobile.app.viewmodels.base import UserError
from mobile.app.viewmodels.slips import prepare_receipt_export, prepare_stop_notice_export
from mobile.drafts import Drafted
from mobile.security import VaultError
from mobile.store import StoreError

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
    #: The paper dialog last opened from this screen (tests look at it).
    paper_popup: Any = None

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

    # -- drafts --------------------------------------------------------------------------------

    #: The key of the draft this screen keeps ("" = none). The app saves it every few
    #: seconds while the screen is shown, when it is left, paused or locked.
    draft_key = ""

    def draft_model(self) -> Drafted | None:
        """The view model with what is on screen copied into it (screens with drafts)."""
        return None

    def keep_draft(self) -> None:
        """Save the draft now (or drop it when there is nothing left to keep)."""
        model = self.draft_model() if self.draft_key else None
        if model is None or not self.ctx.unlocked:
            return
        try:
            self.ctx.drafts.keep(self.draft_key, model)
        except (VaultError, StoreError, OSError, ValueError) as error:  # a full disk…
            Logger.warning("Draft: %s not kept (%s)", self.draft_key, error)

    def restore_draft_if_blank(self) -> bool:
        """Nothing typed here and a draft kept (the app was killed): put it back."""
        model = self.draft_model() if self.draft_key else None
        if model is None or model.draft_state() is not None or not self.ctx.unlocked:
            return False
        try:
            draft = self.ctx.drafts.load(self.draft_key)
        except (VaultError, StoreError) as error:
            Logger.warning("Draft: %s not read (%s)", self.draft_key, error)
            return False
        if draft is None:
            return False
        model.restore_draft(draft.state)
        self.draft_restored()
        Clock.schedule_once(
            lambda _dt: self.ok(self.t("draft.restored", time=fmt_datetime(draft.saved_at))), 0
        )
        return True

    def draft_restored(self) -> None:
        """Show the restored state (screens copy the model into their widgets here)."""

    def on_leave(self, *args: Any) -> None:
        self.keep_draft()

    def fail(self, error: UserError) -> None:
        self.app.notify(error.message, error=True)

    # -- a refusal that follows the corrections --------------------------------------------------

    #: The fields refused at the last tap (key -> message) and how to check them again.
    _refusal: tuple[dict[str, str], Callable[[], Mapping[str, str]]] | None = None

    def refuse(self, error: UserError, check: Callable[[], Mapping[str, str]]) -> None:
        """Say ``error`` in the red message bar, then keep the bar true while the officer
        corrects: once every refused field is valid it goes; while some are not, it says
        the first of those (``recheck``, bound to the fields' changes)."""
        self.fail(error)
        self._refusal = (dict(error.errors), check) if error.errors else None

    def recheck(self, *_args: Any) -> None:
        if self._refusal is None:
            return
        refused, check = self._refusal
        if not (self.app.snack_error and self.app.snack in refused.values()):
            self._refusal = None  # the bar says something else now
            return
        errors = check()
        remaining = [errors[key] for key in refused if key in errors]
        if not remaining:
            self._refusal = None
            self.app.clear_snack()
        elif self.app.snack != remaining[0]:
            self._refusal = ({k: v for k, v in errors.items() if k in refused}, check)
            self.app.notify(remaining[0], error=True)

    def ok(self, text: str) -> None:
        self.app.notify(text)

    # -- slip 01 as a PDF ------------------------------------------------------------------------

    def export_receipt(self, dossier_id: str) -> None:
        """Write ``exports/receipt-<number>.pdf``; the path goes to the message bar.

        The data is read here (the store belongs to the UI thread); the PDF is drawn and
        written off it, so the screen stays responsive on a slow tablet.
        """
        self._export(prepare_receipt_export, dossier_id)

    def export_stop_notice(self, dossier_id: str) -> None:
        """Write ``exports/stop-<number>.pdf`` (form 05), like :meth:`export_receipt`."""
        self._export(prepare_stop_notice_export, dossier_id)

    def _export(self, prepare: Callable[[Any, str], Any], dossier_id: str) -> None:
        if self.exporting:
            return
        try:
            job = prepare(self.ctx, dossier_id)
        except UserError as error:
            self.fail(error)
            return
        self.exporting = True
        self.ok(self.t("slip.exporting"))
        in_background(job.write, self._receipt_exported)

    def open_paper(self, dossier_id: str) -> Any:
        """The slip's preview with share, print and the thermal receipt (a dialog)."""
        from mobile.app.paper_popup import PaperPopup  # loads its kv once, when first used
        from mobile.app.viewmodels.paper import open_paper

        try:
            job = open_paper(self.ctx, dossier_id)
        except UserError as error:
            self.fail(error)
            return None
        popup = PaperPopup(job, in_background)
        popup.open()
        self.paper_popup = popup
        return popup

    def _receipt_exported(self, path: Path | None, error: BaseException | None) -> None:
        self.exporting = False
        if error is not None or path is None:
            message = error.message if isinstance(error, UserError) else str(error)
            self.fail(UserError(message or self.t("slip.write_failed", error="?")))
            return
        self.last_export = str(path)
        self.ok(self.t("slip.saved", path=path))
