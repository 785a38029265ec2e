"""Tablet registration (online, once) and the device's own record."""

from __future__ import annotations

from typing import Any

from flask import current_app, request
from flask_smorest import Blueprint

from server.api.common import BEARER
from server.api.devices.schemas import DeviceSchema, RegisterDeviceSchema, RegisteredDeviceSchema
from server.auth.context import current_device
from server.extensions import db, db_session, limiter
from server.services import devices as device_service
from server.services.errors import Unauthorized
from server.services.officers import authenticate
from server.translatable import msg

blp = Blueprint("devices", __name__, url_prefix="devices", description="Tablets")


def _login_limit() -> str:
    return str(current_app.config["LOGIN_RATE_LIMIT"])


@blp.route("", methods=["POST"])
@limiter.limit(_login_limit)
@blp.arguments(RegisterDeviceSchema)
@blp.response(201, RegisteredDeviceSchema)
@blp.alt_response(401, description="Wrong username or password")
@blp.alt_response(403, description="Only commune officers and leaders register tablets")
@blp.alt_response(429, description="Too many attempts")
def register(args: dict[str, Any]) -> Any:
    """Register this tablet with an officer's username and password.

    Returns a bearer token to send as `Authorization: Bearer <token>` from then on.
    """
    officer = authenticate(db_session(), args["username"], args["password"])
    if officer is None:
        db.session.commit()
        raise Unauthorized(msg("Sai tên đăng nhập hoặc mật khẩu"))
    device, token = device_service.register_device(
        db_session(),
        officer,
        name=args["device_name"],
        app_version=args.get("app_version"),
        remote_addr=request.remote_addr,
    )
    db.session.commit()
    return {"device": device, "token": token}


@blp.route("/me")
@blp.doc(security=BEARER)
@blp.response(200, DeviceSchema)
def me() -> Any:
    """The calling tablet: its commune, officer and device number."""
    return current_device()
