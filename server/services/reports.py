"""Dashboard statistics (số liệu tổng hợp) for leaders and provincial administrators.

Every figure is computed inside a :class:`~server.scoping.Scope`, optionally narrowed to
one commune and one procedure, over a period of whole days in office time (UTC+7).

Definitions (what the dashboard prints, so that two readers count the same way):

- *received*: dossiers whose ``received_at`` falls in the period (by month of receipt);
- *returned*: of those, the ones whose result was returned (``result_returned``);
- *on time*: returned on or before the due date (ngày hẹn trả);
- *overdue*: returned after the due date, or still open (received, needs supplement,
  in progress) with the due date before today;
- *overdue now*: open dossiers of the scope whose due date is before today, whatever
  their receipt date — the list a leader must act on today;
- *satisfaction*: the share of Likert (1-5) answers that are 4 or 5 among all Likert
  answers of the survey responses collected in the period;
- *feedback answered in N working days*: from the day of receipt to the day of the
  answer, counted with :func:`sync.workdays.working_days_between`.

Rows are aggregated in Python from a few selected columns: it keeps month bucketing in
office time identical on SQLite and PostgreSQL, and a province's half year is a few
tens of thousands of small tuples.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.models import (
    AdminUnit,
    CommentStatus,
    Device,
    Dossier,
    Feedback,
    Officer,
    Procedure,
    ServiceRating,
    SurveyForm,
    SurveyResponse,
    SyncConflict,
    UnitLevel,
)
from server.scoping import Scope, SelectT, restrict
from server.services.errors import Invalid, NotFound
from server.services.sipas import SipasIndex, index_questions
from server.translatable import msg
from sync.domain import CLOCK_RUNNING, DossierStatus, FeedbackStatus
from sync.workdays import OFFICE_TZ, working_days_between

PERIOD_THIS_MONTH = "this_month"
PERIOD_SIX_MONTHS = "6_months"
PERIOD_CUSTOM = "custom"
PERIOD_KINDS = (PERIOD_THIS_MONTH, PERIOD_SIX_MONTHS, PERIOD_CUSTOM)
#: A custom period longer than this is refused: the monthly chart would be unreadable.
MAX_PERIOD_DAYS = 3 * 366
#: A tablet not synced for this long is flagged on the dashboard.
STALE_SYNC = timedelta(days=7)
TOP_PROCEDURES = 10
SATISFIED_MIN = 4

OPEN_FEEDBACK = frozenset(
    {FeedbackStatus.NEW, FeedbackStatus.IN_HANDLING, FeedbackStatus.FORWARDED}
)
ANSWERED_FEEDBACK = frozenset({FeedbackStatus.ANSWERED, FeedbackStatus.CLOSED})


def office_today(now: datetime | None = None) -> date:
    """Today's date at the commune offices (UTC+7)."""
    return (now or datetime.now(UTC)).astimezone(OFFICE_TZ).date()


def local_day(moment: datetime) -> date:
    return moment.astimezone(OFFICE_TZ).date()


def day_start(day: date) -> datetime:
    """The instant a day starts in office time, as an aware datetime."""
    return datetime.combine(day, time(0, 0), OFFICE_TZ)


# ---------------------------------------------------------------------------------------
# Filters
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """Whole office days ``start``..``end`` (both included)."""

    kind: str
    start: date
    end: date

    @property
    def starts_at(self) -> datetime:
        return day_start(self.start)

    @property
    def ends_before(self) -> datetime:
        return day_start(self.end + timedelta(days=1))

    def months(self) -> list[tuple[int, int]]:
        """(year, month) of every month the period touches, in order."""
        months: list[tuple[int, int]] = []
        year, month = self.start.year, self.start.month
        while (year, month) <= (self.end.year, self.end.month):
            months.append((year, month))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return months


