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
    DossierStatus.STOPPED: lazy_gettext("Dừng giải quyết"),
}

#: What a citizen reads on the public page, in plain words.
PUBLIC_STATUS = {
    DossierStatus.RECEIVED: lazy_gettext("Hồ sơ đã được tiếp nhận và đang chờ xử lý."),
    DossierStatus.NEEDS_SUPPLEMENT: lazy_gettext(
        "Hồ sơ cần bổ sung giấy tờ. Mời ông/bà liên hệ Trung tâm Phục vụ hành chính công của xã."
    ),
    DossierStatus.REFUSED: lazy_gettext(
        "Hồ sơ không được tiếp nhận. Lý do ghi trong phiếu từ chối ông/bà đã nhận."
    ),
    DossierStatus.IN_PROGRESS: lazy_gettext("Hồ sơ đang được cán bộ giải quyết."),
    DossierStatus.APPROVED: lazy_gettext(
        "Hồ sơ đã giải quyết xong. Mời ông/bà đến Trung tâm Phục vụ hành chính công nhận kết quả."
    ),
    DossierStatus.REJECTED: lazy_gettext(
        "Hồ sơ không được giải quyết. Mời ông/bà đến Trung tâm Phục vụ hành chính công nhận "
        "văn bản trả lời."
    ),
    DossierStatus.RESULT_RETURNED: lazy_gettext("Ông/bà đã nhận kết quả. Xin cảm ơn."),
    DossierStatus.WITHDRAWN: lazy_gettext("Hồ sơ đã được rút theo đề nghị của ông/bà."),
    DossierStatus.STOPPED: lazy_gettext(
        "Hồ sơ đã dừng giải quyết. Lý do ghi trong thông báo dừng giải quyết ông/bà đã nhận."
    ),
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
    DossierStatus.STOPPED: "muted",
}

