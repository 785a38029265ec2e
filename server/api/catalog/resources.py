"""The procedure catalog, read-only for tablets."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from server.api.catalog.schemas import ProcedureSchema
from server.api.common import BEARER
from server.auth.context import current_device
from server.extensions import db_session
from server.services.catalog import active_procedures

blp = Blueprint("procedures", __name__, url_prefix="procedures", description="Procedure catalog")


@blp.route("")
@blp.doc(security=BEARER)
@blp.response(200, ProcedureSchema(many=True))
def list_procedures() -> Any:
    """Every active procedure, ordered by national code."""
    current_device()
    return active_procedures(db_session())
