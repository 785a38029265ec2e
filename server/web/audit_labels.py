"""The audit log in words: actions, details and devices as people read them.

The log stores stable codes (``feedback.assign``, ``sync.dossier.update``) and a JSON
detail; screens show them through these functions, in the page's language, so no code
or raw JSON reaches an officer.
"""

from __future__ import annotations

from typing import Any

from flask import g
from flask_babel import gettext, lazy_gettext

from server.extensions import db
from server.models import Device
from server.services.devices import device_label as _device_label
from server.services.devices import short_id
from server.web.labels import COLLECTION, FIELD, ROLE, label

AUDIT_ACTION = {
    "login": lazy_gettext("Đăng nhập"),
    "login.failed": lazy_gettext("Đăng nhập không thành công"),
    "officer.create": lazy_gettext("Tạo tài khoản"),
    "officer.role": lazy_gettext("Đổi vai trò"),
    "officer.enable": lazy_gettext("Mở lại tài khoản"),
    "officer.disable": lazy_gettext("Khoá tài khoản"),
    "officer.password": lazy_gettext("Đặt lại mật khẩu"),
    "officer.password_change": lazy_gettext("Tự đổi mật khẩu"),
    "device.register": lazy_gettext("Đăng ký máy tính bảng"),
    "device.revoke": lazy_gettext("Thu hồi máy tính bảng"),
    "device.reinstate": lazy_gettext("Cho phép lại máy tính bảng"),
    "dossier.apology": lazy_gettext("Lập phiếu xin lỗi, hẹn lại"),
    "dossier.hand_over": lazy_gettext("Bàn giao hồ sơ cho xã khác giải quyết"),
    "dossier.official_code": lazy_gettext("Ghi mã hồ sơ của tỉnh"),
    "dossier.stop": lazy_gettext("Dừng giải quyết hồ sơ"),
    "dossier.correct": lazy_gettext("Sửa thông tin hồ sơ"),
    "dossier.verification": lazy_gettext("Ghi nhận cần xác minh"),
    "device.recovery_enrol": lazy_gettext("Lưu khóa khôi phục mã PIN của máy"),
    "device.recovery_claim": lazy_gettext("Khôi phục mã PIN quên trên máy"),
    "device.recovery_refused": lazy_gettext("Từ chối khôi phục mã PIN"),
    "day_off.save": lazy_gettext("Ghi quyết định nghỉ, làm bù"),
    "day_off.withdraw": lazy_gettext("Rút quyết định nghỉ, làm bù"),
    "feedback.answer": lazy_gettext("Trả lời phản ánh"),
    "feedback.assign": lazy_gettext("Giao xử lý phản ánh"),
    "feedback.forward": lazy_gettext("Chuyển phản ánh"),
    "feedback.close": lazy_gettext("Đóng phản ánh"),
    "procedure.update": lazy_gettext("Sửa thủ tục"),
    "unit.create": lazy_gettext("Thêm đơn vị"),
    "unit.update": lazy_gettext("Sửa đơn vị"),
    "sync.conflict.resolve": lazy_gettext("Xử lý xung đột dữ liệu"),
    "rating.approved": lazy_gettext("Cho hiển thị góp ý"),
    "rating.hidden": lazy_gettext("Ẩn góp ý"),
    "rating.pending": lazy_gettext("Đưa góp ý về chờ duyệt"),
}

#: ``sync.<collection>.<create|update>``: what a tablet sent.
SYNC_COLLECTION = {
    "dossier": lazy_gettext("hồ sơ"),
    "feedback": lazy_gettext("phản ánh"),
    "sync_conflict": lazy_gettext("xung đột dữ liệu"),
    "dossier_event": lazy_gettext("mục nhật ký hồ sơ"),
    "dossier_apology": lazy_gettext("phiếu xin lỗi"),
    "attachment": lazy_gettext("ảnh giấy tờ"),
    "survey_response": lazy_gettext("phiếu khảo sát"),
}

ENTITY = {
    **SYNC_COLLECTION,
    **COLLECTION,
    "officer": lazy_gettext("Tài khoản"),
    "device": lazy_gettext("Máy tính bảng"),
    "service_rating": lazy_gettext("Đánh giá"),
    "procedure": lazy_gettext("Thủ tục"),
    "admin_unit": lazy_gettext("Đơn vị"),
    "unit": lazy_gettext("Đơn vị"),
    "survey_form": lazy_gettext("Biểu mẫu khảo sát"),
}