CHANNEL = {
    Channel.COUNTER: lazy_gettext("Tại Trung tâm Phục vụ hành chính công"),
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

FEEDBACK_STATUS_TONE = {
    FeedbackStatus.NEW: "info",
    FeedbackStatus.IN_HANDLING: "warn",
    FeedbackStatus.FORWARDED: "muted",
    FeedbackStatus.ANSWERED: "ok",
    FeedbackStatus.CLOSED: "muted",
}

EVENT_KIND = {
    "received": lazy_gettext("Tiếp nhận hồ sơ"),
    "status_changed": lazy_gettext("Chuyển trạng thái"),
    "apology": lazy_gettext("Phiếu xin lỗi, hẹn lại ngày trả"),
    "note": lazy_gettext("Ghi chú"),
    "handed_over": lazy_gettext("Bàn giao cho xã giải quyết"),
    "official_code": lazy_gettext("Ghi mã hồ sơ do hệ thống một cửa của tỉnh cấp"),
}

FORM_STATUS = {
    "draft": lazy_gettext("Bản nháp"),
    "published": lazy_gettext("Đang phát hành"),
    "retired": lazy_gettext("Ngừng sử dụng"),
}

QUESTION_TYPE = {
    "likert5": lazy_gettext("Thang 5 điểm"),
    "yes_no": lazy_gettext("Có / không"),
    "single_choice": lazy_gettext("Chọn một"),
    "multiple_choice": lazy_gettext("Chọn nhiều"),
    "number": lazy_gettext("Số"),
    "text": lazy_gettext("Ý kiến (chữ)"),
}

ROLE = {
    "officer": lazy_gettext("Công chức"),
    "commune_leader": lazy_gettext("Lãnh đạo xã"),
    "province_admin": lazy_gettext("Quản trị tỉnh"),
    "system_admin": lazy_gettext("Quản trị hệ thống"),
}

UNIT_LEVEL = {
    "province": lazy_gettext("Tỉnh, thành phố"),
    "district": lazy_gettext("Huyện"),
    "commune": lazy_gettext("Xã, phường"),
    "village": lazy_gettext("Thôn, bản"),
}

CONFLICT_RESOLUTION = {
    "kept": lazy_gettext("Giữ giá trị hiện tại"),
    "overturned": lazy_gettext("Khôi phục giá trị bị ghi đè"),
    "edited": lazy_gettext("Nhập giá trị mới"),
}

CONFLICT_REASON = {
    "concurrent_edit": lazy_gettext("Hai máy cùng sửa"),
    "stale_status": lazy_gettext("Trạng thái cũ hơn"),
    "server_value": lazy_gettext("Máy chủ tính lại"),
}

COLLECTION = {
    "dossier": lazy_gettext("Hồ sơ"),
    "feedback": lazy_gettext("Phản ánh"),
    "sync_conflict": lazy_gettext("Xung đột"),
}

#: Fields of synchronised records, as a person calls them.
FIELD = {
    "applicant_name": lazy_gettext("Họ tên người nộp"),
    "applicant_cccd": lazy_gettext("Số CCCD"),
    "applicant_dob": lazy_gettext("Ngày sinh"),
    "applicant_phone": lazy_gettext("Điện thoại"),
    "applicant_address": lazy_gettext("Địa chỉ"),
    "village_id": lazy_gettext("Thôn, bản"),
    "channel": lazy_gettext("Hình thức nộp"),
    "due_date": lazy_gettext("Hạn trả"),
    "status": lazy_gettext("Trạng thái"),
    "handler_id": lazy_gettext("Cán bộ xử lý"),
    "documents": lazy_gettext("Thành phần hồ sơ"),
    "note": lazy_gettext("Ghi chú"),
    "result_returned_at": lazy_gettext("Ngày trả kết quả"),
    "kind": lazy_gettext("Loại"),
    "content": lazy_gettext("Nội dung"),
    "citizen_name": lazy_gettext("Họ tên công dân"),
    "citizen_phone": lazy_gettext("Điện thoại công dân"),
    "assignee_id": lazy_gettext("Cán bộ xử lý"),
    "forwarded_to": lazy_gettext("Chuyển đến"),
    "response": lazy_gettext("Nội dung trả lời"),
    "response_due_date": lazy_gettext("Hạn trả lời"),
    "answered_at": lazy_gettext("Thời điểm trả lời"),
    "public": lazy_gettext("Công khai"),
    "anonymous": lazy_gettext("Ẩn danh"),
}

COMMENT_STATUS = {
    "pending": lazy_gettext("Chờ duyệt"),
    "approved": lazy_gettext("Đã cho hiển thị"),
    "hidden": lazy_gettext("Đã ẩn"),
}

SLIPS = {
    "01": lazy_gettext("Giấy tiếp nhận và hẹn trả kết quả"),
    "02": lazy_gettext("Phiếu yêu cầu bổ sung hồ sơ"),
    "03": lazy_gettext("Phiếu từ chối tiếp nhận"),
    "04": lazy_gettext("Văn bản xin lỗi và đề nghị gia hạn"),
    "05": lazy_gettext("Thông báo dừng giải quyết hồ sơ"),
    "06": lazy_gettext("Phiếu kiểm soát quá trình giải quyết"),
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
        "feedback_status_label": lambda s: label(FEEDBACK_STATUS, _as(FeedbackStatus, s)),
        "feedback_status_tone": lambda s: FEEDBACK_STATUS_TONE.get(_as(FeedbackStatus, s), "info"),
        "event_label": lambda k: label(EVENT_KIND, k),
        "slip_label": lambda n: label(SLIPS, n),
        "form_status_label": lambda s: label(FORM_STATUS, str(getattr(s, "value", s))),
        "question_type_label": lambda t: label(QUESTION_TYPE, t),
        "role_label": lambda r: label(ROLE, str(getattr(r, "value", r))),
        "unit_level_label": lambda u: label(UNIT_LEVEL, str(getattr(u, "value", u))),
        "resolution_label": lambda r: label(CONFLICT_RESOLUTION, r),
        "conflict_reason_label": lambda r: label(CONFLICT_REASON, r),
        "collection_label": lambda c: label(COLLECTION, c),
        "field_label": lambda f: label(FIELD, f),
        "comment_status_label": lambda s: label(COMMENT_STATUS, str(getattr(s, "value", s))),
    }


def _as(enum_class: Any, value: Any) -> Any:
    try:
        return enum_class(value)
    except ValueError:
        return value
