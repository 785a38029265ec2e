"""Citizens' ratings of the service (đánh giá mức độ hài lòng), left on the public page."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.models.base import Timestamped, str_enum


class CommentStatus(enum.StrEnum):
    """Where a rating's comment stands: it reaches the dashboard only once approved."""

    PENDING = "pending"  # chờ duyệt
    APPROVED = "approved"  # đã duyệt: shown on the dashboard
    HIDDEN = "hidden"  # không hiển thị


class ServiceRating(Timestamped):
    """The rating of one dossier from its citizens' page: 1-5 stars and a comment.

    Not synchronised to tablets: it is written by the server only. One rating per
    dossier (``dossier_id`` is unique); the citizen may change it, and only once the
    result was returned, with the check code printed on slip 01. The stars count at
    once; the comment reaches the dashboard only after a commune leader approves it.
    """

    __tablename__ = "service_rating"
    __table_args__ = (CheckConstraint("stars BETWEEN 1 AND 5", name="stars_range"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("admin_unit.id"), index=True)
    dossier_id: Mapped[str] = mapped_column(ForeignKey("dossier.id"), unique=True)
    stars: Mapped[int] = mapped_column(SmallInteger)
    comment: Mapped[str] = mapped_column(Text, default="")
    comment_status: Mapped[CommentStatus] = mapped_column(
        str_enum(CommentStatus, 12), default=CommentStatus.PENDING, server_default="pending"
    )
    moderated_by_id: Mapped[int | None] = mapped_column(ForeignKey("officer.id"))
    moderated_at: Mapped[datetime | None]
    #: "public_page" today; kept so that other channels (kiosk, SMS) can be told apart.
    channel: Mapped[str] = mapped_column(String(20), default="public_page")