def resolve_period(
    kind: str | None, start: date | None, end: date | None, *, today: date
) -> Period:
    """The period asked for; the last six months (this one included) by default."""
    if kind == PERIOD_THIS_MONTH:
        return Period(kind, today.replace(day=1), today)
    if kind == PERIOD_CUSTOM:
        if start is None or end is None:
            raise Invalid(
                msg("Chọn ngày bắt đầu và ngày kết thúc"),
                errors={"from": "required", "to": "required"},
            )
        if end < start:
            raise Invalid(
                msg("Ngày kết thúc phải sau ngày bắt đầu"),
                errors={"to": "before start"},
            )
        if (end - start).days > MAX_PERIOD_DAYS:
            raise Invalid(
                msg("Khoảng thời gian tối đa là 3 năm"),
                errors={"to": "too long"},
            )
        return Period(kind, start, end)
    first = today.replace(day=1)
    for _ in range(5):
        first = (first - timedelta(days=1)).replace(day=1)
    return Period(PERIOD_SIX_MONTHS, first, today)


def narrow(scope: Scope, commune_id: int | None) -> Scope:
    """The scope limited to one commune of it; a commune outside the scope is 404."""
    if commune_id is None:
        return scope
    if not scope.allows(commune_id):
        raise NotFound(msg("Không tìm thấy xã: %(commune_id)s", commune_id=commune_id))
    return Scope(frozenset({commune_id}))


def communes_in_scope(session: Session, scope: Scope) -> list[AdminUnit]:
    stmt = restrict(
        select(AdminUnit).where(AdminUnit.level == UnitLevel.COMMUNE), AdminUnit.id, scope
    )
    return list(session.scalars(stmt.order_by(AdminUnit.name)))


def procedures_for_filter(session: Session) -> list[Procedure]:
    return list(session.scalars(select(Procedure).order_by(Procedure.name_vi)))


# ---------------------------------------------------------------------------------------
# Dossiers
# ---------------------------------------------------------------------------------------


@dataclass
class DossierCounts:
    received: int = 0
    returned: int = 0
    on_time: int = 0
    overdue: int = 0

    def add(self, other: DossierCounts) -> None:
        self.received += other.received
        self.returned += other.returned
        self.on_time += other.on_time
        self.overdue += other.overdue

    @property
    def on_time_rate(self) -> float | None:
        """Share of returned results given back on time, or None if none was returned."""
        return self.on_time / self.returned if self.returned else None


@dataclass
class MonthCounts:
    year: int
    month: int
    counts: DossierCounts

    @property
    def label(self) -> str:
        return f"{self.month:02d}/{self.year}"


@dataclass
class ProcedureCounts:
    procedure_id: int
    code: str
    name_vi: str
    name_en: str
    counts: DossierCounts


@dataclass
class DossierStats:
    total: DossierCounts
    by_month: list[MonthCounts]
    top_procedures: list[ProcedureCounts]
    overdue_now: int
    due_today: int


def classify(
    status: DossierStatus, due: date, returned_at: datetime | None, *, today: date
) -> DossierCounts:
    """The counters one dossier adds to (see the module docstring)."""
    counts = DossierCounts(received=1)
    if status == DossierStatus.RESULT_RETURNED and returned_at is not None:
        counts.returned = 1
        if local_day(returned_at) <= due:
            counts.on_time = 1
        else:
            counts.overdue = 1
    elif status in CLOCK_RUNNING and due < today:
        counts.overdue = 1
    return counts


def _dossier_base(scope: Scope, procedure_id: int | None, stmt: SelectT) -> SelectT:
    stmt = restrict(stmt, Dossier.commune_id, scope).where(Dossier.deleted.is_(False))
    if procedure_id is not None:
        stmt = stmt.where(Dossier.procedure_id == procedure_id)
    return stmt


