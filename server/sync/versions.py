"""The version headers every sync request carries (PROTOCOL.md §5, G13).

``X-Motcua-Protocol`` (wire protocol), ``X-Motcua-App`` (the tablet app's version) and
``X-Motcua-Schema`` (``sync.schema.SCHEMA_VERSION``). A missing or unreadable header is
a client bug (400, naming the header); a version the server cannot serve is ``426
Upgrade Required`` with a message for the officer, and nothing of the request is done.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from server.services.errors import ServiceError
from server.translatable import msg
from sync.ops import PROTOCOL_VERSION
from sync.schema import SCHEMA_VERSION

PROTOCOL_HEADER = "X-Motcua-Protocol"
APP_HEADER = "X-Motcua-App"
SCHEMA_HEADER = "X-Motcua-Schema"

_VERSION_RE = re.compile(
    r"([0-9]{1,6})\.([0-9]{1,6})(?:\.([0-9]{1,6}))?(?:[-+.][0-9A-Za-z.+-]{0,40})?"
)
#: Version numbers are ASCII digits (``str.isdigit`` would take "１").
_NUMBER_RE = re.compile(r"[0-9]{1,6}")


class Headers(Protocol):
    """Request headers: a case-insensitive ``get`` (werkzeug's ``Headers``, a dict…)."""

    def get(self, key: str, /) -> str | None: ...


class BadHeader(ServiceError):
    """A version header is missing or unreadable (400)."""

    http_status = 400
    code = "bad_request"


class UpgradeRequired(ServiceError):
    """The tablet must be updated before it may sync (426)."""

    http_status = 426
    code = "upgrade_required"

    def __init__(self, message: str, *, min_app: str) -> None:
        super().__init__(message)
        self.min_app = min_app
        self.extra = {"min_app": min_app}


@dataclass(frozen=True)
class ClientVersions:
    protocol: int
    app: str
    schema: int


def parse_version(text: str) -> tuple[int, int, int] | None:
    """``"1.2.3"`` → ``(1, 2, 3)``; a missing patch is 0; a suffix (``-beta``) is ignored."""
    match = _VERSION_RE.fullmatch(text.strip())
    if match is None:
        return None
    return int(match[1]), int(match[2]), int(match[3] or 0)


def _header(headers: Headers, name: str, example: str) -> str:
    value = headers.get(name)
    if value is None or not value.strip():
        raise BadHeader(
            msg("Thiếu tiêu đề %(name)s; ví dụ '%(name)s: %(example)s'", name=name, example=example)
        )
    return value.strip()


def check_versions(headers: Headers, min_app: str) -> ClientVersions:
    """Read and check the three headers; raise :class:`BadHeader` or :class:`UpgradeRequired`."""
    protocol_text = _header(headers, PROTOCOL_HEADER, str(PROTOCOL_VERSION))
    app_text = _header(headers, APP_HEADER, min_app)
    schema_text = _header(headers, SCHEMA_HEADER, str(SCHEMA_VERSION))
    if not _NUMBER_RE.fullmatch(protocol_text):
        raise BadHeader(
            msg(
                "Tiêu đề %(PROTOCOL_HEADER)s không hợp lệ: %(protocol_text)s; phải là số nguyên, "
                "ví dụ %(PROTOCOL_VERSION)s",
                PROTOCOL_HEADER=PROTOCOL_HEADER,
                protocol_text=repr(protocol_text),
                PROTOCOL_VERSION=PROTOCOL_VERSION,
            )
        )
    if not _NUMBER_RE.fullmatch(schema_text):
        raise BadHeader(
            msg(
                "Tiêu đề %(SCHEMA_HEADER)s không hợp lệ: %(schema_text)s; phải là số nguyên, ví "
                "dụ %(SCHEMA_VERSION)s",
                SCHEMA_HEADER=SCHEMA_HEADER,
                schema_text=repr(schema_text),
                SCHEMA_VERSION=SCHEMA_VERSION,
            )
        )
    app_version = parse_version(app_text)
    if app_version is None:
        raise BadHeader(
            msg(
                "Tiêu đề %(APP_HEADER)s không hợp lệ: %(app_text)s",
                APP_HEADER=APP_HEADER,
                app_text=repr(app_text),
            )
        )
    protocol, schema = int(protocol_text), int(schema_text)
    minimum = parse_version(min_app) or (0, 0, 0)
    update = (
        "Vui lòng cập nhật ứng dụng Một Cửa Field lên phiên bản {min_app} trở lên rồi đồng bộ "
        "lại; dữ liệu trên máy vẫn được giữ nguyên "
        "(please update the Một Cửa Field app to version {min_app} or later, then sync "
        "again; the data on the tablet is kept): {detail}"
    )
    if protocol != PROTOCOL_VERSION:
        detail = f"the server speaks sync protocol {PROTOCOL_VERSION}, the app speaks {protocol}"
    elif schema != SCHEMA_VERSION:
        detail = f"the server's data schema is version {SCHEMA_VERSION}, the app's is {schema}"
    elif app_version < minimum:
        detail = f"app version {app_text} is older than the oldest supported, {min_app}"
    else:
        return ClientVersions(protocol, app_text, schema)
    raise UpgradeRequired(update.format(min_app=min_app, detail=detail), min_app=min_app)
