"""Feedback pages (phản ánh, kiến nghị): list, detail, assign, forward, answer, close."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required

from server.auth.context import current_scope
from server.extensions import db, db_session
from server.messages import for_web, for_web_errors
from server.models import Role
from server.services import feedback_admin as service
from server.services import reports
from server.services.errors import Conflict, Invalid
from server.web.access import roles_required
from server.web.args import arg_int
from server.web.nav import nav_item
from sync.domain import FeedbackKind, FeedbackStatus

bp = Blueprint("web_feedback", __name__, url_prefix="/feedback")
nav_item("web_feedback.index", "Phản ánh", "Feedback", order=30)

#: Roles that may write on the feedback pages at all (the service decides the rest).
WRITERS = frozenset({Role.OFFICER, Role.COMMUNE_LEADER})


def _filters() -> service.FeedbackListFilter:
    status = request.args.get("status", "")
    kind = request.args.get("kind", "")
    return service.FeedbackListFilter(
        status=FeedbackStatus(status) if status in {s.value for s in FeedbackStatus} else None,
        kind=FeedbackKind(kind) if kind in {k.value for k in FeedbackKind} else None,
        overdue=request.args.get("overdue") == "1",
        commune_id=arg_int("commune"),
        # "Giao cho tôi": always the logged-in user, never an id from the address.
        assignee_id=current_user.id if request.args.get("mine") == "1" else None,
        page=arg_int("page") or 1,
    )


@bp.get("")
@login_required
def index() -> Any:
    session = db_session()
    scope = current_scope()
    filters = _filters()
    today = reports.office_today()
    return render_template(
        "feedback/list.html",
        page=service.list_feedback(session, scope, filters, today=today),
        filters=filters,
        statuses=list(FeedbackStatus),
        kinds=list(FeedbackKind),
        communes=reports.communes_in_scope(session, scope),
        today=today,
        can_be_assigned=current_user.role in service.ASSIGNEE_ROLES,
    )


def _render_detail(
    feedback_id: str,
    *,
    errors: dict[str, str] | None = None,
    typed: dict[str, Any] | None = None,
    code: int = 200,
) -> Any:
    detail = service.feedback_detail(
        db_session(), current_scope(), feedback_id, today=reports.office_today()
    )
    feedback = detail.feedback
    can_handle = service.may_handle(current_user)
    closable = feedback.status in (FeedbackStatus.ANSWERED, FeedbackStatus.FORWARDED) or (
        detail.is_open and not detail.answer_due
    )
    return render_template(
        "feedback/detail.html",
        d=detail,
        f=feedback,
        can_handle=can_handle and detail.is_open,
        can_answer=service.may_answer(current_user, feedback) and detail.is_open,
        can_close=can_handle and closable,
        errors=errors or {},
        typed=typed or {},
    ), code


@bp.get("/<feedback_id>")
@login_required
def detail(feedback_id: str) -> Any:
    return _render_detail(feedback_id)


def _act(feedback_id: str, action: Any, done: str, typed: dict[str, Any]) -> Any:
    """Run a write; on success commit and go back to the detail, else show why."""
    try:
        action()
    except Invalid as error:
        db.session.rollback()
        return _render_detail(
            feedback_id, errors=for_web_errors(error.errors), typed=typed, code=422
        )
    except Conflict as error:
        db.session.rollback()
        flash(for_web(error.message), "error")
        return _render_detail(feedback_id, code=409)
    db.session.commit()
    flash(done, "ok")
    return redirect(url_for(".detail", feedback_id=feedback_id))


@bp.post("/<feedback_id>/assign")
@roles_required(WRITERS)
def assign(feedback_id: str) -> Any:
    assignee_id = request.form.get("assignee_id", "")
    return _act(
        feedback_id,
        lambda: service.assign(
            db_session(),
            current_scope(),
            feedback_id,
            assignee_id=int(assignee_id) if assignee_id.isdigit() else None,
            by=current_user,
            remote_addr=request.remote_addr,
        ),
        gettext("Đã phân công cán bộ xử lý."),
        {"assignee_id": assignee_id},
    )


@bp.post("/<feedback_id>/forward")
@roles_required(WRITERS)
def forward(feedback_id: str) -> Any:
    to = request.form.get("forwarded_to", "")
    return _act(
        feedback_id,
        lambda: service.forward(
            db_session(),
            current_scope(),
            feedback_id,
            to=to,
            by=current_user,
            remote_addr=request.remote_addr,
        ),
        gettext("Đã ghi nhận việc chuyển phản ánh."),
        {"forwarded_to": to},
    )


@bp.post("/<feedback_id>/answer")
@roles_required(WRITERS)
def answer(feedback_id: str) -> Any:
    response = request.form.get("response", "")
    public = request.form.get("public") == "1"
    return _act(
        feedback_id,
        lambda: service.answer(
            db_session(),
            current_scope(),
            feedback_id,
            response=response,
            public=public,
            by=current_user,
            now=datetime.now(UTC),
            remote_addr=request.remote_addr,
        ),
        gettext("Đã lưu nội dung trả lời."),
        {"response": response, "public": public},
    )


@bp.post("/<feedback_id>/close")
@roles_required(WRITERS)
def close(feedback_id: str) -> Any:
    return _act(
        feedback_id,
        lambda: service.close(
            db_session(),
            current_scope(),
            feedback_id,
            by=current_user,
            remote_addr=request.remote_addr,
        ),
        gettext("Đã kết thúc xử lý phản ánh."),
        {},
    )
