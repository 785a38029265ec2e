"""Storage interfaces. The server implements them on SQLAlchemy, the tablet on SQLite.

Invariants every implementation MUST keep (the contract suite in
``tests/contract/`` checks them against each store):

- ``read_record`` returns exactly what ``write_fields`` stored: values round-trip
  through their JSON form (dates as ``YYYY-MM-DD`` strings, date-times as ISO 8601
  with offset, lists and objects unchanged, ``None`` kept), and each field keeps the
  clock it was written with.
- ``write_fields`` only touches the fields it is given; other fields keep their values
  and clocks. Writing to an absent record creates it.
- Records are never removed; the ``deleted`` field is a tombstone like any other field.

Device stores add the outbox (PROTOCOL.md §2): ``record_local`` writes the record and its
outbox entry in one transaction, so a saved edit survives the app being killed at any
instant (G2).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sync.merge import RecordState
from sync.ops import Change, Cursor, Operation, Outcome


class FieldStore(Protocol):
    """Records with per-field clocks: the part both replicas share."""

    def read_record(self, collection: str, record_id: str) -> RecordState | None:
        """The record's fields and clocks, or None if the store has never seen it."""
        ...

    def write_fields(
        self, collection: str, record_id: str, writes: dict[str, tuple[Any, str]]
    ) -> None:
        """Set each field to ``(value, clock)``; create the record if absent."""
        ...

    def record_ids(self, collection: str) -> Iterator[str]:
        """Every record id the store holds in ``collection``."""
        ...


@dataclass(frozen=True)
class BlobRef:
    """A photo the device holds and the server may not have yet."""

    sha256: str
    size: int
    content_type: str


@dataclass(frozen=True)
class RejectedOperation:
    """An operation the server refused, kept for the officer to correct (G12)."""

    op: Operation
    reason: str
    message: str
    errors: dict[str, str]


class DeviceStore(FieldStore, Protocol):
    """The tablet's local store: records, outbox, pull cursor and small settings."""

    def record_local(self, op: Operation) -> None:
        """Apply a local edit and append it to the outbox, in one transaction (G2)."""
        ...

    def pending_operations(self, limit: int | None = None) -> list[Operation]:
        """Operations not yet acknowledged nor rejected, oldest first."""
        ...

    def pending_count(self) -> int: ...

    def resend_after_rewind(self, node: str) -> int:
        """The server went back in time (a restore): queue this node's writes again as
        operations, mark every photo as not uploaded and pull again from the start, in
        one transaction. Returns how many operations were queued (PROTOCOL.md §12)."""
        ...

    def apply_outcomes(self, outcomes: Sequence[Outcome]) -> None:
        """Record the server's verdicts, in one transaction.

        Acknowledged operations leave the outbox (their records are now "on the
        server"); rejected ones are kept with their reason; retryable rejections stay
        pending; a re-stamped write takes the server's clock.
        """
        ...

    def rejected_operations(self) -> list[RejectedOperation]: ...

    def cursor(self) -> Cursor: ...

    def apply_changes(self, changes: Sequence[Change], cursor: Cursor) -> None:
        """Apply a pulled page and store its cursor, in one transaction (G10).

        A field with a pending local operation keeps its local value; every other
        field takes the server's value and clock.
        """
        ...

    def is_acknowledged(self, collection: str, record_id: str) -> bool:
        """Whether every local operation on the record has been acknowledged (G14)."""
        ...

    def pending_blobs(self) -> list[BlobRef]:
        """Photos the device's attachments name, not yet uploaded (the attachment may be
        acknowledged already: records go first), newest dossier first."""
        ...

    def read_blob(self, sha256: str, offset: int, size: int) -> bytes: ...

    def mark_blob_uploaded(self, sha256: str) -> None: ...

    def get_setting(self, key: str) -> str | None: ...

    def set_setting(self, key: str, value: str) -> None: ...


@dataclass(frozen=True)
class PushResult:
    now_ms: int
    skew_ms: int
    outcomes: list[Outcome]


@dataclass(frozen=True)
class PullPage:
    now_ms: int
    changes: list[Change]
    cursor: Cursor
    more: bool
    #: The server's epoch (PROTOCOL.md §12); a new one means it went back in time.
    epoch: str | None = None


@dataclass(frozen=True)
class BlobStatus:
    offset: int
    complete: bool


class Transport(Protocol):
    """How the engine reaches the server. Raises ``sync.errors`` exceptions only."""

    def push(self, operations: Sequence[Operation], device_now_ms: int) -> PushResult: ...

    def pull(self, cursor: Cursor, budget: int) -> PullPage: ...

    def start_blob(self, blob: BlobRef) -> BlobStatus: ...

    def start_blobs(self, blobs: Sequence[BlobRef]) -> list[BlobStatus]:
        """Announce several photos in one round trip; their states, in order."""
        ...

    def append_blob(self, sha256: str, offset: int, chunk: bytes) -> BlobStatus: ...


@dataclass(frozen=True)
class SyncSettings:
    """Settings the engine keeps in the device store."""

    last_sync_key: str = "last_sync_at"
    offset_key: str = "clock_offset_ms"
    hlc_key: str = "hlc_last"
    epoch_key: str = "server_epoch"


def parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None
