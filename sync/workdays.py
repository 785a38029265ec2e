"""Statutory deadline calculator: working days, receipt day and due date of a dossier.

This module is pure Python (standard library plus the ``holidays`` package) so that the
Flask server and the Kivy tablet compute exactly the same "ngày hẹn trả kết quả"
(appointment date for returning the result) printed on the "Giấy tiếp nhận hồ sơ và hẹn
trả kết quả" (receipt and appointment slip).

Rules
=====

Office time zone
    Every commune office works on Vietnam time, Asia/Ho_Chi_Minh: UTC+7 all year, with no
    daylight saving time. It is modelled as the fixed offset :data:`OFFICE_TZ`, so no
    ``zoneinfo``/``tzdata`` is needed on the tablet.

Working day ("ngày làm việc")
    Monday to Friday, except the Vietnamese public holidays ("ngày nghỉ lễ, Tết", Labour
    Code 2019 art. 112) and the substitute days off ("ngày nghỉ bù", "ngày nghỉ thay")
    decided by the Government. A Saturday or Sunday that the Government swapped into a
    working day ("ngày làm việc bù", "làm bù") *is* a working day. Example: in 2026,
    Monday 31/08 is a day off "substituted from 22/08/2026", so Saturday 22/08/2026 is a
    make-up working day.

    The calendar comes from ``holidays.country_holidays("VN")`` (``holidays`` >= 0.109):
    solar holidays, the lunar ones (Tết Nguyên Đán, Giỗ Tổ Hùng Vương), their observed
    days, the Vietnam Culture Day 24/11 (from 2026) and the swapped days. The package
    exposes make-up working Saturdays in ``HolidayBase.weekend_workdays`` and already
    honours them in ``HolidayBase.is_working_day``; this module classifies every day with
    that method and only precomputes the results (see "Performance" below). The package
    knows the calendar for 1901-2100 only; dates outside that range raise ``ValueError``.

    Holiday schedules are announced year by year (e.g. the Tết break for civil servants);
    a schedule newer than the installed ``holidays`` release is not known here, so keep
    the package up to date on the server *and* on the tablets.

Late-in-the-day rule (:data:`LATE_CUTOFF`)
    A dossier received at or after 15:00 office time, or on a day that is not a working
    day, is treated as received on the next working day. This mirrors the civil-status
    (hộ tịch) rule "trường hợp nhận hồ sơ sau 15 giờ mà không giải quyết được ngay thì
    trả kết quả trong ngày làm việc tiếp theo". The cutoff is a parameter of
    :func:`effective_receipt_day` and :func:`due_date`.

Counting ("thời hạn giải quyết", processing time limit)
    The day of receipt is not counted (Civil Code 2015 art. 147: "ngày đầu tiên của thời
    hạn không được tính"). A limit of N working days therefore ends on the N-th working
    day strictly after the effective receipt day::

        due = add_working_days(effective_receipt_day(received_at), N)

    N = 0 ("trả kết quả trong ngày", same-day procedures such as a marriage
    registration) gives due = the effective receipt day. N is limited to
    0 <= N <= :data:`MAX_WORKING_DAYS`.

Performance
    Each block of ten years is classified once with a single cached ``holidays`` object
    and stored as sorted day ordinals, so :func:`is_working_day` is a set lookup and
    :func:`add_working_days` / :func:`working_days_between` are binary searches. The
    cached tables are immutable, so the functions are safe to call from several threads.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from typing import NamedTuple

import holidays
from holidays.countries.vietnam import Vietnam

__all__ = [
    "LATE_CUTOFF",
    "MAX_WORKING_DAYS",
    "OFFICE_TZ",
    "add_working_days",
    "days_overdue",
    "due_date",
    "effective_receipt_day",
    "is_working_day",
    "next_working_day",
    "working_days_between",
]

#: Office time zone: Asia/Ho_Chi_Minh, UTC+7, no daylight saving time.
OFFICE_TZ = timezone(timedelta(hours=7), "ICT")

#: Dossiers received at or after this local time count as received on the next working day.
LATE_CUTOFF = time(15, 0)

#: Largest processing time limit accepted, in working days (more is surely a data error).
MAX_WORKING_DAYS = 365

_COUNTRY = "VN"
#: Years covered by the ``holidays`` calendar for Vietnam (1901-2100 in 0.109).
_FIRST_YEAR: int = Vietnam.start_year
_LAST_YEAR: int = Vietnam.end_year
_BLOCK_YEARS = 10


class _Year(NamedTuple):
    """Working days of one calendar year, as proleptic Gregorian ordinals."""

    ordinals: tuple[int, ...]  # sorted ascending
    ordinal_set: frozenset[int]


@lru_cache(maxsize=32)
def _block(block: int) -> tuple[_Year, ...]:
    """Classify the years ``10 * block .. 10 * block + 9`` with one ``holidays`` object."""
    first = max(block * _BLOCK_YEARS, _FIRST_YEAR)
    last = min(block * _BLOCK_YEARS + _BLOCK_YEARS - 1, _LAST_YEAR)
    # One neighbouring year on each side so that substitutions across New Year are known;
    # expand=False keeps the object read-only once built.
    padded = range(max(first - 1, _FIRST_YEAR), min(last + 1, _LAST_YEAR) + 1)
    calendar = holidays.country_holidays(_COUNTRY, years=padded, expand=False)
    years: list[_Year] = []
    for year in range(block * _BLOCK_YEARS, block * _BLOCK_YEARS + _BLOCK_YEARS):
        if first <= year <= last:
            start = date(year, 1, 1).toordinal()
            stop = date(year, 12, 31).toordinal()
            ordinals = tuple(
                o for o in range(start, stop + 1) if calendar.is_working_day(date.fromordinal(o))
            )
        else:
            ordinals = ()
        years.append(_Year(ordinals, frozenset(ordinals)))
    return tuple(years)


def _year(year: int) -> _Year:
    if not _FIRST_YEAR <= year <= _LAST_YEAR:
        raise ValueError(
            f"year {year} is outside the Vietnamese holiday calendar "
            f"({_FIRST_YEAR}-{_LAST_YEAR}); cannot count working days"
        )
    return _block(year // _BLOCK_YEARS)[year % _BLOCK_YEARS]


def _check_working_days(n: int) -> None:
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"number of working days must be an int, got {type(n).__name__}")
    if n < 0:
        raise ValueError(f"number of working days must be >= 0, got {n}")
    if n > MAX_WORKING_DAYS:
        raise ValueError(
            f"number of working days must be <= {MAX_WORKING_DAYS}, got {n} "
            "(a processing time limit that long is surely a data error)"
        )


def is_working_day(d: date) -> bool:
    """Return True if ``d`` is a working day at a Vietnamese commune office.

    Monday-Friday that is not a public holiday or substitute day off, or a Saturday/Sunday
    the Government made a make-up working day. A ``datetime`` is judged by its date part.
    """
    return d.toordinal() in _year(d.year).ordinal_set


def add_working_days(d: date, n: int) -> date:
    """Return the ``n``-th working day strictly after ``d``; for ``n == 0`` see below.

    * ``n > 0``: the ``n``-th working day after ``d`` (``d`` itself is never counted,
      whether or not it is a working day). E.g. Friday + 1 = next Monday; Saturday + 1 =
      next Monday too.
    * ``n == 0``: ``d`` itself if it is a working day, otherwise the first working day
      after it.

    This is the same contract as ``holidays.HolidayBase.get_nth_working_day`` for
    ``n >= 0``, computed from cached tables. ``0 <= n <= MAX_WORKING_DAYS``, otherwise
    ``ValueError``.
    """
    _check_working_days(n)
    if isinstance(d, datetime):
        d = d.date()
    ordinal = d.toordinal()
    year = d.year
    ordinals = _year(year).ordinals
    index = bisect_left(ordinals, ordinal) if n == 0 else bisect_right(ordinals, ordinal) + n - 1
    while index >= len(ordinals):
        index -= len(ordinals)
        year += 1
        ordinals = _year(year).ordinals
    return date.fromordinal(ordinals[index])


def next_working_day(d: date) -> date:
    """Return the first working day strictly after ``d``."""
    return add_working_days(d, 1)


def effective_receipt_day(received_at: datetime, cutoff: time = LATE_CUTOFF) -> date:
    """Return the working day a dossier counts as received on ("ngày tiếp nhận").

    ``received_at`` must be timezone-aware; it is converted to :data:`OFFICE_TZ`. If that
    local day is a working day and the local time is before ``cutoff`` (default 15:00),
    the receipt day is that day; otherwise (at/after the cutoff, or on a weekend, holiday
    or substitute day off) it is the next working day.
    """
    if not isinstance(received_at, datetime):
        raise TypeError(
            f"received_at must be a timezone-aware datetime, got {type(received_at).__name__}"
        )
    if received_at.utcoffset() is None:
        raise ValueError(
            f"received_at must be timezone-aware (got naive {received_at.isoformat()}); "
            "attach a tzinfo, e.g. received_at.replace(tzinfo=OFFICE_TZ) for office time"
        )
    if cutoff.tzinfo is not None:
        raise ValueError(f"cutoff must be a naive local office time, got {cutoff.isoformat()}")
    local = received_at.astimezone(OFFICE_TZ)
    day = local.date()
    if is_working_day(day) and local.time() < cutoff:
        return day
    return next_working_day(day)


def due_date(received_at: datetime, working_days: int, cutoff: time = LATE_CUTOFF) -> date:
    """Return the due date ("ngày hẹn trả kết quả") of a dossier.

    ``effective_receipt_day(received_at, cutoff)`` plus ``working_days`` working days, the
    receipt day itself not being counted; ``working_days == 0`` means the same (effective)
    day. ``0 <= working_days <= MAX_WORKING_DAYS``, otherwise ``ValueError``.
    """
    _check_working_days(working_days)
    return add_working_days(effective_receipt_day(received_at, cutoff), working_days)


def working_days_between(start: date, end: date) -> int:
    """Count the working days ``w`` with ``start < w <= end``.

    Negative when ``end < start``: ``working_days_between(a, b) == -working_days_between(b,
    a)``. For a working day ``d``, ``working_days_between(d, add_working_days(d, n)) == n``.
    """
    if isinstance(start, datetime):
        start = start.date()
    if isinstance(end, datetime):
        end = end.date()
    if end < start:
        return -working_days_between(end, start)
    count = bisect_right(_year(end.year).ordinals, end.toordinal())
    count -= bisect_right(_year(start.year).ordinals, start.toordinal())
    for year in range(start.year, end.year):
        count += len(_year(year).ordinals)
    return count


def days_overdue(due: date, today: date) -> int:
    """Return how many working days ``today`` is past ``due`` (0 if not late).

    Only working days count: a dossier due on Friday is 0 days overdue on the following
    Saturday and Sunday and 1 day overdue on Monday (if Monday is a working day).
    """
    return max(0, working_days_between(due, today))
