"""Dossier pages: list and search, detail, overdue list with apologies, PDF slips."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime
from io import BytesIO
from pathlib import Path
from typing import Any, TypeVar

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext, lazy_gettext
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from wtforms import DateField, TextAreaField
from wtforms.validators import DataRequired, Length

from server.auth.context import current_scope
from server.extensions import db, db_session
from server.messages import for_web, for_web_errors
from server.models import AdminUnit, Role
from server.services import dossier_admin as service
from server.services import dossier_corrections as corrections
from server.services import filing_places, handover, reports
from server.services.errors import Invalid
from server.translatable import msg
from server.web.access import roles_required
from server.web.args import arg_date, arg_int
from server.web.formatting import vn_date
from server.web.nav import nav_item
from sync import slips
from sync.domain import DossierStatus, can_transition
from sync.workdays import days_overdue

T = TypeVar("T")

bp = Blueprint("web_dossiers", __name__, url_prefix="/dossiers")
nav_item("web_dossiers.index", "Hồ sơ", "Dossiers", order=20)
nav_item("web_dossiers.overdue", "Hồ sơ quá hạn", "Overdue", order=25)

#: Who may write an apology: the commune's own people, not provincial administrators.
APOLOGY_ROLES = frozenset({Role.OFFICER, Role.COMMUNE_LEADER})


class ApologyForm(FlaskForm):
    reason = TextAreaField(
        lazy_gettext("Lý do chậm trễ"),
        validators=[DataRequired(), Length(max=service.MAX_REASON_LENGTH)],
    )
    new_due_date = DateField(lazy_gettext("Ngày hẹn trả mới"), validators=[DataRequired()])


class StopForm(FlaskForm):
    reason = TextAreaField(
        lazy_gettext("Lý do dừng giải quyết"),
        validators=[DataRequired(), Length(max=service.MAX_REASON_LENGTH)],
    )


def _acting() -> dict[str, Any]:
    """Who does a step on the web, and when: the officer, now, and their address."""
    return {"officer": current_user, "now": datetime.now(UTC), "remote_addr": request.remote_addr}


def _show_errors(form: FlaskForm, error: Invalid) -> None:
    """A service's problems beside their fields, the others as messages."""
    for name, message in for_web_errors(error.errors).items():
        field = getattr(form, name, None)
        if field is not None:
            field.errors = [*field.errors, message]
        else:
            flash(message, "error")


def _write(action: Callable[[], T]) -> T | Invalid:
    """Run a service's write and commit it; a refusal is rolled back and handed back."""
    try:
        result = action()
    except Invalid as error:
        db.session.rollback()
        return error
    db.session.commit()
    return result


def _back_to_dossier(done: str, dossier_id: str, **args: Any) -> Any:
    """Say what was done and go back to the dossier's page."""
    flash(done, "ok")
    return redirect(url_for(".detail", dossier_id=dossier_id, **args))


def _filters() -> service.DossierListFilter:
    status = request.args.get("status", "")
    known = {s.value for s in DossierStatus}
    return service.DossierListFilter(
        status=DossierStatus(status) if status in known else None,
        procedure_id=arg_int("procedure"),
        commune_id=arg_int("commune"),
        overdue=request.args.get("overdue") == "1",
        due_today=request.args.get("due_today") == "1",
        received_from=arg_date("from"),
        received_to=arg_date("to"),
        q=request.args.get("q", "")[: service.MAX_QUERY_LENGTH],
        page=arg_int("page") or 1,
    )


def _today() -> date:
    return reports.office_today()


@bp.get("")
@login_required
def index() -> Any:
    session = db_session()
    scope = current_scope()
    filters = _filters()
    today = _today()
    return render_template(
        "dossiers/list.html",
        page=service.list_dossiers(session, scope, filters, today=today),
        filters=filters,
        statuses=list(DossierStatus),
        communes=reports.communes_in_scope(session, scope),
        procedures=reports.procedures_for_filter(session),
        today=today,
        month_start=today.replace(day=1),
    )


@bp.get("/overdue")
@login_required
def overdue() -> Any:
    session = db_session()
    scope = current_scope()
    today = _today()
    commune_id = arg_int("commune")
    return render_template(
        "dossiers/overdue.html",
        page=service.overdue_dossiers(
            session, scope, today=today, commune_id=commune_id, page=arg_int("page") or 1
        ),
        communes=reports.communes_in_scope(session, scope),
        commune_id=commune_id,
        today=today,
        can_apologise=current_user.role in APOLOGY_ROLES,
        # Only the settling commune apologises for a shared dossier (as on its page).
        own_commune_id=current_user.unit_id,
    )


@bp.get("/<dossier_id>")
@login_required
def detail(dossier_id: str) -> Any:
    return _detail_page(dossier_id)