def dossier_stats(
    session: Session,
    scope: Scope,
    period: Period,
    *,
    today: date,
    procedure_id: int | None = None,
) -> DossierStats:
    stmt = _dossier_base(
        scope,
        procedure_id,
        select(
            Dossier.received_at,
            Dossier.effective_due_date,
            Dossier.status,
            Dossier.result_returned_at,
            Dossier.procedure_id,
        ),
    ).where(Dossier.received_at >= period.starts_at, Dossier.received_at < period.ends_before)
    months = {ym: DossierCounts() for ym in period.months()}
    per_procedure: dict[int, DossierCounts] = defaultdict(DossierCounts)
    total = DossierCounts()
    for received_at, due, status, returned_at, proc_id in session.execute(stmt):
        counts = classify(status, due, returned_at, today=today)
        day = local_day(received_at)
        months[(day.year, day.month)].add(counts)
        per_procedure[proc_id].add(counts)
        total.add(counts)
    top_ids = sorted(per_procedure, key=lambda pid: (-per_procedure[pid].received, pid))
    top_ids = top_ids[:TOP_PROCEDURES]
    procedures = {
        p.id: p for p in session.scalars(select(Procedure).where(Procedure.id.in_(top_ids)))
    }
    top = [
        ProcedureCounts(
            pid,
            procedures[pid].code,
            procedures[pid].name_vi,
            procedures[pid].name_en,
            per_procedure[pid],
        )
        for pid in top_ids
    ]
    open_now = _dossier_base(scope, procedure_id, select(func.count())).where(
        Dossier.status.in_(list(CLOCK_RUNNING))
    )
    return DossierStats(
        total=total,
        by_month=[MonthCounts(y, m, c) for (y, m), c in months.items()],
        top_procedures=top,
        overdue_now=session.scalar(open_now.where(Dossier.effective_due_date < today)) or 0,
        due_today=session.scalar(open_now.where(Dossier.effective_due_date == today)) or 0,
    )


# ---------------------------------------------------------------------------------------
# Satisfaction surveys
# ---------------------------------------------------------------------------------------


@dataclass
class Rate:
    satisfied: int = 0
    answers: int = 0
    responses: int = 0

    @property
    def rate(self) -> float | None:
        return self.satisfied / self.answers if self.answers else None


@dataclass
class CommuneRate:
    commune_id: int
    name: str  # "Xã Tả Van"
    short_name: str  # "Tả Van", for chart labels
    rate: Rate
    #: The index of Decision 1001/QĐ-BNV per element (``server.services.sipas``).
    sipas: SipasIndex = field(default_factory=SipasIndex)


@dataclass
class Satisfaction:
    total: Rate
    by_commune: list[CommuneRate]
    by_month: list[tuple[str, Rate]]
    #: The index of Decision 1001/QĐ-BNV per element, over the scope and period.
    sipas: SipasIndex = field(default_factory=SipasIndex)


def _likert_ids(form: SurveyForm) -> frozenset[str]:
    return frozenset(
        str(q["id"]) for q in form.questions if isinstance(q, dict) and q.get("type") == "likert5"
    )


def likert_answers(answers: dict[str, Any], likert_ids: Iterable[str]) -> list[int]:
    """The valid Likert answers (1-5) of one response; anything else is ignored."""
    values = []
    for question_id in likert_ids:
        value = answers.get(question_id)
        if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 5:
            values.append(value)
    return values


