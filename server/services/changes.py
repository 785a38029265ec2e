"""Stamping writes with the change sequence of their scope.

Each scope (``global`` or ``commune:<id>``) has one counter row. A writer increments it
with ``UPDATE … RETURNING`` which holds the row lock until the transaction ends, so two
transactions in the same scope commit in the order of their numbers. That is what lets
a pull cursor advance past ``n`` knowing that no change ``≤ n`` can still appear.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from server.models import SyncCounter

GLOBAL_SCOPE = "global"


def commune_scope(commune_id: int) -> str:
    return f"commune:{commune_id}"


def next_seq(session: Session, scope: str, count: int = 1) -> int:
    """Reserve ``count`` numbers in ``scope`` and return the last one."""
    stmt = (
        update(SyncCounter)
        .where(SyncCounter.scope == scope)
        .values(last_seq=SyncCounter.last_seq + count)
        .returning(SyncCounter.last_seq)
    )
    value = session.execute(stmt).scalar_one_or_none()
    if value is None:
        # First write in this scope. A concurrent first writer would hit the primary
        # key; the caller's transaction then fails and is retried like any conflict.
        session.execute(insert(SyncCounter).values(scope=scope, last_seq=count))
        return count
    return int(value)


def stamp(session: Session, record: Any) -> None:
    """Give a commune-owned record the next sequence number of its commune."""
    record.seq = next_seq(session, commune_scope(record.commune_id))


def stamp_global(session: Session, record: Any) -> None:
    record.seq = next_seq(session, GLOBAL_SCOPE)


def current_seq(session: Session, scope: str) -> int:
    value = session.scalar(select(SyncCounter.last_seq).where(SyncCounter.scope == scope))
    return int(value or 0)
