"""Dossiers in the admin web: list and search, detail, overdue list, apologies, slip data.

Every read goes through :mod:`server.scoping` (``restrict`` for lists, ``get_scoped``
for one record) and every write through ``Scope.require``: an officer of commune A
never sees, counts or touches commune B's dossiers, and B's ids answer 404.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from server.models import (
    AdminUnit,
    Attachment,
    AuditEntry,
    Dossier,
    DossierApology,
    DossierEvent,
    Feedback,
    Officer,
    Procedure,
    Role,
    ServiceRating,
)
from server.scoping import (
    Scope,
    SelectT,
    get_dossier_scoped,
    require_settling,
    restrict,
    restrict_dossiers,
)
from server.services import audit
from server.services.changes import stamp
from server.services.errors import Invalid, NotFound
from server.services.reports import day_start, local_day, narrow
from server.sync import shared
from server.sync.blobs import attachment_complete
from server.sync.store import ServerFieldStore
from server.translatable import msg
from sync.domain import (
    CLOCK_RUNNING,
    OPEN_STATUSES,
    AttachmentOwner,
    Channel,
    DossierStatus,
    can_transition,
)
from sync.dossier_code import official_code_mismatch
from sync.forms import party_rows
from sync.ids import new_id
from sync.slips import (
    Applicant,
    DossierSlipData,
    LogRow,
    Office,
    TimelineRow,
    appointment_hour,
    status_url,
)
from sync.text import fold, plain
from sync.workdays import add_working_days, days_overdue, is_working_day

PER_PAGE = 25
MAX_QUERY_LENGTH = 100
MAX_REASON_LENGTH = 2000
#: The default new appointment is the statutory time again, but never more than this.
DEFAULT_APOLOGY_DAYS_CAP = 5
#: The seven forms of Annex I of Circular 03/2025/TT-VPCP; 07 (the tracking log) is
#: per period, not per dossier (``/dossiers/log.pdf``).
SLIP_NUMBERS = ("01", "02", "03", "04", "05", "06")
_ONE_DAY = timedelta(days=1)

# ---------------------------------------------------------------------------------------
# Lists
# ---------------------------------------------------------------------------------------


@dataclass
class Page:
    """One page of a server-side paginated list."""

    items: list[Any]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def first_index(self) -> int:
        return (self.page - 1) * self.per_page + 1 if self.total else 0

    @property
    def last_index(self) -> int:
        return min(self.page * self.per_page, self.total)


@dataclass(frozen=True)
class DossierListFilter:
    status: DossierStatus | None = None
    procedure_id: int | None = None
    commune_id: int | None = None
    overdue: bool = False  # open and past the due date
    due_today: bool = False  # open and due today
    received_from: date | None = None
    received_to: date | None = None
    q: str = ""  # receipt number, citizen ID or applicant name, any diacritics
    page: int = 1


@dataclass
class DossierRow:
    """A dossier as a list shows it."""

    dossier: Dossier
    expected_date: date  # the later of the due date and the latest apology's new date
    days_overdue: int
    apologies: int

    @property
    def overdue(self) -> bool:
        return self.days_overdue > 0


def _latest_apology_date() -> Any:
    return (
        select(DossierApology.new_due_date)
        .where(DossierApology.dossier_id == Dossier.id, DossierApology.deleted.is_(False))
        .order_by(DossierApology.issued_at.desc(), DossierApology.id.desc())
        .limit(1)
        .correlate(Dossier)
        .scalar_subquery()
    )


def _apology_count() -> Any:
    return (
        select(func.count())
        .where(DossierApology.dossier_id == Dossier.id, DossierApology.deleted.is_(False))
        .correlate(Dossier)
        .scalar_subquery()
    )


def search_terms(q: str) -> list[str]:
    """The folded words of a search box entry; every one must match."""
    return fold(q[:MAX_QUERY_LENGTH]).split()


def _filtered(stmt: SelectT, scope: Scope, filters: DossierListFilter, *, today: date) -> SelectT:
    """``stmt`` limited to the scope (narrowed to the chosen commune) and the filters."""
    scope = narrow(scope, filters.commune_id)
    stmt = restrict_dossiers(stmt, scope).where(Dossier.deleted.is_(False))
    if filters.status is not None:
        stmt = stmt.where(Dossier.status == filters.status)
    if filters.procedure_id is not None:
        stmt = stmt.where(Dossier.procedure_id == filters.procedure_id)
    if filters.overdue:
        stmt = stmt.where(
            Dossier.status.in_(list(CLOCK_RUNNING)), Dossier.effective_due_date < today
        )
    if filters.due_today:
        stmt = stmt.where(
            Dossier.status.in_(list(CLOCK_RUNNING)), Dossier.effective_due_date == today
        )
    if filters.received_from is not None:
        stmt = stmt.where(Dossier.received_at >= day_start(filters.received_from))
    if filters.received_to is not None:
        stmt = stmt.where(Dossier.received_at < day_start(filters.received_to) + _ONE_DAY)
    for word in search_terms(filters.q):
        stmt = stmt.where(Dossier.search_key.contains(word, autoescape=True))
    return stmt


def _rows(result: Any, *, today: date) -> list[DossierRow]:
    rows = []
    for dossier, apology_date, apologies in result:
        due = dossier.effective_due_date
        expected = max(due, apology_date) if apology_date else due
        late = days_overdue(due, today) if dossier.status in CLOCK_RUNNING else 0
        rows.append(DossierRow(dossier, expected, late, int(apologies or 0)))
    return rows


def _page(
    session: Session,
    scope: Scope,
    filters: DossierListFilter,
    order: tuple[Any, ...],
    *,
    per_page: int,
    today: date,
) -> Page:
    matching = _filtered(select(Dossier.id), scope, filters, today=today)
    total = session.scalar(select(func.count()).select_from(matching.subquery())) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(1, filters.page), pages)
    rows = _filtered(
        select(Dossier, _latest_apology_date(), _apology_count()), scope, filters, today=today
    )
    result = session.execute(
        rows.options(joinedload(Dossier.procedure), joinedload(Dossier.commune))
        .order_by(*order)
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return Page(_rows(result, today=today), page, per_page, total)


def list_dossiers(
    session: Session,
    scope: Scope,
    filters: DossierListFilter,
    *,
    today: date,
    per_page: int = PER_PAGE,
) -> Page:
    """Dossiers of the scope matching ``filters``, newest first, one page of them."""
    order = (Dossier.received_at.desc(), Dossier.id)
    return _page(session, scope, filters, order, per_page=per_page, today=today)


def overdue_dossiers(
    session: Session,
    scope: Scope,
    *,
    today: date,
    commune_id: int | None = None,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> Page:
    """Open dossiers past their due date, the longest overdue first (hồ sơ quá hạn)."""
    filters = DossierListFilter(commune_id=commune_id, overdue=True, page=page)
    order = (Dossier.due_date, Dossier.received_at, Dossier.id)
    return _page(session, scope, filters, order, per_page=per_page, today=today)


# ---------------------------------------------------------------------------------------
# Detail
# ---------------------------------------------------------------------------------------


@dataclass
class AuditLine:
    at: datetime
    action: str
    officer: str | None
    device_id: str | None
    detail: dict[str, Any]


@dataclass
class DossierDetail:
    dossier: Dossier
    expected_date: date
    days_overdue: int
    events: list[DossierEvent]
    apologies: list[DossierApology]
    attachments: list[Attachment]
    feedback: list[Feedback]
    ratings: list[ServiceRating]
    audit: list[AuditLine]
    officers: dict[int, str] = field(default_factory=dict)  # id → full name
    slips: dict[str, bool] = field(default_factory=dict)  # "01".."06" → available
    #: Attachments whose photo is still on its way from the tablet (PROTOCOL.md §8).
    on_the_way: set[str] = field(default_factory=set)

    @property
    def is_open(self) -> bool:
        return self.dossier.status in OPEN_STATUSES

    @property
    def latest_apology(self) -> DossierApology | None:
        return self.apologies[-1] if self.apologies else None


def get_dossier(session: Session, scope: Scope, dossier_id: str) -> Dossier:
    dossier = get_dossier_scoped(session, dossier_id, scope)
    if dossier.deleted:
        raise NotFound(msg("Không tìm thấy hồ sơ này"))
    return dossier


def dossier_to_decide(session: Session, scope: Scope, dossier_id: str) -> Dossier:
    """A dossier to decide on: only its settling commune may (Decree 118/2025/NĐ-CP);
    the counters of every commune involved are locked, in order, for the writes."""
    dossier = get_dossier(session, scope, dossier_id)
    require_settling(scope, dossier)
    shared.lock_dossier(session, dossier)
    return dossier


def live_apologies(dossier: Dossier) -> list[DossierApology]:
    return sorted(
        (a for a in dossier.apologies if not a.deleted), key=lambda a: (a.issued_at, a.id)
    )


def expected_date(dossier: Dossier) -> date:
    """The later of the due date and the latest apology's new appointment date."""
    apologies = live_apologies(dossier)
    if not apologies:
        return dossier.effective_due_date
    return max(dossier.effective_due_date, apologies[-1].new_due_date)


