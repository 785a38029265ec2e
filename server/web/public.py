"""The citizens' page (trang tra cứu): no log-in; a receipt number and its secret.

``/tra-cuu`` asks for the receipt number and the check code printed on slip 01 (or the
birth year and the last four phone digits); the QR link of slip 01 carries the code as
``/tra-cuu/<receipt>?k=<code>``. A dossier opened this way is remembered in the
visitor's session (its receipt number and how it was proven), and the clean address
``/tra-cuu/<receipt>`` then shows it; without that it only asks for the code, the same
whether the number exists or not. Rates: per address for every route, and per receipt
number for failed attempts, so neither walking through numbers nor guessing one
dossier's code gets anywhere (server.services.public_status).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask.wrappers import Response
from flask_babel import gettext, lazy_gettext
from flask_wtf import FlaskForm
from wtforms import RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from server.extensions import db, db_session, limiter
from server.models import Dossier
from server.services import public_status
from server.services.errors import Invalid, NotFound
from server.services.public_status import Proof, Secret
from server.services.reports import office_today

bp = Blueprint("web_public", __name__, url_prefix="/tra-cuu")

DEFAULT_LIMIT = "30 per minute"
DEFAULT_RATING_LIMIT = "5 per minute"
#: Failed attempts on one receipt number, from anywhere.
DEFAULT_RECEIPT_LIMIT = "10 per hour"
#: Session key: ``{receipt number: proof}`` of the dossiers this visitor opened.
OPENED = "tra_cuu"
MAX_OPENED = 10


def _limit() -> str:
    return str(current_app.config.get("PUBLIC_RATE_LIMIT", DEFAULT_LIMIT))


def _rating_limit() -> str:
    return str(current_app.config.get("PUBLIC_RATING_RATE_LIMIT", DEFAULT_RATING_LIMIT))


def _receipt_limit() -> str:
    return str(current_app.config.get("PUBLIC_RECEIPT_RATE_LIMIT", DEFAULT_RECEIPT_LIMIT))


def _receipt_key() -> str:
    """Failed attempts are counted per receipt number (its digits), not per address."""
    text = (request.view_args or {}).get("receipt_number") or request.args.get("ma", "")
    digits = "".join(ch for ch in str(text) if ch.isascii() and ch.isdigit())
    return f"receipt:{digits[:40]}"


def _failed(response: Response) -> bool:
    return response.status_code == 404


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


def _secret() -> Secret:
    return Secret(
        check_code=request.args.get("k", "")[:20],
        birth_year=request.args.get("nam-sinh", "")[:10],
        phone_last4=request.args.get("dien-thoai", "")[:10],
    )


def _remember(dossier: Dossier, proof: Proof) -> None:
    opened = dict(session.get(OPENED) or {})
    opened.pop(dossier.receipt_number, None)
    opened[dossier.receipt_number] = proof.value
    session[OPENED] = dict(list(opened.items())[-MAX_OPENED:])


def _proof(receipt_number: str) -> Proof | None:
    value = (session.get(OPENED) or {}).get(receipt_number)
    return Proof(value) if value in {p.value for p in Proof} else None


def _ask(receipt: str, *, code: int = 200, failed: bool = False, missing: bool = False) -> Any:
    """The form asking for the receipt number and its secret (nothing about the dossier)."""
    return render_template(
        "public/lookup.html", receipt=receipt[:40], failed=failed, missing=missing
    ), code


@bp.get("")
@limiter.limit(_limit)
@limiter.limit(_receipt_limit, key_func=_receipt_key, deduct_when=_failed)
def lookup() -> Any:
    typed = request.args.get("ma", "").strip()
    if not typed:
        return _ask("")
    secret = _secret()
    if not secret.given:
        return _ask(typed, code=422, missing=True)
    return _open(typed, secret)


def _open(typed: str, secret: Secret) -> Any:
    try:
        dossier, proof = public_status.open_dossier(db_session(), typed, secret)
    except NotFound:
        return _ask(typed, code=404, failed=True)
    _remember(dossier, proof)
    return redirect(url_for(".status", receipt_number=dossier.receipt_number))


@bp.get("/<receipt_number>")
@limiter.limit(_limit)
@limiter.limit(_receipt_limit, key_func=_receipt_key, deduct_when=_failed)
def status(receipt_number: str) -> Any:
    if request.args.get("k"):  # the QR link of slip 01
        return _open(receipt_number, _secret())
    return _render_status(receipt_number, RatingForm())


def _render_status(receipt_number: str, form: RatingForm, code: int = 200) -> Any:
    proof = _proof(receipt_number)
    if proof is None:
        return _ask(receipt_number)
    try:
        dossier = public_status.find_opened(db_session(), receipt_number)
    except NotFound:
        return _ask(receipt_number, code=404, failed=True)
    info = public_status.status_of(db_session(), dossier, today=office_today())
    rated = request.args.get("da-danh-gia") == "1" and request.method == "GET"
    if info.rating is not None and request.method == "GET" and not form.is_submitted():
        form.stars.data = str(info.rating.stars)
        form.comment.data = info.rating.comment
    return render_template(
        "public/status.html",
        info=info,
        form=form,
        rated=rated,
        may_rate=info.may_rate and proof is Proof.CHECK_CODE,
        proof=proof.value,
    ), code


@bp.post("/<receipt_number>/danh-gia")
@limiter.limit(_limit)
@limiter.limit(_rating_limit)
def rate(receipt_number: str) -> Any:
    form = RatingForm()
    if _proof(receipt_number) is not Proof.CHECK_CODE:
        # Only the check code on the slip lets a visitor rate (not the birth year).
        return _ask(receipt_number, code=403)
    if not form.validate_on_submit():
        return _render_status(receipt_number, form, 422)
    try:
        dossier = public_status.find_opened(db_session(), receipt_number)
        public_status.rate(
            db_session(),
            dossier,
            stars=int(form.stars.data or 0),
            comment=form.comment.data or "",
            now=datetime.now(UTC),
        )
    except NotFound:
        db.session.rollback()
        return _ask(receipt_number, code=404, failed=True)
    except public_status.NotYetRatable:
        db.session.rollback()
        form.stars.errors = [gettext("Ông/bà có thể đánh giá sau khi nhận kết quả.")]
        return _render_status(receipt_number, form, 409)
    except Invalid as error:
        db.session.rollback()
        for name in error.errors:
            getattr(form, name).errors = [gettext("Đánh giá chưa hợp lệ.")]
        return _render_status(receipt_number, form, 422)
    db.session.commit()
    # "?da-danh-gia=1" shows the thanks instead of the form (a plain redirect target).
    target = url_for(".status", receipt_number=receipt_number)
    return redirect(f"{target}?da-danh-gia=1#danh-gia")
