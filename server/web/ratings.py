"""Citizens' rating comments waiting for a leader (duyệt góp ý trên trang tra cứu)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user

from server.auth.context import current_scope
from server.extensions import db, db_session
from server.models import CommentStatus
from server.services import rating_moderation
from server.web.access import LEADERS, roles_required
from server.web.nav import nav_item

bp = Blueprint("web_ratings", __name__, url_prefix="/ratings")
nav_item("web_ratings.index", "Góp ý công dân", "Citizens' comments", roles=LEADERS, order=25)


def _status(text: str | None) -> CommentStatus:
    try:
        return CommentStatus(text or CommentStatus.PENDING.value)
    except ValueError:
        return CommentStatus.PENDING


@bp.get("")
@roles_required(LEADERS)
def index() -> Any:
    status = _status(request.args.get("status"))
    return render_template(
        "ratings/list.html",
        status=status,
        statuses=list(CommentStatus),
        rows=rating_moderation.comments(db_session(), current_scope(), status),
    )


@bp.post("/<int:rating_id>")
@roles_required(LEADERS)
def moderate(rating_id: int) -> Any:
    status = _status(request.form.get("status"))
    rating_moderation.moderate(
        db_session(),
        current_scope(),
        rating_id,
        status,
        by=current_user,
        now=datetime.now(UTC),
        remote_addr=request.remote_addr,
    )
    db.session.commit()
    flash(
        gettext("Đã cho hiển thị góp ý.")
        if status is CommentStatus.APPROVED
        else gettext("Đã ẩn góp ý."),
        "ok",
    )
    return redirect(url_for(".index", status=request.form.get("back") or None))
