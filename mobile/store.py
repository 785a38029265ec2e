"""The tablet's local store: records, outbox, photos, settings and the pull cursor.

``SQLiteDeviceStore`` implements ``sync.storage.DeviceStore`` on the standard library's
``sqlite3`` (PROTOCOL.md §2, §7, §8):

- **Durability (G2).** WAL journal with ``synchronous=FULL``: a transaction that
  returned from ``COMMIT`` survives the app being killed or the battery dying. A local
  edit writes its record and its outbox entry in one transaction; photo bytes are
  written and fsynced into the blob folder *before* the transaction that references
  them commits.
- **Records** keep two layers: what the officer sees (``fields``/``clocks``) and the
  last state known to be on the server (``server_fields``/``server_clocks``, from pulls
  and acknowledgements). The second layer lets a rejected edit fall back to the server's
  value, so the tablet converges on the server even when the officer's edit is refused.
- **Outbox** entries are kept in insertion order; acknowledged ones are deleted,
  rejected ones stay with the server's reason until the officer dismisses them (G12).
- **Threads.** One connection per thread (the UI thread and the sync thread), each
  with a busy timeout; writers start with ``BEGIN IMMEDIATE`` so read-modify-write
  sequences (counters, record merges) never interleave.

- **Encryption at rest.** With a ``cipher`` (``mobile.security.FieldCipher``, unlocked
  by the officer's PIN) every sensitive value (``SENSITIVE_FIELDS``, and a conflict's
  ``kept_value``/``lost_value`` when the field it is about is sensitive) is sealed
  before it reaches SQLite: in a record's own and server layers, in the outbox's wire
  operation, and in a refusal's message and errors; so is the device token
  (``SECRET_SETTINGS``). Everything read is opened again, so callers (engine, Tablet,
  screens) only see plain values and the wire protocol is unchanged. Clocks, ids and
  the other fields stay plain. Values written before the cipher existed are read as
  they are; ``encrypt_existing`` seals them. Once a key has been used the store keeps
  a check value: another key is refused at once (``VaultError``), and without a key
  sealed values cannot be read nor sensitive values written (``StoreLocked``).
  ``where``/``order_by`` on a sensitive field raise ``SensitiveFilterError``: SQL
  cannot compare ciphertext, so such searches are done in Python on what is read.
- **Photos at rest.** With a key, a photo's file in the blob folder is sealed
  (``FieldCipher.seal_blob``: segments of 64 KiB, each with its own nonce), whether
  the officer took it or it was fetched from the server; it is still named by the
  SHA-256 of its plain bytes, and ``read_blob`` still returns plain byte ranges (only
  the segments a range covers are opened). Files written before the key existed are
  told apart by their size (a sealed file is always larger than the photo) and read as
  they are; ``encrypt_existing`` and ``seal_plain_blobs`` seal them. Without the key a
  sealed photo cannot be read nor a photo added to a protected store (``StoreLocked``).

Nothing here talks to the network or knows the merge rules beyond what a replica must
do with the server's verdicts; validation lives in ``mobile.tablet``.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from mobile.security import (
    ENCRYPTED_PREFIX,
    SENSITIVE_FIELDS,
    FieldCipher,
    VaultError,
    sealed_blob_size,
)
from sync.merge import RecordState
from sync.ops import Change, Cursor, Operation, Outcome, OutcomeKind, Reason
from sync.schema import COLLECTIONS
from sync.storage import BlobRef, RejectedOperation

__all__ = [
    "SECRET_SETTINGS",
    "OutboxEntry",
    "SQLiteDeviceStore",
    "SensitiveFilterError",
    "StoreError",
    "StoreLocked",
]

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS record (
    collection    TEXT NOT NULL,
    id            TEXT NOT NULL,
    fields        TEXT NOT NULL,            -- JSON: field -> value the officer sees
    clocks        TEXT NOT NULL,            -- JSON: field -> HLC stamp of that value
    server_fields TEXT NOT NULL DEFAULT '{}',  -- JSON: last state known on the server
    server_clocks TEXT NOT NULL DEFAULT '{}',
    seq           INTEGER,                  -- server sequence number of the last pull
    PRIMARY KEY (collection, id)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS outbox (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,   -- insertion order = push order
    op_id       TEXT NOT NULL UNIQUE,
    collection  TEXT NOT NULL,
    record_id   TEXT NOT NULL,
    field_names TEXT NOT NULL,              -- JSON list of the fields the op writes
    is_create   INTEGER NOT NULL DEFAULT 0,
    blob_sha256 TEXT,                       -- the photo an attachment creation needs
    op          TEXT NOT NULL,              -- the operation's wire form
    state       TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'rejected')),
    reason      TEXT,
    message     TEXT,
    errors      TEXT,
    recorded_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_outbox_record ON outbox (collection, record_id);
CREATE INDEX IF NOT EXISTS ix_outbox_state ON outbox (state, seq);

CREATE TABLE IF NOT EXISTS blob (
    sha256       TEXT PRIMARY KEY,
    size         INTEGER NOT NULL,
    content_type TEXT NOT NULL,
    path         TEXT NOT NULL,             -- relative to the blob folder
    uploaded     INTEGER NOT NULL DEFAULT 0,
    created_at   TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS setting (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS pull_cursor (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    reference INTEGER NOT NULL,
    commune   INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS counter (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
"""

PENDING = "pending"
REJECTED = "rejected"
_CONFLICT = "sync_conflict"
_SAFE_NAME = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
#: A conflict record's copies of the values that met (sealed when its field is sensitive).
_CONFLICT_VALUES = frozenset({"kept_value", "lost_value"})
#: Settings that are secrets, sealed like sensitive fields (the device token of
#: ``mobile.tablet.Registration``).
SECRET_SETTINGS = frozenset({"registration.token"})
#: A constant sealed with the store's key the first time a key is attached: tells a wrong
#: key at once, and that this store holds sealed data (so plain writes are refused).
_KEY_CHECK = "security.key_check"
_KEY_CHECK_TEXT = "motcua-field-key"


class StoreError(Exception):
    """A misuse of the store (unknown blob, bad filter…)."""