def satisfaction(session: Session, scope: Scope, period: Period) -> Satisfaction:
    stmt = restrict(
        select(
            SurveyResponse.commune_id,
            SurveyResponse.form_id,
            SurveyResponse.collected_at,
            SurveyResponse.answers,
        ),
        SurveyResponse.commune_id,
        scope,
    ).where(
        SurveyResponse.deleted.is_(False),
        SurveyResponse.collected_at >= period.starts_at,
        SurveyResponse.collected_at < period.ends_before,
    )
    forms: dict[int, frozenset[str]] = {}
    elements: dict[int, dict[str, str]] = {}
    total = Rate()
    per_commune: dict[int, Rate] = defaultdict(Rate)
    per_month = {ym: Rate() for ym in period.months()}
    sipas_total = SipasIndex()
    sipas_commune: dict[int, SipasIndex] = defaultdict(SipasIndex)
    for commune_id, form_id, collected_at, answers in session.execute(stmt):
        if form_id not in forms:
            form = session.get(SurveyForm, form_id)
            forms[form_id] = _likert_ids(form) if form is not None else frozenset()
            elements[form_id] = index_questions(form.questions) if form is not None else {}
        if elements[form_id]:
            sipas_total.add(answers or {}, elements[form_id])
            sipas_commune[commune_id].add(answers or {}, elements[form_id])
        values = likert_answers(answers or {}, forms[form_id])
        if not values:
            continue
        satisfied = sum(1 for v in values if v >= SATISFIED_MIN)
        day = local_day(collected_at)
        for rate in (total, per_commune[commune_id], per_month[(day.year, day.month)]):
            rate.satisfied += satisfied
            rate.answers += len(values)
            rate.responses += 1
    units = {c.id: c for c in communes_in_scope(session, scope)}
    by_commune = sorted(
        (
            CommuneRate(cid, units[cid].full_name, units[cid].name, rate, sipas_commune[cid])
            for cid, rate in per_commune.items()
            if cid in units
        ),
        key=lambda c: c.short_name,
    )
    return Satisfaction(
        total=total,
        by_commune=by_commune,
        by_month=[(f"{m:02d}/{y}", rate) for (y, m), rate in per_month.items()],
        sipas=sipas_total,
    )


# ---------------------------------------------------------------------------------------
# Feedback and ratings
# ---------------------------------------------------------------------------------------


@dataclass
class FeedbackStats:
    received: int = 0
    open: int = 0
    answered: int = 0
    answer_overdue: int = 0  # still open past its response due date
    average_answer_days: float | None = None
    recent_open: list[Feedback] = field(default_factory=list)


def feedback_stats(
    session: Session, scope: Scope, period: Period, *, today: date, recent: int = 5
) -> FeedbackStats:
    base = restrict(select(Feedback), Feedback.commune_id, scope).where(
        Feedback.deleted.is_(False),
        Feedback.received_at >= period.starts_at,
        Feedback.received_at < period.ends_before,
    )
    rows = session.execute(
        base.with_only_columns(
            Feedback.status, Feedback.received_at, Feedback.answered_at, Feedback.response_due_date
        )
    ).all()
    stats = FeedbackStats(received=len(rows))
    answer_days: list[int] = []
    for status, received_at, answered_at, response_due in rows:
        if status in OPEN_FEEDBACK:
            stats.open += 1
            if response_due is not None and response_due < today:
                stats.answer_overdue += 1
        elif status in ANSWERED_FEEDBACK:
            stats.answered += 1
            if answered_at is not None:
                answer_days.append(
                    max(0, working_days_between(local_day(received_at), local_day(answered_at)))
                )
    if answer_days:
        stats.average_answer_days = sum(answer_days) / len(answer_days)
    stats.recent_open = list(
        session.scalars(
            base.where(Feedback.status.in_(list(OPEN_FEEDBACK)))
            .order_by(Feedback.received_at.desc(), Feedback.id)
            .limit(recent)
        )
    )
    return stats


@dataclass
class RatingStats:
    count: int
    average: float | None
    recent: list[tuple[ServiceRating, str]]  # (rating, receipt number), approved comments
    pending: int = 0  # comments waiting for a leader's approval


