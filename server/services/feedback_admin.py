"""Feedback handling in the admin web (xử lý phản ánh, kiến nghị, khiếu nại).

A leader assigns a feedback to an officer of the commune, forwards it to the competent
body, or closes it; the leader or the assigned officer writes the answer. Feedback is
synchronised, so every change goes through :meth:`ServerFieldStore.server_write`: it
gets a server clock that wins over what tablets wrote before, a change number of the
commune, and reaches every tablet at its next pull. Every change is audited.

Anonymous feedback never shows a name or a phone, whatever a tablet stored.

Workflow (statuses of :class:`sync.domain.FeedbackStatus`)::

    new ──assign──▶ in_handling ──answer──▶ answered ──close──▶ closed
     │  └─forward─▶ forwarded ──answer/close──┘
     └ praise (no answer due) may be closed from any open status
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from server.models import AdminUnit, AuditEntry, Dossier, Feedback, Officer, Role
from server.scoping import Scope, get_scoped, restrict
from server.services import audit
from server.services.errors import Conflict, Forbidden, Invalid, NotFound
from server.services.listing import PER_PAGE, Page, page_of
from server.services.reports import OPEN_FEEDBACK, narrow
from server.sync.store import ServerFieldStore, lock_commune
from server.translatable import msg
from sync.domain import FEEDBACK_RESPONSE_DAYS, FeedbackKind, FeedbackStatus
from sync.workdays import days_overdue

MAX_RESPONSE_LENGTH = 5000
MAX_FORWARD_LENGTH = 200
#: Who may handle a commune's feedback; the assigned officer may also answer it.
HANDLER_ROLES = frozenset({Role.COMMUNE_LEADER})
ASSIGNEE_ROLES = frozenset({Role.OFFICER, Role.COMMUNE_LEADER})

ANONYMOUS = "anonymous"


@dataclass(frozen=True)
class FeedbackListFilter:
    status: FeedbackStatus | None = None
    kind: FeedbackKind | None = None
    overdue: bool = False  # still open past its response due date
    commune_id: int | None = None
    #: Only feedback assigned to this officer ("giao cho tôi": the logged-in user).
    assignee_id: int | None = None
    page: int = 1


@dataclass
class FeedbackRow:
    feedback: Feedback
    commune: AdminUnit | None
    days_overdue: int

    @property
    def overdue(self) -> bool:
        return self.days_overdue > 0


def is_open(feedback: Feedback) -> bool:
    return feedback.status in OPEN_FEEDBACK


def answer_due(feedback: Feedback) -> bool:
    """Whether the law expects an answer (praise needs none)."""
    return FEEDBACK_RESPONSE_DAYS.get(feedback.kind) is not None


def late_days(feedback: Feedback, today: date) -> int:
    if not is_open(feedback) or feedback.response_due_date is None:
        return 0
    return days_overdue(feedback.response_due_date, today)


def citizen(feedback: Feedback) -> tuple[str | None, str | None]:
    """The citizen's name and phone as the web may show them: never for anonymous feedback."""
    if feedback.anonymous:
        return None, None
    return feedback.citizen_name or None, feedback.citizen_phone or None


def list_feedback(
    session: Session,
    scope: Scope,
    filters: FeedbackListFilter,
    *,
    today: date,
    per_page: int = PER_PAGE,
) -> Page:
    """Feedback of the scope matching ``filters``, newest first; items are FeedbackRow."""
    narrowed = narrow(scope, filters.commune_id)
    stmt = restrict(select(Feedback), Feedback.commune_id, narrowed).where(
        Feedback.deleted.is_(False)
    )
    if filters.status is not None:
        stmt = stmt.where(Feedback.status == filters.status)
    if filters.kind is not None:
        stmt = stmt.where(Feedback.kind == filters.kind)
    if filters.overdue:
        stmt = stmt.where(
            Feedback.status.in_(list(OPEN_FEEDBACK)), Feedback.response_due_date < today
        )
    if filters.assignee_id is not None:
        stmt = stmt.where(Feedback.assignee_id == filters.assignee_id)
    stmt = stmt.options(joinedload(Feedback.assignee)).order_by(
        Feedback.received_at.desc(), Feedback.id
    )
    page = page_of(session, stmt, filters.page, per_page=per_page)
    ids = {f.commune_id for f in page.items}
    communes = {u.id: u for u in session.scalars(select(AdminUnit).where(AdminUnit.id.in_(ids)))}
    page.items = [
        FeedbackRow(f, communes.get(f.commune_id), late_days(f, today)) for f in page.items
    ]
    return page


# ---------------------------------------------------------------------------------------
# Detail
# ---------------------------------------------------------------------------------------