class StoreLocked(StoreError, VaultError):
    """Sealed data was read, or sensitive data written, without the unlocked key."""

    def __init__(self, what: str) -> None:
        super().__init__(
            f"Dữ liệu được mã hóa, hãy mở khóa bằng mã PIN ({what} needs the PIN unlock)"
        )


class SensitiveFilterError(StoreError, ValueError):
    """A filter or sort on an encrypted field, which SQL cannot compare."""


def _sealed(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(ENCRYPTED_PREFIX)


def _sensitive_names(collection: str, context: Mapping[str, Any]) -> frozenset[str]:
    """The fields of a record of ``collection`` to seal; ``context`` is the record."""
    if collection == _CONFLICT:
        target, name = context.get("collection"), context.get("field")
        if isinstance(target, str) and isinstance(name, str):
            sensitive = name in SENSITIVE_FIELDS.get(target, frozenset())
            return _CONFLICT_VALUES if sensitive else frozenset()
        return _CONFLICT_VALUES  # about an unknown field: keep its values sealed
    return SENSITIVE_FIELDS.get(collection, frozenset())


def _readable_names(collection: str) -> frozenset[str]:
    """The fields of ``collection`` that may hold sealed values."""
    if collection == _CONFLICT:
        return _CONFLICT_VALUES
    return SENSITIVE_FIELDS.get(collection, frozenset())


@dataclass(frozen=True)
class OutboxEntry:
    """One outbox row, for screens that list what is waiting or refused."""

    position: int
    op: Operation
    state: str
    reason: str | None
    message: str | None
    errors: dict[str, str]
    recorded_at: datetime


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=_json_default)


