"""Log-in, log-out and the home page of the admin web."""

from __future__ import annotations

from typing import Any

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
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from server.auth.context import current_scope
from server.extensions import db, db_session, limiter
from server.models import AdminUnit, UnitLevel
from server.scoping import restrict
from server.services import audit
from server.services.dossiers import count_by_status
from server.services.officers import authenticate
from server.web.forms import LoginForm
from server.web.nav import nav_item

bp = Blueprint("web", __name__)
nav_item("web.home", "Tổng quan", "Overview", order=0)


def _login_limit() -> str:
    return str(current_app.config["LOGIN_RATE_LIMIT"])


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login() -> Any:
    form = LoginForm()
    if form.validate_on_submit():
        officer = authenticate(db_session(), form.username.data or "", form.password.data or "")
        if officer is not None:
            login_user(officer)
            audit.record(
                db_session(),
                "login",
                officer_id=officer.id,
                commune_id=officer.unit_id,
                remote_addr=request.remote_addr,
            )
            db.session.commit()
            return redirect(url_for("web.home"))
        db.session.commit()
        flash("Sai tên đăng nhập hoặc mật khẩu (wrong username or password)", "error")
    return render_template("login.html", form=form)


@bp.post("/logout")
@login_required
def logout() -> Any:
    logout_user()
    return redirect(url_for("web.login"))


@bp.get("/lang/<code>")
def set_language(code: str) -> Any:
    if code in ("vi", "en"):
        session["locale"] = code
    return redirect(request.referrer or url_for("web.home"))


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
