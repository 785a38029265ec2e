"""The words of a notice, and SMS length rules.

An SMS in GSM-7 carries 160 characters; with any Vietnamese letter it must be sent as
UCS-2 and carries only 70. A notice is sent with its diacritics when it fits in one
UCS-2 message; when it does not but its unaccented form fits in one GSM-7 message, the
unaccented form is sent (one message costs one, and every phone shows it); otherwise
it keeps its diacritics and goes in several parts.
"""

from __future__ import annotations

import unicodedata
from datetime import date

GSM7_SINGLE = 160
UCS2_SINGLE = 70

#: GSM 03.38 basic set (the characters a 7-bit SMS can carry).
_GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)


def strip_diacritics(text: str) -> str:
    """Vietnamese without accents, keeping case: "Đã có kết quả" → "Da co ket qua"."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def is_gsm7(text: str) -> bool:
    return all(c in _GSM7 for c in text)


def sms_text(text: str) -> tuple[str, bool]:
    """The text to send by SMS, and whether it is sent as Unicode (UCS-2)."""
    if is_gsm7(text):
        return text, False
    if len(text) <= UCS2_SINGLE:
        return text, True
    plain = strip_diacritics(text)
    if len(plain) <= GSM7_SINGLE and is_gsm7(plain):
        return plain, False
    return text, True


def compose(kind: str, receipt: str, commune: str, *, due: date | None = None) -> tuple[str, str]:
    """Subject and body of a notice (Vietnamese, short enough for one SMS unaccented)."""
    if kind == "result_ready":
        subject = f"Hồ sơ {receipt}: đã có kết quả"
        body = (
            f"UBND {commune}: Hồ sơ {receipt} đã có kết quả. Mời ông/bà đến Bộ phận một cửa nhận."
        )
    elif kind == "supplement_needed":
        subject = f"Hồ sơ {receipt}: cần bổ sung"
        body = (
            f"UBND {commune}: Hồ sơ {receipt} cần bổ sung giấy tờ. Mời ông/bà đến Bộ phận "
            "một cửa để được hướng dẫn."
        )
    elif kind == "new_due_date":
        assert due is not None
        subject = f"Hồ sơ {receipt}: hẹn lại ngày trả kết quả"
        body = (
            f"UBND {commune} xin lỗi: Hồ sơ {receipt} chậm hạn, hẹn trả kết quả ngày "
            f"{due:%d/%m/%Y}."
        )
    else:
        raise ValueError(f"unknown notice kind {kind!r}")
    return subject, body
