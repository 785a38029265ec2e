"""HTML error pages for the web side (the API answers JSON instead), in one language."""

from __future__ import annotations

from typing import Any

from flask import render_template
from flask_babel import gettext
from werkzeug.exceptions import HTTPException

from server.messages import for_web
from server.translatable import Msg


def _standard_messages() -> dict[int, str]:
    return {
        400: gettext("Yêu cầu không hợp lệ."),
        403: gettext("Tài khoản của ông/bà không có quyền mở trang này."),
        404: gettext("Không tìm thấy trang này. Xin kiểm tra lại địa chỉ."),
        405: gettext("Trang này không nhận thao tác đó."),
        413: gettext("Dữ liệu gửi lên quá lớn."),
        429: gettext("Quá nhiều yêu cầu trong thời gian ngắn. Xin đợi một phút rồi thử lại."),
        500: gettext("Máy chủ gặp lỗi. Xin thử lại sau."),
    }


def render_error_page(error: HTTPException) -> Any:
    code = error.code or 500
    default = type(error).description
    if error.description and error.description != default:
        # Our own message, in the language of the page; the CSRF check's and the rate
        # limiter's English texts are replaced below.
        message = for_web(error.description)
        if isinstance(error.description, Msg):
            pass
        elif "CSRF" in error.description:
            message = gettext(
                "Biểu mẫu đã hết hạn hoặc thiếu mã bảo vệ (CSRF). Xin tải lại trang rồi thử lại."
            )
        elif error.description.isascii() and for_web(error.description) == error.description:
            # A library's English-only text (the rate limiter's "10 per 1 minute"…).
            message = _standard_messages().get(code, gettext("Đã có lỗi xảy ra."))
    else:
        message = _standard_messages().get(code, gettext("Đã có lỗi xảy ra."))
    return render_template("error.html", code=code, message=message), code