def _events(dossier: Dossier) -> list[DossierEvent]:
    return sorted((e for e in dossier.events if not e.deleted), key=lambda e: (e.occurred_at, e.id))


def available_slips(dossier: Dossier) -> dict[str, bool]:
    statuses = {e.to_status for e in _events(dossier)} | {dossier.status.value}
    return {
        "01": True,
        "02": DossierStatus.NEEDS_SUPPLEMENT.value in statuses,
        "03": DossierStatus.REFUSED.value in statuses,
        "04": bool(live_apologies(dossier)),
        "05": DossierStatus.STOPPED.value in statuses,
        "06": True,
    }


def dossier_detail(
    session: Session, scope: Scope, dossier_id: str, *, today: date
) -> DossierDetail:
    dossier = get_dossier(session, scope, dossier_id)
    # Photos travel with the dossier: every commune involved sees them (Decree 118/2025).
    attachments = session.scalars(
        select(Attachment)
        .where(
            Attachment.owner_collection == AttachmentOwner.DOSSIER.value,
            Attachment.owner_id == dossier.id,
            Attachment.deleted.is_(False),
        )
        .order_by(Attachment.created_at, Attachment.id)
    ).all()
    feedback = session.scalars(
        restrict(select(Feedback), Feedback.commune_id, scope)
        .where(Feedback.dossier_id == dossier.id, Feedback.deleted.is_(False))
        .order_by(Feedback.received_at)
    ).all()
    ratings = session.scalars(
        restrict(select(ServiceRating), ServiceRating.commune_id, scope)
        .where(ServiceRating.dossier_id == dossier.id)
        .order_by(ServiceRating.created_at.desc(), ServiceRating.id.desc())
    ).all()
    # The dossier was checked against the scope above; its audit lines follow it.
    entries = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.entity_id == dossier.id)
        .order_by(AuditEntry.at, AuditEntry.id)
    ).all()
    events = _events(dossier)
    officer_ids = {e.officer_id for e in events} | {a.officer_id for a in entries}
    officer_ids |= {a.officer_id for a in dossier.apologies}
    officer_ids.discard(None)
    officers = {
        o.id: o.full_name
        for o in session.scalars(select(Officer).where(Officer.id.in_(officer_ids)))
    }
    running = dossier.status in CLOCK_RUNNING
    late = days_overdue(dossier.effective_due_date, today) if running else 0
    return DossierDetail(
        dossier=dossier,
        expected_date=expected_date(dossier),
        days_overdue=late,
        events=events,
        apologies=live_apologies(dossier),
        attachments=list(attachments),
        on_the_way={
            a.id for a in attachments if not attachment_complete(session, a.sha256, a.commune_id)
        },
        feedback=list(feedback),
        ratings=list(ratings),
        audit=[
            AuditLine(
                e.at,
                e.action,
                officers.get(e.officer_id) if e.officer_id else None,
                e.device_id,
                e.detail,
            )
            for e in entries
        ],
        officers=officers,
        slips=available_slips(dossier),
    )


