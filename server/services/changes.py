"""Stamping writes with the change sequence of their scope.

Each scope (``global`` or ``commune:<id>``) has one counter row. A writer increments it
with ``UPDATE … RETURNING`` which holds the row lock until the transaction ends, so two
transactions in the same scope commit in the order of their numbers. That is what lets
a pull cursor advance past ``n`` knowing that no change ``≤ n`` can still appear.

A writer that stamps many records in one transaction (a push) may instead lock the row
once and hand the numbers out in memory (:func:`numbers_held`): it holds the row lock
from the start, so nobody else takes a number meanwhile, and it writes the last number
back into the row before the transaction commits. Pullers read the counter as
committed, so they see the new value together with the records, exactly as with one
``UPDATE`` per record. Numbers taken inside a savepoint that is rolled back are not
reused: they become gaps, which a cursor simply passes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, insert, select, update
from sqlalchemy.orm import Session

from server.models import SyncCounter

GLOBAL_SCOPE = "global"
#: ``Session.info`` key of the counters a transaction holds in memory (scope → counter).
_HELD = "motcua.held_counters"


def commune_scope(commune_id: int) -> str:
    return f"commune:{commune_id}"


@dataclass
class _HeldCounter:
    locked_at: int  # the row's value when it was locked
    last: int  # the last number handed out


def next_seq(session: Session, scope: str, count: int = 1) -> int:
    """Reserve ``count`` numbers in ``scope`` and return the last one."""
    held: dict[str, _HeldCounter] | None = session.info.get(_HELD)
    counter = held.get(scope) if held else None
    if counter is not None:
        counter.last += count
        return counter.last
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


@contextmanager
def numbers_held(session: Session, scope: str, locked_at: int) -> Iterator[None]:
    """Hand out ``scope``'s numbers in memory; write the last one back at the end.

    The caller MUST already hold the scope's counter row lock (``lock_scope``, which
    returns ``locked_at``, the row's value) in the current transaction, and MUST NOT
    commit inside the block. On a normal exit the row gets the last number handed out
    (in the same transaction, so it commits with the records); if the block raises,
    nothing is written and the caller's transaction is expected to roll back.
    """
    held: dict[str, _HeldCounter] = session.info.setdefault(_HELD, {})
    if scope in held:  # already held further up: that holder writes it back
        yield
        return
    counter = _HeldCounter(locked_at, locked_at)
    held[scope] = counter
    try:
        yield
    finally:
        del held[scope]
    if counter.last != counter.locked_at:
        session.execute(
            update(SyncCounter)
            .where(SyncCounter.scope == scope)
            .values(
                last_seq=case(
                    (SyncCounter.last_seq < counter.last, counter.last),
                    else_=SyncCounter.last_seq,
                )
            )
            .execution_options(synchronize_session=False)
        )


def stamp(session: Session, record: Any) -> None:
    """Give a commune-owned record the next sequence number of its commune."""
    record.seq = next_seq(session, commune_scope(record.commune_id))


def stamp_global(session: Session, record: Any) -> None:
    record.seq = next_seq(session, GLOBAL_SCOPE)


def current_seq(session: Session, scope: str) -> int:
    value = session.scalar(select(SyncCounter.last_seq).where(SyncCounter.scope == scope))
    return int(value or 0)