@dataclass
class FeedbackDetail:
    feedback: Feedback
    commune: AdminUnit
    days_overdue: int
    citizen_name: str | None
    citizen_phone: str | None
    dossier: Dossier | None
    subject_officer: str | None
    assignable: list[Officer]
    history: list[tuple[AuditEntry, str | None]] = field(default_factory=list)

    @property
    def is_open(self) -> bool:
        return is_open(self.feedback)

    @property
    def answer_due(self) -> bool:
        return answer_due(self.feedback)


def get_feedback(session: Session, scope: Scope, feedback_id: str) -> Feedback:
    feedback: Feedback = get_scoped(session, Feedback, feedback_id, scope)
    if feedback.deleted:
        raise NotFound(msg("Không tìm thấy phản ánh này"))
    return feedback


def assignable_officers(session: Session, commune_id: int) -> list[Officer]:
    """Active officers and leaders of the commune, by name."""
    return list(
        session.scalars(
            select(Officer)
            .where(
                Officer.unit_id == commune_id,
                Officer.active.is_(True),
                Officer.role.in_(list(ASSIGNEE_ROLES)),
            )
            .order_by(Officer.full_name, Officer.id)
        )
    )


def feedback_detail(
    session: Session, scope: Scope, feedback_id: str, *, today: date
) -> FeedbackDetail:
    feedback = get_feedback(session, scope, feedback_id)
    commune = session.get(AdminUnit, feedback.commune_id)
    assert commune is not None
    dossier = None
    if feedback.dossier_id:
        found = session.get(Dossier, feedback.dossier_id)
        dossier = found if found is not None and found.commune_id == feedback.commune_id else None
    subject_officer = None
    if feedback.officer_id:
        officer = session.get(Officer, feedback.officer_id)
        subject_officer = officer.full_name if officer is not None else None
    entries = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.entity == "feedback", AuditEntry.entity_id == feedback.id)
        .order_by(AuditEntry.at, AuditEntry.id)
    ).all()
    officer_ids = {e.officer_id for e in entries if e.officer_id}
    names = {
        o.id: o.full_name
        for o in session.scalars(select(Officer).where(Officer.id.in_(officer_ids)))
    }
    name, phone = citizen(feedback)
    return FeedbackDetail(
        feedback=feedback,
        commune=commune,
        days_overdue=late_days(feedback, today),
        citizen_name=name,
        citizen_phone=phone,
        dossier=dossier,
        subject_officer=subject_officer,
        assignable=assignable_officers(session, feedback.commune_id),
        history=[(e, names.get(e.officer_id) if e.officer_id else None) for e in entries],
    )


# ---------------------------------------------------------------------------------------
# Permissions
# ---------------------------------------------------------------------------------------


def may_handle(officer: Officer) -> bool:
    """Assign, forward and close: the commune's leader."""
    return officer.role in HANDLER_ROLES


def may_answer(officer: Officer, feedback: Feedback) -> bool:
    """Answer: the commune's leader, or the officer the feedback is assigned to."""
    return may_handle(officer) or (
        officer.role == Role.OFFICER and feedback.assignee_id == officer.id
    )


def _require_handler(officer: Officer) -> None:
    if not may_handle(officer):
        raise Forbidden(msg("Chỉ lãnh đạo xã được phân công, chuyển hoặc kết thúc phản ánh"))


# ---------------------------------------------------------------------------------------
# Writes
# ---------------------------------------------------------------------------------------


def _write(
    session: Session,
    feedback: Feedback,
    values: dict[str, Any],
    action: str,
    *,
    by: Officer,
    remote_addr: str | None,
    detail: dict[str, Any] | None = None,
) -> Feedback:
    """Write through the sync store (clock + change number), then audit."""
    ServerFieldStore(session, feedback.commune_id).server_write("feedback", feedback.id, values)
    audit.record(
        session,
        action,
        officer_id=by.id,
        commune_id=feedback.commune_id,
        entity="feedback",
        entity_id=feedback.id,
        detail={"fields": sorted(values), **(detail or {})},
        remote_addr=remote_addr,
    )
    session.flush()
    return feedback


def _locked(session: Session, scope: Scope, feedback_id: str) -> Feedback:
    """The feedback, read again under its commune's lock (pushes wait meanwhile)."""
    feedback = get_feedback(session, scope, feedback_id)
    scope.require(feedback.commune_id)
    lock_commune(session, feedback.commune_id)
    session.refresh(feedback)
    return feedback


def _open_feedback(session: Session, scope: Scope, feedback_id: str) -> Feedback:
    feedback = _locked(session, scope, feedback_id)
    if not is_open(feedback):
        raise Conflict(msg("Phản ánh đã được trả lời hoặc đã kết thúc"))
    return feedback