def get_attachment(
    session: Session, scope: Scope, dossier_id: str, attachment_id: str
) -> Attachment:
    """One photo or scan of a dossier, 404 unless both belong to the scope."""
    dossier = get_dossier(session, scope, dossier_id)
    attachment = session.get(Attachment, attachment_id)
    if (
        attachment is None
        or attachment.deleted
        or attachment.owner_collection != AttachmentOwner.DOSSIER.value
        or attachment.owner_id != dossier.id
    ):
        raise NotFound(msg("Không tìm thấy tệp đính kèm này"))
    return attachment


# ---------------------------------------------------------------------------------------
# Apology (phiếu xin lỗi và hẹn lại ngày trả kết quả)
# ---------------------------------------------------------------------------------------


def default_apology_date(procedure: Procedure, today: date) -> date:
    """A working day after today: the statutory time again, capped at a few days."""
    days = min(max(procedure.processing_days, 1), DEFAULT_APOLOGY_DAYS_CAP)
    return add_working_days(today, days)


def apology_problems(
    dossier: Dossier, reason: str, new_due_date: date | None, *, today: date
) -> dict[str, str]:
    problems: dict[str, str] = {}
    if dossier.status not in OPEN_STATUSES:
        problems["dossier"] = msg("Hồ sơ đã giải quyết xong, không cần xin lỗi")
    if not reason.strip():
        problems["reason"] = msg("Cần nêu lý do chậm trễ")
    elif len(reason) > MAX_REASON_LENGTH:
        problems["reason"] = msg(
            "Lý do dài quá %(MAX_REASON_LENGTH)s ký tự", MAX_REASON_LENGTH=MAX_REASON_LENGTH
        )
    if new_due_date is None:
        problems["new_due_date"] = msg("Cần chọn ngày hẹn mới")
    elif new_due_date <= today:
        problems["new_due_date"] = msg("Ngày hẹn mới phải sau hôm nay")
    elif not is_working_day(new_due_date):
        problems["new_due_date"] = msg(
            "Ngày %(new_due_date)s không phải ngày làm việc",
            new_due_date=new_due_date.strftime("%d/%m/%Y"),
        )
    return problems


