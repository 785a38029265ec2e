"""Recording who did what, from which device (nhật ký hệ thống)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from server.models import AdminUnit, AuditEntry, Officer
from server.services.errors import NotFound
from server.translatable import msg


def record(
    session: Session,
    action: str,
    *,
    officer_id: int | None = None,
    device_id: str | None = None,
    commune_id: int | None = None,
    entity: str | None = None,
    entity_id: Any = None,
    detail: dict[str, Any] | None = None,
    remote_addr: str | None = None,
) -> AuditEntry:
    entry = AuditEntry(
        action=action,
        officer_id=officer_id,
        device_id=device_id,
        commune_id=commune_id,
        entity=entity,
        entity_id=None if entity_id is None else str(entity_id),
        detail=detail or {},
        remote_addr=remote_addr,
    )
    session.add(entry)
    return entry


# ---------------------------------------------------------------------------------------
# Reading the log (admin web)
# ---------------------------------------------------------------------------------------

MAX_ACTION_LENGTH = 60


@dataclass(frozen=True)
class AuditFilter:
    officer_id: int | None = None
    action: str = ""  # an exact action, or a prefix ending with "." ("dossier.")
    commune_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    page: int = 1


@dataclass
class AuditRow:
    entry: AuditEntry
    officer: str | None
    unit: str | None


def _limited(stmt: Select[Any], unit_ids: frozenset[int] | None) -> Select[Any]:
    """Entries of the given units (None: all, including those of no unit)."""
    if unit_ids is None:
        return stmt
    return stmt.where(AuditEntry.commune_id.in_(unit_ids))


def search(
    session: Session,
    unit_ids: frozenset[int] | None,
    filters: AuditFilter,
    *,
    per_page: int = 50,
) -> Any:
    """Entries of ``unit_ids`` matching ``filters``, newest first (a listing Page)."""
    from server.services.listing import page_of
    from server.services.reports import day_start

    if filters.commune_id is not None:
        if unit_ids is not None and filters.commune_id not in unit_ids:
            raise NotFound(
                msg("Không tìm thấy đơn vị: %(commune_id)s", commune_id=filters.commune_id)
            )
        unit_ids = frozenset({filters.commune_id})
    stmt = _limited(select(AuditEntry), unit_ids)
    if filters.officer_id is not None:
        stmt = stmt.where(AuditEntry.officer_id == filters.officer_id)
    action = filters.action.strip()[:MAX_ACTION_LENGTH]
    if action.endswith("."):
        stmt = stmt.where(AuditEntry.action.startswith(action, autoescape=True))
    elif action:
        stmt = stmt.where(AuditEntry.action == action)
    if filters.date_from is not None:
        stmt = stmt.where(AuditEntry.at >= day_start(filters.date_from))
    if filters.date_to is not None:
        stmt = stmt.where(AuditEntry.at < day_start(filters.date_to + timedelta(days=1)))
    page = page_of(
        session,
        stmt.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()),
        filters.page,
        per_page=per_page,
    )
    officer_ids = {e.officer_id for e in page.items if e.officer_id}
    names = {
        o.id: o.full_name
        for o in session.scalars(select(Officer).where(Officer.id.in_(officer_ids)))
    }
    unit_ids_shown = {e.commune_id for e in page.items if e.commune_id}
    units = {
        u.id: u.full_name
        for u in session.scalars(select(AdminUnit).where(AdminUnit.id.in_(unit_ids_shown)))
    }
    page.items = [
        AuditRow(
            e,
            names.get(e.officer_id) if e.officer_id else None,
            units.get(e.commune_id) if e.commune_id else None,
        )
        for e in page.items
    ]
    return page


def actions(session: Session, unit_ids: frozenset[int] | None) -> list[str]:
    """The distinct actions recorded in these units, for the filter's choices."""
    stmt = _limited(select(AuditEntry.action).distinct(), unit_ids)
    return sorted(session.scalars(stmt))


def officers(session: Session, unit_ids: frozenset[int] | None) -> list[Officer]:
    """Officers of these units, for the filter's choices."""
    stmt = select(Officer)
    if unit_ids is not None:
        stmt = stmt.where(Officer.unit_id.in_(unit_ids))
    return list(session.scalars(stmt.order_by(Officer.full_name, Officer.id)))
