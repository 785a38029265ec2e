"""``sync.storage.FieldStore`` on the server's SQLAlchemy models.

Each synchronised field keeps, in ``SyncRecord.field_clocks``, the pair
``[clock, seq]``: the HLC stamp of the write that set it (what merging compares) and the
change sequence number of that write in the commune's scope (what pulls compare with a
cursor, so a pull sends only the fields changed since the device's cursor).

Values cross this boundary in their JSON wire form (PROTOCOL.md §2): dates as
``YYYY-MM-DD``, date-times as ISO 8601 in UTC (``2026-02-12T02:00:00+00:00``), enums by
value, JSON as is. The store converts them to and from the column types.

Server code that changes a synchronised field outside a push (the admin web, conflict
resolution) MUST write through :meth:`ServerFieldStore.server_write` (or
:meth:`~ServerFieldStore.write_fields`), so the change gets a clock and a sequence number
and reaches every tablet.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any, cast

from sqlalchemy import Column, Date, Enum, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.models import (
    Attachment,
    Dossier,
    DossierApology,
    DossierEvent,
    Feedback,
    SurveyResponse,
    SyncConflict,
    SyncCounter,
    SyncRecord,
)
from server.models.base import UTCDateTime
from server.scoping import OTHER_COMMUNE_MESSAGE
from server.services.changes import commune_scope, next_seq
from server.services.errors import Forbidden
from server.sync import shared
from server.sync.clock import fresh_stamp_after
from sync.merge import DELETED, RecordState
from sync.schema import COLLECTIONS, Collection

#: Collection name → the model that stores it.
MODELS: dict[str, type[SyncRecord]] = {
    "dossier": Dossier,
    "dossier_event": DossierEvent,
    "dossier_apology": DossierApology,
    "attachment": Attachment,
    "feedback": Feedback,
    "survey_response": SurveyResponse,
    "sync_conflict": SyncConflict,
}
assert set(MODELS) == set(COLLECTIONS), "every synchronised collection needs a model"


def lock_scope(session: Session, scope: str) -> int:
    """Take the scope's counter row lock until the transaction ends (creating the row).

    Pushes of one commune, and conflict resolutions, start with this, so they run one at
    a time: the idempotency check and every read-merge-write after it cannot race. On
    SQLite the UPDATE takes the database write lock, which serialises the same way.
    Returns the counter's value (what ``changes.numbers_held`` starts from).
    """
    value = session.execute(_touch(scope)).scalar_one_or_none()
    if value is not None:
        return int(value)
    try:
        with session.begin_nested():
            session.execute(insert(SyncCounter).values(scope=scope, last_seq=0))
        return 0
    except IntegrityError:
        # Another transaction created it first (and has committed): lock it now.
        return int(session.execute(_touch(scope)).scalar_one())


def _touch(scope: str) -> Any:
    """``UPDATE`` that changes nothing but locks the scope's row, returning its value."""
    return (
        update(SyncCounter)
        .where(SyncCounter.scope == scope)
        .values(last_seq=SyncCounter.last_seq)
        .returning(SyncCounter.last_seq)
        .execution_options(synchronize_session=False)
    )


def lock_commune(session: Session, commune_id: int) -> int:
    return lock_scope(session, commune_scope(commune_id))


# --- values ------------------------------------------------------------------------------


def rows_by_id(
    session: Session, model: type[Any], ids: Sequence[Any], batch: int
) -> dict[Any, Any]:
    """The rows of ``model`` with these ids, by id, read ``batch`` ids to a query (``IN``)."""
    found: dict[Any, Any] = {}
    for start in range(0, len(ids), batch):
        chunk = ids[start : start + batch]
        found.update(
            (row.id, row) for row in session.scalars(select(model).where(model.id.in_(chunk)))
        )
    return found


def _column(model: type[SyncRecord], name: str) -> Column[Any]:
    return cast("Column[Any]", model.__table__.c[name])


def _empty(column: Column[Any]) -> Any:
    """What a NOT NULL column holds when a device sends null: its default ("" , [], {}…)."""
    default = column.default
    if default is None or column.nullable:
        return None
    arg = getattr(default, "arg", None)
    if getattr(default, "is_callable", False) and callable(arg):
        try:
            return arg(None)  # zero-argument defaults (list, dict…) are wrapped to take one
        except Exception:  # a default that needs the execution context: leave it to it
            return None
    return arg


@functools.cache
def _unwritten_fields(collection: str) -> tuple[str, ...]:
    """Schema fields a creation may leave out whose stored value is known without the
    database: nullable without a default (NULL) or with a plain default (its value).

    A new row gets these explicitly, so every new row of a collection has the same
    columns and a flush inserts them with one multi-row INSERT, not one per shape.
    """
    model = MODELS[collection]
    names = []
    for name in COLLECTIONS[collection].fields:
        if name not in model.__table__.c:
            continue
        column = _column(model, name)
        if column.server_default is not None:
            continue
        plain_null = column.nullable and column.default is None
        plain_default = not column.nullable and column.default is not None
        if plain_null or (plain_default and _empty(column) is not None):
            names.append(name)
    return tuple(names)