def assign(
    session: Session,
    scope: Scope,
    feedback_id: str,
    *,
    assignee_id: int | None,
    by: Officer,
    remote_addr: str | None = None,
) -> Feedback:
    """Give the feedback to an active officer of its commune; a new one becomes in handling."""
    _require_handler(by)
    feedback = _open_feedback(session, scope, feedback_id)
    assignee = session.get(Officer, assignee_id) if assignee_id else None
    if (
        assignee is None
        or not assignee.active
        or assignee.unit_id != feedback.commune_id
        or assignee.role not in ASSIGNEE_ROLES
    ):
        raise Invalid(
            msg("Chọn một cán bộ đang làm việc của xã"),
            errors={"assignee_id": msg("Chọn cán bộ của xã")},
        )
    values: dict[str, Any] = {"assignee_id": assignee.id}
    if feedback.status == FeedbackStatus.NEW:
        values["status"] = FeedbackStatus.IN_HANDLING.value
    return _write(
        session,
        feedback,
        values,
        "feedback.assign",
        by=by,
        remote_addr=remote_addr,
        detail={"assignee_id": assignee.id, "assignee": assignee.full_name},
    )


def forward(
    session: Session,
    scope: Scope,
    feedback_id: str,
    *,
    to: str,
    by: Officer,
    remote_addr: str | None = None,
) -> Feedback:
    """Record that the feedback went to the competent body ``to`` (status forwarded)."""
    _require_handler(by)
    feedback = _open_feedback(session, scope, feedback_id)
    target = " ".join(to.split())
    if not target:
        raise Invalid(
            msg("Cần ghi cơ quan hoặc người nhận"),
            errors={"forwarded_to": msg("Không được để trống")},
        )
    if len(target) > MAX_FORWARD_LENGTH:
        raise Invalid(
            msg(
                "Tên nơi nhận dài quá %(MAX_FORWARD_LENGTH)s ký tự",
                MAX_FORWARD_LENGTH=MAX_FORWARD_LENGTH,
            ),
            errors={
                "forwarded_to": msg(
                    "Tối đa %(MAX_FORWARD_LENGTH)s ký tự", MAX_FORWARD_LENGTH=MAX_FORWARD_LENGTH
                )
            },
        )
    return _write(
        session,
        feedback,
        {"forwarded_to": target, "status": FeedbackStatus.FORWARDED.value},
        "feedback.forward",
        by=by,
        remote_addr=remote_addr,
        detail={"forwarded_to": target},
    )


def answer(
    session: Session,
    scope: Scope,
    feedback_id: str,
    *,
    response: str,
    public: bool,
    by: Officer,
    now: datetime,
    remote_addr: str | None = None,
) -> Feedback:
    """Write the answer: status answered, answered now; ``public`` lets it be published."""
    feedback = _open_feedback(session, scope, feedback_id)
    if not may_answer(by, feedback):
        raise Forbidden(msg("Chỉ lãnh đạo xã hoặc cán bộ được phân công được trả lời"))
    text = response.strip()
    if not text:
        raise Invalid(
            msg("Cần nhập nội dung trả lời"),
            errors={"response": msg("Không được để trống")},
        )
    if len(text) > MAX_RESPONSE_LENGTH:
        raise Invalid(
            msg(
                "Nội dung trả lời dài quá %(MAX_RESPONSE_LENGTH)s ký tự",
                MAX_RESPONSE_LENGTH=MAX_RESPONSE_LENGTH,
            ),
            errors={
                "response": msg(
                    "Tối đa %(MAX_RESPONSE_LENGTH)s ký tự", MAX_RESPONSE_LENGTH=MAX_RESPONSE_LENGTH
                )
            },
        )
    return _write(
        session,
        feedback,
        {
            "response": text,
            "public": bool(public),
            "status": FeedbackStatus.ANSWERED.value,
            "answered_at": now.isoformat(),
        },
        "feedback.answer",
        by=by,
        remote_addr=remote_addr,
        detail={"public": bool(public)},
    )


def close(
    session: Session,
    scope: Scope,
    feedback_id: str,
    *,
    by: Officer,
    remote_addr: str | None = None,
) -> Feedback:
    """End the handling: once answered or forwarded (praise needs no answer)."""
    _require_handler(by)
    feedback = _locked(session, scope, feedback_id)
    closable = {FeedbackStatus.ANSWERED, FeedbackStatus.FORWARDED}
    if not answer_due(feedback):
        closable |= OPEN_FEEDBACK
    if feedback.status not in closable:
        if feedback.status == FeedbackStatus.CLOSED:
            raise Conflict(msg("Phản ánh đã kết thúc"))
        raise Invalid(
            msg("Cần trả lời hoặc chuyển phản ánh trước khi kết thúc"),
            errors={"status": msg("Chưa trả lời")},
        )
    return _write(
        session,
        feedback,
        {"status": FeedbackStatus.CLOSED.value},
        "feedback.close",
        by=by,
        remote_addr=remote_addr,
    )
