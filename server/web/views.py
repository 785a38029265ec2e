"""Log-in, log-out, the officer's own password, and the home page of the admin web."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext
from flask_login import current_user, login_required, logout_user
from sqlalchemy import select

from server.auth import sessions
from server.auth.context import current_scope
from server.extensions import db, db_session, limiter
from server.models import AdminUnit, Officer, UnitLevel
from server.scoping import restrict
from server.services import login_guard, officers
from server.services.dossiers import count_by_status
from server.services.errors import Invalid
from server.web.forms import LoginForm
from server.web.nav import nav_item

bp = Blueprint("web", __name__)
nav_item("web.home", "Tổng quan", "Overview", order=0)

#: Pages an officer who must change their password may still open.
OPEN_WHILE_MUST_CHANGE = frozenset(
    {"web.change_password", "web.logout", "web.set_language", "static"}
)


def _login_limit() -> str:
    return str(current_app.config["LOGIN_RATE_LIMIT"])


def _address_limit() -> str:
    return str(current_app.config["LOGIN_ADDRESS_RATE_LIMIT"])


def _address_and_account() -> str:
    """The key of the per-account limit: one address guessing one username."""
    username = str(request.form.get("username", "")).strip().lower()[:64]
    return f"{request.remote_addr}|{username}"


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a path on this site (``/dossiers?x=1``), else None.

    Absolute URLs, scheme-relative ``//host`` and backslash tricks (``/\\host``, which
    browsers read as ``//host``) are refused: after log-in nobody is sent elsewhere.
    """
    if not target or len(target) > 2000:
        return None
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    if any(ord(ch) < 0x20 for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"], key_func=_address_and_account)
@limiter.limit(_address_limit, methods=["POST"])
def login() -> Any:
    form = LoginForm()
    next_url = safe_next(request.values.get("next"))
    if form.validate_on_submit():
        result = login_guard.log_in(
            db_session(),
            form.username.data or "",
            form.password.data or "",
            now=datetime.now(UTC),
            remote_addr=request.remote_addr,
        )
        db.session.commit()
        if result.officer is not None:
            sessions.start(result.officer)
            if result.officer.must_change_password:
                return redirect(url_for("web.change_password"))
            return redirect(next_url or url_for("web.home"))
        if result.failure is login_guard.Failure.BLOCKED and result.retry_after is not None:
            minutes = max(1, -(-int(result.retry_after.total_seconds()) // 60))
            flash(
                gettext(
                    "Tài khoản này tạm thời không đăng nhập được vì nhập sai mật khẩu "
                    "nhiều lần. Xin thử lại sau %(n)s phút.",
                    n=minutes,
                ),
                "error",
            )
        else:
            flash(gettext("Sai tên đăng nhập hoặc mật khẩu."), "error")
    return render_template("login.html", form=form, next_url=next_url)


@bp.post("/logout")
@login_required
def logout() -> Any:
    officer = db.session.get(Officer, current_user.id)
    if officer is not None:
        sessions.end_everywhere(officer)
        db.session.commit()
    logout_user()
    session.clear()
    return redirect(url_for("web.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password() -> Any:
    errors: dict[str, str] = {}
    if request.method == "POST":
        officer = db.session.get(Officer, current_user.id)
        assert officer is not None
        try:
            officers.change_own_password(
                db_session(),
                officer,
                current=request.form.get("current", ""),
                new=request.form.get("new", ""),
                again=request.form.get("again", ""),
                remote_addr=request.remote_addr,
            )
        except Invalid as error:
            db.session.rollback()
            errors = _password_errors(error.errors)
        else:
            db.session.commit()
            sessions.start(officer)  # this browser stays logged in, with the new generation
            flash(gettext("Đã đổi mật khẩu. Các phiên đăng nhập khác đã kết thúc."), "ok")
            return redirect(url_for("web.home"))
    return render_template(
        "account/password.html",
        errors=errors,
        must_change=current_user.must_change_password,
        min_length=officers.MIN_PASSWORD_LENGTH,
    ), (422 if errors else 200)


def _password_errors(problems: dict[str, Any]) -> dict[str, str]:
    messages = {
        "current": gettext("Mật khẩu hiện tại không đúng."),
        "new": gettext(
            "Mật khẩu mới cần ít nhất %(n)s ký tự và khác mật khẩu cũ.",
            n=officers.MIN_PASSWORD_LENGTH,
        ),
        "again": gettext("Hai lần nhập mật khẩu không khớp."),
    }
    return {name: messages[name] for name in problems if name in messages}


@bp.before_app_request
def _must_change_password() -> Any:
    """An account made or reset by an administrator opens nothing before a new password."""
    if request.path.startswith("/api/") or request.endpoint in OPEN_WHILE_MUST_CHANGE:
        return None
    if request.blueprint == "web_public":
        return None
    if current_user.is_authenticated and current_user.must_change_password:
        return redirect(url_for("web.change_password"))
    return None


@bp.get("/lang/<code>")
def set_language(code: str) -> Any:
    if code in ("vi", "en"):
        session["locale"] = code
    return redirect(_same_site_referrer() or url_for("web.home"))


def _same_site_referrer() -> str | None:
    """The page the visitor came from, if it is on this site (as a path), else None."""
    referrer = request.referrer
    if not referrer:
        return None
    parts = urlsplit(referrer)
    if parts.scheme not in ("http", "https") or parts.netloc != request.host:
        return None
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return safe_next(path)


@bp.get("/")
@login_required
def home() -> Any:
    scope = current_scope()
    communes = db.session.scalars(
        restrict(
            select(AdminUnit).where(AdminUnit.level == UnitLevel.COMMUNE),
            AdminUnit.id,
            scope,
        ).order_by(AdminUnit.name)
    ).all()
    return render_template(
        "home.html",
        user=current_user,
        communes=communes,
        counts=count_by_status(db_session(), scope),
    )
