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

Day-off decisions (:class:`DayOffDecisions`)
    The Government decides some days off and make-up working days year by year, often
    late (e.g. notice 12729/VPCP-KGVX of 25/12/2025: Friday 02/01/2026 off, swapped with
    Saturday 10/01/2026, worked). An administrator records such decisions in a table
    that is layered over the ``holidays`` calendar: a day listed as off is never a
    working day, a day listed as worked always is. Every function below takes them as
    ``decisions``; ``None`` means the ``holidays`` calendar alone.

Processing time limit ("thời hạn giải quyết", :class:`DeadlineRule`)
    Each procedure has a limit in working days or in calendar days
    (:class:`TimeUnit`), a flag saying whether the 15:00 rule applies, and an extension
    that applies when the officer records that verification is needed.

    * **Counting starts the day after receipt** (Civil Code 2015 art. 147(1): "ngày đầu
      tiên của thời hạn không được tính mà tính từ ngày tiếp theo của ngày xảy ra sự
      kiện"), whatever the hour of receipt: a limit of N working days ends on the N-th
      working day strictly after the day of receipt.
    * **Calendar days**: the limit ends N days after the day of receipt; when that day
      is not a working day the limit ends at the end of the next working day (Civil
      Code 2015 art. 148(5)). Example: land dispute mediation at the commune, "không
      quá 30 ngày" (Land Law 2024 art. 235).
    * **Same-day procedures and the 15:00 rule** (N = 0, "ngay trong ngày"): the result is
      due the day of receipt. Where a text says so (:attr:`DeadlineRule.cutoff_15h`) a
      dossier received *after* 15:00 is due the next working day: certification, Decree
      23/2015/NĐ-CP art. 7, as amended by Decrees 07/2025 and 280/2025/NĐ-CP ("trong ngày
      làm việc tiếp theo, nếu tiếp nhận yêu cầu sau 15 giờ", as the Lào Cai public-service
      portal publishes it); civil status, as published for each procedure in the national
      procedure database ("trường hợp nhận hồ sơ sau 15 giờ mà không giải quyết được ngay
      thì trả kết quả trong ngày làm việc tiếp theo"). "After 15:00" is strictly later than
      15:00, compared to the minute printed on the receipt slip: 15:00 (and 15:00:59) stays
      the same day, 15:01 moves. A same-day dossier received on a day off, or at or after
      the end of the office day (:data:`OFFICE_CLOSES`), is due the next working day.
      Same-day appointments carry the hour: the result is returned by :data:`OFFICE_CLOSES`
      of the day due, and the slip says so (Decree 23/2015 art. 7: "phiếu hẹn ghi rõ thời
      gian (giờ, ngày)").
    * **Verification** ("trường hợp cần xác minh"): when the officer records it, the
      limit is N + extension working days from the day after receipt (marriage: "không
      quá 05 ngày làm việc", Law on Civil Status 2014 art. 18(2); death: 03 working
      days, art. 34(2)). The extension has no 15:00 rule and no hour.

Time waiting for a supplement (form 02)
    While the dossier waits for the citizen's supplement the clock is stopped: the
    working days already used count, the days of waiting do not
    (:func:`resume_due_date`), as the one-stop regulation provides for a dossier sent
    back for completion ("thời gian mà cơ quan, tổ chức đã giải quyết lần đầu được tính
    trong thời gian giải quyết hồ sơ", Decree 61/2018/NĐ-CP art. 16(3) as cited since the
    first release). Decree 118/2025/NĐ-CP, which replaced it from 01/07/2025, keeps the
    supplement request (form 02 of Circular 03/2025/TT-VPCP); its article on the clock
    could not be read here (docs/LAW.md), so this rule is the 2018 one, unchanged. While
    waiting, the dossier is not overdue (:data:`sync.domain.CLOCK_RUNNING`).

Performance
    Each block of ten years is classified once with a single cached ``holidays`` object
    and stored as sorted day ordinals, so :func:`is_working_day` is a set lookup and
    :func:`add_working_days` / :func:`working_days_between` are binary searches. The
    cached tables are immutable, so the functions are safe to call from several threads.
"""

from __future__ import annotations

import enum
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from typing import Any, NamedTuple

import holidays
from holidays.countries.vietnam import Vietnam

__all__ = [
    "LATE_CUTOFF",
    "MAX_WORKING_DAYS",
    "OFFICE_CLOSES",
    "OFFICE_TZ",
    "Appointment",
    "DayOffDecisions",
    "DeadlineRule",
    "TimeUnit",
    "add_working_days",
    "appointment",
    "days_overdue",
    "due_date",
    "due_dates",
    "effective_receipt_day",
    "is_working_day",
    "next_working_day",
    "parse_received_at",
    "resume_due_date",
    "working_days_between",
]

#: Office time zone: Asia/Ho_Chi_Minh, UTC+7, no daylight saving time.
OFFICE_TZ = timezone(timedelta(hours=7), "ICT")

#: The 15:00 rule: a same-day dossier received *after* this local time (to the minute) is
#: due the next working day, where a text says so (see "Same-day procedures" above).
LATE_CUTOFF = time(15, 0)

#: End of the office day: same-day results are returned by this hour; a same-day dossier
#: received at or after it is due the next working day. No text fixing this hour was
#: found (docs/LAW.md): Decree 23/2015/NĐ-CP art. 7 only requires the slip to state the
#: hour; 17:00 is the usual end of the afternoon session of a commune office.
OFFICE_CLOSES = time(17, 0)

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


class TimeUnit(enum.StrEnum):
    """Unit of a processing time limit."""

    WORKING_DAYS = "working_days"  # ngày làm việc
    CALENDAR_DAYS = "calendar_days"  # ngày (theo lịch), Civil Code 2015 art. 147-148


@dataclass(frozen=True)
class DayOffDecisions:
    """Official day-off decisions layered over the ``holidays`` calendar.

    ``days_off``: extra days off (e.g. Fri 02/01/2026); ``working_days``: make-up working
    days (e.g. Sat 10/01/2026). A date in both is a data error (``ValueError``).
    """

    days_off: frozenset[date] = frozenset()
    working_days: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        both = self.days_off & self.working_days
        if both:
            listed = ", ".join(sorted(d.isoformat() for d in both))
            raise ValueError(f"a day cannot be both off and a working day: {listed}")

    @classmethod
    def of(cls, rows: Iterable[tuple[date, bool]]) -> DayOffDecisions:
        """From ``(day, is_working_day)`` pairs, e.g. the rows of the decisions table."""
        off: set[date] = set()
        work: set[date] = set()
        for day, working in rows:
            (work if working else off).add(day)
        return cls(frozenset(off), frozenset(work))

    def __bool__(self) -> bool:
        return bool(self.days_off or self.working_days)


def _base_is_working_day(d: date) -> bool:
    return d.toordinal() in _year(d.year).ordinal_set


def is_working_day(d: date, decisions: DayOffDecisions | None = None) -> bool:
    """Return True if ``d`` is a working day at a Vietnamese commune office.

    Monday-Friday that is not a public holiday or substitute day off, or a Saturday/Sunday
    the Government made a make-up working day; ``decisions`` override the ``holidays``
    calendar. A ``datetime`` is judged by its date part.
    """
    if isinstance(d, datetime):
        d = d.date()
    if decisions:
        if d in decisions.days_off:
            _year(d.year)  # the same range check as without decisions
            return False
        if d in decisions.working_days:
            _year(d.year)
            return True
    return _base_is_working_day(d)


def _base_add_working_days(d: date, n: int) -> date:
    ordinal = d.toordinal()
    year = d.year
    ordinals = _year(year).ordinals
    index = bisect_left(ordinals, ordinal) if n == 0 else bisect_right(ordinals, ordinal) + n - 1
    while index >= len(ordinals):
        index -= len(ordinals)
        year += 1
        ordinals = _year(year).ordinals
    return date.fromordinal(ordinals[index])


def add_working_days(d: date, n: int, decisions: DayOffDecisions | None = None) -> date:
    """Return the ``n``-th working day strictly after ``d``; for ``n == 0`` see below.

    * ``n > 0``: the ``n``-th working day after ``d`` (``d`` itself is never counted,
      whether or not it is a working day). E.g. Friday + 1 = next Monday; Saturday + 1 =
      next Monday too.
    * ``n == 0``: ``d`` itself if it is a working day, otherwise the first working day
      after it.

    Without ``decisions`` this is the contract of
    ``holidays.HolidayBase.get_nth_working_day`` for ``n >= 0``, computed from cached
    tables. ``0 <= n <= MAX_WORKING_DAYS``, otherwise ``ValueError``.
    """
    _check_working_days(n)
    if isinstance(d, datetime):
        d = d.date()
    if not decisions:
        return _base_add_working_days(d, n)
    day = d
    if n == 0 and is_working_day(day, decisions):
        return day
    remaining = max(n, 1)
    while True:
        day += timedelta(days=1)
        if is_working_day(day, decisions):
            remaining -= 1
            if remaining == 0:
                return day


def next_working_day(d: date, decisions: DayOffDecisions | None = None) -> date:
    """Return the first working day strictly after ``d``."""
    return add_working_days(d, 1, decisions)


@dataclass(frozen=True)
class DeadlineRule:
    """The processing time limit of a procedure (catalog keys in brackets).

    ``days`` (``processing_days``) in ``unit`` (``time_unit``); ``cutoff_15h``
    (``cutoff_15h``) whether the 15:00 rule applies to a same-day limit;
    ``extension_days`` (``extension_days``) working days added when verification is
    needed.
    """

    days: int
    unit: TimeUnit = TimeUnit.WORKING_DAYS
    cutoff_15h: bool = False
    extension_days: int = 0

    def __post_init__(self) -> None:
        _check_working_days(self.days)
        _check_working_days(self.extension_days)
        object.__setattr__(self, "unit", TimeUnit(self.unit))

    @classmethod
    def of(cls, procedure: Mapping[str, Any] | Any) -> DeadlineRule:
        """From a catalog entry, a pulled procedure record or a ``Procedure`` row.

        A missing ``time_unit`` means working days, a missing ``cutoff_15h`` means the
        rule applies to same-day limits (the civil-status and certification procedures,
        the only same-day ones in the catalog).
        """

        def get(name: str, default: Any) -> Any:
            if isinstance(procedure, Mapping):
                value = procedure.get(name, default)
            else:
                value = getattr(procedure, name, default)
            return default if value is None else value

        days = get("processing_days", None)
        if days is None:
            raise ValueError("the procedure has no processing time limit (processing_days)")
        return cls(
            days=days,
            unit=TimeUnit(get("time_unit", TimeUnit.WORKING_DAYS)),
            cutoff_15h=bool(get("cutoff_15h", days == 0)),
            extension_days=get("extension_days", 0),
        )


@dataclass(frozen=True)
class Appointment:
    """The appointment printed on slip 01: a day, and an hour for same-day limits."""

    day: date
    hour: time | None = None

    def __str__(self) -> str:
        """``YYYY-MM-DD`` or ``YYYY-MM-DD HH:MM`` (the output of ``motcua due-date``)."""
        if self.hour is None:
            return self.day.isoformat()
        return f"{self.day.isoformat()} {self.hour:%H:%M}"


def _local(received_at: datetime) -> datetime:
    if not isinstance(received_at, datetime):
        raise TypeError(
            f"received_at must be a timezone-aware datetime, got {type(received_at).__name__}"
        )
    if received_at.utcoffset() is None:
        raise ValueError(
            f"received_at must be timezone-aware (got naive {received_at.isoformat()}); "
            "attach a tzinfo, e.g. received_at.replace(tzinfo=OFFICE_TZ) for office time"
        )
    return received_at.astimezone(OFFICE_TZ)


def parse_received_at(text: str) -> datetime:
    """Parse an ISO 8601 date-time; without an offset it is office time (UTC+7).

    ``2026-04-29T15:00``, ``2026-04-29 15:00:00``, ``2026-04-29T08:00:00Z`` and
    ``2026-04-29T15:00+07:00`` are accepted; a date alone is refused (the hour matters).
    """
    raw = text.strip()
    if len(raw) <= 10:
        raise ValueError(f"received-at needs a time of day as well as a date: {text!r}")
    try:
        moment = datetime.fromisoformat(raw.replace("z", "Z"))
    except ValueError:
        raise ValueError(
            f"received-at is not an ISO date-time (YYYY-MM-DDTHH:MM[:SS][±HH:MM]): {text!r}"
        ) from None
    if moment.utcoffset() is None:
        moment = moment.replace(tzinfo=OFFICE_TZ)
    return moment


def _same_day(local: datetime, cutoff_15h: bool, decisions: DayOffDecisions | None) -> date:
    day = local.date()
    minute = local.time().replace(second=0, microsecond=0)
    on_time = minute < OFFICE_CLOSES and (not cutoff_15h or minute <= LATE_CUTOFF)
    if is_working_day(day, decisions) and on_time:
        return day
    return next_working_day(day, decisions)


def appointment(
    received_at: datetime,
    rule: DeadlineRule,
    *,
    verification: bool = False,
    decisions: DayOffDecisions | None = None,
) -> Appointment:
    """Return the appointment ("ngày hẹn trả kết quả") of a dossier.

    The one computation behind slip 01 on the tablet and the server, the dossier's due
    date and ``motcua due-date``; the rules are in the module docstring.
    ``received_at`` must be timezone-aware.
    """
    local = _local(received_at)
    received_day = local.date()
    if verification and rule.extension_days:
        # Law on Civil Status 2014 art. 18(2), 34(2)...: N + extension working days.
        total = rule.days + rule.extension_days
        if rule.unit is TimeUnit.CALENDAR_DAYS:
            return Appointment(
                _calendar_end(received_day, rule.days, decisions, rule.extension_days)
            )
        return Appointment(add_working_days(received_day, total, decisions))
    if rule.unit is TimeUnit.CALENDAR_DAYS and rule.days > 0:
        return Appointment(_calendar_end(received_day, rule.days, decisions, 0))
    if rule.days == 0:
        return Appointment(_same_day(local, rule.cutoff_15h, decisions), OFFICE_CLOSES)
    # Civil Code 2015 art. 147(1): counting starts the day after receipt, whatever the hour.
    return Appointment(add_working_days(received_day, rule.days, decisions))


def due_dates(
    received_at: datetime, rule: DeadlineRule, decisions: DayOffDecisions | None = None
) -> tuple[date, date | None]:
    """``(due date, due date if verification is needed)`` of a dossier, both computed at
    intake; the second is None when the procedure has no verification extension."""
    due = appointment(received_at, rule, decisions=decisions).day
    if not rule.extension_days:
        return due, None
    return due, appointment(received_at, rule, verification=True, decisions=decisions).day


def _calendar_end(
    received_day: date, days: int, decisions: DayOffDecisions | None, extension: int
) -> date:
    # Civil Code 2015 art. 147(1): from the next day; art. 148(5): a last day that is a day
    # off moves to the next working day.
    end = add_working_days(received_day + timedelta(days=days), 0, decisions)
    return add_working_days(end, extension, decisions) if extension else end


def effective_receipt_day(
    received_at: datetime,
    cutoff: time = LATE_CUTOFF,
    decisions: DayOffDecisions | None = None,
) -> date:
    """Return the day a same-day dossier is due (its "effective" receipt day).

    ``received_at`` must be timezone-aware; it is converted to :data:`OFFICE_TZ`. If that
    local day is a working day and the local time, to the minute, is not after ``cutoff``
    (default 15:00) nor at/after :data:`OFFICE_CLOSES`, it is that day; otherwise the
    next working day.
    """
    local = _local(received_at)
    if cutoff.tzinfo is not None:
        raise ValueError(f"cutoff must be a naive local office time, got {cutoff.isoformat()}")
    day = local.date()
    minute = local.time().replace(second=0, microsecond=0)
    if is_working_day(day, decisions) and minute <= cutoff and minute < OFFICE_CLOSES:
        return day
    return next_working_day(day, decisions)


def due_date(
    received_at: datetime,
    working_days: int,
    cutoff: time = LATE_CUTOFF,
    decisions: DayOffDecisions | None = None,
) -> date:
    """Return the due date of a limit of ``working_days`` working days.

    ``working_days == 0``: the effective receipt day (the 15:00 rule, ``cutoff``).
    ``working_days > 0``: the ``working_days``-th working day after the day of receipt,
    whatever the hour (Civil Code 2015 art. 147). ``0 <= working_days <=
    MAX_WORKING_DAYS``, otherwise ``ValueError``.
    """
    _check_working_days(working_days)
    if working_days == 0:
        return effective_receipt_day(received_at, cutoff, decisions)
    return add_working_days(_local(received_at).date(), working_days, decisions)


def resume_due_date(
    due: date, paused_on: date, resumed_on: date, decisions: DayOffDecisions | None = None
) -> date:
    """The due date once the clock, stopped on ``paused_on``, restarts on ``resumed_on``.

    Form 02 (supplement request) stops the clock: the working days left on
    ``paused_on`` (``paused_on`` itself counted as used) are counted again from the day
    after ``resumed_on``, the day the complete supplement arrives. A dossier paused when
    already late keeps its due date.
    """
    left = working_days_between(paused_on, due, decisions)
    if left <= 0 or resumed_on <= paused_on:
        return due
    return add_working_days(resumed_on, min(left, MAX_WORKING_DAYS), decisions)


def working_days_between(start: date, end: date, decisions: DayOffDecisions | None = None) -> int:
    """Count the working days ``w`` with ``start < w <= end``.

    Negative when ``end < start``: ``working_days_between(a, b) == -working_days_between(b,
    a)``. For a working day ``d``, ``working_days_between(d, add_working_days(d, n)) == n``.
    """
    if isinstance(start, datetime):
        start = start.date()
    if isinstance(end, datetime):
        end = end.date()
    if end < start:
        return -working_days_between(end, start, decisions)
    count = bisect_right(_year(end.year).ordinals, end.toordinal())
    count -= bisect_right(_year(start.year).ordinals, start.toordinal())
    for year in range(start.year, end.year):
        count += len(_year(year).ordinals)
    if decisions:
        for day in decisions.days_off:
            if start < day <= end and _base_is_working_day(day):
                count -= 1
        for day in decisions.working_days:
            if start < day <= end and not _base_is_working_day(day):
                count += 1
    return count


def days_overdue(due: date, today: date, decisions: DayOffDecisions | None = None) -> int:
    """Return how many working days ``today`` is past ``due`` (0 if not late).

    Only working days count: a dossier due on Friday is 0 days overdue on the following
    Saturday and Sunday and 1 day overdue on Monday (if Monday is a working day).
    """
    return max(0, working_days_between(due, today, decisions))
