"""Health check for load balancers and the tablet's "is the server there" probe."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask_smorest import Blueprint
from sqlalchemy import text

from server import __version__
from server.extensions import db
from server.services.errors import ServiceError

blp = Blueprint("health", __name__, url_prefix="health", description="Health check")


class HealthSchema(ma.Schema):
    status = ma.fields.String()
    database = ma.fields.String()
    version = ma.fields.String()


class DatabaseUnavailable(ServiceError):
    http_status = 503
    code = "database_unavailable"


@blp.route("")
@blp.response(200, HealthSchema)
def health() -> dict[str, Any]:
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as error:
        raise DatabaseUnavailable(
            "Không kết nối được cơ sở dữ liệu (database unavailable)"
        ) from error
    return {"status": "ok", "database": db.engine.dialect.name, "version": __version__}
