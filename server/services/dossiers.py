"""Dossier intake and queries (tiếp nhận và tra cứu hồ sơ)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from server.models import AdminUnit, Dossier, DossierEvent, Officer, Procedure, UnitLevel, utcnow
from server.scoping import Scope, restrict_dossiers
from server.services import day_offs, handover
from server.services.changes import next_seq, stamp
from server.services.errors import Invalid
from server.sync import shared
from server.sync.store import lock_commune
from server.translatable import msg
from sync.domain import Channel, DossierStatus, cccd_problem, phone_problem
from sync.forms import clean_parties, clean_values, value_problems
from sync.ids import new_id
from sync.receipts import SERVER_DEVICE_NO, format_receipt_number
from sync.schema import OLDEST_EVENT
from sync.text import fold
from sync.workdays import OFFICE_TZ

OLDEST_BIRTH = date(1900, 1, 1)
#: How far in the future a receipt time may be before it is called impossible.
MAX_CLOCK_AHEAD = timedelta(minutes=10)


@dataclass
class ApplicantInput:
    name: str
    cccd: str | None = None
    dob: date | None = None
    phone: str | None = None
    address: str | None = None


@dataclass
class DossierInput:
    commune_id: int
    procedure_id: int
    applicant: ApplicantInput
    channel: Channel = Channel.COUNTER
    village_id: int | None = None
    received_at: datetime | None = None
    provided_documents: list[int] = field(default_factory=list)  # indexes into the checklist
    note: str = ""
    #: The procedure form's values (``sync.forms``): role → field → value; key → value.
    parties: dict[str, Any] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)
    #: "Trường hợp cần xác minh": the longer limit applies (Law on Civil Status art. 18(2)).
    verification_needed: bool = False
    #: Filing anywhere in the province (Decree 118/2025/NĐ-CP): the commune competent to
    #: settle the dossier and where the result is returned; None = ``commune_id`` (the
    #: receiving commune). Checked by ``handover.settling_problems``.
    settling_commune_id: int | None = None
    return_commune_id: int | None = None


def validate_applicant(applicant: ApplicantInput, *, today: date) -> dict[str, str]:
    """Field → message for everything wrong with the applicant; empty if all is well."""
    problems: dict[str, str] = {}
    if not applicant.name.strip():
        problems["name"] = msg("Họ tên người nộp không được để trống")
    if applicant.cccd:
        cccd_issue = cccd_problem(applicant.cccd)
        if cccd_issue:
            problems["cccd"] = cccd_issue
    if applicant.dob is not None and not OLDEST_BIRTH <= applicant.dob <= today:
        problems["dob"] = msg(
            "Ngày sinh %(value)s không hợp lệ: phải từ %(value2)s đến hôm nay",
            value=applicant.dob.isoformat(),
            value2=OLDEST_BIRTH.isoformat(),
        )
    if applicant.phone:
        phone_issue = phone_problem(applicant.phone)
        if phone_issue:
            problems["phone"] = phone_issue
    return problems


def next_receipt_number(session: Session, commune: AdminUnit, year: int) -> str:
    """A receipt number issued by the server itself (device number 0)."""
    serial = next_seq(session, f"receipt:{commune.id}:{year}:{SERVER_DEVICE_NO}")
    return format_receipt_number(commune.code or str(commune.id), year, SERVER_DEVICE_NO, serial)


def create_dossier(
    session: Session,
    data: DossierInput,
    *,
    scope: Scope,
    officer: Officer | None,
    device_id: str | None = None,
    now: datetime | None = None,
) -> Dossier:
    """Receive a dossier online or at the counter: validate, compute the due date, log it."""
    scope.require(data.commune_id)
    now = now or utcnow()
    received_at = data.received_at or now
    problems = validate_applicant(data.applicant, today=now.astimezone(OFFICE_TZ).date())
    if received_at.tzinfo is None:
        problems["received_at"] = msg("Thời điểm tiếp nhận phải có múi giờ")
    elif received_at > now + MAX_CLOCK_AHEAD:
        problems["received_at"] = msg("Thời điểm tiếp nhận ở tương lai")
    elif received_at.year < OLDEST_EVENT.year:
        problems["received_at"] = msg(
            "Thời điểm tiếp nhận trước năm %(year)s không hợp lệ", year=OLDEST_EVENT.year
        )
    procedure = session.get(Procedure, data.procedure_id)
    if procedure is None or not procedure.active:
        problems["procedure_id"] = msg(
            "Thủ tục %(procedure_id)s không tồn tại", procedure_id=data.procedure_id
        )
    else:
        parties, facts = clean_parties(data.parties), clean_values(data.facts)
        problems.update(
            value_problems(procedure.form, parties, facts, today=now.astimezone(OFFICE_TZ).date())
        )
    commune = session.get(AdminUnit, data.commune_id)
    if commune is None or commune.level != UnitLevel.COMMUNE:
        problems["commune_id"] = msg("Xã không tồn tại")
    if data.village_id is not None:
        village = session.get(AdminUnit, data.village_id)
        if village is None or village.parent_id != data.commune_id:
            problems["village_id"] = msg("Thôn/bản không thuộc xã này")
    if commune is not None:
        problems.update(
            handover.settling_problems(
                session, procedure, commune.id, data.settling_commune_id, data.return_commune_id
            )
        )
    if problems:
        raise Invalid(msg("Hồ sơ chưa hợp lệ"), errors=problems)
    assert procedure is not None
    assert commune is not None
    settling_id = data.settling_commune_id or commune.id
    return_id = data.return_commune_id or commune.id

    checklist = [
        {**doc, "provided": index in data.provided_documents}
        for index, doc in enumerate(procedure.required_documents)
    ]
    local_year = received_at.astimezone(OFFICE_TZ).year
    due, verification_due = day_offs.due_dates(session, procedure, received_at)
    dossier = Dossier(
        id=new_id(),
        commune_id=commune.id,
        receipt_number=next_receipt_number(session, commune, local_year),
        procedure_id=procedure.id,
        applicant_name=data.applicant.name.strip(),
        applicant_cccd=data.applicant.cccd,
        applicant_dob=data.applicant.dob,
        applicant_phone=data.applicant.phone,
        applicant_address=data.applicant.address,
        village_id=data.village_id,
        channel=data.channel,
        received_at=received_at,
        due_date=due,
        verification_needed=data.verification_needed and verification_due is not None,
        verification_due_date=verification_due,
        status=DossierStatus.RECEIVED,
        handler_id=officer.id if officer else None,
        documents=checklist,
        note=data.note,
        parties=clean_parties(data.parties),
        facts=clean_values(data.facts),
        origin_device_id=device_id,
        settling_commune_id=settling_id,
        return_commune_id=return_id,
    )
    # Every counter the dossier is numbered in, in ascending order (server/sync/shared.py).
    for involved in sorted(shared.involved_communes(dossier)):
        lock_commune(session, involved)
    session.add(dossier)
    stamp(session, dossier)
    event = DossierEvent(
        id=new_id(),
        commune_id=commune.id,
        dossier_id=dossier.id,
        kind="received",
        occurred_at=received_at,
        officer_id=officer.id if officer else None,
        to_status=DossierStatus.RECEIVED.value,
        origin_device_id=device_id,
    )
    session.add(event)
    stamp(session, event)
    session.flush()
    if settling_id != commune.id:
        # Received for another commune: the intake hands it over at once (the dossier and
        # its photos reach the settling commune by sync), a timeline event like any other.
        handed = DossierEvent(
            id=new_id(),
            commune_id=commune.id,
            dossier_id=dossier.id,
            kind=handover.HANDED_OVER,
            occurred_at=received_at,
            officer_id=officer.id if officer else None,
            note="",
            data={"from_commune_id": commune.id, "to_commune_id": settling_id, "reason": ""},
            origin_device_id=device_id,
        )
        session.add(handed)
        stamp(session, handed)  # numbered like the received event: the home tablets pull it
        session.flush()
        shared.share_new_dossier(session, dossier)
    return dossier


@dataclass
class DossierFilter:
    status: DossierStatus | None = None
    overdue_on: date | None = None  # only open dossiers due before this day
    q: str | None = None  # receipt number, applicant name or citizen ID


def dossier_query(scope: Scope, filters: DossierFilter) -> Select[Dossier]:
    from sync.domain import CLOCK_RUNNING

    stmt = restrict_dossiers(select(Dossier), scope).where(Dossier.deleted.is_(False))
    if filters.status is not None:
        stmt = stmt.where(Dossier.status == filters.status)
    if filters.overdue_on is not None:
        stmt = stmt.where(
            Dossier.effective_due_date < filters.overdue_on,
            Dossier.status.in_(list(CLOCK_RUNNING)),
        )
    if filters.q:
        term = filters.q.strip()
        stmt = stmt.where(
            or_(
                Dossier.receipt_number == term,
                Dossier.applicant_cccd == term,
                func.lower(Dossier.applicant_name).contains(term.lower()),
                # every party's name too, without diacritics (``dossier_search_key``)
                Dossier.search_key.contains(fold(term), autoescape=True),
            )
        )
    return stmt.order_by(Dossier.received_at.desc(), Dossier.id)


def count_by_status(session: Session, scope: Scope) -> dict[str, Any]:
    stmt = restrict_dossiers(select(Dossier.status, func.count()).group_by(Dossier.status), scope)
    return {status.value: n for status, n in session.execute(stmt)}
