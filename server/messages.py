"""Messages in the reader's language, and the wording of standard HTTP errors.

Services, the API edge and the CLI write ``msg("Tiếng Việt")`` (``server.translatable``):
the Vietnamese is the catalog's msgid, the English is in
``server/translations/en/LC_MESSAGES/messages.po``. At the edge each reader gets one
language: the web in the language the officer or citizen chose (:func:`for_web`), API
answers in the one ``Accept-Language`` asks for (:func:`for_api`; "Tiếng Việt
(English)" when the request names none, as tablets expect and split themselves), the
CLI in ``MOTCUA_LANG`` (:func:`for_cli`).

Messages of the shared ``sync`` library (also read by the tablet, which has no Babel)
are still written ``"Tiếng Việt (English)"``; :func:`in_language` splits them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

from flask import has_request_context, request

from server.translatable import both_languages, in_language, msg

#: Standard HTTP errors raised by Flask/Werkzeug (not by our services).
HTTP_MESSAGES = {
    400: msg("Yêu cầu không hợp lệ"),
    401: msg("Cần xác thực"),
    403: msg("Không có quyền thực hiện"),
    404: msg("Không tìm thấy trang hoặc tài nguyên này"),
    405: msg("Phương thức này không được hỗ trợ ở địa chỉ này"),
    413: msg("Dữ liệu gửi lên quá lớn"),
    415: msg("Kiểu dữ liệu không được hỗ trợ"),
    422: msg("Dữ liệu không hợp lệ"),
    429: msg("Quá nhiều yêu cầu; xin thử lại sau ít phút"),
    500: msg("Lỗi máy chủ; xin thử lại sau"),
    503: msg("Máy chủ tạm thời không phục vụ được"),
}


def status_name(http_name: str) -> str:
    """``"Unprocessable Entity"`` → ``"unprocessable_entity"``: one style for ``status``."""
    return re.sub(r"[^a-z0-9]+", "_", http_name.lower()).strip("_")


def api_language() -> str | None:
    """``"vi"``/``"en"`` when the request's ``Accept-Language`` names one, else None."""
    if not has_request_context() or not request.headers.get("Accept-Language"):
        return None
    return request.accept_languages.best_match(["vi", "en"])


def for_api(text: str) -> str:
    """``text`` in the language the API request asked for (both when it asked none)."""
    language = api_language()
    return in_language(text, language) if language else both_languages(text)


def for_web(text: str) -> str:
    """``text`` in the language of the page (the officer's or citizen's choice)."""
    from flask_babel import get_locale

    if str(get_locale()) != "en":
        return in_language(text, "vi")
    english = in_language(text, "en")
    return english[:1].upper() + english[1:]  # a sentence on the page, not an API detail


def for_web_errors(errors: Mapping[str, Any]) -> dict[str, Any]:
    """A service's field errors for a form, each in the language of the page."""
    return {
        name: for_web(value) if isinstance(value, str) else value for name, value in errors.items()
    }


def cli_language() -> str:
    """The CLI's language: ``MOTCUA_LANG=en`` for English, Vietnamese otherwise."""
    return "en" if os.environ.get("MOTCUA_LANG", "vi").lower().startswith("en") else "vi"


def for_cli(text: str) -> str:
    return in_language(text, cli_language())
