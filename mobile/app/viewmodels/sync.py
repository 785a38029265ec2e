"""The sync screen: progress, the last result, refused records and conflicts to decide.

- Refused records (G12) are listed with the server's reason; "Mở" opens the record to
  correct it (the correction goes out as a new operation), "Bỏ qua" forgets the refusal.
  Dates the server holds because the tablet's clock was more than a day behind
  (``clock_confirm``) get "Xác nhận giữ nguyên": they go out again as they are.
- Conflicts (G5): one card per disagreement (``viewmodels.conflicts``), both sides with
  who wrote them, from which tablet and when; the officer keeps one side: the values in
  use (``resolve_conflict(…, "kept")``) or those that were replaced (``"overturned"``,
  which puts them back). A dossier status never goes back.
"""

from __future__ import annotations

from typing import Any

from mobile.app.context import AppContext
from mobile.app.fmt import fmt_bytes, fmt_datetime, short
from mobile.app.viewmodels.base import from_invalid_input
from mobile.app.viewmodels.conflicts import ConflictCard, conflict_cards
from mobile.tablet import InvalidInput
from sync.domain import ConflictResolution
from sync.engine import SyncReport
from sync.ops import Reason

__all__ = ["ConflictCard", "SyncModel"]

#: Where to open a refused record: collection → (screen, field holding the parent's id).
_OPEN_AT = {
    "dossier": ("dossier", None),
    "dossier_event": ("dossier", "dossier_id"),
    "dossier_apology": ("dossier", "dossier_id"),
    "feedback": ("feedback", None),
}


