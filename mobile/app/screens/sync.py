"""Sync: "Đồng bộ ngay", progress, last result, refused records and conflicts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kivy.factory import Factory
from kivy.metrics import dp
from kivy.properties import BooleanProperty, NumericProperty, StringProperty

from mobile.app import style as C
from mobile.app.screens.base import BaseScreen, load_kv
from mobile.app.sync_runner import ConnState
from mobile.app.viewmodels.base import UserError
from mobile.app.viewmodels.sync import SyncModel
from sync.engine import SyncReport

__all__ = ["SyncScreen"]


class SyncScreen(BaseScreen):
    overview = StringProperty("")
    progress_text = StringProperty("")
    progress_value = NumericProperty(0.0)
    result_text = StringProperty("")
    result_ok = BooleanProperty(True)
    syncing = BooleanProperty(False)
    conflicts_heading = StringProperty("")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(name="sync", **kwargs)
        self._model: SyncModel | None = None

    @property
    def model(self) -> SyncModel:
        if self._model is None:
            self._model = SyncModel(self.ctx)
        return self._model

    def render(self) -> None:
        model = self.model
        model.retell()  # the last result in the language now chosen
        self.overview = "\n".join(model.overview())
        self.progress_text = model.progress_text
        self.progress_value = model.progress_value
        self.result_text = model.result_text
        self.result_ok = model.result_ok
        self.syncing = self.app.runner.syncing
        rejected = self.ids.rejected
        # Two tiers a row: the reason across the width, the actions under it.
        rejected.layout_manager.default_size = (None, dp(C.row * 2) * self.app.font_scale)
        rejected.data = model.rejected_rows()
        self._render_conflicts()

    def _render_conflicts(self) -> None:
        box = self.ids.conflicts
        box.clear_widgets()
        cards = self.model.conflicts()
        self.conflicts_heading = self.model.conflicts_heading(cards)
        for conflict in cards:
            card = Factory.ConflictCard()
            card.ids.title.text = conflict.title
            card.ids.kept_by.text = conflict.kept_by
            card.ids.lost_by.text = conflict.lost_by
            for row in conflict.rows:
                for side, value in ((card.ids.kept, row.kept), (card.ids.lost, row.lost)):
                    shown = Factory.ConflictValue()
                    shown.label, shown.value = row.label, value
                    side.add_widget(shown)
            card.ids.note.text = conflict.note
            card.ids.keep_kept.bind(
                on_release=lambda _b, ids=conflict.conflict_ids: self.resolve(ids, "kept")
            )
            keep_lost = card.ids.keep_lost
            keep_lost.disabled = not conflict.can_overturn
            keep_lost.bind(
                on_release=lambda _b, ids=conflict.conflict_ids: self.resolve(ids, "lost")
            )
            box.add_widget(card)
        if not box.children:
            box.add_widget(Factory.Muted(text=self.t("sync.no_conflicts")))

    # -- the runner's reports (UI thread) ------------------------------------------------------

    def on_connection(self, state: ConnState) -> None:
        if state is ConnState.SYNCING:
            self.model.on_started()
        self.syncing = state is ConnState.SYNCING
        if self.manager is not None and self.manager.current == self.name:
            self.render()

    def on_progress(self, phase: str, done: int, total: int) -> None:
        self.model.on_progress(phase, done, total)
        self.progress_text = self.model.progress_text
        self.progress_value = self.model.progress_value

    def on_sync_finished(self, report: SyncReport) -> None:
        self.model.on_finished(report)
        self.syncing = False
        if self.manager is not None and self.manager.current == self.name:
            self.render()

    # -- actions -------------------------------------------------------------------------------

    def sync_now(self) -> None:
        if self.app.sync_now():
            self.model.on_started()
            self.syncing = True
            self.render()

    def rejected_action(self, action: str, op_id: str) -> None:
        if action == "confirm":
            self._send(lambda: self.model.confirm_held(op_id), self.t("sync.confirmed_held"))
            return
        if action == "dismiss":
            self.model.dismiss(op_id)
            self.render()
            self.app.refresh_status()
            return
        target = self.model.target(op_id)
        if target is None:
            return
        screen, record_id = target
        self.app.open_record(screen, record_id)

    def resolve(self, conflict_ids: str | tuple[str, ...], keep: str) -> None:
        self._send(lambda: self.model.resolve(conflict_ids, keep), self.t("common.saved"))

    def _send(self, action: Callable[[], object], done: str) -> None:
        """Save something for the server, say so, and let the sync send it soon."""
        try:
            action()
        except UserError as error:
            self.fail(error)
            return
        self.ok(done)
        self.render()
        self.app.runner.poke()
        self.app.refresh_status()


load_kv(__file__)