def issue_apology(
    session: Session,
    scope: Scope,
    dossier_id: str,
    *,
    reason: str,
    new_due_date: date | None,
    officer: Officer,
    now: datetime,
    remote_addr: str | None = None,
) -> DossierApology:
    """Record a written apology with a new appointment date, its timeline event, an audit.

    Both records get the next change numbers of the commune, so tablets pull them.
    """
    dossier = dossier_to_decide(session, scope, dossier_id)
    today = local_day(now)
    problems = apology_problems(dossier, reason, new_due_date, today=today)
    if problems:
        raise Invalid(msg("Phiếu xin lỗi chưa hợp lệ"), errors=problems)
    assert new_due_date is not None
    apology = DossierApology(
        id=new_id(),
        commune_id=dossier.commune_id,
        dossier_id=dossier.id,
        reason=reason.strip(),
        new_due_date=new_due_date,
        issued_at=now,
        officer_id=officer.id,
    )
    session.add(apology)
    stamp(session, apology)
    shared.after_write(session, "dossier_apology", apology)
    data = {"apology_id": apology.id, "new_due_date": new_due_date.isoformat()}
    _log_step(session, dossier, "apology", now, officer, apology.reason, data, remote_addr)
    session.flush()
    session.refresh(dossier, ["apologies", "events"])
    return apology


def _settling(dossier: Dossier) -> int:
    """The commune whose decision a step on the dossier is (its audit log records it)."""
    return dossier.settling_commune_id or dossier.commune_id


def _log_step(
    session: Session,
    dossier: Dossier,
    kind: str,
    now: datetime,
    officer: Officer,
    note: str,
    data: dict[str, Any],
    remote_addr: str | None,
    *,
    by_receiving: bool = False,
) -> None:
    """A step done on the web: a timeline event (synced) and an audit entry.

    The audit entry is in the log of the commune that did the step: the settling one for
    a decision (Decree 118/2025/NĐ-CP), the receiving one for ``by_receiving`` steps."""
    event = DossierEvent(
        id=new_id(),
        commune_id=dossier.commune_id,
        dossier_id=dossier.id,
        kind=kind,
        occurred_at=now,
        officer_id=officer.id,
        note=note,
        data=data,
    )
    session.add(event)
    stamp(session, event)
    shared.after_write(session, "dossier_event", event)
    action = {"verification_needed": "dossier.verification"}.get(kind, f"dossier.{kind}")
    audit.record(
        session,
        action,
        officer_id=officer.id,
        commune_id=dossier.commune_id if by_receiving else _settling(dossier),
        entity="dossier",
        entity_id=dossier.id,
        detail={**data, "receipt_number": dossier.receipt_number},
        remote_addr=remote_addr,
    )


def record_verification(
    session: Session,
    scope: Scope,
    dossier_id: str,
    *,
    officer: Officer,
    now: datetime,
    note: str = "",
    remote_addr: str | None = None,
) -> Dossier:
    """Record that verification is needed ("trường hợp cần xác minh"), after intake.

    The longer appointment computed at intake (``verification_due_date``) then applies:
    the dossier is not overdue by the shorter limit (Law on Civil Status 2014 art. 18(2):
    marriage, up to 5 working days; art. 34(2): death, 3). Written with a server stamp,
    so tablets pull it; a timeline event and an audit entry record who and when.
    """
    dossier = dossier_to_decide(session, scope, dossier_id)
    if dossier.verification_due_date is None:
        raise Invalid(
            msg("Thủ tục này không có thời hạn xác minh"),
            errors={"verification_needed": "no extension"},
        )
    if dossier.status not in OPEN_STATUSES:
        raise Invalid(
            msg("Hồ sơ đã giải quyết xong"),
            errors={"verification_needed": "closed"},
        )
    if dossier.verification_needed:
        return dossier
    ServerFieldStore(session, dossier.commune_id).server_write(
        "dossier", dossier.id, {"verification_needed": True}
    )
    data = {"verification_due_date": dossier.verification_due_date.isoformat()}
    _log_step(
        session, dossier, "verification_needed", now, officer, note.strip(), data, remote_addr
    )
    session.flush()
    session.refresh(dossier, ["events"])
    return dossier