def _loads_dict(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    value = json.loads(text)
    return value if isinstance(value, dict) else {}


def _now_iso() -> str:
    return datetime.now(UTC).isoformat()


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


@dataclass
class _Row:
    """A record as loaded for a read-modify-write inside a transaction."""

    fields: dict[str, Any]
    clocks: dict[str, str]
    server_fields: dict[str, Any]
    server_clocks: dict[str, str]
    seq: int | None
    exists: bool


class _ThreadState(threading.local):
    connection: sqlite3.Connection | None = None
    depth: int = 0


def _rewind_operations(
    collection: Any, record_id: str, fields: dict[str, Any], clocks: dict[str, str], node: str
) -> list[tuple[str, Operation]]:
    """This node's writes to one record as operations keyed by clock (see
    :meth:`SQLiteDeviceStore.resend_after_rewind`)."""
    from sync.hlc import Timestamp
    from sync.ids import new_id
    from sync.schema import Rule

    def own(stamp: str) -> bool:
        try:
            return Timestamp.decode(stamp).node == node
        except ValueError:
            return False

    def sendable(name: str) -> bool:
        spec = collection.fields.get(name)
        if spec is not None and spec.rule is Rule.SERVER:
            return False
        return name in fields and (spec is not None or name == "deleted")

    groups: dict[str, dict[str, Any]] = {}
    for name, stamp in clocks.items():
        if own(stamp) and sendable(name) and collection.writable_by_device(name):
            groups.setdefault(stamp, {})[name] = fields[name]
    if not groups:
        return []
    stamps = sorted(groups)
    created_here = own(min(clocks.values()))
    operations = []
    for index, stamp in enumerate(stamps):
        values = dict(groups[stamp])
        create = created_here and index == 0
        if create:
            for name, spec in collection.fields.items():
                if spec.required and name not in values and fields.get(name) is not None:
                    values[name] = fields[name]
        base = dict.fromkeys(values, stamp)
        op = Operation(new_id(), collection.name, record_id, stamp, values, base, create)
        operations.append((stamp, op))
    return operations


class SQLiteDeviceStore:
    """The tablet's ``DeviceStore`` on SQLite (see the module docs)."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        busy_timeout: float = 30.0,
        cipher: FieldCipher | None = None,
    ) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.blob_dir = self.path.with_name(self.path.name + "-blobs")
        self._busy_timeout = busy_timeout
        self._local = _ThreadState()
        self._connections: list[sqlite3.Connection] = []
        self._connections_lock = threading.Lock()
        self._closed = False
        self._cipher: FieldCipher | None = None
        connection = self._connection()
        connection.execute("PRAGMA journal_mode=WAL")
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        if version < SCHEMA_VERSION:
            connection.executescript(_SCHEMA)  # idempotent: CREATE … IF NOT EXISTS
            connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        self.cipher = cipher

    # -- encryption at rest --------------------------------------------------------------------

    @property
    def cipher(self) -> FieldCipher | None:
        """The unlocked data key, or None (no PIN yet, or locked)."""
        return self._cipher

    @cipher.setter
    def cipher(self, cipher: FieldCipher | None) -> None:
        """Attach the key after the PIN unlock (None locks the store again).

        A key different from the one this store's data was sealed with is refused
        (``VaultError``) before anything is read or written with it.
        """
        if cipher is not None:
            with self.transaction() as conn:
                row = conn.execute(
                    "SELECT value FROM setting WHERE key = ?", (_KEY_CHECK,)
                ).fetchone()
                if row is None:
                    conn.execute(
                        "INSERT INTO setting (key, value) VALUES (?, ?)",
                        (_KEY_CHECK, cipher.encrypt(_KEY_CHECK_TEXT)),
                    )
                else:
                    try:
                        matches = cipher.decrypt(row[0]) == _KEY_CHECK_TEXT
                    except VaultError:
                        matches = False
                    if not matches:
                        raise VaultError(
                            "Khóa không khớp với dữ liệu trên máy "
                            "(this key does not open this tablet's data)"
                        )
        self._cipher = cipher

    @staticmethod
    def _protected(conn: sqlite3.Connection) -> bool:
        """Whether a key has been used on this store (then plain writes are refused)."""
        return (
            conn.execute("SELECT 1 FROM setting WHERE key = ?", (_KEY_CHECK,)).fetchone()
            is not None
        )

    def _encrypt(self, conn: sqlite3.Connection, value: Any, what: str) -> Any:
        """``value`` (JSON-ready) sealed, or as is where no key was ever used."""
        if self._cipher is not None:
            return self._cipher.encrypt(value)
        if self._protected(conn):
            raise StoreLocked(what)
        return value

    def _decrypt(self, value: Any, what: str) -> Any:
        if not _sealed(value):
            return value  # not sensitive, or written before the key existed
        if self._cipher is None:
            raise StoreLocked(what)
        return self._cipher.decrypt(value)

    def _seal(
        self,
        conn: sqlite3.Connection,
        collection: str,
        fields: dict[str, Any],
        context: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """``fields`` (JSON-ready) with their sensitive values sealed."""
        names = _sensitive_names(collection, fields if context is None else context)
        todo = [n for n in names & fields.keys() if fields[n] is not None]
        if not todo:
            return fields
        cipher = self._cipher
        if cipher is None:
            if self._protected(conn):
                raise StoreLocked(f"{collection}.{todo[0]}")
            return fields  # no PIN yet: stored plain, sealed later by encrypt_existing
        sealed = dict(fields)
        for name in todo:
            sealed[name] = cipher.encrypt(fields[name])
        return sealed

    def _open(self, collection: str, fields: dict[str, Any]) -> dict[str, Any]:
        """``fields`` as read, with sealed values opened."""
        names = _readable_names(collection) & fields.keys()
        if not names:
            return fields
        opened = dict(fields)
        for name in names:
            opened[name] = self._decrypt(fields[name], f"{collection}.{name}")
        return opened

    def _seal_text(self, text: str | None) -> str | None:
        """A refusal's message: it may quote the refused values, so sealed with a key."""
        if text is None or self._cipher is None:
            return text
        return self._cipher.encrypt(text)

    def _open_text(self, text: str | None) -> str | None:
        return None if text is None else str(self._decrypt(text, "message"))

    def _read_op(self, text: str) -> Operation:
        """An outbox operation with its values opened, as the engine sends it."""
        op = Operation.from_wire(json.loads(text))
        return replace(op, fields=self._open(op.collection, op.fields))

    def _open_errors(self, text: str | None) -> dict[str, str]:
        return {str(k): str(self._decrypt(v, "errors")) for k, v in _loads_dict(text).items()}

    def _seal_errors(self, errors: Mapping[str, str]) -> str:
        return _dumps({k: self._seal_text(str(v)) for k, v in errors.items()})

    def encrypt_existing(self) -> int:
        """Seal every value stored plain, in one transaction; returns how many rows changed.

        For a tablet whose officer sets a PIN after data exists. Records, outbox
        operations and refusals, and secret settings are rewritten; then, unless called
        inside an outer transaction, the database is vacuumed and the WAL truncated so
        the old plain copies do not linger in free pages. Photos stored plain are sealed
        too (``seal_plain_blobs``; each file counts as one).
        """
        cipher = self._cipher
        if cipher is None:
            raise StoreLocked("encrypt_existing")  # set ``store.cipher`` first
        names = sorted({*SENSITIVE_FIELDS, _CONFLICT})
        outermost = self._local.depth == 0
        changed = 0
        with self.transaction() as conn:
            rows = [
                row
                for name in names
                for row in conn.execute(
                    "SELECT collection, id, fields, server_fields FROM record WHERE collection = ?",
                    (name,),
                ).fetchall()
            ]
            for collection, record_id, fields_text, server_text in rows:
                fields, server = _loads_dict(fields_text), _loads_dict(server_text)
                context = {**server, **fields}
                wanted = _sensitive_names(collection, context)
                if any(
                    layer.get(n) is not None and not _sealed(layer.get(n))
                    for layer in (fields, server)
                    for n in wanted
                ):
                    self._save(conn, collection, record_id, self._load(conn, collection, record_id))
                    changed += 1
            for op_id, text, message, errors in conn.execute(
                "SELECT op_id, op, message, errors FROM outbox"
            ).fetchall():
                wire = json.loads(text)
                collection, values = str(wire.get("c")), wire.get("f") or {}
                plain = any(
                    values.get(n) is not None and not _sealed(values.get(n))
                    for n in _sensitive_names(collection, values)
                )
                new_message = message if _sealed(message) else self._seal_text(message)
                new_errors = errors
                if errors is not None:
                    new_errors = _dumps(
                        {
                            k: v if _sealed(v) else cipher.encrypt(str(v))
                            for k, v in _loads_dict(errors).items()
                        }
                    )
                if plain or new_message != message or new_errors != errors:
                    wire["f"] = self._seal(conn, collection, self._open(collection, values))
                    conn.execute(
                        "UPDATE outbox SET op = ?, message = ?, errors = ? WHERE op_id = ?",
                        (_dumps(wire), new_message, new_errors, op_id),
                    )
                    changed += 1
            for key in sorted(SECRET_SETTINGS):
                found = conn.execute("SELECT value FROM setting WHERE key = ?", (key,)).fetchone()
                if found is not None and not _sealed(found[0]):
                    conn.execute(
                        "UPDATE setting SET value = ? WHERE key = ?",
                        (cipher.encrypt(str(found[0])), key),
                    )
                    changed += 1
        if outermost and changed:
            connection = self._connection()
            connection.execute("VACUUM")  # rebuilds every page: no plain copy stays behind
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return changed + self.seal_plain_blobs()

    # -- connections and transactions ----------------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        if self._closed:
            raise StoreError("the store is closed")
        connection = self._local.connection
        if connection is None:
            connection = sqlite3.connect(
                self.path,
                timeout=self._busy_timeout,
                isolation_level=None,  # we issue BEGIN/COMMIT ourselves
                check_same_thread=False,  # only so that close() may run from any thread
            )
            connection.execute("PRAGMA synchronous=FULL")
            connection.execute("PRAGMA foreign_keys=ON")
            self._local.connection = connection
            with self._connections_lock:
                self._connections.append(connection)
        return connection

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction on this thread's connection; nested calls join the outer one.

        Everything done inside commits together or not at all (G2): a dossier, its
        receipt serial, its timeline event and their outbox entries.
        """
        connection = self._connection()
        state = self._local
        if state.depth:
            state.depth += 1
            try:
                yield connection
            finally:
                state.depth -= 1
            return
        connection.execute("BEGIN IMMEDIATE")
        state.depth = 1
        try:
            yield connection
        except BaseException:
            state.depth = 0
            connection.execute("ROLLBACK")
            raise
        state.depth = 0
        connection.execute("COMMIT")

    def close(self) -> None:
        """Close every connection (of every thread). The store cannot be used afterwards."""
        with self._connections_lock:
            self._closed = True
            for connection in self._connections:
                connection.close()
            self._connections.clear()
        self._local.connection = None

    def __enter__(self) -> SQLiteDeviceStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self._connection().execute(sql, params).fetchall()

    # -- record rows ---------------------------------------------------------------------------

    def _load(self, conn: sqlite3.Connection, collection: str, record_id: str) -> _Row:
        """The record with its sealed values opened (plain in memory)."""
        row = conn.execute(
            "SELECT fields, clocks, server_fields, server_clocks, seq FROM record "
            "WHERE collection = ? AND id = ?",
            (collection, record_id),
        ).fetchone()
        if row is None:
            return _Row({}, {}, {}, {}, None, exists=False)
        return _Row(
            self._open(collection, _loads_dict(row[0])),
            _loads_dict(row[1]),
            self._open(collection, _loads_dict(row[2])),
            _loads_dict(row[3]),
            row[4],
            exists=True,
        )

    def _save(self, conn: sqlite3.Connection, collection: str, record_id: str, row: _Row) -> None:
        """Write the record back, its sensitive values sealed in both layers."""
        context = {**row.server_fields, **row.fields}
        fields = self._seal(conn, collection, row.fields, context)
        server_fields = self._seal(conn, collection, row.server_fields, context)
        conn.execute(
            "INSERT INTO record (collection, id, fields, clocks, server_fields, server_clocks, seq)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (collection, id) DO UPDATE SET"
            " fields = excluded.fields, clocks = excluded.clocks,"
            " server_fields = excluded.server_fields, server_clocks = excluded.server_clocks,"
            " seq = excluded.seq",
            (
                collection,
                record_id,
                _dumps(fields),
                _dumps(row.clocks),
                _dumps(server_fields),
                _dumps(row.server_clocks),
                row.seq,
            ),
        )

    # -- FieldStore ----------------------------------------------------------------------------

    def read_record(self, collection: str, record_id: str) -> RecordState | None:
        row = self._query(
            "SELECT fields, clocks FROM record WHERE collection = ? AND id = ?",
            (collection, record_id),
        )
        if not row:
            return None
        return RecordState(self._open(collection, _loads_dict(row[0][0])), _loads_dict(row[0][1]))

    def write_fields(
        self, collection: str, record_id: str, writes: dict[str, tuple[Any, str]]
    ) -> None:
        with self.transaction() as conn:
            row = self._load(conn, collection, record_id)
            for name, (value, clock) in writes.items():
                row.fields[name] = json.loads(_dumps(value))
                row.clocks[name] = clock
            self._save(conn, collection, record_id, row)

    def record_ids(self, collection: str) -> Iterator[str]:
        rows = self._query("SELECT id FROM record WHERE collection = ? ORDER BY id", (collection,))
        return iter([r[0] for r in rows])

    # -- the outbox ----------------------------------------------------------------------------

    def record_local(self, op: Operation) -> None:
        """Apply a local edit and append it to the outbox, in one transaction (G2)."""
        with self.transaction() as conn:
            self._record_local(conn, op)

    def _record_local(self, conn: sqlite3.Connection, op: Operation) -> None:
        blob_sha = op.fields.get("sha256") if op.collection == "attachment" else None
        row = self._load(conn, op.collection, op.record_id)
        for name, value in op.fields.items():
            row.fields[name] = json.loads(_dumps(value))
            row.clocks[name] = op.stamp
        collection = COLLECTIONS.get(op.collection)
        if op.create and collection is not None:
            # Fields left out of a creation hold their empty value, unstamped, exactly
            # as on the server (sync.schema.Collection.canonical).
            for name, value in collection.canonical({}, create=True).items():
                row.fields.setdefault(name, value)
        self._save(conn, op.collection, op.record_id, row)
        wire = op.to_wire()
        wire["f"] = self._seal(
            conn,
            op.collection,
            json.loads(_dumps(op.fields)),
            {**row.server_fields, **row.fields},
        )
        conn.execute(
            "INSERT INTO outbox (op_id, collection, record_id, field_names, is_create,"
            " blob_sha256, op, state, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                op.op_id,
                op.collection,
                op.record_id,
                _dumps(sorted(op.fields)),
                1 if op.create else 0,
                blob_sha if isinstance(blob_sha, str) else None,
                _dumps(wire),
                PENDING,
                _now_iso(),
            ),
        )

    def resend_after_rewind(self, node: str) -> int:
        """Queue this node's writes again after the server went back in time (§12).

        For each record, the fields whose clock this device made are grouped by clock;
        each group becomes an operation with that same clock (so the merge on the server
        keeps whichever write is newer, as it did the first time), in clock order. A
        record this device created is re-created by its first operation (which also
        carries its required fields). Server-owned fields are left to the server. The
        pull cursor goes back to the start, and every photo is announced again (the
        server says which ones it still has: those are not re-sent).
        """
        made: list[tuple[str, Operation]] = []
        clocks: dict[tuple[str, str], dict[str, str]] = {}
        with self.transaction() as conn:
            rows = conn.execute("SELECT collection, id FROM record ORDER BY collection, id")
            for collection_name, record_id in rows.fetchall():
                collection = COLLECTIONS.get(collection_name)
                if collection is None or collection.scope.value != "commune":
                    continue
                row = self._load(conn, collection_name, record_id)
                found = _rewind_operations(collection, record_id, row.fields, row.clocks, node)
                if found:
                    clocks[(collection_name, record_id)] = dict(row.clocks)
                    made += found
            made.sort(key=lambda item: item[0])
            for _, op in made:
                self._record_local(conn, op)
            # Values are unchanged; keep each field's own clock (a creation re-sent with
            # a required field written later, or by a colleague, must not date it back).
            for (collection_name, record_id), original in clocks.items():
                row = self._load(conn, collection_name, record_id)
                row.clocks = original
                self._save(conn, collection_name, record_id, row)
            conn.execute("DELETE FROM pull_cursor")
            conn.execute("UPDATE blob SET uploaded = 0")
        return len(made)

    def pending_operations(self, limit: int | None = None) -> list[Operation]:
        sql = "SELECT op FROM outbox WHERE state = ? ORDER BY seq"
        params: list[Any] = [PENDING]
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [self._read_op(r[0]) for r in self._query(sql, params)]

    def pending_count(self) -> int:
        return int(self._query("SELECT count(*) FROM outbox WHERE state = ?", (PENDING,))[0][0])

    def rejected_operations(self) -> list[RejectedOperation]:
        rows = self._query(
            "SELECT op, reason, message, errors FROM outbox WHERE state = ? ORDER BY seq",
            (REJECTED,),
        )
        return [
            RejectedOperation(
                op=self._read_op(op),
                reason=reason or "",
                message=self._open_text(message) or "",
                errors=self._open_errors(errors),
            )
            for op, reason, message, errors in rows
        ]

    def outbox(
        self, collection: str | None = None, record_id: str | None = None
    ) -> list[OutboxEntry]:
        """Outbox entries (pending and rejected), oldest first, optionally of one record."""
        sql = "SELECT seq, op, state, reason, message, errors, recorded_at FROM outbox"
        clauses: list[str] = []
        params: list[Any] = []
        if collection is not None:
            clauses.append("collection = ?")
            params.append(collection)
        if record_id is not None:
            clauses.append("record_id = ?")
            params.append(record_id)
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        return [
            OutboxEntry(
                position=seq,
                op=self._read_op(op),
                state=state,
                reason=reason,
                message=self._open_text(message),
                errors=self._open_errors(errors),
                recorded_at=datetime.fromisoformat(recorded_at),
            )
            for seq, op, state, reason, message, errors, recorded_at in self._query(
                sql + " ORDER BY seq", params
            )
        ]

    def dismiss_rejected(self, op_id: str) -> bool:
        """Forget a rejected operation once the officer has dealt with it."""
        with self.transaction() as conn:
            cursor = conn.execute(
                "DELETE FROM outbox WHERE op_id = ? AND state = ?", (op_id, REJECTED)
            )
            return cursor.rowcount > 0

    def creation_rejected(self, collection: str, record_id: str) -> bool:
        """Whether the record's creation was refused and no creation is pending again.

        A correction of such a record must go out as a new creation (PROTOCOL.md §6).
        """
        rows = self._query(
            "SELECT state FROM outbox WHERE collection = ? AND record_id = ? AND is_create = 1",
            (collection, record_id),
        )
        states = {r[0] for r in rows}
        return REJECTED in states and PENDING not in states

    @staticmethod
    def _pending_fields(conn: sqlite3.Connection) -> dict[tuple[str, str], set[str]]:
        pending: dict[tuple[str, str], set[str]] = {}
        for collection, record_id, names in conn.execute(
            "SELECT collection, record_id, field_names FROM outbox WHERE state = ?", (PENDING,)
        ):
            pending.setdefault((collection, record_id), set()).update(json.loads(names))
        return pending

    def apply_outcomes(self, outcomes: Sequence[Outcome]) -> None:
        """Record the server's verdicts, in one transaction (see ``DeviceStore``)."""
        with self.transaction() as conn:
            for outcome in outcomes:
                found = conn.execute(
                    "SELECT op, blob_sha256, state FROM outbox WHERE op_id = ?", (outcome.op_id,)
                ).fetchone()
                if found is None or found[2] != PENDING:
                    continue  # already dealt with: verdicts are idempotent
                op = self._read_op(found[0])
                if outcome.kind is OutcomeKind.REJECTED:
                    if outcome.retryable:
                        if outcome.reason is Reason.BLOB_MISSING and found[1]:
                            # The server lost or never completed the photo: upload it again.
                            conn.execute(
                                "UPDATE blob SET uploaded = 0 WHERE sha256 = ?", (found[1],)
                            )
                        continue
                    conn.execute(
                        "UPDATE outbox SET state = ?, reason = ?, message = ?, errors = ?"
                        " WHERE op_id = ?",
                        (
                            REJECTED,
                            outcome.reason.value if outcome.reason else None,
                            self._seal_text(outcome.message),
                            self._seal_errors(outcome.errors or {}),
                            op.op_id,
                        ),
                    )
                    self._fall_back_to_server(conn, op)
                else:
                    conn.execute("DELETE FROM outbox WHERE op_id = ?", (op.op_id,))
                    self._acknowledge(conn, op, outcome.restamped)

    def _acknowledge(self, conn: sqlite3.Connection, op: Operation, restamped: str | None) -> None:
        stamp = restamped or op.stamp
        row = self._load(conn, op.collection, op.record_id)
        for name, value in op.fields.items():
            if restamped and row.clocks.get(name) == op.stamp:
                row.clocks[name] = restamped
            # What we wrote is now the server's value, unless it already holds a newer
            # one (our write lost; the conflict record pulled next corrects the rest).
            if stamp > row.server_clocks.get(name, ""):
                row.server_fields[name] = json.loads(_dumps(value))
                row.server_clocks[name] = stamp
        if row.exists or op.create:
            self._save(conn, op.collection, op.record_id, row)
        if restamped:
            self._rebase_pending(conn, op, restamped)
        if op.create:
            # A corrected creation went through: the refused one is superseded.
            conn.execute(
                "DELETE FROM outbox WHERE collection = ? AND record_id = ? AND is_create = 1"
                " AND state = ?",
                (op.collection, op.record_id, REJECTED),
            )

    @staticmethod
    def _rebase_pending(conn: sqlite3.Connection, op: Operation, restamped: str) -> None:
        """Later pending edits that saw the old stamp as their base now see the new one."""
        rows = conn.execute(
            "SELECT op_id, op FROM outbox WHERE collection = ? AND record_id = ? AND state = ?",
            (op.collection, op.record_id, PENDING),
        ).fetchall()
        for op_id, text in rows:
            wire = json.loads(text)
            base = wire.get("b") or {}
            changed = {k: (restamped if v == op.stamp else v) for k, v in base.items()}
            if changed != base:
                wire["b"] = changed
                conn.execute("UPDATE outbox SET op = ? WHERE op_id = ?", (_dumps(wire), op_id))

    def _fall_back_to_server(self, conn: sqlite3.Connection, op: Operation) -> None:
        """A refused edit no longer shows as the record's value: the server's does.

        Only fields still holding this operation's value and not edited again are
        touched; a record the server has never seen (a refused creation) stays as the
        officer typed it, for them to correct.
        """
        row = self._load(conn, op.collection, op.record_id)
        if not row.exists:
            return
        protected = self._pending_fields(conn).get((op.collection, op.record_id), set())
        changed = False
        for name in op.fields:
            if name in protected or row.clocks.get(name) != op.stamp:
                continue
            if name in row.server_fields:
                row.fields[name] = row.server_fields[name]
                if name in row.server_clocks:
                    row.clocks[name] = row.server_clocks[name]
                else:
                    row.clocks.pop(name, None)
                changed = True
        if changed:
            self._save(conn, op.collection, op.record_id, row)

    def is_acknowledged(self, collection: str, record_id: str) -> bool:
        """Whether every local operation on the record has been acknowledged (G14)."""
        rows = self._query(
            "SELECT 1 FROM outbox WHERE collection = ? AND record_id = ? LIMIT 1",
            (collection, record_id),
        )
        return not rows

    # -- pull ----------------------------------------------------------------------------------

    def cursor(self) -> Cursor:
        rows = self._query("SELECT reference, commune FROM pull_cursor WHERE id = 1")
        return Cursor(int(rows[0][0]), int(rows[0][1])) if rows else Cursor()

    def apply_changes(self, changes: Sequence[Change], cursor: Cursor) -> None:
        """Apply a pulled page and store its cursor, in one transaction (G10)."""
        with self.transaction() as conn:
            pending = self._pending_fields(conn)
            conflicts: list[dict[str, Any]] = []
            for change in changes:
                if change.gone:
                    # Out of this commune's scope now (a shared dossier handed over away):
                    # forget the record and what is still to send about it.
                    for table in ("record", "outbox"):
                        key = "id" if table == "record" else "record_id"
                        conn.execute(
                            f"DELETE FROM {table} WHERE collection = ? AND {key} = ?",  # noqa: S608
                            (change.collection, change.record_id),
                        )
                    continue
                protected = pending.get((change.collection, change.record_id), set())
                row = self._load(conn, change.collection, change.record_id)
                incoming = dict(change.fields)
                if change.deleted:
                    incoming["deleted"] = True
                elif row.server_fields.get("deleted") or row.fields.get("deleted"):
                    incoming.setdefault("deleted", False)
                for name, value in incoming.items():
                    value = json.loads(_dumps(value))
                    clock = change.clocks.get(name)
                    row.server_fields[name] = value
                    if clock:
                        row.server_clocks[name] = clock
                    else:
                        row.server_clocks.pop(name, None)
                    if name in protected:
                        continue  # the officer's pending edit stays visible
                    row.fields[name] = value
                    if clock:
                        row.clocks[name] = clock
                    else:
                        row.clocks.pop(name, None)
                row.seq = change.seq
                self._save(conn, change.collection, change.record_id, row)
                if change.collection == _CONFLICT:
                    conflicts.append(row.fields)
            for conflict in conflicts:
                self._apply_conflict(conn, conflict, pending)
            conn.execute(
                "INSERT INTO pull_cursor (id, reference, commune) VALUES (1, ?, ?)"
                " ON CONFLICT (id) DO UPDATE SET reference = excluded.reference,"
                " commune = excluded.commune",
                (cursor.reference, cursor.commune),
            )

    def _apply_conflict(
        self,
        conn: sqlite3.Connection,
        conflict: Mapping[str, Any],
        pending: Mapping[tuple[str, str], set[str]],
    ) -> None:
        """A pulled conflict says our write lost: show the value the server kept.

        The server may not send the record itself again (it did not change), so the
        conflict record is how the tablet learns which value won. Applied only where
        the field still holds the losing write, so it is idempotent and never undoes a
        newer value.
        """
        collection, record_id = conflict.get("collection"), conflict.get("record_id")
        name, lost_clock = conflict.get("field"), conflict.get("lost_clock")
        kept_clock = conflict.get("kept_clock")
        if not all(isinstance(v, str) for v in (collection, record_id, name, lost_clock)):
            return
        assert isinstance(collection, str) and isinstance(record_id, str)
        assert isinstance(name, str) and isinstance(lost_clock, str)
        row = self._load(conn, collection, record_id)
        if not row.exists:
            return
        kept_value = json.loads(_dumps(conflict.get("kept_value")))
        changed = False
        if row.server_clocks.get(name) == lost_clock:
            row.server_fields[name] = kept_value
            if isinstance(kept_clock, str) and kept_clock:
                row.server_clocks[name] = kept_clock
            changed = True
        protected = pending.get((collection, record_id), set())
        if name not in protected and row.clocks.get(name) == lost_clock:
            row.fields[name] = kept_value
            if isinstance(kept_clock, str) and kept_clock:
                row.clocks[name] = kept_clock
            changed = True
        if changed:
            self._save(conn, collection, record_id, row)

    # -- photos --------------------------------------------------------------------------------

    def _blob_file(self, sha256: str) -> Path:
        return self.blob_dir / sha256[:2] / sha256

    @staticmethod
    def _write_blob_file(target: Path, payload: bytes) -> None:
        """Write, fsync and atomically put ``payload`` in place (a reader keeps the old file)."""
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(target.name + ".tmp")
        with open(temporary, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
        _fsync_dir(target.parent)

    def add_blob(self, data: bytes, content_type: str, *, uploaded: bool = False) -> BlobRef:
        """Keep a photo's bytes (content-addressed) and return its reference.

        The file is written and fsynced before the row is inserted, so when the
        surrounding transaction commits the bytes are already on disk (G2, G11).
        Storing the same bytes twice keeps one copy. With a key the file is sealed
        (a plain copy from before the key is sealed again here); a store that has had a
        key refuses photos while locked (``StoreLocked``). A photo fetched from the
        server (``HttpTransport.fetch_blob``) is kept the same way, ``uploaded``.
        """
        sha = hashlib.sha256(data).hexdigest()
        ref = BlobRef(sha256=sha, size=len(data), content_type=content_type)
        with self.transaction() as conn:
            cipher = self._cipher
            if cipher is None and self._protected(conn):
                raise StoreLocked(f"photo {sha}")
            known = conn.execute("SELECT size FROM blob WHERE sha256 = ?", (sha,)).fetchone()
            target = self._blob_file(sha)
            wanted = len(data) if cipher is None else sealed_blob_size(len(data))
            if known is None or not target.exists() or target.stat().st_size != wanted:
                self._write_blob_file(
                    target, data if cipher is None else cipher.seal_blob(data, sha)
                )
            conn.execute(
                "INSERT INTO blob (sha256, size, content_type, path, uploaded, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (sha256) DO UPDATE SET"
                " size = excluded.size, path = excluded.path,"
                " uploaded = max(uploaded, excluded.uploaded)",
                (sha, len(data), content_type, f"{sha[:2]}/{sha}", int(uploaded), _now_iso()),
            )
        return ref

    def blob_path(self, sha256: str) -> Path | None:
        """Where the photo's file is (sealed when the store has a key: see ``blob_bytes``)."""
        rows = self._query("SELECT path FROM blob WHERE sha256 = ?", (sha256,))
        return self.blob_dir / rows[0][0] if rows else None

    def blob_info(self, sha256: str) -> tuple[BlobRef, bool] | None:
        """The blob and whether it is uploaded, or None if unknown."""
        rows = self._query(
            "SELECT size, content_type, uploaded FROM blob WHERE sha256 = ?", (sha256,)
        )
        if not rows:
            return None
        size, content_type, uploaded = rows[0]
        return BlobRef(sha256, int(size), str(content_type)), bool(uploaded)

    def pending_blobs(self) -> list[BlobRef]:
        rows = self._query(
            "SELECT b.sha256, b.size, b.content_type FROM blob b"
            " JOIN (SELECT blob_sha256, min(seq) AS first FROM outbox"
            "       WHERE state = ? AND blob_sha256 IS NOT NULL GROUP BY blob_sha256) o"
            " ON o.blob_sha256 = b.sha256 WHERE b.uploaded = 0 ORDER BY o.first",
            (PENDING,),
        )
        return [BlobRef(sha, int(size), str(ct)) for sha, size, ct in rows]

    def read_blob(self, sha256: str, offset: int, size: int) -> bytes:
        """Plain bytes ``[offset, offset + size)`` of a photo, sealed on disk or not."""
        rows = self._query("SELECT path, size FROM blob WHERE sha256 = ?", (sha256,))
        if not rows:
            raise StoreError(f"unknown photo {sha256}")
        path, plain_size = self.blob_dir / rows[0][0], int(rows[0][1])
        with open(path, "rb") as handle:
            # The open file's size: ``seal_plain_blobs`` may replace the file meanwhile.
            if os.fstat(handle.fileno()).st_size == plain_size:
                handle.seek(offset)  # stored before the key existed
                return handle.read(size)
            cipher = self._cipher
            if cipher is None:
                raise StoreLocked(f"photo {sha256}")
            return cipher.open_blob(handle, sha256, offset, size)

    def blob_bytes(self, sha256: str) -> bytes | None:
        """A photo's plain bytes, in memory (to show it); None if not on the tablet."""
        info = self.blob_info(sha256)
        if info is None or not self._blob_file(sha256).exists():
            return None
        return self.read_blob(sha256, 0, info[0].size)

    def seal_plain_blobs(self) -> int:
        """Seal the photos stored before the key existed; returns how many files.

        Each file is replaced atomically by its sealed copy (a reader holding the old
        file keeps reading it). Cheap when there is nothing to do: the app calls it at
        every unlock, so photos of a tablet set up before photos were sealed get sealed.
        """
        cipher = self._cipher
        if cipher is None:
            raise StoreLocked("seal_plain_blobs")
        sealed = 0
        for sha, path, plain_size in self._query("SELECT sha256, path, size FROM blob"):
            target = self.blob_dir / str(path)
            try:
                if target.stat().st_size != int(plain_size):
                    continue  # sealed already
                data = target.read_bytes()
            except FileNotFoundError:
                continue
            if len(data) != int(plain_size):
                continue
            self._write_blob_file(target, cipher.seal_blob(data, str(sha)))
            sealed += 1
        return sealed

    def mark_blob_uploaded(self, sha256: str) -> None:
        with self.transaction() as conn:
            conn.execute("UPDATE blob SET uploaded = 1 WHERE sha256 = ?", (sha256,))

    # -- settings and counters -----------------------------------------------------------------

    def _open_setting(self, key: str, value: str) -> str:
        if key == _KEY_CHECK:
            return value
        return str(self._decrypt(value, f"setting {key}"))

    def get_setting(self, key: str) -> str | None:
        """A setting; a secret one (the token) raises ``StoreLocked`` without the key."""
        rows = self._query("SELECT value FROM setting WHERE key = ?", (key,))
        return self._open_setting(key, str(rows[0][0])) if rows else None

    def set_setting(self, key: str, value: str) -> None:
        """Keep a setting; those in ``SECRET_SETTINGS`` are sealed when there is a key."""
        with self.transaction() as conn:
            if key in SECRET_SETTINGS:
                value = str(self._encrypt(conn, value, f"setting {key}"))
            conn.execute(
                "INSERT INTO setting (key, value) VALUES (?, ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    def settings(self, prefix: str = "", *, omit_sealed: bool = False) -> dict[str, str]:
        """Settings whose key starts with ``prefix``, secret ones opened.

        Without the key a sealed value raises ``StoreLocked``, or is left out with
        ``omit_sealed`` (to read who the tablet is before the PIN unlock).
        """
        rows = self._query(
            "SELECT key, value FROM setting WHERE substr(key, 1, ?) = ? ORDER BY key",
            (len(prefix), prefix),
        )
        return {
            str(k): self._open_setting(str(k), str(v))
            for k, v in rows
            if not (omit_sealed and self._cipher is None and k != _KEY_CHECK and _sealed(v))
        }

    def next_counter(self, name: str) -> int:
        """Increment and return a named counter (1 the first time).

        Call it inside :meth:`transaction` together with the record that uses the
        number, so a number is consumed exactly when that record is saved (receipt
        serials, G1).
        """
        with self.transaction() as conn:
            row = conn.execute(
                "INSERT INTO counter (name, value) VALUES (?, 1) ON CONFLICT (name)"
                " DO UPDATE SET value = value + 1 RETURNING value",
                (name,),
            ).fetchone()
            return int(row[0])

    def counter(self, name: str) -> int:
        rows = self._query("SELECT value FROM counter WHERE name = ?", (name,))
        return int(rows[0][0]) if rows else 0

    # -- queries for screens -------------------------------------------------------------------

    def get(self, collection: str, record_id: str) -> dict[str, Any] | None:
        """A record as a plain dict of its fields plus ``id``, or None."""
        state = self.read_record(collection, record_id)
        if state is None:
            return None
        return {"id": record_id, **state.fields}

    def find(self, record_id: str) -> tuple[str, dict[str, Any]] | None:
        """``(collection, record)`` for an id, whatever its collection."""
        rows = self._query(
            "SELECT collection, fields FROM record WHERE id = ? ORDER BY collection", (record_id,)
        )
        if not rows:
            return None
        collection = str(rows[0][0])
        return collection, {"id": record_id, **self._open(collection, _loads_dict(rows[0][1]))}

    @staticmethod
    def _check_plain(collection: str, name: str) -> None:
        if name in _readable_names(collection):
            raise SensitiveFilterError(
                f"{collection}.{name} is encrypted on the tablet: SQL cannot filter or sort"
                " on it; read the records and compare in Python"
            )

    @classmethod
    def _order(cls, collection: str, order_by: str | None, descending: bool) -> str:
        """The ``ORDER BY`` clause: by a plain field then id, or else by id."""
        direction = " DESC" if descending else ""
        if order_by is None:
            return f" ORDER BY id{direction}"
        if not order_by or not set(order_by) <= _SAFE_NAME:
            raise StoreError(f"bad field name to order by: {order_by!r}")
        cls._check_plain(collection, order_by)
        return f" ORDER BY json_extract(fields, '$.{order_by}'){direction}, id"

    @classmethod
    def _where(
        cls, collection: str, where: Mapping[str, Any] | None, include_deleted: bool
    ) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        params: list[Any] = []
        for name, value in (where or {}).items():
            if not name or not set(name) <= _SAFE_NAME:
                raise StoreError(f"bad field name in filter: {name!r}")
            cls._check_plain(collection, name)
            expression = f"json_extract(fields, '$.{name}')"
            if value is None:
                clauses.append(f"{expression} IS NULL")
            elif isinstance(value, list | tuple | set | frozenset):
                values = [int(v) if isinstance(v, bool) else v for v in value]
                marks = ", ".join("?" for _ in values)
                clauses.append(f"{expression} IN ({marks})" if values else "0")
                params.extend(values)
            else:
                clauses.append(f"{expression} = ?")
                params.append(int(value) if isinstance(value, bool) else value)
        if not include_deleted:
            clauses.append("coalesce(json_extract(fields, '$.deleted'), 0) = 0")
        return (" AND " + " AND ".join(clauses)) if clauses else "", params

    def list_records(
        self,
        collection: str,
        where: Mapping[str, Any] | None = None,
        *,
        order_by: str | None = None,
        descending: bool = False,
        limit: int | None = None,
        include_deleted: bool = False,
    ) -> list[dict[str, Any]]:
        """Records of a collection as dicts; ``where`` maps fields to a value or a list.

        Ordered by a field (``order_by``) or else by id (creation order for UUIDv7).
        Filtering or ordering on a sensitive field raises ``SensitiveFilterError``
        (with or without a key, so code behaves the same on every tablet): its values
        are ciphertext in SQLite.
        """
        clause, params = self._where(collection, where, include_deleted)
        sql = f"SELECT id, fields FROM record WHERE collection = ?{clause}"  # noqa: S608
        sql += self._order(collection, order_by, descending)
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        rows = self._query(sql, [collection, *params])
        return [{"id": rid, **self._open(collection, _loads_dict(fields))} for rid, fields in rows]

    def list_fields(
        self,
        collection: str,
        names: Sequence[str],
        where: Mapping[str, Any] | None = None,
        *,
        order_by: str | None = None,
        descending: bool = False,
        include_deleted: bool = False,
    ) -> list[dict[str, Any]]:
        """``id`` and a few fields of each record, as ``list_records`` orders and filters.

        For lists of thousands of records that show a few fields (the home screen):
        SQLite picks the fields out of the JSON, and only the sensitive ones asked for
        are opened, instead of parsing and opening every record whole. Meant for scalar
        fields: SQLite gives booleans as 0/1 and lists or objects as JSON text.
        """
        for name in names:
            if not name or not set(name) <= _SAFE_NAME:
                raise StoreError(f"bad field name: {name!r}")
        clause, params = self._where(collection, where, include_deleted)
        columns = "".join(f", json_extract(fields, '$.{name}')" for name in names)
        sql = f"SELECT id{columns} FROM record WHERE collection = ?{clause}"  # noqa: S608
        sql += self._order(collection, order_by, descending)
        sealed = [(i, name) for i, name in enumerate(names) if name in _readable_names(collection)]
        records: list[dict[str, Any]] = []
        for row in self._query(sql, [collection, *params]):
            values = list(row[1:])
            for i, name in sealed:
                values[i] = self._decrypt(values[i], f"{collection}.{name}")
            records.append({"id": row[0], **dict(zip(names, values, strict=True))})
        return records

    def count_records(
        self,
        collection: str,
        where: Mapping[str, Any] | None = None,
        *,
        include_deleted: bool = False,
    ) -> int:
        clause, params = self._where(collection, where, include_deleted)
        sql = f"SELECT count(*) FROM record WHERE collection = ?{clause}"  # noqa: S608
        return int(self._query(sql, [collection, *params])[0][0])

    def collections(self) -> dict[str, int]:
        """How many records each collection holds."""
        rows = self._query("SELECT collection, count(*) FROM record GROUP BY collection")
        return {str(c): int(n) for c, n in rows}
