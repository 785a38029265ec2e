"""Dates, times and bilingual messages as the officer reads and types them.

Dates are shown and typed the Vietnamese way (``17/05/1990``); date-times are shown in
office time (UTC+7, ``sync.workdays.OFFICE_TZ``) whatever the tablet's time zone is.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from sync.text import bilingual
from sync.workdays import OFFICE_TZ

__all__ = [
    "bilingual",
    "fmt_bytes",
    "fmt_date",
    "fmt_datetime",
    "office_today",
    "parse_iso_date",
    "parse_iso_datetime",
    "parse_user_date",
    "short",
]

NONE = "—"
_USER_DATE = re.compile(r"\s*(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{4})\s*")
_ISO_DATE = re.compile(r"\s*(\d{4})-(\d{2})-(\d{2})\s*")


def parse_iso_date(value: Any) -> date | None:
    """A stored ``YYYY-MM-DD`` (or a date-time, taken in office time) as a date."""
    if isinstance(value, datetime):
        return value.astimezone(OFFICE_TZ).date() if value.tzinfo else value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not value:
        return None
    try:
        if "T" in value:
            moment = datetime.fromisoformat(value)
            return moment.astimezone(OFFICE_TZ).date() if moment.tzinfo else moment.date()
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def parse_iso_datetime(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def fmt_date(value: Any) -> str:
    """``dd/mm/yyyy``, or a dash when there is no date."""
    day = parse_iso_date(value)
    return day.strftime("%d/%m/%Y") if day else NONE


def fmt_datetime(value: Any) -> str:
    """``HH:MM dd/mm/yyyy`` in office time."""
    moment = parse_iso_datetime(value)
    if moment is None:
        return NONE
    if moment.tzinfo is not None:
        moment = moment.astimezone(OFFICE_TZ)
    return moment.strftime("%H:%M %d/%m/%Y")


def parse_user_date(text: str) -> date:
    """A date typed by the officer: ``17/05/1990``, ``17-5-1990``, ``17.05.1990`` or ISO.

    Raises ``ValueError`` for anything else, including impossible dates (31/02/2020).
    """
    found = _USER_DATE.fullmatch(text)
    if found:
        day, month, year = (int(g) for g in found.groups())
        return date(year, month, day)
    found = _ISO_DATE.fullmatch(text)
    if found:
        year, month, day = (int(g) for g in found.groups())
        return date(year, month, day)
    raise ValueError(f"not a date: {text!r}")


def office_today(now: datetime) -> date:
    """Today's date at the commune office for a UTC (or aware) instant."""
    return now.astimezone(OFFICE_TZ).date()


def short(text: Any, limit: int = 80) -> str:
    """A value shown on one line: JSON-ish values as text, cut with an ellipsis."""
    if text is None:
        return NONE
    value = str(text).replace("\n", " ").strip()
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"


def fmt_bytes(size: int) -> str:
    """A size as an officer reads it: ``850 B``, ``120 KB``, ``3,4 MB`` (decimal comma)."""
    if size < 1000:
        return f"{size} B"
    if size < 1_000_000:
        return f"{round(size / 1000)} KB"
    return f"{size / 1_000_000:.1f} MB".replace(".", ",")
