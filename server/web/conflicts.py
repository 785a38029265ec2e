"""The conflicts queue (xung đột đồng bộ): both values side by side, resolve one way or another.

Resolving goes through :func:`server.sync.conflicts.resolve_conflict` (as the tablets'
API does), so the decided value wins every merge and every tablet pulls it.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user

from server.auth.context import current_scope
from server.extensions import db, db_session
from server.messages import for_web
from server.services import conflict_admin as service
from server.services import reports
from server.services.errors import Conflict, Invalid
from server.web.access import LEADERS, roles_required
from server.web.args import arg_int
from server.web.nav import nav_item
from sync.domain import ConflictResolution, ConflictStatus

bp = Blueprint("web_conflicts", __name__, url_prefix="/conflicts")
nav_item("web_conflicts.index", "Xung đột", "Conflicts", roles=LEADERS, order=50)

STATUS_CHOICES = ("open", "resolved", "all")


def _render(*, errors: dict[str, dict[str, str]] | None = None, code: int = 200) -> Any:
    session = db_session()
    scope = current_scope()
    status = request.args.get("status", "open")
    if status not in STATUS_CHOICES:
        status = "open"
    commune_id = arg_int("commune")
    page = service.list_conflicts(
        session,
        scope,
        status=None if status == "all" else ConflictStatus(status),
        commune_id=commune_id,
        page=arg_int("page") or 1,
    )
    return render_template(
        "conflicts/list.html",
        page=page,
        status=status,
        commune_id=commune_id,
        communes=reports.communes_in_scope(session, scope),
        open_count=service.count_open(session, scope),
        choices=list(ConflictResolution),
        errors=errors or {},
        typed=request.form if request.method == "POST" else {},
    ), code


def _back() -> Any:
    """The queue again, with the filters it had."""
    values: dict[str, Any] = dict(request.args.items())
    return redirect(url_for(".index", **values))


@bp.get("")
@roles_required(LEADERS)
def index() -> Any:
    return _render()


@bp.post("/<conflict_id>/resolve")
@roles_required(LEADERS)
def resolve(conflict_id: str) -> Any:
    choice = request.form.get("choice", "")
    try:
        service.resolve(
            db_session(),
            current_scope(),
            conflict_id,
            choice=choice,
            text=request.form.get("value"),
            officer=current_user,
            remote_addr=request.remote_addr,
        )
    except Invalid as error:
        db.session.rollback()
        return _render(errors={conflict_id: {"value": for_web(error.message)}}, code=422)
    except Conflict as error:
        db.session.rollback()
        flash(for_web(error.message), "error")
        return _back()
    db.session.commit()
    flash(gettext("Đã xử lý xung đột; máy tính bảng sẽ nhận giá trị ở lần đồng bộ tới."), "ok")
    return _back()
