"""Officers (cán bộ, công chức) with their roles, and the tablets registered to them."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.models.base import Timestamped, str_enum
from server.models.units import AdminUnit


class Role(enum.StrEnum):
    OFFICER = "officer"  # công chức một cửa / tư pháp–hộ tịch
    COMMUNE_LEADER = "commune_leader"  # lãnh đạo UBND xã
    PROVINCE_ADMIN = "province_admin"  # quản trị cấp tỉnh
    SYSTEM_ADMIN = "system_admin"  # quản trị hệ thống


class Officer(Timestamped):
    __tablename__ = "officer"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(str_enum(Role, 32))
    # A commune for officers and leaders, a province for province admins, none for
    # system admins. Data access follows it (see server.scoping).
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("admin_unit.id"), index=True)
    title: Mapped[str | None] = mapped_column(String(120))  # chức danh
    phone: Mapped[str | None] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(default=True)
    last_login_at: Mapped[datetime | None]
    #: Raised by log-out, a password change or reset: every session cookie carrying an
    #: older number stops working (server.auth.sessions).
    session_generation: Mapped[int] = mapped_column(default=0, server_default="0")
    #: Set on accounts an administrator created or reset: the officer must choose their
    #: own password before anything else.
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=false())
    #: Failed log-ins in a row, and until when the account refuses log-ins (back-off).
    failed_logins: Mapped[int] = mapped_column(default=0, server_default="0")
    login_blocked_until: Mapped[datetime | None]

    unit: Mapped[AdminUnit | None] = relationship()

    # Flask-Login protocol
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        # The generation is part of the id Flask-Login keeps in the session cookie, so a
        # cookie from before a log-out or password change no longer loads the officer.
        return f"{self.id}:{self.session_generation}"

    def __repr__(self) -> str:
        return f"<Officer {self.username} {self.role}>"


class Device(Timestamped):
    """A tablet bound to one officer and one commune; revocable if lost."""

    __tablename__ = "device"
    __table_args__ = (
        UniqueConstraint("commune_id", "device_no"),
        Index("ix_device_officer", "officer_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    officer_id: Mapped[int] = mapped_column(ForeignKey("officer.id"))
    commune_id: Mapped[int] = mapped_column(ForeignKey("admin_unit.id"))
    # Small number unique within the commune, never reused: it is part of every
    # receipt number the tablet issues offline.
    device_no: Mapped[int]
    name: Mapped[str] = mapped_column(String(120))
    # Only a SHA-256 of the bearer token is kept; the token itself is shown once.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    app_version: Mapped[str | None] = mapped_column(String(32))
    last_seen_at: Mapped[datetime | None]
    last_sync_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("officer.id"))

    officer: Mapped[Officer] = relationship(foreign_keys=[officer_id])
    commune: Mapped[AdminUnit] = relationship()

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


class DeviceRecovery(Timestamped):
    """The secret that recovers a tablet's data key when its officer forgets the PIN.

    The tablet wraps its data key a second time under this secret and forgets it; only
    the officer's password, checked here, brings it back (``server.services.
    device_recovery``). Kept sealed (AES-GCM under a key derived from the server's secret
    key), found by ``secret_id`` (a digest). ``pending_*`` is the next secret, offered to
    the unlocked tablet and promoted when the tablet confirms it wrapped its key under it.
    """

    __tablename__ = "device_recovery"

    device_id: Mapped[str] = mapped_column(ForeignKey("device.id"), primary_key=True)
    secret_id: Mapped[str | None] = mapped_column(String(32))
    secret_sealed: Mapped[str | None] = mapped_column(String(200))
    pending_id: Mapped[str | None] = mapped_column(String(32))
    pending_sealed: Mapped[str | None] = mapped_column(String(200))
    pending_expires_at: Mapped[datetime | None]
    #: When the officer last claimed the secret with the password (cleared by rotation).
    claimed_at: Mapped[datetime | None]
    claims: Mapped[int] = mapped_column(default=0)
