"""Management pages (quản trị): units and villages, officers, tablets, catalog, audit log.

Leaders manage their commune (villages, accounts up to their own role, tablets) and
read its audit log; province administrators do the same for the communes of their
province and edit the procedure catalog; the system administrator manages everything.
Officers have no management pages (403). What each may touch is decided by the
services (:mod:`server.services.units`, :mod:`~server.services.officers`,
:mod:`~server.services.devices`, :mod:`~server.services.catalog`); out-of-scope ids
answer 404.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for
from flask_babel import gettext, lazy_gettext
from flask_login import current_user

from server.auth.context import current_scope
from server.extensions import db, db_session
from server.messages import for_web, for_web_errors
from server.models import AdminUnit, Procedure, Role, UnitLevel
from server.services import audit, catalog, day_offs, devices, officers, reports, units
from server.services.errors import Invalid, NotFound
from server.translatable import msg
from server.web.access import ADMINS, LEADERS, roles_required
from server.web.args import arg_date, arg_int
from server.web.nav import nav_item

bp = Blueprint("web_admin", __name__, url_prefix="/admin")
nav_item("web_admin.index", "Quản trị", "Administration", roles=LEADERS, order=60)

#: (endpoint, label, roles) of the management sections, in menu order.
SECTIONS: list[tuple[str, Any, frozenset[Role]]] = [
    ("web_admin.units_page", lazy_gettext("Đơn vị hành chính"), LEADERS),
    ("web_admin.officers_page", lazy_gettext("Cán bộ, tài khoản"), LEADERS),
    ("web_admin.devices_page", lazy_gettext("Thiết bị"), LEADERS),
    ("web_admin.procedures", lazy_gettext("Danh mục thủ tục"), ADMINS),
    ("web_admin.days_off", lazy_gettext("Lịch nghỉ bù, làm bù"), ADMINS),
    ("web_admin.audit_log", lazy_gettext("Nhật ký hệ thống"), LEADERS),
    ("web_admin.system_page", lazy_gettext("Vận hành"), ADMINS),
]


def admin_sections() -> list[tuple[str, Any, frozenset[Role]]]:
    if not current_user.is_authenticated:
        return []
    return [s for s in SECTIONS if current_user.role in s[2]]


def init_app(app: Flask) -> None:
    app.jinja_env.globals["admin_sections"] = admin_sections


def _done(message: str, endpoint: str, **values: Any) -> Any:
    db.session.commit()
    flash(message, "ok")
    return redirect(url_for(endpoint, **values))


def _attempt(action: Callable[[], Any], on_invalid: Callable[[dict[str, str], str], Any]) -> Any:
    """Run a write; on ``Invalid`` roll back and answer ``on_invalid(errors, message)``."""
    try:
        return action(), None
    except Invalid as error:
        db.session.rollback()
        return None, on_invalid(for_web_errors(error.errors), for_web(error.message))


@bp.get("")
@roles_required(LEADERS)
def index() -> Any:
    return render_template("admin/index.html", sections=admin_sections())


# ---------------------------------------------------------------------------------------
# Units and villages
# ---------------------------------------------------------------------------------------


def _units_page(errors: dict[str, str] | None = None, code: int = 200, form_for: str = "") -> Any:
    scope = current_scope()
    return render_template(
        "admin/units.html",
        tree=units.unit_tree(db_session(), scope),
        kinds=units.KINDS,
        levels=UnitLevel,
        is_system=current_user.role == Role.SYSTEM_ADMIN,
        errors=errors or {},
        form_for=form_for,
        typed=request.form,
    ), code


@bp.get("/units")
@roles_required(LEADERS)
def units_page() -> Any:
    return _units_page()


@bp.post("/units")
@roles_required(LEADERS)
def create_unit() -> Any:
    level_text = request.form.get("level", "village")
    level = UnitLevel(level_text) if level_text in {u.value for u in UnitLevel} else None
    if level is None:
        raise NotFound(msg("Không rõ cấp đơn vị"))
    parent = request.form.get("parent_id", "")
    made, failed = _attempt(
        lambda: units.create_unit(
            db_session(),
            current_scope(),
            current_user,
            level=level,
            parent_id=int(parent) if parent.isdigit() else None,
            name=request.form.get("name", ""),
            kind=request.form.get("kind", ""),
            code=request.form.get("code"),
            remote_addr=request.remote_addr,
        ),
        lambda errors, _m: _units_page(errors, 422, f"new-{level_text}-{parent}"),
    )
    if failed is not None:
        return failed
    return _done(
        gettext("Đã thêm %(name)s.", name=made.full_name),
        "web_admin.units_page",
        _anchor=f"u{made.id}",
    )


@bp.post("/units/<int:unit_id>")
@roles_required(LEADERS)
def update_unit(unit_id: int) -> Any:
    made, failed = _attempt(
        lambda: units.update_unit(
            db_session(),
            current_scope(),
            current_user,
            unit_id,
            name=request.form.get("name", ""),
            kind=request.form.get("kind", ""),
            code=request.form.get("code"),
            active=request.form.get("active") == "1",
            remote_addr=request.remote_addr,
        ),
        lambda errors, _m: _units_page(errors, 422, f"edit-{unit_id}"),
    )
    if failed is not None:
        return failed
    return _done(
        gettext("Đã lưu %(name)s.", name=made.full_name),
        "web_admin.units_page",
        _anchor=f"u{made.id}",
    )


# ---------------------------------------------------------------------------------------
# Officers and roles
# ---------------------------------------------------------------------------------------


@bp.get("/officers")
@roles_required(LEADERS)
def officers_page() -> Any:
    session = db_session()
    people = officers.visible_officers(session, current_user)
    unit_ids = {o.unit_id for o in people if o.unit_id}
    unit_names = {
        u.id: u.full_name for u in session.query(AdminUnit).filter(AdminUnit.id.in_(unit_ids))
    }
    return render_template(
        "admin/officers.html",
        people=people,
        unit_names=unit_names,
        rank=officers.ROLE_RANK,
        my_rank=officers.ROLE_RANK[current_user.role],
    )


def _officer_form(errors: dict[str, str] | None = None, code: int = 200) -> Any:
    session = db_session()
    return render_template(
        "admin/officer_new.html",
        roles=officers.assignable_roles(current_user),
        units=officers.assignable_units(session, current_user),
        errors=errors or {},
        typed=request.form,
    ), code


@bp.route("/officers/new", methods=["GET", "POST"])
@roles_required(LEADERS)
def officer_new() -> Any:
    if request.method == "GET":
        return _officer_form()
    role_text = request.form.get("role", "")
    unit = request.form.get("unit_id", "")
    if role_text not in {r.value for r in Role}:
        return _officer_form({"role": gettext("Chọn vai trò")}, 422)
    made, failed = _attempt(
        lambda: officers.create_officer_by(
            db_session(),
            current_user,
            username=request.form.get("username", ""),
            password=request.form.get("password", ""),
            full_name=request.form.get("full_name", ""),
            role=Role(role_text),
            unit_id=int(unit) if unit.isdigit() else None,
            title=request.form.get("title"),
            phone=request.form.get("phone"),
            remote_addr=request.remote_addr,
        ),
        lambda errors, message: _officer_form(errors or {"form": message}, 422),
    )
    if failed is not None:
        return failed
    return _done(
        gettext("Đã tạo tài khoản %(u)s.", u=made.username),
        "web_admin.officer_detail",
        officer_id=made.id,
    )


def _officer_detail(officer_id: int, errors: dict[str, str] | None = None, code: int = 200) -> Any:
    session = db_session()
    target = officers.manageable(session, current_user, officer_id)
    return render_template(
        "admin/officer_detail.html",
        target=target,
        is_self=target.id == current_user.id,
        roles=officers.assignable_roles(current_user),
        units=officers.assignable_units(session, current_user),
        tablets=[
            row
            for row in devices.list_devices(session, current_scope())
            if row.device.officer_id == target.id
        ]
        if target.role in devices.DEVICE_ROLES
        else [],
        errors=errors or {},
    ), code


@bp.get("/officers/<int:officer_id>")
@roles_required(LEADERS)
def officer_detail(officer_id: int) -> Any:
    return _officer_detail(officer_id)


@bp.post("/officers/<int:officer_id>/role")
@roles_required(LEADERS)
def officer_role(officer_id: int) -> Any:
    role_text = request.form.get("role", "")
    unit = request.form.get("unit_id", "")
    if role_text not in {r.value for r in Role}:
        return _officer_detail(officer_id, {"role": gettext("Chọn vai trò")}, 422)
    _made, failed = _attempt(
        lambda: officers.change_role(
            db_session(),
            current_user,
            officer_id,
            role=Role(role_text),
            unit_id=int(unit) if unit.isdigit() else None,
            remote_addr=request.remote_addr,
        ),
        lambda errors, message: _officer_detail(officer_id, errors or {"role": message}, 422),
    )
    if failed is not None:
        return failed
    return _done(gettext("Đã đổi vai trò."), "web_admin.officer_detail", officer_id=officer_id)


@bp.post("/officers/<int:officer_id>/active")
@roles_required(LEADERS)
def officer_active(officer_id: int) -> Any:
    active = request.form.get("active") == "1"
    officers.set_active(
        db_session(), current_user, officer_id, active=active, remote_addr=request.remote_addr
    )
    message = gettext("Đã mở lại tài khoản.") if active else gettext("Đã khoá tài khoản.")
    return _done(message, "web_admin.officer_detail", officer_id=officer_id)


@bp.post("/officers/<int:officer_id>/password")
@roles_required(LEADERS)
def officer_password(officer_id: int) -> Any:
    password = request.form.get("password", "")
    if password != request.form.get("password_again", ""):
        return _officer_detail(
            officer_id, {"password": gettext("Hai lần nhập mật khẩu không khớp.")}, 422
        )
    _made, failed = _attempt(
        lambda: officers.reset_password(
            db_session(),
            current_user,
            officer_id,
            password=password,
            remote_addr=request.remote_addr,
        ),
        lambda errors, message: _officer_detail(officer_id, {"password": message}, 422),
    )
    if failed is not None:
        return failed
    return _done(gettext("Đã đặt lại mật khẩu."), "web_admin.officer_detail", officer_id=officer_id)


# ---------------------------------------------------------------------------------------
# Tablets
# ---------------------------------------------------------------------------------------


@bp.get("/devices")
@roles_required(LEADERS)
def devices_page() -> Any:
    session = db_session()
    scope = current_scope()
    commune_id = arg_int("commune")
    state = request.args.get("state", "")
    rows = devices.list_devices(
        session,
        scope,
        commune_id=commune_id,
        revoked={"active": False, "revoked": True}.get(state),
    )
    return render_template(
        "admin/devices.html",
        rows=rows,
        communes=reports.communes_in_scope(session, scope),
        commune_id=commune_id,
        state=state,
        stale_after=reports.STALE_SYNC,
        now=datetime.now(UTC),
    )


@bp.get("/devices/<device_id>/revoke")
@roles_required(LEADERS)
def device_revoke_confirm(device_id: str) -> Any:
    device = devices.get_device(db_session(), current_scope(), device_id)
    return render_template("admin/device_revoke.html", device=device)


@bp.post("/devices/<device_id>/revoke")
@roles_required(LEADERS)
def device_revoke(device_id: str) -> Any:
    device = devices.revoke_in_scope(db_session(), current_scope(), device_id, by=current_user)
    return _done(
        gettext(
            "Đã thu hồi thiết bị %(name)s; máy sẽ bị từ chối ở lần kết nối tới.", name=device.name
        ),
        "web_admin.devices_page",
    )


@bp.post("/devices/<device_id>/reinstate")
@roles_required(LEADERS)
def device_reinstate(device_id: str) -> Any:
    device = devices.reinstate_in_scope(db_session(), current_scope(), device_id, by=current_user)
    return _done(
        gettext(
            "Đã cho phép lại thiết bị %(name)s; các thay đổi chưa gửi sẽ lên máy chủ "
            "ở lần đồng bộ tới.",
            name=device.name,
        ),
        "web_admin.devices_page",
    )


# ---------------------------------------------------------------------------------------
# Official day-off decisions (nghỉ bù, làm bù)
# ---------------------------------------------------------------------------------------


def _days_off_page(errors: dict[str, str] | None = None, code: int = 200) -> Any:
    return render_template(
        "admin/days_off.html",
        rows=day_offs.listing(db_session()),
        errors=errors or {},
        form=request.form if errors else {},
    ), code


@bp.get("/days-off")
@roles_required(ADMINS)
def days_off() -> Any:
    return _days_off_page()


@bp.post("/days-off")
@roles_required(ADMINS)
def day_off_save() -> Any:
    form = request.form
    try:
        day = date.fromisoformat(form.get("day", "").strip())
    except ValueError:
        day = None  # the service names the missing day
    data = day_offs.DecisionInput(
        day=day, working=form.get("working") == "1", note=form.get("note", "")
    )
    _row, failed = _attempt(
        lambda: day_offs.save(db_session(), data, by=current_user, remote_addr=request.remote_addr),
        lambda errors, message: _days_off_page(errors or {"day": message}, 422),
    )
    if failed is not None:
        return failed
    return _done(
        gettext("Đã lưu. Chỉ các hạn trả tính từ nay dùng lịch mới; hạn đã hẹn không đổi."),
        "web_admin.days_off",
    )


@bp.post("/days-off/<int:decision_id>/withdraw")
@roles_required(ADMINS)
def day_off_withdraw(decision_id: int) -> Any:
    day_offs.withdraw(db_session(), decision_id, by=current_user, remote_addr=request.remote_addr)
    return _done(gettext("Đã huỷ quyết định."), "web_admin.days_off")


# ---------------------------------------------------------------------------------------
# Procedure catalog
# ---------------------------------------------------------------------------------------


@bp.get("/procedures")
@roles_required(ADMINS)
def procedures() -> Any:
    field_slug = request.args.get("field") or None
    q = request.args.get("q", "")[:100]
    return render_template(
        "admin/procedures.html",
        procedures=catalog.all_procedures(db_session(), q=q, field_slug=field_slug),
        fields=catalog.field_names(),
        field_slug=field_slug,
        q=q,
    )


def _procedure_input() -> catalog.ProcedureInput:
    form = request.form
    names_vi = form.getlist("doc_name_vi")
    names_en = form.getlist("doc_name_en")
    required = set(form.getlist("doc_required"))
    documents = [
        (vi, names_en[i] if i < len(names_en) else "", str(i) in required)
        for i, vi in enumerate(names_vi[: catalog.MAX_DOCUMENTS + 10])
    ]
    return catalog.ProcedureInput(
        name_vi=form.get("name_vi", ""),
        name_en=form.get("name_en", ""),
        processing_days=form.get("processing_days", ""),
        extension_days=form.get("extension_days", "0") or "0",
        fee_vnd=form.get("fee_vnd", "0") or "0",
        fee_note_vi=form.get("fee_note_vi", ""),
        fee_note_en=form.get("fee_note_en", ""),
        active=form.get("active") == "1",
        time_unit=form.get("time_unit", "working_days"),
        cutoff_15h=form.get("cutoff_15h") == "1",
        receivable_anywhere=form.get("receivable_anywhere") == "1",
        documents=documents,
        form_json=form.get("form_json"),
    )


def _procedure_page(
    procedure: Procedure,
    documents: list[Any],
    errors: dict[str, str] | None = None,
    code: int = 200,
) -> Any:
    return render_template(
        "admin/procedure_edit.html",
        p=procedure,
        typed=request.form if request.method == "POST" else None,
        documents=documents + [{"name_vi": "", "name_en": "", "required": False}] * 2,
        fields=catalog.field_names(),
        errors=errors or {},
    ), code


@bp.route("/procedures/<int:procedure_id>", methods=["GET", "POST"])
@roles_required(ADMINS)
def procedure_edit(procedure_id: int) -> Any:
    session = db_session()
    procedure = session.get(Procedure, procedure_id)
    if procedure is None:
        raise NotFound(msg("Không tìm thấy thủ tục: %(procedure_id)s", procedure_id=procedure_id))
    if request.method == "GET":
        return _procedure_page(procedure, list(procedure.required_documents or []))
    data = _procedure_input()
    typed_documents = [
        {"name_vi": vi, "name_en": en, "required": req}
        for vi, en, req in data.documents
        if vi.strip() or en.strip()
    ]
    changed, failed = _attempt(
        lambda: catalog.update_procedure(
            session, procedure_id, data, by=current_user, remote_addr=request.remote_addr
        ),
        lambda errors, _m: _procedure_page(procedure, typed_documents, errors, 422),
    )
    if failed is not None:
        return failed
    message = (
        gettext("Đã lưu thủ tục; máy tính bảng sẽ nhận thay đổi ở lần đồng bộ tới.")
        if changed
        else gettext("Không có gì thay đổi.")
    )
    return _done(message, "web_admin.procedure_edit", procedure_id=procedure_id)


# ---------------------------------------------------------------------------------------
# Audit log
# ---------------------------------------------------------------------------------------


@bp.get("/audit")
@roles_required(LEADERS)
def audit_log() -> Any:
    session = db_session()
    unit_ids = officers.managed_unit_ids(session, current_user)
    filters = audit.AuditFilter(
        officer_id=arg_int("officer"),
        action=request.args.get("action", ""),
        commune_id=arg_int("commune"),
        date_from=arg_date("from"),
        date_to=arg_date("to"),
        page=arg_int("page") or 1,
    )
    units_shown = (
        list(
            session.query(AdminUnit)
            .filter(AdminUnit.id.in_(unit_ids))
            .order_by(AdminUnit.level.desc(), AdminUnit.name)
        )
        if unit_ids is not None
        else list(
            session.query(AdminUnit)
            .filter(AdminUnit.level.in_([UnitLevel.PROVINCE, UnitLevel.COMMUNE]))
            .order_by(AdminUnit.level.desc(), AdminUnit.name)
        )
    )
    return render_template(
        "admin/audit.html",
        page=audit.search(session, unit_ids, filters),
        filters=filters,
        actions=audit.actions(session, unit_ids),
        people=audit.officers(session, unit_ids),
        units=units_shown,
    )


# ---------------------------------------------------------------------------------------
# System: the fleet, the jobs, the notices, the disk (server/services/system.py)
# ---------------------------------------------------------------------------------------


@bp.get("/system")
@roles_required(ADMINS)
def system_page() -> Any:
    from pathlib import Path

    from flask import current_app

    from server.services import system

    session = db_session()
    scope = current_scope()
    tablets = system.tablets(session, scope)
    names = {u.id: u.full_name for u in reports.communes_in_scope(session, scope)}
    return render_template(
        "admin/system.html",
        tablets=tablets,
        commune_names=names,
        versions=system.app_versions(tablets),
        conflicts=system.open_conflicts(session, scope),
        jobs=system.job_lines(session),
        queued=system.count_jobs(session, "queued"),
        failed=system.count_jobs(session, "failed"),
        notices=system.notices_by_state(session),
        photo_bytes=system.photo_disk_bytes(Path(current_app.config["MOTCUA_BLOB_DIR"])),
        silent_after=timedelta(days=system.SILENT_DAYS),
        now=datetime.now(UTC),
    )