class SyncModel:
    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self.progress_text = ctx.tr("sync.idle")
        self.progress_value = 0.0
        self.result_text = ""
        self.result_ok = True
        #: The last progress event, told again in the new language after a switch.
        self._last: tuple[str, tuple[Any, ...]] | None = None

    # -- progress and result -------------------------------------------------------------------

    def retell(self) -> None:
        """The progress and result texts again, in the language now chosen."""
        if self._last is None:
            self.progress_text = self.ctx.tr("sync.idle")
            return
        name, args = self._last
        getattr(self, name)(*args)

    def on_progress(self, phase: str, done: int, total: int) -> None:
        self._last = ("on_progress", (phase, done, total))
        tr = self.ctx.tr
        if phase == "photos":  # bytes (sync.engine): a big photo moves the bar too
            done_text, total_text = fmt_bytes(done), fmt_bytes(total)
        else:
            done_text, total_text = str(done), str(total)
        self.progress_text = tr(
            "sync.progress", phase=tr.enum("sync.phase", phase), done=done_text, total=total_text
        )
        weights = {"photos": (0.0, 0.3), "push": (0.3, 0.6), "pull": (0.6, 1.0)}
        start, end = weights.get(phase, (0.0, 1.0))
        fraction = done / total if total else 1.0
        self.progress_value = start + (end - start) * min(1.0, fraction)

    def on_started(self) -> None:
        self._last = ("on_started", ())
        self.progress_text = self.ctx.tr("bar.syncing")
        self.progress_value = 0.0
        self.result_text = ""

    def on_finished(self, report: SyncReport) -> None:
        self._last = ("on_finished", (report,))
        tr = self.ctx.tr
        if report.ok:
            self.result_ok = True
            self.progress_value = 1.0
            self.progress_text = tr("sync.idle")
            self.result_text = tr(
                "sync.ok",
                time=fmt_datetime(report.finished_at),
                pushed=report.pushed,
                pulled=report.pulled,
                photos=report.photos_uploaded,
                conflicts=report.conflicts,
                rejected=report.rejected,
            )
        else:
            self.result_ok = False
            self.progress_value = 0.0  # a failed sync leaves no half-full bar behind
            self.progress_text = tr("sync.idle")
            error = tr.message(report.error or "?")
            self.result_text = tr("sync.failed", error=error)

    def overview(self) -> list[str]:
        tr = self.ctx.tr
        status = self.ctx.tablet.status()
        last = fmt_datetime(status.last_sync_at) if status.last_sync_at else tr("sync.never")
        lines = [
            tr("sync.server", url=self.ctx.server_url() or "—"),
            tr("sync.last", time=last),
            tr("sync.pending", count=status.pending),
        ]
        if status.clock_warning:
            lines.append(tr("sync.clock", warning=tr.message(status.clock_warning)))
        return lines

    # -- refused records -----------------------------------------------------------------------

    def _describe(self, collection: str, record_id: str, fields: dict[str, Any]) -> str:
        tr = self.ctx.tr
        store = self.ctx.tablet.store
        record = {**(store.get(collection, record_id) or {}), **fields}
        label = tr.enum("collection", collection)
        if collection == "dossier":
            return (
                f"{label} {record.get('receipt_number', '')} · {record.get('applicant_name', '')}"
            )
        if collection in ("dossier_event", "dossier_apology"):
            parent = store.get("dossier", str(record.get("dossier_id"))) or {}
            return f"{label} · {tr('collection.dossier')} {parent.get('receipt_number', '')}"
        if collection == "feedback":
            return f"{label} · {short(record.get('content'), 60)}"
        return f"{label} {record_id[:8]}"

    def rejected_rows(self) -> list[dict[str, Any]]:
        tr = self.ctx.tr
        rows = []
        for rejected in self.ctx.tablet.status().rejected:
            op = rejected.op
            details = [tr.message(rejected.message or rejected.reason)]
            details += [f"{k}: {tr.message(v)}" for k, v in rejected.errors.items()]
            rows.append(
                {
                    "op_id": op.op_id,
                    "title": self._describe(op.collection, op.record_id, dict(op.fields)),
                    "subtitle": " · ".join(d for d in details if d),
                    "can_open": self.target(op.op_id) is not None,
                    "can_confirm": rejected.reason == Reason.CLOCK_CONFIRM.value,
                }
            )
        return rows

    def target(self, op_id: str) -> tuple[str, str] | None:
        """(screen, record id) where a refused record can be corrected, if any."""
        for rejected in self.ctx.tablet.status().rejected:
            op = rejected.op
            if op.op_id != op_id:
                continue
            found = _OPEN_AT.get(op.collection)
            if found is None:
                return None
            screen, parent_field = found
            if parent_field is None:
                return screen, op.record_id
            record = self.ctx.tablet.store.get(op.collection, op.record_id) or {}
            parent = op.fields.get(parent_field) or record.get(parent_field)
            return (screen, str(parent)) if parent else None
        return None

    def dismiss(self, op_id: str) -> bool:
        return self.ctx.tablet.store.dismiss_rejected(op_id)

    def confirm_held(self, op_id: str) -> list[str]:
        """Send held dates again as they are (PROTOCOL.md §4 ``clock_confirm``)."""
        try:
            return self.ctx.tablet.confirm_held(op_id)
        except InvalidInput as error:
            raise from_invalid_input(error, self.ctx.tr.message) from error

    # -- conflicts -----------------------------------------------------------------------------

    def conflicts(self) -> list[ConflictCard]:
        """One card per disagreement (``viewmodels.conflicts``)."""
        return conflict_cards(self.ctx, self._describe)

    def conflicts_heading(self, cards: list[ConflictCard]) -> str:
        return self.ctx.tr("sync.conflicts_count", count=len(cards))

    def resolve(self, conflict_ids: str | tuple[str, ...], keep: str) -> None:
        """``keep`` is ``"kept"`` (the values in use) or ``"lost"`` (put the others back).

        A card's conflicts are decided together: the fields were written together.
        """
        choice = ConflictResolution.KEPT if keep == "kept" else ConflictResolution.OVERTURNED
        ids = (conflict_ids,) if isinstance(conflict_ids, str) else conflict_ids
        try:
            for conflict_id in ids:
                self.ctx.tablet.resolve_conflict(conflict_id, choice)
        except InvalidInput as error:
            raise from_invalid_input(error, self.ctx.tr.message) from error
