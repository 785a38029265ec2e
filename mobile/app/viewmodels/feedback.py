"""Citizens' feedback (phản ánh, kiến nghị, khiếu nại, khen ngợi): record it fully, answer it.

The answer's due date is the server's (``response_due_date``) once synced, and until
then the same computation done here (``sync.domain.FEEDBACK_RESPONSE_DAYS`` working
days from receipt).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mobile.app.context import AppContext
from mobile.app.fmt import fmt_date, fmt_datetime, office_today
from mobile.app.viewmodels.base import UserError, from_invalid_input
from mobile.app.viewmodels.home import feedback_due
from mobile.tablet import InvalidInput
from sync.domain import Channel, FeedbackKind, FeedbackStatus, phone_problem

__all__ = ["FeedbackDetail", "FeedbackForm", "FeedbackModel"]

_WAITING = (
    FeedbackStatus.NEW.value,
    FeedbackStatus.IN_HANDLING.value,
    FeedbackStatus.FORWARDED.value,
)


@dataclass(frozen=True)
class FeedbackDetail:
    feedback_id: str
    title: str
    lines: list[str]
    response: str
    can_answer: bool
    on_server_label: str


@dataclass
class FeedbackForm:
    """New feedback as typed (the screen copies its fields here)."""

    kind: str = FeedbackKind.REPORT.value
    content: str = ""
    anonymous: bool = False
    citizen_name: str = ""
    citizen_phone: str = ""
    receipt_number: str = ""
    channel: str = Channel.COUNTER.value

    def empty(self) -> bool:
        return (
            not any(v.strip() for v in (self.content, self.citizen_name, self.citizen_phone))
            and not self.receipt_number.strip()
        )


class FeedbackModel:
    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self.selected: str | None = None
        self.form = FeedbackForm()

    # -- the draft (mobile.drafts) ---------------------------------------------------------------

    def draft_state(self) -> dict[str, Any] | None:
        if self.form.empty():
            return None
        return {"version": 1, "form": dict(vars(self.form))}

    def draft_summary(self) -> str:
        kind = self.ctx.tr.enum("feedback_kind", self.form.kind)
        return f"{kind} · {' '.join(self.form.content.split())[:40]}"

    def restore_draft(self, state: Mapping[str, Any]) -> None:
        typed = state.get("form") or {}
        known = set(vars(FeedbackForm()))
        self.form = FeedbackForm(**{k: v for k, v in typed.items() if k in known})

    def kinds(self) -> list[tuple[str, str]]:
        return [(k.value, self.ctx.tr.enum("feedback_kind", k.value)) for k in FeedbackKind]

    def channels(self) -> list[tuple[str, str]]:
        return [(c.value, self.ctx.tr.enum("channel", c.value)) for c in Channel]

    # -- the list ------------------------------------------------------------------------------

    def rows(self) -> list[dict[str, Any]]:
        tr = self.ctx.tr
        tablet = self.ctx.tablet
        today = office_today(tablet.now())
        unsent = {e.op.record_id for e in tablet.store.outbox("feedback")}
        rows = []
        records = tablet.store.list_records("feedback", order_by="received_at", descending=True)
        for record in records:
            due = feedback_due(record)
            waiting = record.get("status") in _WAITING
            late = waiting and due is not None and due < today
            who = self._who(record)
            parts = [
                fmt_datetime(record.get("received_at")),
                tr.enum("feedback_status", record.get("status")),
            ]
            if waiting:
                parts.append(
                    tr("feedback.due", date=fmt_date(due)) if due else tr("feedback.no_due")
                )
            synced = str(record["id"]) not in unsent
            content = " ".join(str(record.get("content", "")).split())[:70]
            kind = tr.enum("feedback_kind", record.get("kind"))
            rows.append(
                {
                    "kind": "feedback",
                    "record_id": str(record["id"]),
                    "title": f"{kind} · {who}: {content}",
                    "subtitle": " · ".join(parts),
                    "danger": late,
                    "synced": synced,
                    "sync_label": tr("common.on_server" if synced else "common.not_on_server"),
                    "selected": str(record["id"]) == self.selected,
                }
            )
        return rows

    def _who(self, record: dict[str, Any]) -> str:
        if record.get("anonymous") or not record.get("citizen_name"):
            return self.ctx.tr("feedback.anonymous_person")
        return str(record["citizen_name"])

    # -- recording -----------------------------------------------------------------------------

    def find_dossier(self, receipt_number: str) -> dict[str, Any] | None:
        found = self.ctx.tablet.store.list_records(
            "dossier", {"receipt_number": receipt_number.strip()}, limit=1
        )
        return found[0] if found else None

    def problems(
        self,
        kind: str,
        content: str,
        *,
        anonymous: bool = False,
        citizen_phone: str = "",
        receipt_number: str = "",
    ) -> dict[str, str]:
        """What ``record`` would refuse, field by field (the screen rechecks as one types)."""
        errors, _ = self._problems(
            kind, content, anonymous=anonymous, phone=citizen_phone, receipt=receipt_number
        )
        return errors

    def _problems(
        self, kind: str, content: str, *, anonymous: bool, phone: str, receipt: str
    ) -> tuple[dict[str, str], str | None]:
        tr = self.ctx.tr
        errors: dict[str, str] = {}
        if kind not in {k.value for k in FeedbackKind}:
            errors["kind"] = tr("common.required")
        if not content.strip():
            errors["content"] = tr("common.required")
        phone = phone.strip()
        if phone and not anonymous:
            problem = phone_problem(phone)
            if problem:
                errors["phone"] = tr.message(problem)
        dossier_id: str | None = None
        if receipt.strip():
            dossier = self.find_dossier(receipt)
            if dossier is None:
                errors["dossier"] = tr("feedback.unknown_dossier", receipt=receipt.strip())
            else:
                dossier_id = str(dossier["id"])
        return errors, dossier_id

    def record(
        self,
        kind: str,
        content: str,
        *,
        anonymous: bool = False,
        citizen_name: str = "",
        citizen_phone: str = "",
        receipt_number: str = "",
        channel: str = Channel.COUNTER.value,
    ) -> str:
        """Save new feedback; returns its id. Raises ``UserError`` naming the fields."""
        errors, dossier_id = self._problems(
            kind, content, anonymous=anonymous, phone=citizen_phone, receipt=receipt_number
        )
        tr = self.ctx.tr
        phone = citizen_phone.strip()
        if errors:
            raise UserError(next(iter(errors.values())), errors)
        try:
            feedback_id = self.ctx.tablet.add_feedback(
                kind,
                content.strip(),
                channel=channel,
                subject="dossier" if dossier_id else None,
                dossier_id=dossier_id,
                citizen_name=citizen_name.strip() or None,
                citizen_phone=phone or None,
                anonymous=anonymous,
            )
        except InvalidInput as error:
            raise from_invalid_input(error, tr.message) from error
        self.selected = feedback_id
        self.form = FeedbackForm()
        return feedback_id

    def saved_text(self, feedback_id: str) -> str:
        record = self.ctx.tablet.store.get("feedback", feedback_id) or {}
        due = feedback_due(record)
        tr = self.ctx.tr
        return tr("feedback.saved", date=fmt_date(due)) if due else tr("feedback.no_due")

    # -- one feedback and its answer -----------------------------------------------------------

    def select(self, feedback_id: str | None) -> None:
        self.selected = feedback_id

    def detail(self) -> FeedbackDetail | None:
        if self.selected is None:
            return None
        tr = self.ctx.tr
        record = self.ctx.tablet.store.get("feedback", self.selected)
        if record is None:
            return None
        due = feedback_due(record)
        lines = [
            " · ".join(
                (
                    tr.enum("feedback_status", record.get("status")),
                    tr.enum("channel", record.get("channel")),
                    fmt_datetime(record.get("received_at")),
                )
            ),
            self._who(record)
            + (f" · {record['citizen_phone']}" if record.get("citizen_phone") else ""),
            str(record.get("content", "")),
        ]
        if record.get("dossier_id"):
            dossier = self.ctx.tablet.dossier(str(record["dossier_id"]))
            if dossier:
                lines.append(f"{tr('collection.dossier')} {dossier.get('receipt_number', '')}")
        if due:
            lines.append(tr("feedback.due", date=fmt_date(due)))
        if record.get("answered_at"):
            lines.append(tr("feedback.answered", time=fmt_datetime(record["answered_at"])))
        on_server = self.ctx.tablet.on_server("feedback", self.selected)
        return FeedbackDetail(
            feedback_id=self.selected,
            title=f"{tr.enum('feedback_kind', record.get('kind'))}",
            lines=lines,
            response=str(record.get("response") or ""),
            can_answer=record.get("status") not in (FeedbackStatus.CLOSED.value,),
            on_server_label=tr("common.on_server" if on_server else "common.not_on_server"),
        )

    def answer(self, response: str) -> None:
        tr = self.ctx.tr
        if self.selected is None:
            raise UserError(tr("feedback.select"))
        if not response.strip():
            raise UserError(tr("common.required"), {"response": tr("common.required")})
        try:
            self.ctx.tablet.edit(
                "feedback",
                self.selected,
                response=response.strip(),
                answered_at=self.ctx.tablet.now(),
                status=FeedbackStatus.ANSWERED.value,
            )
        except InvalidInput as error:
            raise from_invalid_input(error, tr.message) from error
