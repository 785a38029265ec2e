"""Citizens' ratings of the service (đánh giá mức độ hài lòng), left on the public page."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, ForeignKey, Integer, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.models.base import Timestamped


class ServiceRating(Timestamped):
    """One rating from the citizens' status page of a dossier: 1-5 stars and a comment.

    Not synchronised to tablets: it is written by the server only. Anyone holding the
    receipt number may rate (the page is rate-limited), so several ratings per dossier
    are allowed and the dashboard counts them all.
    """

    __tablename__ = "service_rating"
    __table_args__ = (CheckConstraint("stars BETWEEN 1 AND 5", name="stars_range"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("admin_unit.id"), index=True)
    dossier_id: Mapped[str] = mapped_column(ForeignKey("dossier.id"), index=True)
    stars: Mapped[int] = mapped_column(SmallInteger)
    comment: Mapped[str] = mapped_column(Text, default="")
    #: "public_page" today; kept so that other channels (kiosk, SMS) can be told apart.
    channel: Mapped[str] = mapped_column(String(20), default="public_page")
