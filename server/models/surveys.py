"""Satisfaction survey forms (versioned, published centrally) and the responses to them."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import Column, Float, ForeignKey, Index, String, Table, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.models.base import Base, GlobalSyncRecord, SyncRecord, str_enum
from server.models.units import AdminUnit


class FormStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    RETIRED = "retired"


survey_form_commune = Table(
    "survey_form_commune",
    Base.metadata,
    Column("form_id", ForeignKey("survey_form.id"), primary_key=True),
    Column("commune_id", ForeignKey("admin_unit.id"), primary_key=True),
)


class SurveyForm(GlobalSyncRecord):
    """One version of a form. A new version is a new row with the same ``key``.

    ``questions`` is a list of ``{"id", "type", "text_vi", "text_en", "options"?,
    "required"}``, with type one of likert5, yes_no, single_choice, multiple_choice,
    number, text. Published versions are never edited, so responses always refer to
    the exact questions that were asked.
    """

    __tablename__ = "survey_form"
    __table_args__ = (UniqueConstraint("key", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(60))
    version: Mapped[int] = mapped_column(default=1)
    title_vi: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200))
    questions: Mapped[list[Any]] = mapped_column(default=list)
    status: Mapped[FormStatus] = mapped_column(str_enum(FormStatus, 16), default=FormStatus.DRAFT)
    published_at: Mapped[datetime | None]

    communes: Mapped[list[AdminUnit]] = relationship(secondary=survey_form_commune)


class SurveyResponse(SyncRecord):
    __tablename__ = "survey_response"
    __table_args__ = (
        Index("ix_survey_response_commune_seq_id", "commune_id", "seq", "id"),
        Index("ix_survey_response_form_commune", "form_id", "commune_id"),
    )

    form_id: Mapped[int] = mapped_column(ForeignKey("survey_form.id"))
    village_id: Mapped[int | None] = mapped_column(ForeignKey("admin_unit.id"))
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("officer.id"))
    collected_at: Mapped[datetime]
    answers: Mapped[dict[str, Any]] = mapped_column(default=dict)  # question id → answer
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    # Optional respondent profile; each may stay empty.
    age_band: Mapped[str | None] = mapped_column(String(16))
    gender: Mapped[str | None] = mapped_column(String(16))
    ethnic_group: Mapped[str | None] = mapped_column(String(40))

    form: Mapped[SurveyForm] = relationship()
