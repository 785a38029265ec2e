"""Receipt numbers (số biên nhận) that are unique without asking the server.

Format: ``<commune code>-<yy><device no>-<serial>``, for example ``08305-2603-00042``:
commune 08305, year 2026, device 03 of that commune, its 42nd dossier of the year.
Each device number is issued once per commune and never reused, and each device
counts its own serials, so two tablets offline at the same time can never produce the
same number. Device number 0 is the server itself (online intake, the admin web).
The number is fixed when the dossier is created and never changes after sync.

Grammar (PROTOCOL.md §9), ASCII only, nothing before or after::

    receipt   = commune "-" yy device "-" serial
    commune   = 3*8 DIGIT                 ; the commune's code, as the server has it
    yy        = 2 DIGIT                   ; year modulo 100
    device    = 2 DIGIT / (1-9) 2*3 DIGIT ; 00–99 in two digits, 100–9999 without zeros
    serial    = 5 DIGIT / (1-9) 5*8 DIGIT ; 00001–99999 in five digits, then no zeros
    DIGIT     = "0"–"9"                   ; ASCII digits only

Every number has exactly one spelling (its *canonical form*), so two spellings can
never name two dossiers: ``02965-26053-00001`` (device 053) and ``02965-2653-000001``
(serial 000001) are refused, not taken as other numbers next to ``02965-2653-00001``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SERVER_DEVICE_NO = 0
MAX_DEVICE_NO = 9999
MAX_SERIAL = 999_999_999

_ASCII_DIGITS = frozenset("0123456789")
_RECEIPT_RE = re.compile(
    r"(?P<commune>[0-9]{3,8})-(?P<yy>[0-9]{2})(?P<device>[0-9]{2,4})-(?P<serial>[0-9]{5,9})"
)
_EXAMPLE = "08305-2603-00042"


class ReceiptNumberError(ValueError):
    """A text that is not a receipt number; the message is for the officer."""


@dataclass(frozen=True, slots=True)
class ReceiptNumber:
    commune: str
    yy: int
    device_no: int
    serial: int

    @property
    def canonical(self) -> str:
        return f"{self.commune}-{self.yy:02d}{self.device_no:02d}-{self.serial:05d}"

    def __str__(self) -> str:
        return self.canonical


def format_receipt_number(commune_code: str, year: int, device_no: int, serial: int) -> str:
    if not commune_code or not set(commune_code) <= _ASCII_DIGITS:
        raise ValueError(f"commune code must be digits 0-9, got {commune_code!r}")
    if not 0 <= device_no <= MAX_DEVICE_NO:
        raise ValueError(f"device number out of range: {device_no}")
    if not 1 <= serial <= MAX_SERIAL:
        raise ValueError(f"serial must be 1 to {MAX_SERIAL}, got {serial}")
    return ReceiptNumber(commune_code, year % 100, device_no, serial).canonical


def _refuse(value: str, vi: str, en: str) -> ReceiptNumberError:
    return ReceiptNumberError(
        f"Số biên nhận {value!r} không hợp lệ: {vi} "
        f"(receipt number {value!r} is invalid: {en}; it looks like {_EXAMPLE})"
    )


def read_receipt_number(value: object) -> ReceiptNumber:
    """Parse ``value`` by the grammar above; :class:`ReceiptNumberError` says why not."""
    if not isinstance(value, str):
        raise ReceiptNumberError(
            f"Số biên nhận phải là chuỗi ký tự (receipt number must be a string, "
            f"not {type(value).__name__})"
        )
    shown = value[:60]
    if value != value.strip():
        raise _refuse(
            shown,
            "có dấu cách hoặc xuống dòng ở đầu hoặc cuối",
            "it has spaces or line breaks before or after it",
        )
    if any(ch.isspace() for ch in value):
        raise _refuse(shown, "có dấu cách hoặc xuống dòng", "it contains white space")
    if not value.isascii():
        raise _refuse(
            shown,
            "chỉ được dùng chữ số 0–9 thường (không dùng chữ số toàn độ rộng) và dấu '-'",
            "only the ASCII digits 0-9 and '-' are allowed (no fullwidth digits)",
        )
    match = _RECEIPT_RE.fullmatch(value)
    if match is None:
        raise _refuse(
            shown,
            "sai định dạng <mã xã>-<năm><số máy>-<số thứ tự>",
            "expected <commune code>-<yy><device no>-<serial>",
        )
    number = ReceiptNumber(
        match["commune"], int(match["yy"]), int(match["device"]), int(match["serial"])
    )
    if number.canonical != value:
        raise _refuse(
            shown,
            f"thừa chữ số 0 ở số máy hoặc số thứ tự, phải viết là {number.canonical}",
            f"extra leading zeros in the device number or serial; it is written {number.canonical}",
        )
    return number


def receipt_number_problem(value: object) -> str | None:
    """Why ``value`` is not a receipt number in canonical form, or None."""
    try:
        read_receipt_number(value)
    except ReceiptNumberError as error:
        return str(error)
    return None


def parse_receipt_number(value: str) -> tuple[str, int, int, int] | None:
    """``(commune code, yy, device no, serial)``, or None if ``value`` is not a receipt
    number in canonical form (see :func:`read_receipt_number` for the reason)."""
    try:
        number = read_receipt_number(value)
    except ReceiptNumberError:
        return None
    return (number.commune, number.yy, number.device_no, number.serial)
