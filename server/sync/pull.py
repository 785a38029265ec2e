"""Sending a tablet what changed since its cursor (PROTOCOL.md §7).

The cursor holds one sequence number per scope: the global scope of reference data and
the device's commune. A pull first reads each scope's counter as committed (a plain
read, no lock) and only sends changes up to it. Writers hold their scope's counter row
lock from the moment they take a number until they commit, and commit their records
with the counter, so every change numbered up to the committed counter is already
visible, and every change still in flight has a larger number. The cursor therefore
never passes a change that commits later (G4), whatever the isolation level, and even
though the collections are read by separate queries.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, or_, select, tuple_
from sqlalchemy.orm import Session

from server.models import (
    AdminUnit,
    DayOffDecision,
    Device,
    Procedure,
    ScopeEntry,
    SurveyForm,
    UnitLevel,
    survey_form_commune,
    utcnow,
)
from server.models.surveys import FormStatus
from server.services.changes import GLOBAL_SCOPE, commune_scope, current_seq
from server.sync.clock import server_clock
from server.sync.shared import SHARED_COLLECTIONS
from server.sync.store import MODELS, clock_entries, to_wire
from sync import wire
from sync.hlc import COUNTER_DIGITS, WALL_DIGITS, Timestamp
from sync.merge import DELETED
from sync.ops import Change, Cursor
from sync.schema import COLLECTIONS

MIN_BUDGET = 4 * 1024
MAX_BUDGET = 4 * 1024 * 1024
DEFAULT_BUDGET = 256 * 1024
#: Rows read per query at a time (see ``_Stream``): at least, at most.
MIN_ROWS = 100
MAX_ROWS = 5000
#: Bytes a change takes on the wire, about (to size the first read of each query).
ROW_BYTES = 512
#: Bytes of the response around the changes: {"now":…,"cursor":"…","more":false,"changes":[]}
_ENVELOPE_BYTES = 96
#: Length of a stamp's wall time and counter; the node follows (``sync.hlc``).
_STAMP_PREFIX = WALL_DIGITS + COUNTER_DIGITS

ADMIN_UNIT_FIELDS = ("code", "name", "kind", "level", "parent_id", "active")
PROCEDURE_FIELDS = (
    "code",
    "name_vi",
    "name_en",
    "field",
    "processing_days",
    "time_unit",
    "cutoff_15h",
    "extension_days",
    "extension_when_vi",
    "extension_when_en",
    "required_documents",
    "fee_vnd",
    "fee_note_vi",
    "fee_note_en",
    "legal_basis",
    "result_vi",
    "result_en",
    "active",
    "form",
    "receivable_anywhere",
)
#: An official day-off decision: ``working`` False = extra day off, True = make-up working
#: day; ``active`` False = withdrawn (sync.workdays.DayOffDecisions).
DAY_OFF_FIELDS = ("day", "working", "note", "active")
SURVEY_FORM_FIELDS = (
    "key",
    "version",
    "title_vi",
    "title_en",
    "questions",
    "status",
    "published_at",
)


def clamp_budget(budget: int | None) -> int:
    if budget is None:
        return DEFAULT_BUDGET
    return max(MIN_BUDGET, min(MAX_BUDGET, budget))


@dataclass(frozen=True)
class PullPage:
    now_ms: int
    cursor: Cursor
    more: bool
    changes: list[dict[str, Any]]  # wire form

    def to_wire(self) -> dict[str, Any]:
        return {
            "now": self.now_ms,
            "cursor": self.cursor.encode(),
            "more": self.more,
            "changes": self.changes,
        }


#: A seq-ordered query of one collection, its keyset columns (seq, id) and how a row
#: becomes a change.
_Query = tuple[Select[Any], tuple[Any, Any], Callable[[Any], dict[str, Any] | None]]


class _Row:
    """A row read without the ORM (cheaper, and nothing for the session to track), its
    columns as attributes like the model's."""

    def __init__(self, values: Mapping[Any, Any]) -> None:
        self.__dict__.update(values)

    def __getattr__(self, name: str) -> Any:  # for mypy: any column
        raise AttributeError(name)


