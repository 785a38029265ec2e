"""The sync endpoints: push operations, pull changes (sync/PROTOCOL.md §5–§7).

Bodies may be gzip-compressed both ways, so they are read and written here rather than
by flask-smorest (which documents them). The helpers at the top are shared with the
other sync-protocol resources (blobs, conflicts).
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import Response, current_app, request
from flask_smorest import Blueprint

from server import metrics
from server.api.common import BEARER
from server.api.sync.schemas import (
    PullRequestSchema,
    PullResponseSchema,
    PushRequestDocSchema,
    PushRequestSchema,
    PushResponseSchema,
    UpgradeRequiredSchema,
)
from server.auth.context import current_device
from server.extensions import db, db_session
from server.models import Device
from server.services import epochs
from server.services.errors import Invalid, ServiceError
from server.sync import pull as pull_service
from server.sync import push as push_service
from server.sync.versions import (
    APP_HEADER,
    PROTOCOL_HEADER,
    SCHEMA_HEADER,
    ClientVersions,
    check_versions,
)
from server.translatable import msg
from sync import wire
from sync.errors import WireError
from sync.ops import PROTOCOL_VERSION, Cursor, Operation, UnreadableRecord
from sync.schema import SCHEMA_VERSION

blp = Blueprint("sync", __name__, url_prefix="sync", description="Sync (đồng bộ)")


class PayloadTooLarge(ServiceError):
    http_status = 413
    code = "payload_too_large"


#: OpenAPI description of the headers every sync request carries.
VERSION_HEADERS: list[dict[str, Any]] = [
    {
        "in": "header",
        "name": PROTOCOL_HEADER,
        "required": True,
        "schema": {"type": "integer", "example": PROTOCOL_VERSION},
        "description": "sync protocol version the app speaks",
    },
    {
        "in": "header",
        "name": APP_HEADER,
        "required": True,
        "schema": {"type": "string", "example": "0.1.0"},
        "description": "tablet app version; older than the server's minimum → 426",
    },
    {
        "in": "header",
        "name": SCHEMA_HEADER,
        "required": True,
        "schema": {"type": "integer", "example": SCHEMA_VERSION},
        "description": "sync schema version (sync.schema.SCHEMA_VERSION)",
    },
]


def sync_device() -> tuple[Device, ClientVersions]:
    """Authenticate the tablet, then check its version headers (400 or 426)."""
    device = current_device()
    versions = check_versions(request.headers, str(current_app.config["MIN_APP_VERSION"]))
    return device, versions


def read_body(*, refuse_bad_text: bool = True) -> Any:
    """The JSON request body, gunzipped if ``Content-Encoding: gzip`` (bounded in size
    and depth). ``refuse_bad_text=False``: NUL and lone surrogates are left for the
    caller to refuse record by record (a push)."""
    limit = int(current_app.config.get("SYNC_MAX_INFLATED_BYTES", wire.MAX_INFLATED_BYTES))
    data = request.get_data(cache=False)
    try:
        return wire.decode(
            data,
            request.headers.get("Content-Encoding"),
            limit=limit,
            refuse_bad_text=refuse_bad_text,
        )
    except wire.BodyTooLarge as error:
        raise PayloadTooLarge(
            msg("Dữ liệu gửi lên quá lớn, hãy gửi thành nhiều lần: %(error)s", error=error)
        ) from error
    except WireError as error:
        raise ServiceError(msg("Dữ liệu gửi lên không đọc được: %(error)s", error=error)) from error


def _flatten(errors: Any, path: str) -> list[str]:
    if isinstance(errors, dict):
        return [line for key, value in errors.items() for line in _flatten(value, f"{path}.{key}")]
    if isinstance(errors, list) and all(isinstance(item, str) for item in errors):
        return [f"{path}: {' '.join(errors)}"]
    return [f"{path}: {errors}"]


def load(schema: ma.Schema, data: Any) -> dict[str, Any]:
    """Validate a decoded body; 422 naming each problem."""
    if not isinstance(data, dict):
        raise Invalid(
            msg("Yêu cầu không hợp lệ: nội dung phải là một đối tượng JSON"),
            errors={"json": {"_schema": ["the body must be a JSON object"]}},
        )
    try:
        loaded: dict[str, Any] = schema.load(data)
    except ma.ValidationError as error:
        lines = _flatten(error.messages, "json")
        raise Invalid(
            "Yêu cầu không hợp lệ (invalid request): " + "; ".join(lines[:5]),
            errors={"json": error.messages},
        ) from error
    return loaded


def sync_response(payload: Any, status: int = 200) -> Response:
    """JSON, gzip-compressed when the client accepts it and it is worth it."""
    accepts_gzip = request.accept_encodings["gzip"] > 0
    body, encoding = wire.encode(payload, compress=accepts_gzip)
    response = current_app.response_class(body, status=status, mimetype="application/json")
    if encoding:
        response.headers["Content-Encoding"] = encoding
    response.headers["Vary"] = "Accept-Encoding"
    response.headers["Cache-Control"] = "no-store"
    return response


def json_body_doc(schema: type[ma.Schema], description: str) -> dict[str, Any]:
    """OpenAPI ``requestBody`` for an endpoint that reads its body with ``read_body``."""
    return {
        "required": True,
        "description": description,
        "content": {"application/json": {"schema": schema}},
    }


SYNC_ERRORS = (
    (400, "Missing or unreadable version header; malformed gzip or JSON"),
    (401, "No or unknown device token; `device_revoked` for a revoked tablet"),
    (413, "The body, or what it inflates to, is too large"),
    (422, "The body has the wrong shape; `errors` names each problem"),
)


def _document_errors(func: Any) -> Any:
    for code, description in SYNC_ERRORS:
        func = blp.alt_response(code, description=description)(func)
    return blp.alt_response(
        426, schema=UpgradeRequiredSchema, description="The app must be updated first"
    )(func)


@blp.route("/push", methods=["POST"])
@blp.doc(
    security=BEARER,
    parameters=VERSION_HEADERS,
    requestBody=json_body_doc(
        PushRequestDocSchema,
        "Operations from the tablet's outbox. May be sent with `Content-Encoding: gzip`.",
    ),
)
@blp.response(200, PushResponseSchema, description="One result per operation, in order")
@_document_errors
def push() -> Any:
    """Apply the tablet's operations, each on its own; answer one outcome per operation.

    Exactly once (a repeated operation id gets its stored outcome), scoped to the
    device's commune, merged field by field. The response is gzip-compressed when the
    request says `Accept-Encoding: gzip`.
    """
    device, versions = sync_device()
    body = load(PushRequestSchema(), read_body(refuse_bad_text=False))
    operations: list[Operation] = []
    unreadable: dict[str, tuple[str, str]] = {}
    for index, raw in enumerate(body["ops"]):
        try:
            operations.append(Operation.from_wire(raw))
        except UnreadableRecord as bad:
            # Rejected on its own (G12); the placeholder carries no fields.
            operations.append(bad.operation)
            unreadable[bad.operation.op_id] = (bad.field_name, bad.problem)
        except WireError as error:
            raise Invalid(
                msg(
                    "Thao tác thứ %(index)s không hợp lệ: ops.%(index)s: %(error)s",
                    index=index,
                    error=str(error),
                ),
                errors={"json": {"ops": {str(index): [str(error)]}}},
            ) from error
    result = push_service.push(
        db_session(),
        device,
        operations,
        device_now_ms=body["now"],
        max_skew_ms=int(current_app.config["SYNC_MAX_SKEW_MS"]),
        app_version=versions.app,
        unreadable=unreadable,
    )
    db.session.commit()
    metrics.count_push(result.outcomes)
    return sync_response(result.to_wire())


@blp.route("/pull", methods=["POST"])
@blp.doc(
    security=BEARER,
    parameters=VERSION_HEADERS,
    requestBody=json_body_doc(
        PullRequestSchema, "Where the tablet stands. May be sent with `Content-Encoding: gzip`."
    ),
)
@blp.response(200, PullResponseSchema, description="The next page of changes")
@_document_errors
def pull() -> Any:
    """Changes since the cursor: reference data first, then the commune's records.

    Stops after about `budget` bytes (at least one change) and sets `more`. Store the
    returned cursor with the changes, in one transaction.
    """
    device, versions = sync_device()
    body = load(PullRequestSchema(), read_body())
    try:
        cursor = Cursor.decode(body["cursor"])
    except WireError as error:
        raise Invalid(
            msg("Yêu cầu không hợp lệ: json.cursor: %(error)s", error=error),
            errors={"json": {"cursor": [str(error)]}},
        ) from error
    page = pull_service.pull(db_session(), device, cursor, body["budget"])
    device.app_version = versions.app[:32]
    wire = page.to_wire()
    wire["e"] = epochs.current(db_session())  # PROTOCOL.md §12
    db.session.commit()
    metrics.PULLS.inc()
    return sync_response(wire)
