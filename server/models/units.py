"""Administrative units: province (tỉnh) → commune (xã/phường/đặc khu) → village (thôn/bản).

Since 2025 Vietnam has no district level, but the tree stays general: any unit may
have a parent, and ``level`` says what it is.
"""

from __future__ import annotations

import enum

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.models.base import GlobalSyncRecord, str_enum


class UnitLevel(enum.StrEnum):
    PROVINCE = "province"
    DISTRICT = "district"  # kept for history and other trees; unused after 2025
    COMMUNE = "commune"
    VILLAGE = "village"


class AdminUnit(GlobalSyncRecord):
    __tablename__ = "admin_unit"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Official code of the unit (mã đơn vị hành chính); villages may have none.
    code: Mapped[str | None] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    # The kind as people say it: "Tỉnh", "Xã", "Phường", "Đặc khu", "Thôn", "Bản", "Tổ dân phố".
    kind: Mapped[str] = mapped_column(String(40))
    level: Mapped[UnitLevel] = mapped_column(str_enum(UnitLevel, 16))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("admin_unit.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)

    parent: Mapped[AdminUnit | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[AdminUnit]] = relationship(back_populates="parent")

    @property
    def full_name(self) -> str:
        return f"{self.kind} {self.name}"

    def __repr__(self) -> str:
        return f"<AdminUnit {self.level} {self.full_name}>"