def record_official_code(
    session: Session,
    scope: Scope,
    dossier_id: str,
    code: str,
    *,
    officer: Officer,
    now: datetime,
    remote_addr: str | None = None,
) -> Dossier:
    """Record the official dossier code the province's one-stop system issued.

    The code is "used uniformly in transactions" about the dossier (Decree 61/2018/NĐ-CP
    art. 26(1)), so it is kept on the dossier, synced to the tablets and printed on every
    slip afterwards, beside the receipt number (PROTOCOL.md §9). It is written once: its
    structure (Circular 01/2018/TT-VPCP art. 19(1)) and its day, which must be the day of
    receipt, are checked; a code already held by another dossier is refused; a second,
    different code for the same dossier is refused (a wrong code is corrected by the
    province's system, not here). A timeline event and an audit entry record who and when.
    """
    dossier = get_dossier(session, scope, dossier_id)
    scope.require(dossier.commune_id)
    code = code.strip()
    problem = official_code_mismatch(code, dossier.received_at)
    if problem is not None:
        raise Invalid(problem, errors={"official_code": problem})
    if dossier.official_code == code:
        return dossier
    if dossier.official_code is not None:
        message = msg("Hồ sơ đã có mã hồ sơ %(code)s, không thay được", code=dossier.official_code)
        raise Invalid(message, errors={"official_code": message})
    holder = session.scalar(
        select(Dossier.receipt_number).where(
            Dossier.official_code == code, Dossier.id != dossier.id
        )
    )
    if holder is not None:
        message = msg("Mã hồ sơ %(code)s đã được ghi cho hồ sơ khác", code=code)
        raise Invalid(message, errors={"official_code": message})
    ServerFieldStore(session, dossier.commune_id).server_write(
        "dossier", dossier.id, {"official_code": code}
    )
    _log_step(
        session,
        dossier,
        "official_code",
        now,
        officer,
        "",
        {"official_code": code},
        remote_addr,
        by_receiving=True,
    )
    session.flush()
    session.refresh(dossier, ["events"])
    return dossier


def stop_problems(dossier: Dossier, reason: str) -> dict[str, str]:
    problems: dict[str, str] = {}
    if not can_transition(dossier.status, DossierStatus.STOPPED):
        problems["dossier"] = msg("Chỉ dừng giải quyết được hồ sơ đang giải quyết")
    if not reason.strip():
        problems["reason"] = msg("Cần nêu lý do dừng giải quyết")
    elif len(reason) > MAX_REASON_LENGTH:
        problems["reason"] = msg(
            "Lý do dài quá %(MAX_REASON_LENGTH)s ký tự", MAX_REASON_LENGTH=MAX_REASON_LENGTH
        )
    return problems


def stop_processing(
    session: Session,
    scope: Scope,
    dossier_id: str,
    *,
    reason: str,
    officer: Officer,
    now: datetime,
    remote_addr: str | None = None,
) -> DossierEvent:
    """Stop processing a dossier (form 05, Thông báo dừng giải quyết hồ sơ, Annex I of
    Circular 03/2025/TT-VPCP): status ``stopped``, a timeline event carrying the reason
    printed on the notice, an audit line.

    Both writes go through the sync store, so they get a clock and a change number and
    reach the commune's tablets (``stopped`` is final: it wins merges with concurrent
    decisions, PROTOCOL.md §3).
    """

    dossier = dossier_to_decide(session, scope, dossier_id)
    problems = stop_problems(dossier, reason)
    if problems:
        raise Invalid(msg("Chưa dừng giải quyết được hồ sơ"), errors=problems)
    before = dossier.status.value
    store = ServerFieldStore(session, dossier.commune_id)
    store.server_write("dossier", dossier.id, {"status": DossierStatus.STOPPED.value})
    event_id = new_id()
    store.server_write(
        "dossier_event",
        event_id,
        {
            "dossier_id": dossier.id,
            "kind": "status_changed",
            "occurred_at": now.astimezone(UTC).isoformat(),
            "officer_id": officer.id,
            "from_status": before,
            "to_status": DossierStatus.STOPPED.value,
            "note": reason.strip(),
            "data": {"form": "05"},
        },
    )
    audit.record(
        session,
        "dossier.stop",
        officer_id=officer.id,
        commune_id=_settling(dossier),
        entity="dossier",
        entity_id=dossier.id,
        detail={"receipt_number": dossier.receipt_number, "from_status": before},
        remote_addr=remote_addr,
    )
    session.flush()
    session.refresh(dossier)
    session.refresh(dossier, ["events"])
    event = session.get(DossierEvent, event_id)
    assert event is not None
    return event