def rating_stats(session: Session, scope: Scope, period: Period, *, recent: int = 5) -> RatingStats:
    base = restrict(select(ServiceRating), ServiceRating.commune_id, scope).where(
        ServiceRating.created_at >= period.starts_at,
        ServiceRating.created_at < period.ends_before,
    )
    count, average = session.execute(
        base.with_only_columns(func.count(), func.avg(ServiceRating.stars))
    ).one()
    # Comments reach the dashboard only once a leader approved them (the stars count
    # at once): a citizen's free text is not shown to everyone unread.
    latest = session.execute(
        base.add_columns(Dossier.receipt_number)
        .join(Dossier, Dossier.id == ServiceRating.dossier_id)
        .where(ServiceRating.comment != "", ServiceRating.comment_status == CommentStatus.APPROVED)
        .order_by(ServiceRating.updated_at.desc(), ServiceRating.id.desc())
        .limit(recent)
    ).all()
    pending = session.scalar(
        restrict(
            select(func.count()).select_from(ServiceRating), ServiceRating.commune_id, scope
        ).where(ServiceRating.comment != "", ServiceRating.comment_status == CommentStatus.PENDING)
    )
    return RatingStats(
        count=int(count or 0),
        average=float(average) if average is not None else None,
        recent=[(rating, number) for rating, number in latest],
        pending=int(pending or 0),
    )


# ---------------------------------------------------------------------------------------
# Devices
# ---------------------------------------------------------------------------------------


@dataclass
class DeviceHealth:
    device_id: str
    name: str
    device_no: int
    commune: str
    officer: str
    app_version: str | None
    last_sync_at: datetime | None
    revoked: bool
    open_conflicts: int
    stale: bool


@dataclass
class SyncHealth:
    devices: list[DeviceHealth]
    open_conflicts: int


def sync_health(session: Session, scope: Scope, *, now: datetime) -> SyncHealth:
    conflicts = restrict(
        select(SyncConflict.lost_device_id, func.count()),
        SyncConflict.commune_id,
        scope,
    ).where(SyncConflict.status == "open", SyncConflict.deleted.is_(False))
    per_device: dict[str | None, int] = {
        device_id: int(n)
        for device_id, n in session.execute(conflicts.group_by(SyncConflict.lost_device_id))
    }
    rows = session.execute(
        restrict(
            select(Device, AdminUnit.kind, AdminUnit.name, Officer.full_name)
            .join(AdminUnit, AdminUnit.id == Device.commune_id)
            .join(Officer, Officer.id == Device.officer_id),
            Device.commune_id,
            scope,
        ).order_by(AdminUnit.name, Device.device_no)
    ).all()
    devices = [
        DeviceHealth(
            device_id=device.id,
            name=device.name,
            device_no=device.device_no,
            commune=f"{kind} {name}",
            officer=officer,
            app_version=device.app_version,
            last_sync_at=device.last_sync_at,
            revoked=device.revoked,
            open_conflicts=per_device.get(device.id, 0),
            stale=not device.revoked
            and (device.last_sync_at is None or now - device.last_sync_at > STALE_SYNC),
        )
        for device, kind, name, officer in rows
    ]
    return SyncHealth(devices=devices, open_conflicts=sum(per_device.values()))


# ---------------------------------------------------------------------------------------
# The whole dashboard
# ---------------------------------------------------------------------------------------


@dataclass
class Dashboard:
    period: Period
    communes: list[AdminUnit]
    dossiers: DossierStats
    satisfaction: Satisfaction
    feedback: FeedbackStats
    ratings: RatingStats
    sync: SyncHealth


def dashboard(
    session: Session,
    scope: Scope,
    period: Period,
    *,
    now: datetime,
    commune_id: int | None = None,
    procedure_id: int | None = None,
) -> Dashboard:
    """Everything the dashboard shows, for ``scope`` narrowed to ``commune_id``."""
    today = office_today(now)
    narrowed = narrow(scope, commune_id)
    return Dashboard(
        period=period,
        communes=communes_in_scope(session, narrowed),
        dossiers=dossier_stats(session, narrowed, period, today=today, procedure_id=procedure_id),
        satisfaction=satisfaction(session, narrowed, period),
        feedback=feedback_stats(session, narrowed, period, today=today),
        ratings=rating_stats(session, narrowed, period),
        sync=sync_health(session, narrowed, now=now),
    )
