"""Feedback and complaints of the calling tablet's commune (read side)."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask_smorest import Blueprint
from sqlalchemy import select

from server.api.common import BEARER, PageArgs, page_envelope
from server.api.paging import paginate
from server.auth.context import current_scope
from server.extensions import db_session
from server.models import Feedback
from server.scoping import get_scoped, restrict
from sync.domain import Channel, FeedbackKind, FeedbackStatus, FeedbackSubject

blp = Blueprint("feedback", __name__, url_prefix="feedback", description="Feedback (phản ánh)")


class FeedbackSchema(ma.Schema):
    id = ma.fields.String()
    commune_id = ma.fields.Integer()
    kind = ma.fields.Enum(FeedbackKind, by_value=True)
    content = ma.fields.String()
    subject = ma.fields.Enum(FeedbackSubject, by_value=True)
    dossier_id = ma.fields.String(allow_none=True)
    anonymous = ma.fields.Boolean()
    citizen_name = ma.fields.String(allow_none=True)
    channel = ma.fields.Enum(Channel, by_value=True)
    received_at = ma.fields.AwareDateTime()
    response_due_date = ma.fields.Date(allow_none=True)
    status = ma.fields.Enum(FeedbackStatus, by_value=True)
    response = ma.fields.String()
    answered_at = ma.fields.AwareDateTime(allow_none=True)


class FeedbackListArgs(PageArgs):
    status = ma.fields.Enum(FeedbackStatus, by_value=True, load_default=None)


@blp.route("")
@blp.doc(security=BEARER)
@blp.arguments(FeedbackListArgs, location="query")
@blp.response(200, page_envelope(FeedbackSchema))
def list_feedback(args: dict[str, Any]) -> Any:
    """Feedback of the device's commune, newest first."""
    stmt = restrict(select(Feedback), Feedback.commune_id, current_scope())
    if args["status"] is not None:
        stmt = stmt.where(Feedback.status == args["status"])
    stmt = stmt.order_by(Feedback.received_at.desc(), Feedback.id)
    return paginate(db_session(), stmt, args["page"], args["per_page"])


@blp.route("/<string:feedback_id>")
@blp.doc(security=BEARER)
@blp.response(200, FeedbackSchema)
@blp.alt_response(404, description="No such feedback in this commune")
def get_feedback(feedback_id: str) -> Any:
    return get_scoped(db_session(), Feedback, feedback_id, current_scope())
