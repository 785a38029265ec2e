"""The official dossier code ("mã hồ sơ") issued by the province's one-stop system.

The one-stop regulations give every dossier a code that the one-stop information system
issues and that is used in every transaction about the dossier (Decree 61/2018/NĐ-CP
art. 26(1): "automatically granted by the single-window information system and used
uniformly in transactions between competent entities and organizations or persons"),
of the structure ``V1V2V3.Z1Z2.Y1Y2.MX1X2-YYMMDD-XXXX`` (Circular 01/2018/TT-VPCP
art. 19(1)):

* ``V1V2V3.Z1Z2.Y1Y2.MX1X2``: the identity code of the receiving body under the national
  technical regulation on identity codes (QCVN 102:2016/BTTTT), e.g. ``000.00.21.H37``;
* ``YYMMDD``: "ngày tiếp nhận hồ sơ", the day the dossier was received;
* ``XXXX``: "số thứ tự hồ sơ tiếp nhận trong ngày", four digits.

Decree 118/2025/NĐ-CP and Circular 03/2025/TT-VPCP replaced those texts from 1 July and
15 September 2025; Circular 03/2025 regulates the dossier code too, but its article could
not be read here (docs/LAW.md), so this module checks the 2018 structure, which is what
the provinces' systems print today.

The sequence number among the body's dossiers of the day cannot be issued offline, so
Một Cửa Field does not make this code: the province's system does, and an officer records
it on the dossier once (``server.services.dossier_admin.record_official_code``). Pure
module: no Flask, no SQLAlchemy.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from sync.workdays import OFFICE_TZ

#: Longest accepted code (the 2018 structure is 25 characters).
MAX_LENGTH = 40

_CODE = re.compile(r"(\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2})-(\d{2})(\d{2})(\d{2})-(\d{4})")


def official_code_problem(value: object) -> str | None:
    """Why ``value`` is not an official dossier code (None if it is one, or is None).

    Exactly ``V1V2V3.Z1Z2.Y1Y2.MX1X2-YYMMDD-XXXX`` (Circular 01/2018/TT-VPCP art. 19(1)):
    ASCII digits, one capital letter, the dots and dashes where they belong, a real day,
    a sequence number from 0001. No spaces, no lower case, nothing else.
    """
    if value is None:
        return None
    if not isinstance(value, str):
        return "Phải là chuỗi ký tự (must be a string)"
    if len(value) > MAX_LENGTH or not value.isascii():
        return _WRONG
    match = _CODE.fullmatch(value)
    if match is None:
        return _WRONG
    if _day(match) is None:
        return "Ngày tiếp nhận trong mã hồ sơ không có thật (the code's day does not exist)"
    if match.group(5) == "0000":
        return "Số thứ tự trong ngày bắt đầu từ 0001 (the day's sequence starts at 0001)"
    return None


_WRONG = (
    "Mã hồ sơ phải có dạng 000.00.00.H00-YYMMDD-0000 (the official dossier code must read "
    "V1V2V3.Z1Z2.Y1Y2.MX1X2-YYMMDD-XXXX)"
)


def _day(match: re.Match[str]) -> date | None:
    yy, mm, dd = (int(match.group(i)) for i in (2, 3, 4))
    try:
        return date(2000 + yy, mm, dd)
    except ValueError:
        return None


def official_code_day(code: str) -> date:
    """The day of receipt written in a valid code (``YYMMDD``, years 2000–2099)."""
    match = _CODE.fullmatch(code)
    day = _day(match) if match else None
    if day is None:
        raise ValueError(f"not an official dossier code: {code!r}")
    return day


def official_code_mismatch(code: str, received_at: datetime) -> str | None:
    """Why ``code`` cannot be this dossier's code, given when it was received.

    The code's ``YYMMDD`` is "ngày tiếp nhận hồ sơ" (Circular 01/2018/TT-VPCP art. 19(1)):
    it must be the office day (UTC+7) of ``received_at``. None when it fits.
    """
    problem = official_code_problem(code)
    if problem is not None:
        return problem
    received_day = received_at.astimezone(OFFICE_TZ).date()
    if official_code_day(code) != received_day:
        return (
            f"Ngày trong mã hồ sơ phải là ngày tiếp nhận {received_day:%d/%m/%Y} "
            f"(the code's day must be the day of receipt, {received_day.isoformat()})"
        )
    return None
