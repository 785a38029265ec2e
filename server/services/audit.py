"""Recording who did what, from which device (nhật ký hệ thống)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from server.models import AuditEntry


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
