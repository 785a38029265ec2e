"""Survey form pages (phiếu khảo sát): list, editor, versions, publish, retire, results, export.

Province and system administrators write and publish forms; leaders (and the
administrators) read results, which only ever count responses of their communes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from io import BytesIO
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from flask_babel import get_locale, gettext
from flask_login import current_user

from server.auth.context import current_scope
from server.extensions import db, db_session
from server.messages import for_web, for_web_errors
from server.models import FormStatus
from server.services import reports
from server.services import survey_forms as service
from server.services.errors import Conflict, Invalid
from server.web import charts
from server.web.access import ADMINS, LEADERS, roles_required
from server.web.args import arg_int
from server.web.nav import nav_item

bp = Blueprint("web_surveys", __name__, url_prefix="/surveys")
nav_item("web_surveys.index", "Khảo sát", "Surveys", roles=LEADERS, order=40)

#: Blank question rows the editor adds each time.
BLANK_ROWS = 2
MAX_ROWS = service.MAX_QUESTIONS + 10


def _english() -> bool:
    return str(get_locale()) == "en"


@bp.get("")
@roles_required(LEADERS)
def index() -> Any:
    rows = service.visible_forms(db_session(), current_scope(), current_user)
    return render_template("surveys/list.html", rows=rows, can_edit=service.is_editor(current_user))


# ---------------------------------------------------------------------------------------
# Editor
# ---------------------------------------------------------------------------------------


def _rows_from_form() -> list[service.QuestionInput]:
    count = min(int(request.form.get("rows", "0") or 0), MAX_ROWS)
    rows = []
    for i in range(count):
        rows.append(
            service.QuestionInput(
                id=request.form.get(f"q-{i}-id", "")[:20],
                type=request.form.get(f"q-{i}-type", "likert5"),
                text_vi=request.form.get(f"q-{i}-text_vi", ""),
                text_en=request.form.get(f"q-{i}-text_en", ""),
                options=request.form.get(f"q-{i}-options", ""),
                required=request.form.get(f"q-{i}-required") == "1",
            )
        )
    return rows


def _editor(
    *,
    form: Any,
    rows: list[service.QuestionInput],
    values: dict[str, str],
    errors: dict[str, str] | None = None,
    code: int = 200,
) -> Any:
    blank = sum(1 for r in rows if r.blank)
    rows = rows + [service.QuestionInput() for _ in range(max(0, BLANK_ROWS - blank))]
    return render_template(
        "surveys/edit.html",
        form=form,
        rows=rows,
        values=values,
        errors=errors or {},
        types=service.QUESTION_TYPES,
        choice_types=service.CHOICE_TYPES,
    ), code


def _more_rows() -> list[service.QuestionInput]:
    return _rows_from_form() + [service.QuestionInput() for _ in range(3)]


@bp.route("/new", methods=["GET", "POST"])
@roles_required(ADMINS)
def new() -> Any:
    if request.method == "GET":
        return _editor(form=None, rows=[service.QuestionInput()], values={})
    values = {k: request.form.get(k, "") for k in ("key", "title_vi", "title_en")}
    if request.form.get("more"):
        return _editor(form=None, rows=_more_rows(), values=values)
    rows = _rows_from_form()
    try:
        made = service.create_form(
            db_session(),
            key=values["key"],
            title_vi=values["title_vi"],
            title_en=values["title_en"],
            rows=rows,
            by=current_user,
            remote_addr=request.remote_addr,
        )
    except Invalid as error:
        db.session.rollback()
        return _editor(
            form=None, rows=rows, values=values, errors=for_web_errors(error.errors), code=422
        )
    except Conflict as error:  # the same key, created by someone else meanwhile
        db.session.rollback()
        flash(for_web(error.message), "error")
        return _editor(
            form=None, rows=rows, values=values, errors=for_web_errors(error.errors), code=409
        )
    db.session.commit()
    flash(gettext("Đã tạo bản nháp phiếu khảo sát."), "ok")
    return redirect(url_for(".view", form_id=made.id))


@bp.route("/<int:form_id>/edit", methods=["GET", "POST"])
@roles_required(ADMINS)
def edit(form_id: int) -> Any:
    session = db_session()
    form = service.get_form(session, current_scope(), current_user, form_id)
    if request.method == "GET":
        values = {"key": form.key, "title_vi": form.title_vi, "title_en": form.title_en}
        return _editor(form=form, rows=service.editor_rows(form.questions), values=values)
    values = {
        "key": form.key,
        "title_vi": request.form.get("title_vi", ""),
        "title_en": request.form.get("title_en", ""),
    }
    if request.form.get("more"):
        return _editor(form=form, rows=_more_rows(), values=values)
    rows = _rows_from_form()
    try:
        saved = service.save_form(
            session,
            form.id,
            title_vi=values["title_vi"],
            title_en=values["title_en"],
            rows=rows,
            by=current_user,
            remote_addr=request.remote_addr,
        )
    except Invalid as error:
        db.session.rollback()
        return _editor(
            form=form, rows=rows, values=values, errors=for_web_errors(error.errors), code=422
        )
    except Conflict as error:  # a new version made by someone else meanwhile
        db.session.rollback()
        flash(for_web(error.message), "error")
        return _editor(form=form, rows=rows, values=values, code=409)
    db.session.commit()
    if saved.id != form.id:
        flash(
            gettext(
                "Phiếu đã phát hành không sửa được: đã tạo phiên bản %(v)s (bản nháp).",
                v=saved.version,
            ),
            "ok",
        )
    else:
        flash(gettext("Đã lưu bản nháp."), "ok")
    return redirect(url_for(".view", form_id=saved.id))


# ---------------------------------------------------------------------------------------
# One form: questions, publishing, retiring
# ---------------------------------------------------------------------------------------


def _render_view(form_id: int, *, errors: dict[str, str] | None = None, code: int = 200) -> Any:
    session = db_session()
    scope = current_scope()
    form = service.get_form(session, scope, current_user, form_id)
    editor = service.is_editor(current_user)
    linked = service.form_commune_ids(session, form.id)
    versions = service.versions_of(session, form.key)
    if not editor:
        versions = [v for v in versions if v.status != FormStatus.DRAFT]
    return render_template(
        "surveys/view.html",
        form=form,
        can_edit=editor,
        versions=versions,
        communes=reports.communes_in_scope(session, scope),
        linked=linked,
        errors=errors or {},
    ), code


@bp.get("/<int:form_id>")
@roles_required(LEADERS)
def view(form_id: int) -> Any:
    return _render_view(form_id)


@bp.post("/<int:form_id>/publish")
@roles_required(ADMINS)
def publish(form_id: int) -> Any:
    chosen = [int(v) for v in request.form.getlist("communes") if v.isdigit()]
    try:
        form = service.publish(
            db_session(),
            current_scope(),
            form_id,
            chosen,
            by=current_user,
            now=datetime.now(UTC),
            remote_addr=request.remote_addr,
        )
    except Invalid as error:
        db.session.rollback()
        return _render_view(form_id, errors=for_web_errors(error.errors), code=422)
    except Conflict as error:
        db.session.rollback()
        flash(for_web(error.message), "error")
        return _render_view(form_id, code=409)
    db.session.commit()
    flash(
        gettext(
            "Đã phát hành phiếu cho %(n)s xã, phường; máy tính bảng sẽ nhận ở lần đồng bộ tới.",
            n=len(form.communes),
        ),
        "ok",
    )
    return redirect(url_for(".view", form_id=form.id))


@bp.post("/<int:form_id>/retire")
@roles_required(ADMINS)
def retire(form_id: int) -> Any:
    try:
        service.retire(
            db_session(), current_scope(), form_id, by=current_user, remote_addr=request.remote_addr
        )
    except Invalid as error:
        db.session.rollback()
        return _render_view(form_id, errors=for_web_errors(error.errors), code=422)
    db.session.commit()
    flash(gettext("Đã ngừng sử dụng phiếu khảo sát."), "ok")
    return redirect(url_for(".view", form_id=form_id))


# ---------------------------------------------------------------------------------------
# Results and export
# ---------------------------------------------------------------------------------------


@bp.get("/<int:form_id>/results")
@roles_required(LEADERS)
def results(form_id: int) -> Any:
    session = db_session()
    scope = current_scope()
    form = service.get_form(session, scope, current_user, form_id)
    commune_id = arg_int("commune")
    data = service.form_results(session, scope, form, commune_id=commune_id)
    english = _english()
    return render_template(
        "surveys/results.html",
        form=form,
        data=data,
        communes=data.communes,
        commune_id=commune_id,
        commune_chart=charts.survey_commune_chart(data.by_commune),
        likert_chart=charts.likert_chart(data.questions, english=english),
    )


def _export(form_id: int, extension: str) -> Any:
    session = db_session()
    scope = current_scope()
    form = service.get_form(session, scope, current_user, form_id)
    english = _english()
    header, rows = service.response_table(
        session, scope, form, commune_id=arg_int("commune"), english=english
    )
    if extension == "csv":
        content = service.to_csv(header, rows)
        mimetype = "text/csv; charset=utf-8"
    else:
        title = form.title_en if english else form.title_vi
        content = service.to_xlsx(header, rows, title=title)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return send_file(
        BytesIO(content),
        mimetype=mimetype,
        as_attachment=True,
        download_name=service.export_name(form, extension),
        max_age=0,
    )


@bp.get("/<int:form_id>/responses.csv")
@roles_required(LEADERS)
def export_csv(form_id: int) -> Any:
    return _export(form_id, "csv")


@bp.get("/<int:form_id>/responses.xlsx")
@roles_required(LEADERS)
def export_xlsx(form_id: int) -> Any:
    return _export(form_id, "xlsx")
