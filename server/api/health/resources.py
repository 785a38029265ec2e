"""Health check for load balancers and the tablet's "is the server there" probe."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import request
from flask_smorest import Blueprint
from sqlalchemy import text

from server import __version__
from server.extensions import db, db_session
from server.services import epochs, system
from server.services.errors import ServiceError
from server.translatable import msg

blp = Blueprint("health", __name__, url_prefix="health", description="Health check")


class HealthSchema(ma.Schema):
    status = ma.fields.String()
    database = ma.fields.String()
    version = ma.fields.String()
    epoch = ma.fields.String()
    queue = ma.fields.String()
    queue_depth = ma.fields.Integer()
    oldest_queued_seconds = ma.fields.Integer()
    jobs_failed = ma.fields.Integer()


class DatabaseUnavailable(ServiceError):
    http_status = 503
    code = "database_unavailable"


class QueueStuck(ServiceError):
    http_status = 503
    code = "queue_stuck"


@blp.route("")
@blp.response(200, HealthSchema)
def health() -> dict[str, Any]:
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as error:
        raise DatabaseUnavailable(msg("Không kết nối được cơ sở dữ liệu")) from error
    queue = system.health(db_session())
    stuck = queue["queue"] != "ok"
    # Tablets probe this address before a sync: a stuck job queue must not stop them,
    # so it answers 503 for it only when a monitor asks (``?strict=1``).
    if stuck and request.args.get("strict") == "1":
        refusal = QueueStuck(
            "Hàng đợi công việc không chạy (job queue stuck): việc cũ nhất đã chờ "
            f"{queue['oldest_queued_seconds']} giây; kiểm tra motcua-worker"
        )
        refusal.extra = queue
        raise refusal
    return {
        "status": "degraded" if stuck else "ok",
        "database": db.engine.dialect.name,
        "version": __version__,
        "epoch": epochs.current(db_session()),
        **queue,
    }
