"""Declarative base, column types and the mixin every synchronised record shares."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Enum,
    ForeignKey,
    Integer,
    MetaData,
    String,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column, registry
from sqlalchemy.types import TypeDecorator

# Named constraints make Alembic's SQLite batch mode and downgrades reliable.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always handed back timezone-aware.

    SQLite has no time zone type; without this, values read back would be naive and
    comparisons with aware datetimes would fail at run time.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def str_enum(enum_class: type[enum.StrEnum], length: int = 24) -> Enum:
    """Store a StrEnum by its value as plain text (no native enum type to migrate)."""
    return Enum(
        enum_class,
        native_enum=False,
        length=length,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class Base(DeclarativeBase):
    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime(), dict[str, Any]: JSON(), list[Any]: JSON()},
    )


class Timestamped(Base):
    __abstract__ = True

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class SyncRecord(Timestamped):
    """Columns shared by every record that tablets create offline and synchronise.

    - ``id`` is made on the device (UUIDv7 text), so a record has its identity before
      the server ever sees it.
    - ``commune_id`` is the owner: it decides who may see and write the record.
    - ``seq`` is the server's change sequence within the commune's scope; pulls page
      by it (see ``sync/PROTOCOL.md``).
    - ``field_clocks`` maps each field to the hybrid-logical-clock stamp of its last
      accepted write, which is what field-level merging compares.
    - ``deleted`` is a tombstone: records are never removed, so deletions sync too.
    """

    __abstract__ = True

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    field_clocks: Mapped[dict[str, Any]] = mapped_column(default=dict)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)

    @declared_attr
    def commune_id(cls) -> Mapped[int]:
        return mapped_column(Integer, ForeignKey("admin_unit.id"), index=True)

    @declared_attr
    def origin_device_id(cls) -> Mapped[str | None]:
        return mapped_column(String(36), ForeignKey("device.id"), nullable=True)


class GlobalSyncRecord(Timestamped):
    """Reference data owned by the server and pulled read-only by every tablet."""

    __abstract__ = True

    seq: Mapped[int] = mapped_column(BigInteger, default=0, index=True)
