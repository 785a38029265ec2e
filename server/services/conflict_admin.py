"""The conflicts queue of the admin web (xung đột đồng bộ): what a person must look at.

Listing and resolving are :mod:`server.sync.conflicts`; this module adds what a person
needs to decide: both values side by side, who wrote each (officer and tablet), when,
and which record it is. Resolving from the web goes through the same
:func:`~server.sync.conflicts.resolve_conflict` as the tablets' API, so the decided value
gets a server clock and syncs back to every tablet.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Float, Integer, select
from sqlalchemy.orm import Session

from server.models import AdminUnit, Device, Dossier, Feedback, Officer, SyncConflict
from server.models.base import UTCDateTime
from server.scoping import Scope
from server.services.errors import Invalid
from server.services.listing import Page, page_of
from server.services.reports import narrow
from server.sync import conflicts as service
from server.sync.clock import is_server_node
from server.sync.store import MODELS, to_wire
from sync.domain import ConflictResolution, ConflictStatus
from sync.hlc import Timestamp

PER_PAGE = 20
MAX_VALUE_TEXT = 5000


@dataclass
class Side:
    """One of the two values of a conflict and where it came from."""

    value: Any
    at: datetime | None
    device: Device | None
    officer: str | None
    by_server: bool


@dataclass
class ConflictView:
    conflict: SyncConflict
    commune: AdminUnit | None
    kept: Side
    lost: Side
    record: Dossier | Feedback | None
    resolved_by: str | None
    #: The field's value in the record now (after a resolution: the decided one).
    current: Any = None

    @property
    def is_open(self) -> bool:
        return self.conflict.status == ConflictStatus.OPEN.value

    @property
    def edit_text(self) -> str:
        """The kept value as the edit box starts with."""
        return value_text(self.kept.value)


def value_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _when(clock: str) -> tuple[datetime | None, str | None]:
    try:
        stamp = Timestamp.decode(clock)
    except ValueError:
        return None, None
    return datetime.fromtimestamp(stamp.wall_ms / 1000, UTC), stamp.node


def _side(
    value: Any,
    clock: str,
    device: Device | None,
    officer: Officer | None,
) -> Side:
    at, node = _when(clock)
    by_server = node is not None and is_server_node(node)
    if officer is None and device is not None:
        officer = device.officer
    return Side(value, at, device, officer.full_name if officer else None, by_server)


def _views(session: Session, conflicts: list[SyncConflict]) -> list[ConflictView]:
    device_ids = {
        d for c in conflicts for d in (c.kept_device_id, c.lost_device_id) if d is not None
    }
    devices = {d.id: d for d in session.scalars(select(Device).where(Device.id.in_(device_ids)))}
    officer_ids = {
        o for c in conflicts for o in (c.lost_officer_id, c.resolved_by_id) if o is not None
    }
    officers = {
        o.id: o for o in session.scalars(select(Officer).where(Officer.id.in_(officer_ids)))
    }
    communes = {
        u.id: u
        for u in session.scalars(
            select(AdminUnit).where(AdminUnit.id.in_({c.commune_id for c in conflicts}))
        )
    }
    views = []
    for c in conflicts:
        record: Dossier | Feedback | None = None
        if c.collection in ("dossier", "feedback"):
            found = session.get(MODELS[c.collection], c.record_id)
            if isinstance(found, Dossier | Feedback) and found.commune_id == c.commune_id:
                record = found
        kept_device = devices.get(c.kept_device_id) if c.kept_device_id else None
        lost_device = devices.get(c.lost_device_id) if c.lost_device_id else None
        lost_officer = officers.get(c.lost_officer_id) if c.lost_officer_id else None
        resolver = officers.get(c.resolved_by_id) if c.resolved_by_id else None
        views.append(
            ConflictView(
                conflict=c,
                commune=communes.get(c.commune_id),
                kept=_side(c.kept_value, c.kept_clock, kept_device, None),
                lost=_side(c.lost_value, c.lost_clock, lost_device, lost_officer),
                record=record,
                resolved_by=resolver.full_name if resolver else None,
                current=to_wire(getattr(record, c.field, None)) if record is not None else None,
            )
        )
    return views


def list_conflicts(
    session: Session,
    scope: Scope,
    *,
    status: ConflictStatus | None = ConflictStatus.OPEN,
    commune_id: int | None = None,
    page: int = 1,
) -> Page:
    """Conflicts of the scope (open ones first, newest first); items are ConflictView."""
    stmt = service.conflict_query(narrow(scope, commune_id), service.ConflictFilter(status=status))
    result = page_of(session, stmt, page, per_page=PER_PAGE)
    result.items = _views(session, result.items)
    return result


def count_open(session: Session, scope: Scope) -> int:
    return service.count_open(session, scope)


def parse_value(collection: str, field: str, text: str) -> Any:
    """A typed value from the edit box, by the type of the field's column.

    Empty text clears the field (None); the sync schema then checks the value.
    """
    if len(text) > MAX_VALUE_TEXT:
        raise Invalid(
            f"Giá trị dài quá {MAX_VALUE_TEXT} ký tự (the value is too long)",
            errors={"value": "too long"},
        )
    model = MODELS.get(collection)
    column = model.__table__.c.get(field) if model is not None else None
    stripped = text.strip()
    if column is None or isinstance(column.type, UTCDateTime | Date):
        return stripped or None
    kind = column.type
    try:
        if isinstance(kind, Boolean):
            lowered = stripped.lower()
            if lowered in ("", "none"):
                return None
            if lowered in ("true", "1", "có", "co", "yes", "đúng"):
                return True
            if lowered in ("false", "0", "không", "khong", "no", "sai"):
                return False
            raise ValueError(text)
        if isinstance(kind, Integer):
            return int(stripped) if stripped else None
        if isinstance(kind, Float):
            return float(stripped.replace(",", ".")) if stripped else None
        if isinstance(kind, JSON):
            return json.loads(stripped) if stripped else None
    except ValueError:
        raise Invalid(
            f"Giá trị {text[:60]!r} không đúng kiểu của trường {field} "
            f"(the value does not fit the field's type)",
            errors={"value": "wrong type"},
        ) from None
    # Text: kept as typed (only an entirely blank value clears a nullable field).
    return text if stripped or not column.nullable else None


def resolve(
    session: Session,
    scope: Scope,
    conflict_id: str,
    *,
    choice: str,
    text: str | None,
    officer: Officer,
    remote_addr: str | None = None,
) -> SyncConflict:
    """Keep, overturn, or write the typed value; the caller commits."""
    conflict = service.get_conflict(session, conflict_id, scope)
    value: Any = service.NO_VALUE
    if choice == ConflictResolution.EDITED.value:
        value = parse_value(conflict.collection, conflict.field, text or "")
    return service.resolve_conflict(
        session,
        conflict_id,
        scope=scope,
        choice=choice,
        value=value,
        officer_id=officer.id,
        remote_addr=remote_addr,
    )
