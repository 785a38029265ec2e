"""Shared dossiers: the records of a dossier in the change streams of every commune
involved (filing anywhere in the province, Decree 118/2025/NĐ-CP).

A dossier's home is its RECEIVING commune (``Dossier.commune_id``): the dossier and every
record of it (timeline events, apologies, photos, conflicts about it) carry that
``commune_id`` and a ``seq`` from that commune's counter, as before. The SETTLING and
RETURN communes, when they differ, are *involved* too: each gets a :class:`ScopeEntry`
per record, numbered from ITS OWN counter. Every write of such a record takes a new
number in each involved commune's scope, under that counter's row lock and in the
writer's transaction, exactly as a home write does; so a puller's cursor in that scope
can never step over it (G4, ``server/sync/pull.py``).

When a commune becomes involved (a handover, a new return commune), every record of
the dossier, old ones included, gets a fresh number in its scope: the records reach
its tablets by their normal pull even though their home numbers are far behind.
When a commune stops being involved its entries are marked ``gone`` with a fresh
number: its tablets get a removal and forget the records (PROTOCOL.md §7 "Shared
dossiers"), and no later change reaches them.

Writers lock every counter they will number from in ascending scope order
(:func:`lock_communes`), so two writers of the same shared dossier from different
communes cannot deadlock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import (
    Attachment,
    Dossier,
    DossierApology,
    DossierEvent,
    ScopeEntry,
    SyncConflict,
)
from server.services.changes import commune_scope, next_seq, numbers_held

#: Collections whose records belong to a dossier and are shared with it.
SHARED_COLLECTIONS = ("dossier", "dossier_event", "dossier_apology", "attachment", "sync_conflict")


def involved_communes(dossier: Dossier) -> frozenset[int]:
    """The communes that see the dossier: receiving, settling and return."""
    ids = {dossier.commune_id, dossier.settling_commune_id, dossier.return_commune_id}
    return frozenset(i for i in ids if i is not None)


def dossier_id_of(collection: str, record: Any) -> str | None:
    """The dossier a record belongs to (``record``: a row, or a mapping of its fields)."""

    def get(name: str) -> Any:
        if isinstance(record, Mapping):
            return record.get(name)
        return getattr(record, name, None)

    if collection == "dossier":
        value = get("id")
    elif collection in ("dossier_event", "dossier_apology"):
        value = get("dossier_id")
    elif collection == "attachment":
        value = get("owner_id") if get("owner_collection") == "dossier" else None
    elif collection == "sync_conflict":
        value = get("record_id") if get("collection") == "dossier" else None
    else:
        value = None
    return value if isinstance(value, str) else None


#: Finds a stored row by collection and id: a push's store passes its own (``row``), which
#: knows the rows of the push not yet flushed, so a lookup does not flush them one by one.
Find = Callable[[str, str], Any]


def dossier_of(
    session: Session, collection: str, record: Any, find: Find | None = None
) -> Dossier | None:
    if collection == "dossier" and isinstance(record, Dossier):
        return record
    dossier_id = dossier_id_of(collection, record)
    if dossier_id is None:
        return None
    found = find("dossier", dossier_id) if find else session.get(Dossier, dossier_id)
    return found if isinstance(found, Dossier) else None


def communes_seeing(
    session: Session, collection: str, record: Any, find: Find | None = None
) -> frozenset[int]:
    """Every commune that sees a stored record: its home, and for a record of a shared
    dossier every commune involved in that dossier."""
    dossier = dossier_of(session, collection, record, find)
    home = frozenset({int(record.commune_id)})
    return home if dossier is None else home | involved_communes(dossier)


def record_keys(session: Session, dossier_id: str) -> list[tuple[str, str]]:
    """(collection, id) of the dossier and every record of it."""
    keys = [("dossier", dossier_id)]
    for collection, model, column in (
        ("dossier_event", DossierEvent, DossierEvent.dossier_id),
        ("dossier_apology", DossierApology, DossierApology.dossier_id),
    ):
        keys += [
            (collection, i) for i in session.scalars(select(model.id).where(column == dossier_id))
        ]
    keys += [
        ("attachment", i)
        for i in session.scalars(
            select(Attachment.id).where(
                Attachment.owner_collection == "dossier", Attachment.owner_id == dossier_id
            )
        )
    ]
    keys += [
        ("sync_conflict", i)
        for i in session.scalars(
            select(SyncConflict.id).where(
                SyncConflict.collection == "dossier", SyncConflict.record_id == dossier_id
            )
        )
    ]
    return keys


def _entries(session: Session, collection: str, record_ids: Iterable[str]) -> dict[Any, ScopeEntry]:
    ids = sorted(set(record_ids))
    found: dict[Any, ScopeEntry] = {}
    for start in range(0, len(ids), 500):
        for entry in session.scalars(
            select(ScopeEntry).where(
                ScopeEntry.collection == collection,
                ScopeEntry.record_id.in_(ids[start : start + 500]),
            )
        ):
            found[(entry.commune_id, entry.record_id)] = entry
    return found


def _number(
    session: Session,
    known: dict[Any, ScopeEntry],
    commune_id: int,
    collection: str,
    record_id: str,
    *,
    gone: bool,
    held: bool = False,
) -> None:
    entry = known.get((commune_id, record_id))
    if entry is None and gone and not held:
        return  # never sent there: nothing to remove
    seq = next_seq(session, commune_scope(commune_id))
    if entry is None:
        entry = ScopeEntry(
            commune_id=commune_id, collection=collection, record_id=record_id, seq=seq, gone=gone
        )
        session.add(entry)
        known[(commune_id, record_id)] = entry
    else:
        entry.seq = seq
        entry.gone = gone


def after_write(
    session: Session,
    collection: str,
    row: Any,
    before: frozenset[int] | None = None,
    writer: int | None = None,
    find: Find | None = None,
) -> None:
    """Number a record just written in every other involved commune's scope.

    ``before``: for a dossier, the communes involved before this write; those that
    joined get every record of the dossier, those that left get removals. ``writer``:
    the commune whose device wrote it; if it is not involved (the event of the handover
    it just made) it gets a removal too, as its tablet holds the record.
    """
    if collection not in SHARED_COLLECTIONS:
        return
    dossier = dossier_of(session, collection, row, find)
    if dossier is None:
        return
    home = dossier.commune_id
    now = involved_communes(dossier) - {home}
    if collection == "dossier" and before is not None:
        was = before - {home}
        joined, left = now - was, was - now
        if joined or left:
            keys = record_keys(session, dossier.id)
            _move(session, keys, joined, left)
            now = now - joined  # numbered just now, the dossier included
    outsider = writer is not None and writer not in involved_communes(dossier)
    if not now and not outsider:
        return
    known = _entries(session, collection, [row.id])
    for commune_id in sorted(now):
        _number(session, known, commune_id, collection, row.id, gone=False)
    if outsider:
        assert writer is not None
        _number(session, known, writer, collection, row.id, gone=True, held=True)


def _move(
    session: Session,
    keys: list[tuple[str, str]],
    joined: set[int] | frozenset[int],
    left: set[int] | frozenset[int],
) -> None:
    by_collection: dict[str, list[str]] = {}
    for collection, record_id in keys:
        by_collection.setdefault(collection, []).append(record_id)
    for collection, ids in by_collection.items():
        known = _entries(session, collection, ids)
        for commune_id in sorted(joined | left):
            for record_id in ids:
                _number(session, known, commune_id, collection, record_id, gone=commune_id in left)


@contextmanager
def lock_communes(session: Session, commune_ids: Iterable[int]) -> Iterator[None]:
    """Lock these communes' counters in ascending order and hand their numbers out in
    memory (``changes.numbers_held``) until the block ends (no commit inside)."""
    from server.sync.store import lock_commune

    with ExitStack() as stack:
        for commune_id in sorted(set(commune_ids)):
            locked_at = lock_commune(session, commune_id)
            stack.enter_context(numbers_held(session, commune_scope(commune_id), locked_at))
        yield


def share_new_dossier(session: Session, dossier: Dossier) -> None:
    """Enter a dossier made outside the field store (web intake) and its records into
    every other involved commune's scope. The caller holds those counters' locks."""
    others = involved_communes(dossier) - {dossier.commune_id}
    if others:
        session.flush()
        _move(session, record_keys(session, dossier.id), others, frozenset())


def lock_dossier(session: Session, dossier: Dossier) -> None:
    """Lock the counters of every commune involved in the dossier, in ascending order,
    before a server writer (the admin web) numbers its records."""
    from server.sync.store import lock_commune

    for commune_id in sorted(involved_communes(dossier)):
        lock_commune(session, commune_id)
