"""Offset pagination for list endpoints (sync pulls use cursors instead)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session


def paginate(session: Session, stmt: Select[Any], page: int, per_page: int) -> dict[str, Any]:
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    items = session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)).all()
    return {"items": items, "total": total or 0, "page": page, "per_page": per_page}
