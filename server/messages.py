"""Messages in the reader's language, and the wording of standard HTTP errors.

Services write messages as ``"Tiếng Việt (English)"`` (``sync.text.bilingual``). At the
edge each reader gets one language: the web in the language the officer or citizen
chose, API answers in the one ``Accept-Language`` asks for (both languages when the
request names none, as older tablets expect and split themselves), the CLI in
``MOTCUA_LANG``.
"""

from __future__ import annotations

import os
import re

from flask import has_request_context, request

from sync.text import bilingual

#: Standard HTTP errors raised by Flask/Werkzeug (not by our services), both languages.
HTTP_MESSAGES = {
    400: "Yêu cầu không hợp lệ (the request is not valid)",
    401: "Cần xác thực (authentication is required)",
    403: "Không có quyền thực hiện (this is not allowed)",
    404: "Không tìm thấy trang hoặc tài nguyên này (not found)",
    405: "Phương thức này không được hỗ trợ ở địa chỉ này (method not allowed here)",
    413: "Dữ liệu gửi lên quá lớn (the request is too large)",
    415: "Kiểu dữ liệu không được hỗ trợ (unsupported media type)",
    422: "Dữ liệu không hợp lệ (the data is not valid)",
    429: "Quá nhiều yêu cầu; xin thử lại sau ít phút (too many requests; try again later)",
    500: "Lỗi máy chủ; xin thử lại sau (server error; please try again later)",
    503: "Máy chủ tạm thời không phục vụ được (the server is temporarily unavailable)",
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
    return bilingual(text, language) if language else text


def cli_language() -> str:
    """The CLI's language: ``MOTCUA_LANG=en`` for English, Vietnamese otherwise."""
    return "en" if os.environ.get("MOTCUA_LANG", "vi").lower().startswith("en") else "vi"


def for_cli(text: str) -> str:
    return bilingual(text, cli_language())
