"""Tablet registration (online, once) and the device's own record."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import current_app, request
from flask_smorest import Blueprint

from server.api.common import BEARER
from server.api.devices.schemas import (
    ClaimRecoverySchema,
    ConfirmRecoverySchema,
    DeviceSchema,
    RecoveryIdSchema,
    RecoverySecretSchema,
    RegisterDeviceSchema,
    RegisteredDeviceSchema,
)
from server.auth.context import current_device
from server.extensions import db, db_session, limiter
from server.services import device_recovery
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


# ---------------------------------------------------------------------------------------
# Forgotten PIN (docs/TABLET.md): the data key's second wrapping, under a server secret
# ---------------------------------------------------------------------------------------


def _server_key() -> str:
    return str(current_app.config["SECRET_KEY"])


@blp.route("/me/recovery")
@blp.doc(security=BEARER)
@blp.response(200, RecoveryIdSchema)
def recovery_id() -> Any:
    """Which recovery secret the server holds for this tablet (its id only)."""
    device = current_device()
    return {"secret_id": device_recovery.current_id(db_session(), device, server_key=_server_key())}


@blp.route("/me/recovery", methods=["POST"])
@blp.doc(security=BEARER)
@blp.response(201, RecoverySecretSchema)
def offer_recovery() -> Any:
    """A new recovery secret for the unlocked tablet; it takes effect once confirmed."""
    device = current_device()
    secret = device_recovery.offer(
        db_session(), device, server_key=_server_key(), now=datetime.now(UTC)
    )
    db.session.commit()
    return secret


@blp.route("/me/recovery/confirm", methods=["POST"])
@blp.doc(security=BEARER)
@blp.arguments(ConfirmRecoverySchema)
@blp.response(200, RecoveryIdSchema)
@blp.alt_response(422, description="Not the secret offered, or offered over an hour ago")
def confirm_recovery(args: dict[str, Any]) -> Any:
    """The tablet wrapped its data key under the offered secret: it replaces the old one."""
    device = current_device()
    device_recovery.confirm(db_session(), device, args["secret_id"], now=datetime.now(UTC))
    db.session.commit()
    return {"secret_id": args["secret_id"]}


@blp.route("/recovery/claim", methods=["POST"])
@limiter.limit(_login_limit)
@blp.arguments(ClaimRecoverySchema)
@blp.response(200, RecoverySecretSchema)
@blp.alt_response(401, description="Wrong password, another officer's tablet, or revoked")
@blp.alt_response(404, description="The tablet never enrolled for recovery")
@blp.alt_response(429, description="Too many attempts")
def claim_recovery(args: dict[str, Any]) -> Any:
    """A locked tablet's recovery secret, for the password of the officer it belongs to.

    No bearer token: the tablet's token is sealed under the key this recovers.
    """
    try:
        secret = device_recovery.claim(
            db_session(),
            args["device_id"],
            args["username"],
            args["password"],
            server_key=_server_key(),
            now=datetime.now(UTC),
            remote_addr=request.remote_addr,
        )
    finally:
        db.session.commit()  # the failures counted and audit-logged stay
    return secret
