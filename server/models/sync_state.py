"""Server-side sync bookkeeping: change counters per scope, conflict records, and the
outcome of every operation a tablet pushed (exactly-once delivery)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.models.base import Base, SyncRecord, utcnow


class SyncCounter(Base):
    """The last change sequence number handed out in a scope.

    A scope is ``"global"`` (reference data) or ``"commune:<id>"``. Writers lock their
    scope's row until they commit, so sequence numbers become visible in the order they
    were issued and a puller can never step over a change committed late.
    """

    __tablename__ = "sync_counter"

    scope: Mapped[str] = mapped_column(String(40), primary_key=True)
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0)


class SyncConflict(SyncRecord):
    """A decision the merge took alone that a person may want to overturn.

    The kept value is in the record; the value that lost is preserved here with who
    wrote it, from which device and when, so that nothing typed is ever lost.
    """

    __tablename__ = "sync_conflict"
    __table_args__ = (
        Index("ix_sync_conflict_commune_seq_id", "commune_id", "seq", "id"),
        Index("ix_sync_conflict_record", "collection", "record_id"),
    )

    collection: Mapped[str] = mapped_column(String(40))
    record_id: Mapped[str] = mapped_column(String(36))
    field: Mapped[str] = mapped_column(String(60))
    reason: Mapped[str] = mapped_column(String(40))  # concurrent_edit, stale_status, …
    kept_value: Mapped[Any] = mapped_column(JSON)
    kept_clock: Mapped[str] = mapped_column(String(40))
    kept_device_id: Mapped[str | None] = mapped_column(String(36))
    lost_value: Mapped[Any] = mapped_column(JSON)
    lost_clock: Mapped[str] = mapped_column(String(40))
    lost_device_id: Mapped[str | None] = mapped_column(String(36))
    lost_officer_id: Mapped[int | None] = mapped_column(ForeignKey("officer.id"))
    status: Mapped[str] = mapped_column(String(16), default="open")  # open, resolved
    resolution: Mapped[str | None] = mapped_column(String(16))  # kept, overturned, edited
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("officer.id"))
    resolved_at: Mapped[datetime | None]


class AppliedOperation(Base):
    """The outcome of a pushed operation, kept under its id (PROTOCOL.md §6, G3).

    A tablet that did not get the answer pushes the same operation again; the server
    finds it here and answers the stored outcome without applying anything twice. It is
    written in the same transaction as the operation's effects. Retryable rejections
    (``missing_parent``, ``blob_missing``) are not kept.
    """

    __tablename__ = "applied_operation"
    __table_args__ = (Index("ix_applied_operation_device_created", "device_id", "created_at"),)

    op_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    device_id: Mapped[str] = mapped_column(String(36), ForeignKey("device.id"))
    commune_id: Mapped[int] = mapped_column(ForeignKey("admin_unit.id"))
    # The outcome in its wire form ({"i", "o", "s"?, "r"?, "m"?, "e"?, "x"?, "t"?}).
    outcome: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ScopeEntry(Base):
    """A record of another commune's dossier in this commune's change stream.

    A dossier received by one commune and settled (or returned) by another is shared
    (Decree 118/2025/NĐ-CP, filing anywhere in the province): its home is the receiving
    commune (``commune_id`` and ``seq`` of the record), and every other involved commune
    gets one row here per record of the dossier (the dossier, its timeline, apologies,
    photos and conflicts), numbered from THAT commune's counter under its row lock, in
    the writer's transaction. Each later write re-numbers the rows, so pulls of every
    involved commune see the change after their cursor (G4, PROTOCOL.md §7 "Shared
    dossiers"). ``gone`` marks a record of a commune no longer involved: it is sent once
    more as a removal, so that commune's tablets forget it.
    """

    __tablename__ = "scope_entry"
    __table_args__ = (
        UniqueConstraint("commune_id", "collection", "record_id"),
        Index("ix_scope_entry_commune_seq", "commune_id", "seq", "record_id"),
        Index("ix_scope_entry_record", "collection", "record_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("admin_unit.id"))
    seq: Mapped[int] = mapped_column(BigInteger)
    collection: Mapped[str] = mapped_column(String(40))
    record_id: Mapped[str] = mapped_column(String(36))
    gone: Mapped[bool] = mapped_column(Boolean, default=False)
