"""Official day-off decisions (quyết định nghỉ bù, làm bù) layered over the holidays.

The Government announces extra days off and make-up working days year by year, e.g.
notice 12729/VPCP-KGVX of 25/12/2025: Friday 02/01/2026 off, Saturday 10/01/2026
worked. Province and system administrators keep them in ``day_off_decision``; tablets
pull them as reference data ("day_off"), and every due date computed afterwards uses
them (``sync.workdays.DayOffDecisions``). A due date already computed and printed is
never changed by a later decision: the apology and extension flow (form 04) covers it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import DayOffDecision, Officer, Role
from server.services import audit
from server.services.changes import stamp_global
from server.services.errors import Forbidden, Invalid, NotFound
from server.translatable import msg
from sync import workdays
from sync.workdays import DayOffDecisions, DeadlineRule, is_working_day

DEFAULT_DAYS_OFF = Path(__file__).resolve().parent.parent / "catalog" / "days_off.json"
EDITORS = frozenset({Role.PROVINCE_ADMIN, Role.SYSTEM_ADMIN})
MAX_NOTE = 300


def read_default(path: Path = DEFAULT_DAYS_OFF) -> list[dict[str, Any]]:
    """The decisions shipped with the catalog (``[{"day", "working", "note"}]``)."""
    entries: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    return entries


def decisions_of(entries: list[dict[str, Any]]) -> DayOffDecisions:
    return DayOffDecisions.of((date.fromisoformat(e["day"]), bool(e["working"])) for e in entries)


def current(session: Session) -> DayOffDecisions:
    """The active decisions, for computing new due dates."""
    rows = session.execute(
        select(DayOffDecision.day, DayOffDecision.working).where(DayOffDecision.active)
    )
    return DayOffDecisions.of((day, working) for day, working in rows)


def due_dates(
    session: Session,
    procedure: Any,
    received_at: datetime,
    decisions: DayOffDecisions | None = None,
) -> tuple[date, date | None]:
    """``(due_date, verification_due_date)`` of a dossier received now.

    ``sync.workdays.appointment`` with the procedure's rule and the active day-off
    decisions (``decisions`` when the caller read them already, as a push does once for
    all its dossiers); the second date is None when the procedure has no verification
    extension.
    """
    if decisions is None:
        decisions = current(session)
    return workdays.due_dates(received_at, DeadlineRule.of(procedure), decisions)


def listing(session: Session) -> list[DayOffDecision]:
    return list(session.scalars(select(DayOffDecision).order_by(DayOffDecision.day.desc())))


def load_default(session: Session, entries: list[dict[str, Any]] | None = None) -> int:
    """Add the shipped decisions whose day is not in the table yet; returns how many."""
    entries = read_default() if entries is None else entries
    known = set(session.scalars(select(DayOffDecision.day)))
    added = 0
    for entry in entries:
        day = date.fromisoformat(entry["day"])
        if day in known:
            continue
        row = DayOffDecision(day=day, working=bool(entry["working"]), note=entry.get("note", ""))
        session.add(row)
        stamp_global(session, row)
        added += 1
    session.flush()
    return added


@dataclass(frozen=True)
class DecisionInput:
    day: date | None
    working: bool
    note: str


def _check_editor(by: Officer) -> None:
    if by.role not in EDITORS:
        raise Forbidden(msg("Chỉ quản trị tỉnh và hệ thống được sửa lịch nghỉ bù, làm bù"))


def save(
    session: Session, data: DecisionInput, *, by: Officer, remote_addr: str | None = None
) -> DayOffDecision:
    """Add (or re-activate, or change) the decision for ``data.day``; audited."""
    _check_editor(by)
    errors: dict[str, str] = {}
    note = data.note.strip()
    if data.day is None:
        errors["day"] = msg("Cần chọn ngày")
    if not note:
        errors["note"] = msg("Cần ghi căn cứ, ví dụ số văn bản")
    elif len(note) > MAX_NOTE:
        errors["note"] = msg("Tối đa %(MAX_NOTE)s ký tự", MAX_NOTE=MAX_NOTE)
    if data.day is not None and not errors:
        try:
            ordinary = is_working_day(data.day)
        except ValueError as error:
            errors["day"] = msg("Ngày ngoài lịch: %(error)s", error=error)
        else:
            if ordinary == data.working:
                errors["working"] = (
                    msg("Ngày này vốn đã là ngày làm việc")
                    if data.working
                    else msg("Ngày này vốn đã là ngày nghỉ")
                )
    if errors:
        raise Invalid(msg("Quyết định nghỉ bù, làm bù chưa hợp lệ"), errors=errors)
    assert data.day is not None
    row = session.scalar(select(DayOffDecision).where(DayOffDecision.day == data.day))
    before = None if row is None else {"working": row.working, "active": row.active}
    if row is None:
        row = DayOffDecision(day=data.day)
        session.add(row)
    row.working, row.note, row.active = data.working, note, True
    stamp_global(session, row)
    session.flush()
    audit.record(
        session,
        "day_off.save",
        officer_id=by.id,
        commune_id=by.unit_id,
        entity="day_off_decision",
        entity_id=row.id,
        detail={"day": data.day.isoformat(), "working": data.working, "note": note, "from": before},
        remote_addr=remote_addr,
    )
    return row


def withdraw(
    session: Session, decision_id: int, *, by: Officer, remote_addr: str | None = None
) -> DayOffDecision:
    """Withdraw a decision (kept inactive, so that tablets learn of it); audited."""
    _check_editor(by)
    row = session.get(DayOffDecision, decision_id)
    if row is None:
        raise NotFound(msg("Không tìm thấy quyết định: %(decision_id)s", decision_id=decision_id))
    if row.active:
        row.active = False
        stamp_global(session, row)
        audit.record(
            session,
            "day_off.withdraw",
            officer_id=by.id,
            commune_id=by.unit_id,
            entity="day_off_decision",
            entity_id=row.id,
            detail={"day": row.day.isoformat(), "working": row.working},
            remote_addr=remote_addr,
        )
        session.flush()
    return row
