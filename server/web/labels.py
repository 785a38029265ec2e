"""Words shown for the domain's codes (statuses, channels, kinds), Vietnamese first.

Lazy strings: each is translated when shown, in the language of that request.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext

from sync.domain import Channel, DossierStatus, FeedbackKind, FeedbackStatus

DOSSIER_STATUS = {
    DossierStatus.RECEIVED: lazy_gettext("Đã tiếp nhận"),
    DossierStatus.NEEDS_SUPPLEMENT: lazy_gettext("Yêu cầu bổ sung"),
    DossierStatus.REFUSED: lazy_gettext("Từ chối tiếp nhận"),
    DossierStatus.IN_PROGRESS: lazy_gettext("Đang giải quyết"),
    DossierStatus.APPROVED: lazy_gettext("Đã giải quyết"),
    DossierStatus.REJECTED: lazy_gettext("Không giải quyết"),
    DossierStatus.RESULT_RETURNED: lazy_gettext("Đã trả kết quả"),
    DossierStatus.WITHDRAWN: lazy_gettext("Đã rút hồ sơ"),
}

#: What a citizen reads on the public page, in plain words.
PUBLIC_STATUS = {
    DossierStatus.RECEIVED: lazy_gettext("Hồ sơ đã được tiếp nhận và đang chờ xử lý."),
    DossierStatus.NEEDS_SUPPLEMENT: lazy_gettext(
        "Hồ sơ cần bổ sung giấy tờ. Mời ông/bà liên hệ Bộ phận một cửa của xã."
    ),
    DossierStatus.REFUSED: lazy_gettext(
        "Hồ sơ không được tiếp nhận. Lý do ghi trong phiếu từ chối ông/bà đã nhận."
    ),
    DossierStatus.IN_PROGRESS: lazy_gettext("Hồ sơ đang được cán bộ giải quyết."),
    DossierStatus.APPROVED: lazy_gettext(
        "Hồ sơ đã giải quyết xong. Mời ông/bà đến Bộ phận một cửa nhận kết quả."
    ),
    DossierStatus.REJECTED: lazy_gettext(
        "Hồ sơ không được giải quyết. Mời ông/bà đến Bộ phận một cửa nhận văn bản trả lời."
    ),
    DossierStatus.RESULT_RETURNED: lazy_gettext("Ông/bà đã nhận kết quả. Xin cảm ơn."),
    DossierStatus.WITHDRAWN: lazy_gettext("Hồ sơ đã được rút theo đề nghị của ông/bà."),
}

#: Colour class of a status badge.
STATUS_TONE = {
    DossierStatus.RECEIVED: "info",
    DossierStatus.NEEDS_SUPPLEMENT: "warn",
    DossierStatus.REFUSED: "muted",
    DossierStatus.IN_PROGRESS: "info",
    DossierStatus.APPROVED: "ok",
    DossierStatus.REJECTED: "muted",
    DossierStatus.RESULT_RETURNED: "ok",
    DossierStatus.WITHDRAWN: "muted",
}

CHANNEL = {
    Channel.COUNTER: lazy_gettext("Tại bộ phận một cửa"),
    Channel.VILLAGE_VISIT: lazy_gettext("Lưu động tại thôn, bản"),
    Channel.ONLINE: lazy_gettext("Trực tuyến"),
    Channel.POST: lazy_gettext("Bưu chính công ích"),
}

FEEDBACK_KIND = {
    FeedbackKind.REPORT: lazy_gettext("Phản ánh"),
    FeedbackKind.RECOMMENDATION: lazy_gettext("Kiến nghị"),
    FeedbackKind.COMPLAINT: lazy_gettext("Khiếu nại"),
    FeedbackKind.PRAISE: lazy_gettext("Khen ngợi"),
}

FEEDBACK_STATUS = {
    FeedbackStatus.NEW: lazy_gettext("Mới tiếp nhận"),
    FeedbackStatus.IN_HANDLING: lazy_gettext("Đang xử lý"),
    FeedbackStatus.FORWARDED: lazy_gettext("Đã chuyển"),
    FeedbackStatus.ANSWERED: lazy_gettext("Đã trả lời"),
    FeedbackStatus.CLOSED: lazy_gettext("Đã kết thúc"),
}

EVENT_KIND = {
    "received": lazy_gettext("Tiếp nhận hồ sơ"),
    "status_changed": lazy_gettext("Chuyển trạng thái"),
    "apology": lazy_gettext("Phiếu xin lỗi, hẹn lại ngày trả"),
    "note": lazy_gettext("Ghi chú"),
}

SLIPS = {
    "01": lazy_gettext("Giấy tiếp nhận và hẹn trả kết quả"),
    "02": lazy_gettext("Phiếu yêu cầu bổ sung hồ sơ"),
    "03": lazy_gettext("Phiếu từ chối tiếp nhận"),
    "04": lazy_gettext("Phiếu xin lỗi và hẹn lại ngày trả"),
    "05": lazy_gettext("Phiếu kiểm soát quá trình giải quyết"),
}


def label(table: dict[Any, Any], value: Any) -> Any:
    """The label of ``value`` in ``table``; the raw code when there is none."""
    if value is None:
        return ""
    try:
        return table.get(value, str(value))
    except TypeError:
        return str(value)


def jinja_globals() -> dict[str, Any]:
    return {
        "status_label": lambda s: label(DOSSIER_STATUS, _as(DossierStatus, s)),
        "status_tone": lambda s: STATUS_TONE.get(_as(DossierStatus, s), "info"),
        "public_status_text": lambda s: label(PUBLIC_STATUS, s),
        "channel_label": lambda c: label(CHANNEL, c),
        "feedback_kind_label": lambda k: label(FEEDBACK_KIND, k),
        "feedback_status_label": lambda s: label(FEEDBACK_STATUS, s),
        "event_label": lambda k: label(EVENT_KIND, k),
        "slip_label": lambda n: label(SLIPS, n),
    }


def _as(enum_class: Any, value: Any) -> Any:
    try:
        return enum_class(value)
    except ValueError:
        return value
