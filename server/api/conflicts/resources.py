"""Conflict records of the calling tablet's commune: list them, resolve one."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_smorest import Blueprint

from server.api.common import BEARER
from server.api.conflicts.schemas import (
    ConflictListArgs,
    ConflictPageSchema,
    ConflictSchema,
    ResolveSchema,
)
from server.api.paging import paginate
from server.api.sync.resources import VERSION_HEADERS, sync_device
from server.auth.context import current_scope
from server.extensions import db, db_session
from server.sync import conflicts as conflict_service

blp = Blueprint(
    "conflicts", __name__, url_prefix="conflicts", description="Sync conflicts (xung đột)"
)


@blp.route("")
@blp.doc(security=BEARER, parameters=VERSION_HEADERS)
@blp.arguments(ConflictListArgs, location="query")
@blp.response(200, ConflictPageSchema)
def list_conflicts(args: dict[str, Any]) -> Any:
    """Conflicts of the device's commune, open ones first; filter by status."""
    sync_device()
    stmt = conflict_service.conflict_query(
        current_scope(), conflict_service.ConflictFilter(status=args["status"])
    )
    return paginate(db_session(), stmt, args["page"], args["per_page"])


@blp.route("/<string:conflict_id>/resolve", methods=["POST"])
@blp.doc(security=BEARER, parameters=VERSION_HEADERS)
@blp.arguments(ResolveSchema)
@blp.response(200, ConflictSchema)
@blp.alt_response(404, description="No such conflict in this commune")
@blp.alt_response(409, description="Already resolved")
@blp.alt_response(422, description="Bad choice or value; `errors` names it")
def resolve(args: dict[str, Any], conflict_id: str) -> Any:
    """Keep the merge's choice, put the lost value back, or write a new value.

    A written value gets a fresh server stamp, so it wins and reaches every tablet.
    """
    device, _versions = sync_device()
    conflict = conflict_service.resolve_conflict(
        db_session(),
        conflict_id,
        scope=current_scope(),
        choice=args["choice"],
        value=args.get("value", conflict_service.NO_VALUE),
        officer_id=device.officer_id,
        device_id=device.id,
        remote_addr=request.remote_addr,
    )
    db.session.commit()
    return conflict
