"""The citizens' page (trang tra cứu): no log-in, a dossier's status from its receipt number.

Both routes are rate-limited: receipt numbers follow a pattern, so the limit is what
keeps anyone from walking through them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from wtforms import RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from server.extensions import db, db_session, limiter
from server.services import public_status
from server.services.errors import Invalid, NotFound
from server.services.reports import office_today

bp = Blueprint("web_public", __name__, url_prefix="/tra-cuu")

DEFAULT_LIMIT = "30 per minute"
DEFAULT_RATING_LIMIT = "5 per minute"


def _limit() -> str:
    return str(current_app.config.get("PUBLIC_RATE_LIMIT", DEFAULT_LIMIT))


def _rating_limit() -> str:
    return str(current_app.config.get("PUBLIC_RATING_RATE_LIMIT", DEFAULT_RATING_LIMIT))


class RatingForm(FlaskForm):
    stars = RadioField(
        lazy_gettext("Mức độ hài lòng"),
        # Highest first: the stars are laid out right to left (see app.css).
        choices=[SelectChoice(str(n)) for n in (5, 4, 3, 2, 1)],
        validators=[DataRequired()],
    )
    comment = TextAreaField(
        lazy_gettext("Góp ý (không bắt buộc)"),
        validators=[Length(max=public_status.MAX_COMMENT_LENGTH)],
    )


@bp.get("")
@limiter.limit(_limit)
def lookup() -> Any:
    q = request.args.get("ma", "").strip()
    if q:
        number = public_status.normalise_receipt(q)
        if number is not None:
            return redirect(url_for(".status", receipt_number=number))
        return _not_found(q)
    return render_template("public/lookup.html")


def _not_found(receipt_number: str) -> Any:
    return render_template("public/not_found.html", receipt_number=receipt_number[:40]), 404


def _render_status(receipt_number: str, form: RatingForm, code: int = 200) -> Any:
    try:
        info = public_status.lookup(db_session(), receipt_number, today=office_today())
    except NotFound:
        return _not_found(receipt_number)
    rated = request.args.get("da-danh-gia") == "1" and request.method == "GET"
    return render_template("public/status.html", info=info, form=form, rated=rated), code


@bp.get("/<receipt_number>")
@limiter.limit(_limit)
def status(receipt_number: str) -> Any:
    return _render_status(receipt_number, RatingForm())


@bp.post("/<receipt_number>/danh-gia")
@limiter.limit(_limit)
@limiter.limit(_rating_limit)
def rate(receipt_number: str) -> Any:
    form = RatingForm()
    if not form.validate_on_submit():
        return _render_status(receipt_number, form, 422)
    try:
        public_status.add_rating(
            db_session(),
            receipt_number,
            stars=int(form.stars.data or 0),
            comment=form.comment.data or "",
            now=datetime.now(UTC),
        )
    except NotFound:
        db.session.rollback()
        return _not_found(receipt_number)
    except Invalid as error:
        db.session.rollback()
        for name, message in error.errors.items():
            getattr(form, name).errors = [message]
        return _render_status(receipt_number, form, 422)
    db.session.commit()
    # "?da-danh-gia=1" shows the thanks instead of the form (a plain redirect target).
    target = url_for(".status", receipt_number=receipt_number)
    return redirect(f"{target}?da-danh-gia=1#danh-gia")
