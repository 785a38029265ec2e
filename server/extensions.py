"""Flask extension objects, created unbound and bound in :func:`server.create_app`."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy.orm import Session
from werkzeug.exceptions import HTTPException

from server.models.base import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address)
babel = Babel()


def db_session() -> Session:
    """This request's session as a plain ``Session``, the type services take."""
    return db.session()


def is_api_request() -> bool:
    return request.path.startswith("/api/")


class MotCuaApi(Api):
    """flask-smorest's Api, answering JSON errors only under ``/api/``.

    flask-smorest registers one handler for every HTTPException; the admin web and the
    public page want HTML error pages, so those are handed back to Flask's default.
    """

    def handle_http_exception(self, error: HTTPException) -> Any:
        if not is_api_request():
            from server.web.errors import render_error_page

            return render_error_page(error)
        from server.messages import HTTP_MESSAGES, for_api, status_name

        payload, code, headers = super().handle_http_exception(error)
        payload["status"] = status_name(error.name)  # "not_found", as our own errors say
        errors = payload.get("errors")
        if errors:
            # Werkzeug's generic description names nothing; say what was wrong instead.
            payload["message"] = _summarise(errors)
        elif "message" not in payload:
            default = type(error).description
            described = error.description != default and error.description
            payload["message"] = described or HTTP_MESSAGES.get(code or 500, error.description)
        message = payload["message"]
        payload["message"] = for_api(message if isinstance(message, str) else str(message))
        return payload, code, headers


def _flatten(errors: Any, path: str = "") -> list[str]:
    if isinstance(errors, dict):
        return [line for key, value in errors.items() for line in _flatten(value, f"{path}{key}.")]
    if isinstance(errors, list) and all(isinstance(item, str) for item in errors):
        return [f"{path.rstrip('.')}: {' '.join(errors)}"]
    return [f"{path.rstrip('.')}: {errors}"]


def _summarise(errors: Any) -> str:
    """One line naming each problem, e.g. ``json.applicant.dob: Not a valid date.``"""
    lines = _flatten(errors)
    more = f" (+{len(lines) - 5})" if len(lines) > 5 else ""
    from server.translatable import msg

    return msg("Yêu cầu không hợp lệ: %(problems)s", problems="; ".join(lines[:5]) + more)


api = MotCuaApi()