class _Stream:
    """The rows of one seq-ordered query, read a chunk at a time as the page needs them.

    The next chunk starts after the last row read (keyset on ``(seq, id)``, an index
    range on the commune collections' ``(commune_id, seq, id)``), so nothing is skipped
    or read twice, and a page reads about as many rows as it sends rather than a fixed
    number from every collection. Chunks grow from ``first`` to ``MAX_ROWS``.
    """

    def __init__(self, session: Session, query: _Query, first: int) -> None:
        self.session = session
        self.stmt, self.keys, self.build = query
        self.size = first
        self.rows: deque[Any] = deque()
        self.after: tuple[int, Any] | None = None
        self.done = False

    def head(self) -> Any | None:
        if not self.rows and not self.done:
            self._fetch()
        return self.rows[0] if self.rows else None

    def _fetch(self) -> None:
        stmt = self.stmt
        if self.after is not None:
            seq, key = self.after
            # A row comparison: one range of the (commune_id, seq, id) index.
            stmt = stmt.where(tuple_(*self.keys) > tuple_(seq, key))
        result = self.session.connection().execute(stmt.limit(self.size))
        rows = [_Row(row._mapping) for row in result]
        self.done = len(rows) < self.size
        if rows:
            self.after = (int(rows[-1].seq), rows[-1].id)
            self.rows.extend(rows)
        self.size = min(MAX_ROWS, self.size * 2)