def _detail_page(dossier_id: str, *, code_error: str = "", typed_code: str = "") -> str:
    session = db_session()
    detail = service.dossier_detail(session, current_scope(), dossier_id, today=_today())
    dossier = detail.dossier
    # The settling commune's people process and decide (Decree 118/2025/NĐ-CP).
    settles = (
        current_user.role in APOLOGY_ROLES and current_user.unit_id == dossier.settling_commune_id
    )
    return render_template(
        "dossiers/detail.html",
        d=detail,
        dossier=detail.dossier,
        new_apology=request.args.get("new_apology"),
        can_apologise=settles and detail.is_open,
        can_correct=settles and corrections.correctable(detail.dossier),
        can_stop=settles and can_transition(detail.dossier.status, DossierStatus.STOPPED),
        parties=corrections.form_rows(detail.dossier),
        where=filing_places.places(session, dossier),
        commune_names=filing_places.commune_names(session, dossier),
        handover_choice=(
            filing_places.handover_choice(
                session,
                dossier,
                current_user.unit_id,
                handed_over_before=handover.has_handover(session, dossier.id),
            )
            if current_user.role in APOLOGY_ROLES
            else None
        ),
        just_received=request.args.get("received") == "1",
        code_error=code_error,
        typed_code=typed_code,
    )


@bp.route("/<dossier_id>/stop", methods=["GET", "POST"])
@roles_required(APOLOGY_ROLES)
def stop(dossier_id: str) -> Any:
    """Stop processing (form 05 of Circular 03/2025/TT-VPCP), then print the notice."""
    session = db_session()
    scope = current_scope()
    dossier = service.get_dossier(session, scope, dossier_id)
    form = StopForm()
    if form.validate_on_submit():
        done = _write(
            lambda: service.stop_processing(
                session,
                scope,
                dossier.id,
                reason=form.reason.data or "",
                **_acting(),
            )
        )
        if not isinstance(done, Invalid):
            text = gettext("Đã dừng giải quyết hồ sơ. In thông báo (mẫu 05) gửi công dân.")
            return _back_to_dossier(text, dossier.id)
        _show_errors(form, done)
    status = 422 if request.method == "POST" else 200
    return render_template("dossiers/stop.html", form=form, dossier=dossier), status


@bp.route("/<dossier_id>/correct", methods=["GET", "POST"])
@roles_required(APOLOGY_ROLES)
def correct(dossier_id: str) -> Any:
    """Correct the applicant, the parties and the facts until the result is returned."""
    session = db_session()
    scope = current_scope()
    dossier = service.get_dossier(session, scope, dossier_id)
    errors: dict[str, str] = {}
    if request.method == "POST":
        typed = {k: v for k, v in request.form.items() if k != "csrf_token"}
        changed = _write(
            lambda: corrections.correct_dossier(
                session,
                scope,
                dossier,
                typed,
                **_acting(),
            )
        )
        if not isinstance(changed, Invalid):
            text = gettext("Đã lưu thay đổi.") if changed else gettext("Không có gì thay đổi.")
            return _back_to_dossier(text, dossier.id)
        errors = for_web_errors(changed.errors)
    return render_template(
        "dossiers/correct.html",
        dossier=dossier,
        sections=corrections.form_rows(dossier),
        typed=request.form if request.method == "POST" else None,
        errors=errors,
    ), (422 if errors else 200)


@bp.post("/<dossier_id>/verification")
@roles_required(APOLOGY_ROLES)
def verification(dossier_id: str) -> Any:
    """Record that verification is needed: the longer appointment applies."""
    dossier = _write(
        lambda: service.record_verification(
            db_session(),
            current_scope(),
            dossier_id,
            **_acting(),
        )
    )
    if isinstance(dossier, Invalid):
        flash(for_web(dossier.message), "error")
        return redirect(url_for(".detail", dossier_id=dossier_id))
    assert dossier.verification_due_date is not None
    text = gettext(
        "Đã ghi nhận hồ sơ cần xác minh; hạn trả kết quả là %(d)s.",
        d=vn_date(dossier.verification_due_date),
    )
    return _back_to_dossier(text, dossier_id)


@bp.post("/<dossier_id>/official-code")
@roles_required(APOLOGY_ROLES)
def official_code(dossier_id: str) -> Any:
    """Record the official dossier code the province's one-stop system issued."""
    code = request.form.get("official_code", "")
    dossier = _write(
        lambda: service.record_official_code(
            db_session(), current_scope(), dossier_id, code, **_acting()
        )
    )
    if isinstance(dossier, Invalid):
        problem = for_web(dossier.message)
        return _detail_page(dossier_id, code_error=problem, typed_code=code), 422
    return _back_to_dossier(
        gettext("Đã ghi mã hồ sơ %(code)s.", code=dossier.official_code), dossier_id
    )


