"""One page of a SELECT, the way every admin list shows it (25 rows, page numbers clamped)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from server.services.dossier_admin import PER_PAGE, Page

__all__ = ["PER_PAGE", "Page", "page_of"]


def page_of(
    session: Session,
    stmt: Select[Any],
    page: int,
    *,
    per_page: int = PER_PAGE,
    scalars: bool = True,
) -> Page:
    """Count ``stmt``, clamp ``page`` to the pages there are and fetch that page.

    ``stmt`` must already be ordered. With ``scalars=False`` the items are row tuples.
    """
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    limited = stmt.limit(per_page).offset((page - 1) * per_page)
    items: list[Any] = (
        list(session.scalars(limited)) if scalars else [tuple(r) for r in session.execute(limited)]
    )
    return Page(items, page, per_page, int(total))
