"""Vietnamese wording of dates, times and amounts, as written in administrative papers.

Dates follow Decree 30/2020/NĐ-CP on the presentation of administrative documents: a
day below 10 and the months January and February get a leading zero ("ngày 05 tháng 01
năm 2026"), other numbers are written as they are ("ngày 12 tháng 3 năm 2026").
Times are printed in office time (UTC+7, :data:`sync.workdays.OFFICE_TZ`).
"""

from __future__ import annotations

from datetime import date, datetime
from xml.sax.saxutils import escape

from sync.workdays import OFFICE_TZ

WEEKDAYS = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật")


def local(moment: datetime) -> datetime:
    """``moment`` in office time; it must be timezone-aware."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("a timezone-aware datetime is needed to print office time")
    return moment.astimezone(OFFICE_TZ)


def _day(d: date) -> str:
    return f"{d.day:02d}" if d.day < 10 else str(d.day)


def _month(d: date) -> str:
    return f"{d.month:02d}" if d.month < 3 else str(d.month)


def day_month_year(d: date) -> str:
    """'ngày 12 tháng 3 năm 2026', 'ngày 05 tháng 01 năm 2026'."""
    return f"ngày {_day(d)} tháng {_month(d)} năm {d.year}"


def weekday(d: date) -> str:
    """'Thứ Hai' … 'Chủ nhật'."""
    return WEEKDAYS[d.weekday()]


def clock(moment: datetime) -> str:
    """'15 giờ 30 phút' (office time)."""
    t = local(moment)
    return f"{t.hour:02d} giờ {t.minute:02d} phút"


def moment_text(moment: datetime) -> str:
    """'15 giờ 30 phút, ngày 12 tháng 3 năm 2026' (office time)."""
    return f"{clock(moment)}, {day_month_year(local(moment).date())}"


def place_date(place: str, d: date) -> str:
    """The date line under the national motto: 'Tả Van, ngày 12 tháng 3 năm 2026'."""
    return f"{place}, {day_month_year(d)}"


def short_date(d: date | datetime) -> str:
    """'12/03/2026', for table cells; a datetime is taken in office time."""
    if isinstance(d, datetime):
        d = local(d).date()
    return d.strftime("%d/%m/%Y")


def money(amount_vnd: int) -> str:
    """'50.000 đồng' (dots group the thousands)."""
    sign = "-" if amount_vnd < 0 else ""
    return f"{sign}{abs(amount_vnd):,} đồng".replace(",", ".")


def fee_text(amount_vnd: int | None) -> str:
    if amount_vnd is None:
        return "Theo quy định"
    if amount_vnd == 0:
        return "Không thu phí, lệ phí"
    return money(amount_vnd)


def nobreak(markup: str) -> str:
    """Markup whose spaces do not break: keeps 'ngày 20 tháng 3 năm 2026' on one line."""
    return markup.replace(" ", "&nbsp;")


def two_digits(n: int) -> str:
    """'01', '12': counts of sets and items are written with two digits."""
    return f"{n:02d}"


def x(text: str | None) -> str:
    """Escape data for a reportlab Paragraph (which reads a small XML dialect)."""
    return escape(text or "")
