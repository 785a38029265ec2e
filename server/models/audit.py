"""Audit log (nhật ký hệ thống): who changed what, from which device."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from server.models.base import Base, utcnow


class AuditEntry(Base):
    __tablename__ = "audit_entry"
    __table_args__ = (
        Index("ix_audit_entry_commune_at", "commune_id", "at"),
        Index("ix_audit_entry_entity", "entity", "entity_id"),
    )

    # SQLite only auto-increments an INTEGER primary key.
    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True
    )
    at: Mapped[datetime] = mapped_column(default=utcnow)
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("officer.id"))
    device_id: Mapped[str | None] = mapped_column(String(36))
    commune_id: Mapped[int | None] = mapped_column(ForeignKey("admin_unit.id"))
    action: Mapped[str] = mapped_column(String(60))  # login, device.register, dossier.create…
    entity: Mapped[str | None] = mapped_column(String(40))
    entity_id: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    remote_addr: Mapped[str | None] = mapped_column(String(64))