def _merged(
    session: Session, queries: Sequence[_Query], rows: int
) -> Iterator[tuple[int, Callable[[], dict[str, Any] | None]]]:
    """The rows of every query in seq order (ties: in the order of ``queries``), each as
    ``(seq, make the change)``; a query is read only as far as the caller goes.

    ``rows`` is about how many the caller will want from all queries together.
    """
    first = max(MIN_ROWS, min(MAX_ROWS, rows // max(1, len(queries))))
    streams = [_Stream(session, query, first) for query in queries]
    heap: list[tuple[int, int]] = []
    for index, stream in enumerate(streams):
        row = stream.head()
        if row is not None:
            heapq.heappush(heap, (int(row.seq), index))
    while heap:
        seq, index = heapq.heappop(heap)
        stream = streams[index]
        row = stream.rows.popleft()
        yield seq, _bind(stream.build, row)
        following = stream.head()
        if following is not None:
            heapq.heappush(heap, (int(following.seq), index))


def _bind(
    build: Callable[[Any], dict[str, Any] | None], row: Any
) -> Callable[[], dict[str, Any] | None]:
    return lambda: build(row)


def _reference_change(collection: str, names: Sequence[str]) -> Callable[[Any], dict[str, Any]]:
    def build(row: Any) -> dict[str, Any]:
        fields = {name: to_wire(getattr(row, name)) for name in names}
        return Change(collection, str(row.id), int(row.seq), fields).to_wire()

    return build


def record_change(
    collection: str,
    row: Any,
    own_node: str | None = None,
    own_device_id: str | None = None,
) -> dict[str, Any] | None:
    """A commune record as a change for a pulling device.

    Every field goes, except those whose current value was written by the pulling
    device itself (clock node ``own_node``): the device has them already. None when
    nothing is left to send. ``row`` is the model or a row with the same columns as
    attributes.
    """
    spec = COLLECTIONS[collection]
    entries = clock_entries(row)
    # Every field goes, not only those written after the device's cursor: a record
    # updated after the cursor passed its creation (between two pages) would otherwise
    # arrive without the fields it was created with.
    clocks = {
        name: clock
        for name, (clock, _seq) in entries.items()
        if name in spec.fields or name == DELETED
    }
    deleted = bool(row.deleted) and not spec.append_only
    names: Iterable[str] = spec.fields
    if own_node is not None:
        own = {name for name, clock in clocks.items() if _node(clock) == own_node}
        if own:
            clocks = {name: clock for name, clock in clocks.items() if name not in own}
        if row.origin_device_id == own_device_id:
            # The device created it: fields never written since hold the empties it
            # has, and those it wrote it has too. Only what others wrote goes.
            if not clocks:
                return None  # before converting any value: most of a device's own pull
            names = [name for name in spec.fields if name in clocks]
        elif own:
            names = [name for name in spec.fields if name not in own]
    fields = {name: to_wire(getattr(row, name)) for name in names}
    if own_node is not None and not clocks and not fields:
        return None
    return Change(collection, row.id, int(row.seq), fields, clocks, deleted).to_wire()


def _node(clock: str) -> str:
    """The node of a stored stamp (what ``Timestamp.decode(clock).node`` gives)."""
    if len(clock) <= _STAMP_PREFIX:
        return Timestamp.decode(clock).node  # raises for what is not a stamp
    return clock[_STAMP_PREFIX:]


def _reference_queries(device: Device, commune: AdminUnit, low: int, high: int) -> list[_Query]:
    province_id = commune.parent_id
    unit_scope = [AdminUnit.id == commune.id]
    if province_id is not None:
        unit_scope += [
            AdminUnit.id == province_id,
            (AdminUnit.parent_id == province_id) & (AdminUnit.level == UnitLevel.COMMUNE),
        ]
    unit_scope.append((AdminUnit.parent_id == commune.id) & (AdminUnit.level == UnitLevel.VILLAGE))
    units = (
        select(AdminUnit.__table__)
        .where(AdminUnit.seq > low, AdminUnit.seq <= high, or_(*unit_scope))
        .order_by(AdminUnit.seq, AdminUnit.id)
    )
    procedures = (
        select(Procedure.__table__)
        .where(Procedure.seq > low, Procedure.seq <= high)
        .order_by(Procedure.seq, Procedure.id)
    )
    forms = (
        select(SurveyForm.__table__)
        .join(survey_form_commune, survey_form_commune.c.form_id == SurveyForm.id)
        .where(
            survey_form_commune.c.commune_id == device.commune_id,
            SurveyForm.status != FormStatus.DRAFT,
            SurveyForm.seq > low,
            SurveyForm.seq <= high,
        )
        .order_by(SurveyForm.seq, SurveyForm.id)
    )
    days_off = (
        select(DayOffDecision.__table__)
        .where(DayOffDecision.seq > low, DayOffDecision.seq <= high)
        .order_by(DayOffDecision.seq, DayOffDecision.id)
    )
    return [
        (units, _keys(AdminUnit), _reference_change("admin_unit", ADMIN_UNIT_FIELDS)),
        (procedures, _keys(Procedure), _reference_change("procedure", PROCEDURE_FIELDS)),
        (forms, _keys(SurveyForm), _reference_change("survey_form", SURVEY_FORM_FIELDS)),
        (days_off, _keys(DayOffDecision), _reference_change("day_off", DAY_OFF_FIELDS)),
    ]


def _keys(model: type[Any]) -> tuple[Any, Any]:
    return (model.seq, model.id)


def _commune_queries(
    commune_id: int, low: int, high: int, own_node: str, own_device_id: str
) -> list[_Query]:
    """The commune's own records, and the records of other communes' dossiers it is
    involved in (``scope_entry``, server/sync/shared.py), each in its seq order."""
    queries: list[_Query] = []
    for collection, model in MODELS.items():
        stmt = (
            select(model.__table__)
            .where(model.commune_id == commune_id, model.seq > low, model.seq <= high)
            .order_by(model.seq, model.id)
        )
        queries.append((stmt, _keys(model), _commune_change(collection, own_node, own_device_id)))
    entry = ScopeEntry.__table__.c
    for collection in SHARED_COLLECTIONS:
        table = MODELS[collection].__table__
        columns = [column for column in table.c if column.name != "seq"]
        stmt = (
            select(*columns, entry.seq.label("seq"), entry.gone.label("scope_gone"))
            .select_from(ScopeEntry.__table__.join(table, table.c.id == entry.record_id))
            .where(
                entry.commune_id == commune_id,
                entry.collection == collection,
                entry.seq > low,
                entry.seq <= high,
            )
            .order_by(entry.seq, entry.record_id)
        )
        queries.append((stmt, (entry.seq, entry.record_id), _shared_change(collection)))
    return queries


def _commune_change(
    collection: str, own_node: str, own_device_id: str
) -> Callable[[Any], dict[str, Any] | None]:
    append_only = COLLECTIONS[collection].append_only

    def build(row: Any) -> dict[str, Any] | None:
        if collection == "dossier" and not (
            row.commune_id == row.settling_commune_id == row.return_commune_id
        ):
            # Shared: fields may have been written by another commune's device with the
            # same number, so the node does not say "this device" (PROTOCOL.md §7).
            return record_change(collection, row, None, own_device_id)
        if collection == "sync_conflict" and row.collection == "dossier":
            return record_change(collection, row, None, own_device_id)
        if append_only and row.origin_device_id != own_device_id:
            # Written once, by its origin device (and the server): not by this one, even
            # when a device of another commune with the same number made it.
            return record_change(collection, row, None, own_device_id)
        return record_change(collection, row, own_node, own_device_id)

    return build


def _shared_change(collection: str) -> Callable[[Any], dict[str, Any] | None]:
    """A record of a dossier received or settled elsewhere: every field goes (device
    numbers are per commune, so a stamp's node does not name this device), or a
    removal once the commune is no longer involved."""

    def build(row: Any) -> dict[str, Any] | None:
        if row.scope_gone:
            return Change(collection, row.id, int(row.seq), {}, gone=True).to_wire()
        return record_change(collection, row, None, None)

    return build


def pull(session: Session, device: Device, cursor: Cursor, budget: int | None) -> PullPage:
    """The next page of changes for ``device`` after ``cursor``, about ``budget`` bytes."""
    budget = clamp_budget(budget)
    device.last_sync_at = utcnow()
    commune = session.get(AdminUnit, device.commune_id)
    assert commune is not None
    # Committed counters first: every change numbered up to them is visible (G4).
    top_reference = current_seq(session, GLOBAL_SCOPE)
    top_commune = current_seq(session, commune_scope(device.commune_id))
    # A cursor from before a server restore is ahead of the counters: start that scope
    # again rather than never sending anything.
    reference_from = cursor.reference if cursor.reference <= top_reference else 0
    commune_from = cursor.commune if cursor.commune <= top_commune else 0
    # About as many rows as the budget holds, so a page reads little more than it sends
    # (queries read more, twice as many each time, when the page needs them).
    rows = budget // ROW_BYTES

    changes: list[dict[str, Any]] = []
    size = _ENVELOPE_BYTES

    def take(candidates: Iterable[tuple[int, Callable[[], dict[str, Any] | None]]]) -> int | None:
        """Add candidates within the budget; the seq of the last one if cut short."""
        nonlocal size
        last: int | None = None
        for seq, build in candidates:
            change = build()
            if change is None:  # only the device's own writes: nothing to send
                last = seq
                continue
            grow = len(wire.dumps(change)) + 1
            # Always at least one change; never cut between changes of the same seq.
            if changes and size + grow > budget and seq != last:
                return last if last is not None else -1
            changes.append(change)
            size += grow
            last = seq
        return None

    if reference_from < top_reference:
        queries = _reference_queries(device, commune, reference_from, top_reference)
        cut = take(_merged(session, queries, rows))
        if cut is not None:
            # Reference data is not all sent yet: commune data waits for the next page.
            new_cursor = Cursor(cut if cut > 0 else reference_from, commune_from)
            return PullPage(server_clock().physical_ms(), new_cursor, True, changes)

    reached, more = top_commune, False
    if commune_from < top_commune:
        queries = _commune_queries(
            device.commune_id, commune_from, top_commune, str(device.device_no), device.id
        )
        cut = take(_merged(session, queries, rows))
        if cut is not None:
            reached, more = (cut if cut > 0 else commune_from), True
    return PullPage(server_clock().physical_ms(), Cursor(top_reference, reached), more, changes)