DETAIL_KEY = {
    **FIELD,
    "username": lazy_gettext("Tên đăng nhập"),
    "role": lazy_gettext("Vai trò"),
    "unit_id": lazy_gettext("Đơn vị"),
    "reason": lazy_gettext("Lý do"),
    "failed_logins": lazy_gettext("Số lần sai liên tiếp"),
    "fields": lazy_gettext("Trường thay đổi"),
    "outcome": lazy_gettext("Kết quả"),
    "conflicts": lazy_gettext("Xung đột"),
    "name": lazy_gettext("Tên"),
    "device_no": lazy_gettext("Số máy"),
    "code": lazy_gettext("Mã"),
    "from": lazy_gettext("Trước"),
    "to": lazy_gettext("Sau"),
    "assignee": lazy_gettext("Giao cho"),
    "new_due_date": lazy_gettext("Ngày hẹn mới"),
    "receipt_number": lazy_gettext("Mã hồ sơ"),
    "version": lazy_gettext("Phiên bản"),
    "key": lazy_gettext("Mã biểu mẫu"),
    "claims": lazy_gettext("Số lần khôi phục"),
    "after_claim": lazy_gettext("Sau một lần khôi phục"),
}

VALUE = {
    "wrong_password": lazy_gettext("sai tên đăng nhập hoặc mật khẩu"),
    "blocked": lazy_gettext("tài khoản đang tạm khoá"),
    "applied": lazy_gettext("đã ghi"),
    "merged": lazy_gettext("đã gộp"),
    "conflict": lazy_gettext("có xung đột"),
    "not_this_officer": lazy_gettext("không phải cán bộ của máy này"),
    "unknown_device": lazy_gettext("máy không có trên máy chủ"),
}

#: Internal ids that mean nothing to a reader.
HIDDEN_KEYS = frozenset({"op", "apology_id", "assignee_id", "restamped"})


def audit_action_label(action: str) -> str:
    if action in AUDIT_ACTION:
        return str(AUDIT_ACTION[action])
    parts = action.split(".")
    if len(parts) == 3 and parts[0] == "sync":
        what = str(label(SYNC_COLLECTION, parts[1])).lower()
        if parts[2] == "create":
            return str(gettext("Máy tính bảng gửi: thêm %(what)s", what=what))
        return str(gettext("Máy tính bảng gửi: sửa %(what)s", what=what))
    return action


def _value(key: str, value: Any) -> str:
    if isinstance(value, bool):
        return str(gettext("có") if value else gettext("không"))
    if isinstance(value, list):
        if key == "fields":
            return ", ".join(str(label(FIELD, v)) for v in value)
        return ", ".join(_value(key, v) for v in value)
    if isinstance(value, dict):
        return "; ".join(
            f"{label(DETAIL_KEY, k)}: {_value(k, v)}"
            for k, v in value.items()
            if k not in HIDDEN_KEYS
        )
    if key == "role":
        return str(label(ROLE, value))
    if value is None:
        return "—"
    return str(label(VALUE, value)) if isinstance(value, str) else str(value)


def audit_detail(detail: dict[str, Any] | None) -> list[tuple[str, str]]:
    """``{"reason": "wrong_password"}`` → ``[("Lý do", "sai tên đăng nhập hoặc mật khẩu")]``."""
    if not isinstance(detail, dict):
        return []
    return [
        (str(label(DETAIL_KEY, key)), _value(key, value))
        for key, value in detail.items()
        if key not in HIDDEN_KEYS
    ]


def device_label(device_id: str | None) -> str:
    """A tablet as people tell it apart: "Máy tính bảng #02 (…7fbdfad3)"."""
    if not device_id:
        return ""
    cache: dict[str, str] = g.setdefault("_device_labels", {})
    if device_id not in cache:
        device = db.session.get(Device, device_id)
        cache[device_id] = _device_label(device) if device else f"…{short_id(device_id)}"
    return cache[device_id]


def jinja_globals() -> dict[str, Any]:
    return {
        "audit_action_label": audit_action_label,
        "audit_detail": audit_detail,
        "device_label": device_label,
        "entity_label": lambda entity: str(label(ENTITY, entity)).capitalize(),
    }
