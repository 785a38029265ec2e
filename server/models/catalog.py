"""The procedure catalog (danh mục thủ tục hành chính), edited centrally, read-only on tablets."""

from __future__ import annotations

from typing import Any

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.models.base import GlobalSyncRecord


class Procedure(GlobalSyncRecord):
    __tablename__ = "procedure"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)  # mã thủ tục quốc gia
    name_vi: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str] = mapped_column(String(300))
    field: Mapped[str] = mapped_column(String(40), index=True)  # lĩnh vực
    # Statutory processing time in working days; 0 means the same day.
    processing_days: Mapped[int]
    extension_days: Mapped[int] = mapped_column(default=0)
    extension_when_vi: Mapped[str] = mapped_column(Text, default="")
    extension_when_en: Mapped[str] = mapped_column(Text, default="")
    required_documents: Mapped[list[Any]] = mapped_column(default=list)
    fee_vnd: Mapped[int] = mapped_column(default=0)
    fee_note_vi: Mapped[str] = mapped_column(Text, default="")
    fee_note_en: Mapped[str] = mapped_column(Text, default="")
    legal_basis: Mapped[str] = mapped_column(Text, default="")
    result_vi: Mapped[str] = mapped_column(String(300), default="")
    result_en: Mapped[str] = mapped_column(String(300), default="")
    active: Mapped[bool] = mapped_column(default=True)
    # The people and facts an intake records (``sync.forms``; server/catalog/forms.json).
    form: Mapped[dict[str, Any]] = mapped_column(default=dict)