@bp.route("/<dossier_id>/apology", methods=["GET", "POST"])
@roles_required(APOLOGY_ROLES)
def apology(dossier_id: str) -> Any:
    session = db_session()
    scope = current_scope()
    dossier = service.get_dossier(session, scope, dossier_id)
    today = _today()
    form = ApologyForm()
    if request.method == "GET":
        form.new_due_date.data = service.default_apology_date(dossier.procedure, today)
    if form.validate_on_submit():
        made = _write(
            lambda: service.issue_apology(
                session,
                scope,
                dossier.id,
                reason=form.reason.data or "",
                new_due_date=form.new_due_date.data,
                **_acting(),
            )
        )
        if not isinstance(made, Invalid):
            text = gettext("Đã lập phiếu xin lỗi và hẹn lại ngày trả kết quả.")
            return _back_to_dossier(text, dossier.id, new_apology=made.id)
        _show_errors(form, made)
    status = 422 if request.method == "POST" else 200
    return render_template(
        "dossiers/apology.html",
        form=form,
        dossier=dossier,
        expected_date=service.expected_date(dossier),
        days_overdue=days_overdue(dossier.effective_due_date, today),
        today=today,
    ), status


# ---------------------------------------------------------------------------------------
# PDF slips
# ---------------------------------------------------------------------------------------


def _pdf(content: bytes, name: str) -> Any:
    return send_file(
        BytesIO(content),
        mimetype="application/pdf",
        as_attachment=request.args.get("download") == "1",
        download_name=name,
        max_age=0,
    )


def _public_base_url() -> str:
    """Where citizens open ``/tra-cuu``: ``MOTCUA_PUBLIC_BASE_URL``, else this request's host."""
    return str(current_app.config.get("PUBLIC_BASE_URL") or request.url_root)


def _office_of(session: Session, commune_id: int, dossier: Any) -> slips.Office:
    """The office heading a decision of ``commune_id`` (the settling commune's committee)."""
    return service.office_for(session.get(AdminUnit, commune_id) or dossier.commune)


@bp.get("/<dossier_id>/slips/<any('01','02','03','04','05','06'):number>.pdf")
@login_required
def slip(dossier_id: str, number: str) -> Any:
    session = db_session()
    dossier = service.get_dossier(session, current_scope(), dossier_id)
    office = service.office_for(dossier.commune)
    settling_centre, result_place = filing_places.slip_lines(session, dossier)
    data = replace(
        service.slip_data(dossier, _public_base_url()),
        settling_centre=settling_centre,
        result_place=result_place,
    )
    if number == "01":
        pdf = slips.receipt_slip(office, data)
    elif number == "02":
        missing, reason, asked_on = service.supplement_details(dossier)
        pdf = slips.supplement_slip(office, data, missing, reason, issued_on=asked_on)
    elif number == "03":
        reason, refused_on = service.refusal_details(dossier)
        pdf = slips.refusal_slip(office, data, reason, issued_on=refused_on)
    elif number == "04":
        chosen = service.find_apology(dossier, request.args.get("apology"))
        signer, title = service.apology_signer(session, chosen)
        issuer = service.deciding_commune(session, dossier, chosen.officer_id)
        pdf = slips.apology_slip(
            _office_of(session, issuer, dossier),
            data,
            chosen.reason,
            chosen.new_due_date,
            signer,
            title,
            issued_on=reports.local_day(chosen.issued_at),
        )
    elif number == "05":
        reason, stopped_on = service.stop_details(dossier)
        event = service.last_event_to(dossier, DossierStatus.STOPPED)
        officer_id = event.officer_id if event is not None else None
        issuer = service.deciding_commune(session, dossier, officer_id)
        signer, title = service.committee_signer(session, issuer, officer_id)
        pdf = slips.stop_notice(
            _office_of(session, issuer, dossier), data, reason, signer, title, issued_on=stopped_on
        )
    else:
        rows = service.timeline_rows(dossier, service.all_officer_names(session, dossier))
        pdf = slips.control_sheet(office, data, rows, lead_agency=office.people_committee)
    return _pdf(pdf, f"{dossier.receipt_number}-mau-{number}.pdf")


@bp.get("/log.pdf")
@login_required
def tracking_log() -> Any:
    session = db_session()
    scope = current_scope()
    today = _today()
    start = arg_date("from") or today.replace(day=1)
    end = arg_date("to") or today
    if end < start:
        raise Invalid(msg("Ngày kết thúc phải sau ngày bắt đầu"))
    commune = service.log_commune(session, scope, arg_int("commune"))
    rows = service.log_rows(session, scope, commune, start, end)
    pdf = slips.tracking_log(
        service.office_for(commune), start, end, rows, keeper_name=current_user.full_name
    )
    return _pdf(pdf, f"so-theo-doi-{commune.code or commune.id}-{start}-{end}.pdf")


@bp.get("/<dossier_id>/attachments/<attachment_id>")
@login_required
def attachment(dossier_id: str, attachment_id: str) -> Any:
    from server.sync.blobs import BlobFiles, readable_blob

    session = db_session()
    scope = current_scope()
    item = service.get_attachment(session, scope, dossier_id, attachment_id)
    files = BlobFiles(Path(current_app.config["MOTCUA_BLOB_DIR"]))
    path, content_type = readable_blob(session, files, item.sha256, scope)
    return send_file(path, mimetype=content_type, download_name=item.filename, max_age=3600)