def stop_details(dossier: Dossier) -> tuple[str, date]:
    """(reason, day stopped) for slip 05."""
    event = last_event_to(dossier, DossierStatus.STOPPED)
    if event is None and dossier.status != DossierStatus.STOPPED:
        raise NotFound(msg("Hồ sơ không dừng giải quyết"))
    when = event.occurred_at if event is not None else dossier.received_at
    return (event.note if event is not None else ""), local_day(when)


def committee_signer(session: Session, commune_id: int, officer_id: int | None) -> tuple[str, str]:
    """(name, signature heading) of whoever signs slips 04 and 05: a leader if any."""
    issuer = session.get(Officer, officer_id) if officer_id else None
    if issuer is None or issuer.role != Role.COMMUNE_LEADER:
        issuer = _leader_of(session, commune_id) or issuer
    if issuer is None:
        return "", "CHỦ TỊCH"
    return issuer.full_name, signature_title(issuer)


# ---------------------------------------------------------------------------------------
# Slip data (what goes on paper, for sync.slips)
# ---------------------------------------------------------------------------------------

CHANNEL_LABELS = {
    Channel.COUNTER: "Trực tiếp tại Trung tâm Phục vụ hành chính công",
    Channel.VILLAGE_VISIT: "Tiếp nhận lưu động tại thôn, bản",
    Channel.ONLINE: "Trực tuyến",
    Channel.POST: "Qua dịch vụ bưu chính công ích",
}

STATUS_LABELS = {
    DossierStatus.RECEIVED: "Đã tiếp nhận",
    DossierStatus.NEEDS_SUPPLEMENT: "Yêu cầu bổ sung",
    DossierStatus.REFUSED: "Từ chối tiếp nhận",
    DossierStatus.IN_PROGRESS: "Đang giải quyết",
    DossierStatus.APPROVED: "Đã giải quyết",
    DossierStatus.REJECTED: "Không giải quyết",
    DossierStatus.RESULT_RETURNED: "Đã trả kết quả",
    DossierStatus.WITHDRAWN: "Công dân rút hồ sơ",
    DossierStatus.STOPPED: "Dừng giải quyết",
}


def office_for(commune: AdminUnit) -> Office:
    parent = commune.parent
    province = f"{parent.kind.lower()} {parent.name}" if parent is not None else ""
    return Office(
        commune_kind_name=f"{commune.kind.lower()} {commune.name}",
        province_name=province,
        place_name=commune.name,
    )


def _receiver(dossier: Dossier) -> Officer | None:
    received = next((e for e in _events(dossier) if e.kind == "received"), None)
    if received is not None and received.officer is not None:
        return received.officer
    return dossier.handler


def slip_data(dossier: Dossier, public_base_url: str) -> DossierSlipData:
    receiver = _receiver(dossier)
    return DossierSlipData(
        receipt_number=dossier.receipt_number,
        procedure_name=dossier.procedure.name_vi,
        procedure_code=dossier.procedure.code,
        applicant=Applicant(
            name=dossier.applicant_name,
            cccd=dossier.applicant_cccd,
            dob=dossier.applicant_dob,
            phone=dossier.applicant_phone,
            address=dossier.applicant_address,
        ),
        documents=[
            (str(doc.get("name_vi", "")), bool(doc.get("provided")))
            for doc in dossier.documents
            if isinstance(doc, dict)
        ],
        received_at=dossier.received_at,
        due_date=dossier.due_date,
        officer_name=receiver.full_name if receiver else "",
        channel_label=CHANNEL_LABELS.get(dossier.channel, str(dossier.channel)),
        fee_vnd=dossier.procedure.fee_vnd,
        status_url=status_url(public_base_url, dossier.receipt_number, dossier.check_code),
        check_code=dossier.check_code,
        working_days=dossier.procedure.processing_days,
        parties=party_rows(dossier.procedure.form, dossier.parties, dossier.facts),
        due_hour=appointment_hour(dossier.procedure),
        time_unit=dossier.procedure.time_unit,
        verification_due_date=dossier.verification_due_date,
        verification_needed=dossier.verification_needed,
        extension_days=dossier.procedure.extension_days,
        official_code=dossier.official_code or "",
    )


