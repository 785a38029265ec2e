"""The tablet was revoked: work is locked, unsent changes stay encrypted on the tablet."""

from __future__ import annotations

from typing import Any

from kivy.properties import BooleanProperty, StringProperty

from mobile.app.screens.base import BaseScreen, load_kv
from sync.engine import SyncReport

__all__ = ["RevokedScreen"]


class RevokedScreen(BaseScreen):
    body = StringProperty("")
    status = StringProperty("")
    checking = BooleanProperty(False)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(name="revoked", **kwargs)

    def prepare(self, **_options: Any) -> None:
        self.status = ""

    def render(self) -> None:
        self.body = self.t("revoked.body", count=self.ctx.tablet.store.pending_count())

    def check_again(self) -> None:
        self.checking = self.app.runner.sync_now() or self.app.runner.syncing
        self.status = self.t("bar.syncing")

    def on_sync_finished(self, report: SyncReport) -> None:
        asked, self.checking = self.checking, False
        if report.ok:
            self.status = ""
            if self.manager is not None and self.manager.current == self.name:
                self.app.go("home")
            return
        if asked:
            self.status = (
                self.t("revoked.still")
                if report.revoked
                else self.ctx.tr.message(report.error or "")
            )
        self.render()


load_kv(__file__)
