"""The procedure catalog (danh mục thủ tục hành chính), edited centrally, read-only on tablets."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from server.models.base import GlobalSyncRecord


class Procedure(GlobalSyncRecord):
    __tablename__ = "procedure"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)  # mã thủ tục quốc gia
    name_vi: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str] = mapped_column(String(300))
    field: Mapped[str] = mapped_column(String(40), index=True)  # lĩnh vực
    # Statutory processing time limit; 0 means the same day ("trong ngày").
    processing_days: Mapped[int]
    # Unit of processing_days: "working_days" or "calendar_days" (sync.workdays.TimeUnit).
    time_unit: Mapped[str] = mapped_column(String(20), default="working_days")
    # Whether the 15:00 rule applies (received after 15:00 -> next working day).
    cutoff_15h: Mapped[bool] = mapped_column(default=False)
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
    #: On the province's published list of procedures that any commune centre of the
    #: province may receive, whatever the citizen's residence ("không phụ thuộc vào địa
    #: giới hành chính", Decree 118/2025/NĐ-CP); the receiving centre then hands the
    #: dossier over to the competent commune (server/services/handover.py).
    receivable_anywhere: Mapped[bool] = mapped_column(default=False, server_default=false())


class DayOffDecision(GlobalSyncRecord):
    """An official day-off decision layered over the ``holidays`` calendar.

    ``working`` False: an extra day off (e.g. Fri 02/01/2026, notice 12729/VPCP-KGVX);
    True: a make-up working day (e.g. Sat 10/01/2026). Managed by administrators,
    pulled by tablets as reference data; a withdrawn decision is kept inactive so that
    tablets learn of it. Only due dates computed afterwards use it.
    """

    __tablename__ = "day_off_decision"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(unique=True)
    working: Mapped[bool] = mapped_column(default=False)
    note: Mapped[str] = mapped_column(String(300), default="")
    active: Mapped[bool] = mapped_column(default=True)