def last_event_to(dossier: Dossier, status: DossierStatus) -> DossierEvent | None:
    matching = [e for e in _events(dossier) if e.to_status == status.value]
    return matching[-1] if matching else None


def supplement_details(dossier: Dossier) -> tuple[list[str], str, date]:
    """(missing documents, reason, day asked) for slip 02."""
    event = last_event_to(dossier, DossierStatus.NEEDS_SUPPLEMENT)
    if event is None and dossier.status != DossierStatus.NEEDS_SUPPLEMENT:
        raise NotFound(msg("Hồ sơ không có yêu cầu bổ sung"))
    missing = [
        str(doc.get("name_vi", ""))
        for doc in dossier.documents
        if isinstance(doc, dict) and doc.get("required") and not doc.get("provided")
    ]
    when = event.occurred_at if event is not None else dossier.received_at
    return missing, event.note if event is not None else "", local_day(when)


def refusal_details(dossier: Dossier) -> tuple[str, date]:
    """(reason, day refused) for slip 03."""
    event = last_event_to(dossier, DossierStatus.REFUSED)
    if event is None and dossier.status != DossierStatus.REFUSED:
        raise NotFound(msg("Hồ sơ không bị từ chối tiếp nhận"))
    when = event.occurred_at if event is not None else dossier.received_at
    return (event.note if event is not None else ""), local_day(when)


def find_apology(dossier: Dossier, apology_id: str | None) -> DossierApology:
    apologies = live_apologies(dossier)
    if apology_id:
        apologies = [a for a in apologies if a.id == apology_id]
    if not apologies:
        raise NotFound(msg("Hồ sơ chưa có phiếu xin lỗi"))
    return apologies[-1]


def _leader_of(session: Session, commune_id: int) -> Officer | None:
    return session.scalar(
        select(Officer)
        .where(
            Officer.unit_id == commune_id,
            Officer.role == Role.COMMUNE_LEADER,
            Officer.active.is_(True),
        )
        .order_by(Officer.id)
        .limit(1)
    )


def signature_title(officer: Officer) -> str:
    """The signature heading of the apology: "CHỦ TỊCH", "KT. CHỦ TỊCH / PHÓ CHỦ TỊCH"…"""
    title = plain(officer.title or "")
    if title.startswith("pho chu tich"):
        return "KT. CHỦ TỊCH\nPHÓ CHỦ TỊCH"
    if title.startswith("chu tich") or officer.role == Role.COMMUNE_LEADER:
        return "CHỦ TỊCH"
    return (officer.title or "CÔNG CHỨC").upper()


def apology_signer(session: Session, apology: DossierApology) -> tuple[str, str]:
    """(name, signature heading) of whoever signs slip 04: a leader if there is one."""
    return committee_signer(
        session, deciding_commune(session, apology.dossier, apology.officer_id), apology.officer_id
    )


def deciding_commune(session: Session, dossier: Dossier, officer_id: int | None) -> int:
    """The commune whose committee issues a decision on the dossier (slips 04 and 05): the
    one of the officer who made it, among the communes involved; else the settling one
    (Decree 118/2025/NĐ-CP: the settling commune decides, never the receiving one)."""
    officer = session.get(Officer, officer_id) if officer_id else None
    involved = {dossier.commune_id, dossier.settling_commune_id}
    if officer is not None and officer.unit_id in involved:
        return officer.unit_id
    return dossier.settling_commune_id or dossier.commune_id


_HANDOVER = {
    DossierStatus.IN_PROGRESS.value: ("Trung tâm PVHCC", "Công chức chuyên môn"),
    DossierStatus.NEEDS_SUPPLEMENT.value: ("Công chức chuyên môn", "Công dân (bổ sung hồ sơ)"),
    DossierStatus.APPROVED.value: ("Công chức chuyên môn", "Lãnh đạo UBND"),
    DossierStatus.REJECTED.value: ("Công chức chuyên môn", "Lãnh đạo UBND"),
    DossierStatus.RESULT_RETURNED.value: ("Trung tâm PVHCC", "Công dân"),
    DossierStatus.REFUSED.value: ("Trung tâm PVHCC", "Công dân"),
    DossierStatus.WITHDRAWN.value: ("Trung tâm PVHCC", "Công dân"),
    DossierStatus.STOPPED.value: ("Công chức chuyên môn", "Công dân (thông báo dừng)"),
}


