"""The principal of the current request, and the binding of the auth extensions."""

from __future__ import annotations

from flask import Flask, request
from flask_babel import lazy_gettext
from flask_login import current_user

from server.auth import sessions
from server.extensions import babel, csrf, db, db_session, limiter, login_manager
from server.models import Device
from server.scoping import Scope, scope_for_device, scope_for_officer
from server.services.devices import authenticate_device
from server.services.errors import Unauthorized
from server.translatable import msg


def _locale() -> str:
    from flask import session

    chosen = session.get("locale")
    if chosen in ("vi", "en"):
        return str(chosen)
    return request.accept_languages.best_match(["vi", "en"]) or "vi"


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.user_loader(sessions.load)
    login_manager.login_view = "web.login"
    login_manager.login_message = lazy_gettext("Vui lòng đăng nhập.")
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=_locale)


def current_device() -> Device:
    """The tablet making this API request, from its ``Authorization: Bearer`` header."""
    # Cached on the request, not on ``g``: an app context may outlive one request.
    cached: Device | None = request.environ.get("motcua.device")
    if cached is not None:
        return cached
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized(msg("Thiếu mã thiết bị: gửi 'Authorization: Bearer <token>'"))
    device = authenticate_device(db_session(), token.strip())
    db.session.commit()  # keep last_seen_at even if the request fails later
    request.environ["motcua.device"] = device
    return device


def current_scope() -> Scope:
    """The scope of whoever is asking: the device for the API, the officer on the web."""
    if request.path.startswith("/api/"):
        return scope_for_device(current_device())
    if current_user.is_authenticated:
        return scope_for_officer(db_session(), current_user)
    raise Unauthorized(msg("Vui lòng đăng nhập"))
