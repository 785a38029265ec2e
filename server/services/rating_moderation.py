"""Leaders let citizens' rating comments through to the dashboard (or keep them hidden)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import CommentStatus, Dossier, Officer, ServiceRating
from server.scoping import Scope, restrict
from server.services import audit
from server.services.errors import NotFound
from server.translatable import msg

MAX_LISTED = 200


def comments(
    session: Session, scope: Scope, status: CommentStatus
) -> list[tuple[ServiceRating, str]]:
    """Ratings with a comment in ``status``, newest first, with their receipt numbers."""
    stmt = (
        restrict(select(ServiceRating, Dossier.receipt_number), ServiceRating.commune_id, scope)
        .join(Dossier, Dossier.id == ServiceRating.dossier_id)
        .where(ServiceRating.comment != "", ServiceRating.comment_status == status)
        .order_by(ServiceRating.updated_at.desc(), ServiceRating.id.desc())
        .limit(MAX_LISTED)
    )
    return [(rating, number) for rating, number in session.execute(stmt)]


def moderate(
    session: Session,
    scope: Scope,
    rating_id: int,
    status: CommentStatus,
    *,
    by: Officer,
    now: datetime,
    remote_addr: str | None = None,
) -> ServiceRating:
    """Approve or hide one comment of the leader's communes; audited."""
    rating = session.scalar(
        restrict(select(ServiceRating), ServiceRating.commune_id, scope).where(
            ServiceRating.id == rating_id
        )
    )
    if rating is None:
        raise NotFound(msg("Không tìm thấy đánh giá: %(rating_id)s", rating_id=rating_id))
    rating.comment_status = status
    rating.moderated_by_id = by.id
    rating.moderated_at = now
    session.flush()
    audit.record(
        session,
        f"rating.{status.value}",
        officer_id=by.id,
        commune_id=rating.commune_id,
        entity="service_rating",
        entity_id=rating.id,
        remote_addr=remote_addr,
    )
    return rating
