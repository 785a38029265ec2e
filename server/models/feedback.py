"""Feedback, recommendations, complaints and praise (phản ánh, kiến nghị, khiếu nại, khen ngợi)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.models.base import SyncRecord, str_enum
from server.models.people import Officer
from sync.domain import Channel, FeedbackKind, FeedbackStatus, FeedbackSubject


class Feedback(SyncRecord):
    __tablename__ = "feedback"
    __table_args__ = (
        Index("ix_feedback_commune_seq_id", "commune_id", "seq", "id"),
        Index("ix_feedback_commune_status", "commune_id", "status"),
    )

    kind: Mapped[FeedbackKind] = mapped_column(str_enum(FeedbackKind, 20))
    content: Mapped[str] = mapped_column(Text)
    subject: Mapped[FeedbackSubject] = mapped_column(
        str_enum(FeedbackSubject, 20), default=FeedbackSubject.SERVICE
    )
    dossier_id: Mapped[str | None] = mapped_column(ForeignKey("dossier.id"))
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("officer.id"))
    # The citizen may stay anonymous; then name and phone stay empty.
    anonymous: Mapped[bool] = mapped_column(default=False)
    citizen_name: Mapped[str | None] = mapped_column(String(120))
    citizen_phone: Mapped[str | None] = mapped_column(String(20))
    channel: Mapped[Channel] = mapped_column(str_enum(Channel, 20))
    received_at: Mapped[datetime]
    response_due_date: Mapped[date | None]
    status: Mapped[FeedbackStatus] = mapped_column(
        str_enum(FeedbackStatus, 20), default=FeedbackStatus.NEW
    )
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("officer.id"))
    forwarded_to: Mapped[str | None] = mapped_column(String(200))
    response: Mapped[str] = mapped_column(Text, default="")
    answered_at: Mapped[datetime | None]
    # Whether the answer may be published (công khai) on the citizens' page.
    public: Mapped[bool] = mapped_column(default=False)

    assignee: Mapped[Officer | None] = relationship(foreign_keys=[assignee_id])
