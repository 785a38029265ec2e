"""Errors raised by services; views and the API edge translate them to HTTP.

Services never import Flask: they raise these, and ``server.errors`` turns them into a
JSON 4xx that names the problem.
"""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    """Base class. ``message`` is for people: ``msg("Tiếng Việt")``, translated at the
    edge (``server.translatable``); ``errors`` maps a field to its message."""

    http_status = 400
    code = "bad_request"

    def __init__(self, message: str, *, errors: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or {}
        #: Extra keys for the JSON body and extra response headers, where a protocol
        #: asks for them (426 ``min_app``, 409 ``offset`` + ``Upload-Offset``).
        self.extra: dict[str, Any] = {}
        self.headers: dict[str, str] = {}


class NotFound(ServiceError):
    http_status = 404
    code = "not_found"


class Forbidden(ServiceError):
    http_status = 403
    code = "forbidden"


class Unauthorized(ServiceError):
    http_status = 401
    code = "unauthorized"


class DeviceRevoked(Unauthorized):
    code = "device_revoked"


class Invalid(ServiceError):
    """Input that is well-formed but breaks a rule (bad CCCD, impossible date…)."""

    http_status = 422
    code = "invalid"


class Conflict(ServiceError):
    http_status = 409
    code = "conflict"


class TooManyAttempts(ServiceError):
    """An account backing off after wrong passwords (``Retry-After`` says how long)."""

    http_status = 429
    code = "too_many_attempts"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.headers["Retry-After"] = str(max(1, retry_after))
