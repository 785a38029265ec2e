"""Dossiers of the calling tablet's commune: list, read, and online intake."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from server.api.common import BEARER
from server.api.dossiers.schemas import (
    DossierCreateSchema,
    DossierDetailSchema,
    DossierListArgs,
    DossierPageSchema,
)
from server.api.paging import paginate
from server.auth.context import current_device, current_scope
from server.extensions import db, db_session
from server.models import utcnow
from server.scoping import get_dossier_scoped
from server.services import dossiers as dossier_service
from sync.workdays import OFFICE_TZ

blp = Blueprint("dossiers", __name__, url_prefix="dossiers", description="Dossiers (hồ sơ)")


@blp.route("")
@blp.doc(security=BEARER)
@blp.arguments(DossierListArgs, location="query")
@blp.response(200, DossierPageSchema)
def list_dossiers(args: dict[str, Any]) -> Any:
    """Dossiers of the device's commune, newest first; filter by status, overdue, text."""
    filters = dossier_service.DossierFilter(
        status=args["status"],
        overdue_on=utcnow().astimezone(OFFICE_TZ).date() if args["overdue"] else None,
        q=args["q"],
    )
    stmt = dossier_service.dossier_query(current_scope(), filters)
    return paginate(db_session(), stmt, args["page"], args["per_page"])


@blp.route("/<string:dossier_id>")
@blp.doc(security=BEARER)
@blp.response(200, DossierDetailSchema)
@blp.alt_response(404, description="No such dossier in this commune")
def get_dossier(dossier_id: str) -> Any:
    """One dossier with its timeline and apologies."""
    return get_dossier_scoped(db_session(), dossier_id, current_scope())


@blp.route("", methods=["POST"])
@blp.doc(security=BEARER)
@blp.arguments(DossierCreateSchema)
@blp.response(201, DossierDetailSchema)
@blp.alt_response(422, description="The dossier breaks a rule; `errors` names each field")
def create_dossier(args: dict[str, Any]) -> Any:
    """Receive a dossier online (the tablet's offline intake goes through sync)."""
    device = current_device()
    data = dossier_service.DossierInput(
        commune_id=device.commune_id,
        applicant=dossier_service.ApplicantInput(**args.pop("applicant")),
        **args,
    )
    dossier = dossier_service.create_dossier(
        db_session(), data, scope=current_scope(), officer=device.officer, device_id=device.id
    )
    db.session.commit()
    return dossier
