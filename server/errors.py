"""Turns service errors into HTTP answers at the edge (JSON under /api/, HTML elsewhere)."""

from __future__ import annotations

import json
from typing import Any

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException

from server.extensions import is_api_request
from server.services.errors import ServiceError
from server.translatable import msg
from sync import wire


def _service_error(error: ServiceError) -> Any:
    if is_api_request():
        from server.messages import for_api

        body: dict[str, Any] = {
            "code": error.http_status,
            "status": error.code,
            "message": for_api(error.message),
        }
        if error.errors:
            body["errors"] = {
                key: for_api(value) if isinstance(value, str) else value
                for key, value in error.errors.items()
            }
        body.update(error.extra)
        response = jsonify(body)
        response.status_code = error.http_status
        response.headers.update(error.headers)
        if error.http_status == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="motcua"'
        return response
    from server.web.errors import render_error_page

    exc = HTTPException(description=error.message)
    exc.code = error.http_status
    return render_error_page(exc)


NUL_MESSAGE = msg("Dữ liệu chứa ký tự NUL (\\u0000) không hợp lệ")


#: A push checks NUL and lone surrogates per operation (PROTOCOL.md §6).
PUSH_PATH = "/api/v1/sync/push"


def _refuse_deep_json(data: bytes) -> None:
    """A JSON body nested thousands deep makes a recursive parser fail (a 500); refuse
    it before any parser sees it (PROTOCOL.md §5). Gzip sync bodies are checked after
    inflating (``sync.wire.decode``)."""
    from flask import request
    from werkzeug.exceptions import BadRequest

    if (request.headers.get("Content-Encoding") or "").strip().lower() == "gzip":
        return
    try:
        wire.check_depth(data)
    except wire.TooDeep as error:
        raise BadRequest(
            description=msg("Dữ liệu JSON lồng nhau quá sâu: %(detail)s", detail=str(error))
        ) from error


def _refuse_nul_characters() -> None:
    """NUL is never meaningful in this domain, and PostgreSQL cannot store it in text;
    a lone surrogate escape (``"\\ud800"``) parses as JSON but is not text at all.

    Refusing it at the edge turns what would be a database error into a clear 400.
    JSON bodies are checked for the escaped form; gzip sync bodies are checked after
    inflating (``sync.wire.decode``).
    """
    from flask import request
    from werkzeug.exceptions import BadRequest

    values = [request.path, *request.args.values(), *request.form.values()]
    if any("\x00" in value for value in values):
        raise BadRequest(description=NUL_MESSAGE)
    if request.mimetype == "application/json" or request.mimetype.endswith("+json"):
        data = request.get_data(cache=True)
        _refuse_deep_json(data)
        if request.path == PUSH_PATH:
            return  # checked per operation: one bad record blocks nothing (G12)
        if b"\\u0000" in data:
            raise BadRequest(description=NUL_MESSAGE)
        if b"\\ud" in data or b"\\uD" in data:  # maybe a lone surrogate escape
            try:
                wire.refuse_lone_surrogates(json.loads(data))
            except wire.LoneSurrogate as error:
                raise BadRequest(
                    description=msg(
                        "Dữ liệu chứa ký tự không đọc được: %(detail)s", detail=str(error)
                    )
                ) from error
            except (ValueError, RecursionError):
                pass  # malformed JSON: the view's parser says so


def init_app(app: Flask) -> None:
    app.before_request(_refuse_nul_characters)
    # Unexpected exceptions become a 500 through flask-smorest's HTTPException
    # handler (JSON under /api/, the HTML error page elsewhere), never a traceback.
    app.register_error_handler(ServiceError, _service_error)