def timeline_rows(dossier: Dossier, officers: dict[int, str]) -> list[TimelineRow]:
    """The hand-overs of slip 06, one per status change of the timeline."""
    rows = []
    for event in _events(dossier):
        person = officers.get(event.officer_id, "") if event.officer_id else ""
        if event.kind == "received":
            rows.append(
                TimelineRow(
                    handed_at=event.occurred_at,
                    from_unit="Công dân",
                    to_unit="Trung tâm PVHCC",
                    from_person=dossier.applicant_name,
                    to_person=person,
                    result="Tiếp nhận",
                )
            )
            continue
        if event.kind == "apology":
            new_date = str(event.data.get("new_due_date", ""))
            shown = date.fromisoformat(new_date).strftime("%d/%m/%Y") if new_date else ""
            rows.append(
                TimelineRow(
                    handed_at=event.occurred_at,
                    from_unit="Trung tâm PVHCC",
                    to_unit="Công dân",
                    from_person=person,
                    to_person=dossier.applicant_name,
                    result="Quá hạn",
                    note=f"Phiếu xin lỗi, hẹn lại ngày {shown}",
                )
            )
            continue
        if event.to_status not in _HANDOVER:
            continue
        from_unit, to_unit = _HANDOVER[event.to_status]
        on_time = local_day(event.occurred_at) <= dossier.due_date
        rows.append(
            TimelineRow(
                handed_at=event.occurred_at,
                from_unit=from_unit,
                to_unit=to_unit,
                from_person=person,
                result="Đúng hạn" if on_time else "Quá hạn",
                note=event.note,
            )
        )
    return rows


def all_officer_names(session: Session, dossier: Dossier) -> dict[int, str]:
    ids = {e.officer_id for e in dossier.events if e.officer_id is not None}
    if not ids:
        return {}
    return {o.id: o.full_name for o in session.scalars(select(Officer).where(Officer.id.in_(ids)))}


def log_commune(session: Session, scope: Scope, commune_id: int | None) -> AdminUnit:
    """The office whose tracking log (sổ theo dõi) is printed.

    A log belongs to one office: a principal who sees several communes must pick one.
    """
    if commune_id is None and scope.commune_ids is not None and len(scope.commune_ids) == 1:
        commune_id = next(iter(scope.commune_ids))
    if commune_id is None:
        raise Invalid(
            msg("Chọn một xã để in sổ theo dõi"),
            errors={"commune": "required"},
        )
    narrow(scope, commune_id)
    commune = session.get(AdminUnit, commune_id)
    if commune is None:
        raise NotFound(msg("Không tìm thấy xã: %(commune_id)s", commune_id=commune_id))
    return commune


def log_rows(
    session: Session, scope: Scope, commune: AdminUnit, start: date, end: date
) -> list[LogRow]:
    """Dossiers received by ``commune`` from ``start`` to ``end``, as rows of slip 07."""
    stmt = (
        restrict(select(Dossier), Dossier.commune_id, narrow(scope, commune.id))
        .where(
            Dossier.deleted.is_(False),
            Dossier.received_at >= day_start(start),
            Dossier.received_at < day_start(end) + _ONE_DAY,
        )
        .options(joinedload(Dossier.procedure))
        .order_by(Dossier.received_at, Dossier.receipt_number)
    )
    lead_agency = f"UBND {commune.kind.lower()} {commune.name}"
    rows = []
    for dossier in session.scalars(stmt).unique():
        apologies = live_apologies(dossier)
        note = STATUS_LABELS.get(dossier.status, "")
        if apologies:
            note += f"; hẹn lại {apologies[-1].new_due_date:%d/%m/%Y}"
        returned = dossier.result_returned_at
        rows.append(
            LogRow(
                receipt_number=dossier.receipt_number,
                procedure_name=dossier.procedure.name_vi,
                applicant_name=dossier.applicant_name,
                received_at=dossier.received_at,
                due_date=dossier.due_date,
                address=dossier.applicant_address or "",
                phone=dossier.applicant_phone or "",
                lead_agency=lead_agency,
                returned_on=local_day(returned) if returned is not None else None,
                returned_to=dossier.applicant_name if returned is not None else "",
                note=note,
            )
        )
    return rows
