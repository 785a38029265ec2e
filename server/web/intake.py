"""Receiving a dossier at the counter on the web, and handing a dossier over to the
commune competent to settle it (filing anywhere in the province, Decree 118/2025/NĐ-CP)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import select

from server.auth.context import current_scope
from server.extensions import db, db_session
from server.models import AdminUnit, Procedure, Role, UnitLevel
from server.scoping import allows_dossier
from server.services import dossier_admin, filing_places, reports, web_intake
from server.services import handover as handover_service
from server.services.dossier_corrections import procedure_rows
from server.services.dossiers import create_dossier
from server.services.errors import Invalid, NotFound
from server.translatable import msg
from server.web.access import roles_required
from sync.domain import Channel

bp = Blueprint("web_intake", __name__, url_prefix="/dossiers")

#: The page's own fields: their errors show beside them, any other above the form.
SHOWN_FIELDS = (
    "applicant_name",
    "applicant_cccd",
    "applicant_dob",
    "applicant_phone",
    "applicant_address",
    "village_id",
    "channel",
)

#: Who receives dossiers: the people of a commune's centre.
INTAKE_ROLES = frozenset({Role.OFFICER, Role.COMMUNE_LEADER})


def _own_commune() -> AdminUnit:
    commune = db_session().get(AdminUnit, current_user.unit_id)
    if commune is None or commune.level != UnitLevel.COMMUNE:
        raise NotFound(msg("Tài khoản không thuộc xã nào"))
    return commune


def _procedure(procedure_id: int | None) -> Procedure | None:
    if procedure_id is None:
        return None
    procedure = db_session().get(Procedure, procedure_id)
    if procedure is None or not procedure.active:
        raise NotFound(msg("Không tìm thấy thủ tục: %(procedure_id)s", procedure_id=procedure_id))
    return procedure


def _page(
    commune: AdminUnit,
    procedure: Procedure | None,
    errors: dict[str, str] | None = None,
    code: int = 200,
) -> Any:
    session = db_session()
    typed = request.form if request.method == "POST" else None
    sections = (
        procedure_rows(procedure.form or {}, *web_intake.form_defaults(procedure.form or {}))
        if procedure
        else []
    )
    anywhere = procedure is not None and procedure.receivable_anywhere
    shown = set(SHOWN_FIELDS) | {row.path for _vi, _en, rows in sections for row in rows}
    if anywhere:
        shown |= {"settling_commune_id", "return_commune_id"}
    return render_template(
        "dossiers/new.html",
        commune=commune,
        centre_name=filing_places.centre_name,
        procedure=procedure,
        procedures=reports.procedures_for_filter(session),
        villages=list(
            session.scalars(
                select(AdminUnit).where(AdminUnit.parent_id == commune.id).order_by(AdminUnit.name)
            )
        ),
        channels=list(Channel),
        sections=sections,
        settling_choices=filing_places.province_communes(session, commune) if anywhere else [],
        other_errors=[m for key, m in (errors or {}).items() if key not in shown],
        typed=typed,
        provided=set(request.form.getlist("doc")) if typed is not None else set(),
        errors=errors or {},
    ), code


@bp.route("/new", methods=["GET", "POST"])
@roles_required(INTAKE_ROLES)
def new() -> Any:
    """Receive a dossier; for a procedure on the province's list, pick who settles it."""
    commune = _own_commune()
    chosen = request.values.get("procedure", "")
    procedure = _procedure(int(chosen) if chosen.isdigit() and len(chosen) < 10 else None)
    if request.method == "GET" or procedure is None:
        return _page(commune, procedure)
    session = db_session()
    try:
        data = web_intake.read_intake(
            procedure, commune.id, request.form, request.form.getlist("doc")
        )
        dossier = create_dossier(
            session, data, scope=current_scope(), officer=current_user, now=datetime.now(UTC)
        )
    except Invalid as error:
        db.session.rollback()
        return _page(commune, procedure, web_intake.page_errors(error.errors), 422)
    db.session.commit()
    flash(
        gettext("Đã tiếp nhận hồ sơ %(n)s. In giấy tiếp nhận (mẫu 01) cho công dân.")
        % {"n": dossier.receipt_number},
        "ok",
    )
    return redirect(url_for("web_dossiers.detail", dossier_id=dossier.id, received=1))


@bp.post("/<dossier_id>/handover")
@roles_required(INTAKE_ROLES)
def handover(dossier_id: str) -> Any:
    """Hand the dossier over to another commune of the province (with a reason)."""
    session = db_session()
    dossier = dossier_admin.get_dossier(session, current_scope(), dossier_id)
    target = request.form.get("to_commune_id", "")
    try:
        handover_service.hand_over(
            session,
            dossier,
            int(target) if target.isdigit() and len(target) < 10 else -1,
            request.form.get("reason", ""),
            officer=current_user,
            now=datetime.now(UTC),
            remote_addr=request.remote_addr,
        )
    except Invalid as error:
        db.session.rollback()
        for message in error.errors.values() or [error.message]:
            flash(message, "error")
        return redirect(url_for("web_dossiers.detail", dossier_id=dossier_id, _anchor="handover"))
    db.session.commit()
    flash(gettext("Đã bàn giao hồ sơ cho xã có thẩm quyền giải quyết."), "ok")
    if not allows_dossier(current_scope(), dossier):
        # The commune that gave it up is no longer involved: it sees it no more.
        return redirect(url_for("web_dossiers.index"))
    return redirect(url_for("web_dossiers.detail", dossier_id=dossier_id))