def to_column(model: type[SyncRecord], name: str, value: Any) -> Any:
    """A wire value as the column stores it (``ValueError`` if it cannot be)."""
    if name == DELETED:
        return bool(value)
    column = _column(model, name)
    if value is None:
        return _empty(column)
    kind = column.type
    if isinstance(kind, UTCDateTime):
        parsed = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
        if parsed.tzinfo is None:
            raise ValueError(f"{name}: date-time without a UTC offset")
        return parsed.astimezone(UTC)
    if isinstance(kind, Date):
        return value if isinstance(value, date) else date.fromisoformat(str(value))
    if isinstance(kind, Enum) and kind.enum_class is not None:
        return kind.enum_class(value)
    return value


def to_wire(value: Any) -> Any:
    """A column value in its JSON wire form."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    return value


def normalise(collection: str, name: str, value: Any) -> Any:
    """The wire value the server would store and return for ``value``.

    Date-times are rewritten in UTC, so ``…T09:00:00+07:00`` and ``…T02:00:00+00:00`` are
    the same value when merging compares them. Values that do not convert are returned
    unchanged for the schema check to refuse.
    """
    model = MODELS.get(collection)
    if model is None or value is None or name not in model.__table__.c:
        return value
    if not isinstance(_column(model, name).type, UTCDateTime):
        return value
    try:
        return to_wire(to_column(model, name, value))
    except (ValueError, TypeError):
        return value


def clock_entries(row: SyncRecord) -> dict[str, tuple[str, int]]:
    """``field → (clock, seq)`` from ``field_clocks`` (a bare clock string counts as seq 0)."""
    entries: dict[str, tuple[str, int]] = {}
    for name, entry in (row.field_clocks or {}).items():
        if isinstance(entry, list | tuple) and len(entry) == 2:
            entries[name] = (str(entry[0]), int(entry[1] or 0))
        elif isinstance(entry, str):
            entries[name] = (entry, 0)
    return entries


def wire_fields(collection: Collection, row: SyncRecord) -> dict[str, Any]:
    """Every schema field of ``row`` in wire form (the tombstone not included)."""
    return {name: to_wire(getattr(row, name)) for name in collection.fields}


class ServerFieldStore:
    """The records of one commune (or, with ``commune_id=None``, of every commune).

    ``device_id`` is recorded as ``origin_device_id`` of the records it creates.
    """

    def __init__(
        self, session: Session, commune_id: int | None, *, device_id: str | None = None
    ) -> None:
        self.session = session
        self.commune_id = commune_id
        self.device_id = device_id
        # What ``prefetch`` found (and what ``write`` created since): rows and ids known
        # to be absent. None: every lookup asks the session.
        self._rows: dict[tuple[str, str], SyncRecord] | None = None
        self._absent: set[tuple[str, str]] = set()

    @staticmethod
    def model(collection: str) -> type[SyncRecord]:
        try:
            return MODELS[collection]
        except KeyError:
            raise KeyError(f"unknown collection {collection!r}") from None

    def prefetch(self, collection: str, record_ids: Iterable[str], batch: int = 500) -> None:
        """Load these rows in a few queries; ``row`` then answers them from memory.

        Ids not found are remembered as absent, so looking them up costs no query
        either. That is only right while nobody else can create them: the caller holds
        the commune's counter lock (every writer of a commune record takes it), and a
        row that still appears (the same id in another commune) fails the primary key
        at flush. Call :meth:`forget` after rolling back a savepoint that created rows.
        """
        model = self.model(collection)
        if self._rows is None:
            self._rows = {}
        wanted = sorted({i for i in record_ids if (collection, i) not in self._rows})
        found = rows_by_id(self.session, model, wanted, batch)
        for record_id in wanted:
            key = (collection, record_id)
            row = found.get(record_id)
            if row is None:
                self._absent.add(key)
            else:
                self._rows[key] = row
                self._absent.discard(key)

    def forget(self) -> None:
        """Drop what ``prefetch`` learned: every lookup asks the session again."""
        self._rows = None
        self._absent = set()

    def row(self, collection: str, record_id: str) -> SyncRecord | None:
        """The stored row, whatever its commune (callers check the scope)."""
        if self._rows is not None:
            key = (collection, record_id)
            known = self._rows.get(key)
            if known is not None:
                return known
            if key in self._absent:
                return None
        return self.session.get(self.model(collection), record_id)

    def _scoped_row(self, collection: str, record_id: str) -> SyncRecord | None:
        """The stored row if this store's commune sees it (its own, or a record of a
        dossier it is involved in: ``shared``); Forbidden if it exists elsewhere."""
        row = self.row(collection, record_id)
        if row is not None and self.commune_id is not None and not self.sees(collection, row):
            raise Forbidden(OTHER_COMMUNE_MESSAGE)
        return row

    def sees(self, collection: str, row: SyncRecord) -> bool:
        if self.commune_id is None or row.commune_id == self.commune_id:
            return True
        return self.commune_id in shared.communes_seeing(self.session, collection, row, self.row)

    def _home(self, collection: str, writes: Mapping[str, tuple[Any, str]]) -> int | None:
        """The commune a new record belongs to: its dossier's home (the receiving commune)
        for a record of a dossier, else this store's commune."""
        fields = {name: value for name, (value, _clock) in writes.items()}
        dossier_id = shared.dossier_id_of(collection, fields)
        if collection != "dossier" and dossier_id is not None:
            dossier = self.row("dossier", dossier_id)
            if dossier is not None:
                return dossier.commune_id
        return self.commune_id

    # -- FieldStore ------------------------------------------------------------------------

    def read_record(self, collection: str, record_id: str) -> RecordState | None:
        row = self._scoped_row(collection, record_id)
        if row is None:
            return None
        spec = COLLECTIONS[collection]
        fields = wire_fields(spec, row)
        if not spec.append_only:
            fields[DELETED] = bool(row.deleted)
        clocks = {name: clock for name, (clock, _seq) in clock_entries(row).items()}
        return RecordState(fields=fields, clocks=clocks)

    def write_fields(
        self, collection: str, record_id: str, writes: dict[str, tuple[Any, str]]
    ) -> None:
        self.write(collection, record_id, writes)

    def record_ids(self, collection: str) -> Iterator[str]:
        model = self.model(collection)
        stmt = select(model.id).order_by(model.id)
        if self.commune_id is not None:
            stmt = stmt.where(model.commune_id == self.commune_id)
        yield from self.session.scalars(stmt)

    # -- server helpers --------------------------------------------------------------------

    def write(
        self, collection: str, record_id: str, writes: Mapping[str, tuple[Any, str]]
    ) -> SyncRecord:
        """Write fields with their clocks, give the record the next sequence number of its
        commune (also recorded per field) and return the row. Creates it if absent.

        A creation must include every NOT NULL column without a default. Creating needs
        a store bound to a commune.
        """
        model = self.model(collection)
        row = self._scoped_row(collection, record_id)
        if row is None and self.commune_id is None:
            raise ValueError("creating a record needs a store bound to a commune")
        commune_id = row.commune_id if row is not None else self._home(collection, writes)
        assert commune_id is not None
        before = (
            shared.involved_communes(row)  # type: ignore[arg-type]
            if collection == "dossier" and row is not None
            else None
        )
        # The number first: taking it may run an UPDATE (and so a flush), which must not
        # write a half-made row only to update it again.
        seq = next_seq(self.session, commune_scope(commune_id))
        if row is None:
            row = model(
                id=record_id,
                commune_id=commune_id,
                origin_device_id=self.device_id,
                field_clocks={},
                deleted=False,
                seq=seq,
            )
            for name in _unwritten_fields(collection):
                if name not in writes:
                    setattr(row, name, _empty(_column(model, name)))
            self.session.add(row)
            if self._rows is not None:
                self._rows[(collection, record_id)] = row
                self._absent.discard((collection, record_id))
        entries = dict(row.field_clocks or {})
        for name, (value, clock) in writes.items():
            if name == DELETED:
                row.deleted = bool(value)
            else:
                setattr(row, name, to_column(model, name, value))
            entries[name] = [clock, seq]
        row.seq = seq
        row.field_clocks = entries  # a new dict, so the JSON column is saved
        shared.after_write(self.session, collection, row, before, self.commune_id, self.row)
        return row

    def server_write(
        self, collection: str, record_id: str, values: Mapping[str, Any]
    ) -> SyncRecord:
        """Write values decided on the server (a person on the admin web, a resolution).

        Each gets a fresh server stamp later than every clock the record's fields have,
        so the value wins every merge with what tablets wrote before, and syncs back.
        Takes the commune's counter lock first, like a push (a no-op if already held).
        """
        row = self._scoped_row(collection, record_id)
        commune_id = row.commune_id if row is not None else self.commune_id
        if row is not None:
            # Every commune the record is numbered in, in ascending order (no deadlock).
            for involved in sorted(shared.communes_seeing(self.session, collection, row, self.row)):
                lock_commune(self.session, involved)
        elif commune_id is not None:
            lock_commune(self.session, commune_id)
        existing = [clock for clock, _seq in clock_entries(row).values()] if row else []
        clock = fresh_stamp_after(*existing)
        return self.write(collection, record_id, {name: (v, clock) for name, v in values.items()})
