"""The top bar on every screen: commune, officer, connection and what is not yet sent."""

from __future__ import annotations

from dataclasses import dataclass

from mobile.app.context import AppContext
from mobile.app.fmt import fmt_datetime
from mobile.app.sync_runner import ConnState
from mobile.app.viewmodels.conflicts import open_card_count

__all__ = ["StatusBarModel", "StatusView"]


@dataclass(frozen=True)
class StatusView:
    commune: str
    officer: str
    connection: ConnState
    connection_label: str
    pending: int
    pending_label: str
    problems_label: str  # conflicts and refusals, empty when there are none
    warning: str  # the clock warning, empty when the clock is fine
    #: When the last sync succeeded ("Đồng bộ lúc 21:05 07/12"), empty before registering.
    last_sync_label: str = ""


class StatusBarModel:
    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self.connection = ConnState.OFFLINE

    def view(self) -> StatusView:
        tr = self.ctx.tr
        tablet = self.ctx.tablet
        problems: list[str] = []
        last_sync = ""
        if tablet.registered and not self.ctx.unlocked:
            # Locked: refusals may quote sealed values; only what needs no key is shown.
            registration = tablet.registration
            commune = f"{registration.commune_kind} {registration.commune_name}".strip()
            officer = registration.officer_name
            pending, warning = tablet.store.pending_count(), ""
        elif tablet.registered:
            registration = tablet.registration
            commune = f"{registration.commune_kind} {registration.commune_name}".strip()
            officer = registration.officer_name
            status = tablet.status()
            pending = status.pending
            if status.open_conflicts:
                # Cards, as the sync screen shows them: fields written together count once.
                problems.append(tr("bar.conflicts", count=open_card_count(tablet)))
            if status.rejected:
                problems.append(tr("bar.rejected", count=len(status.rejected)))
            warning = tr.message(status.clock_warning) if status.clock_warning else ""
            last_sync = (
                tr("bar.synced", time=fmt_datetime(status.last_sync_at))
                if status.last_sync_at
                else tr("bar.never_synced")
            )
        else:
            commune, officer, pending, warning = tr("bar.not_registered"), "", 0, ""
        return StatusView(
            commune=commune,
            officer=officer,
            connection=self.connection,
            connection_label=tr(f"bar.{self.connection.value}"),
            pending=pending,
            pending_label=tr("bar.pending", count=pending),
            problems_label=" · ".join(problems),
            warning=warning,
            last_sync_label=last_sync,
        )
