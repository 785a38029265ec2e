"""Tests for sync.workdays: the statutory deadline calculator."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sync.workdays import (
    LATE_CUTOFF,
    MAX_WORKING_DAYS,
    OFFICE_TZ,
    add_working_days,
    days_overdue,
    due_date,
    effective_receipt_day,
    is_working_day,
    next_working_day,
    working_days_between,
)

# An independent holidays object, used as the oracle for the cached tables.
VN = holidays.country_holidays("VN")


def at(y: int, m: int, d: int, hh: int = 9, mm: int = 0) -> datetime:
    """A local office-time datetime."""
    return datetime(y, m, d, hh, mm, tzinfo=OFFICE_TZ)


# --------------------------------------------------------------------------- strategies

DATES = st.dates(min_value=date(2000, 1, 1), max_value=date(2098, 12, 31))
N_DAYS = st.integers(min_value=0, max_value=MAX_WORKING_DAYS)
SMALL_N = st.integers(min_value=0, max_value=40)
ZONES = st.sampled_from(
    [OFFICE_TZ, UTC, timezone(timedelta(hours=-5)), timezone(timedelta(hours=9))]
)
RECEIVED = st.datetimes(
    min_value=datetime(2000, 1, 2), max_value=datetime(2098, 12, 30), timezones=ZONES
)


def assert_is_working_day(d: date) -> None:
    """Weekday that is not a holiday, or a weekend day the Government made a working day."""
    assert is_working_day(d)
    assert VN.is_working_day(d)
    assert d not in VN, f"{d} is a holiday: {VN.get(d)}"
    if d.weekday() >= 5:
        assert d in VN.weekend_workdays, f"{d} is a weekend day, not a make-up working day"


# --------------------------------------------------------------------------- properties


@settings(max_examples=300, deadline=None)
@given(DATES)
def test_is_working_day_matches_holidays_package(d: date) -> None:
    assert is_working_day(d) == VN.is_working_day(d)


@settings(max_examples=200, deadline=None)
@given(RECEIVED, N_DAYS)
def test_due_date_is_a_working_day(received_at: datetime, n: int) -> None:
    assert_is_working_day(due_date(received_at, n))


@settings(max_examples=200, deadline=None)
@given(RECEIVED, st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=60)), N_DAYS)
def test_due_date_monotonic_in_received_at(received_at: datetime, delta: timedelta, n: int) -> None:
    assert due_date(received_at, n) <= due_date(received_at + delta, n)


@settings(max_examples=200, deadline=None)
@given(RECEIVED, N_DAYS, N_DAYS)
def test_due_date_strictly_increasing_in_n(received_at: datetime, n1: int, n2: int) -> None:
    lo, hi = sorted((n1, n2))
    if lo == hi:
        assert due_date(received_at, lo) == due_date(received_at, hi)
    elif lo == 0:
        # A same-day dossier received after 15:00 is due the next working day, which is
        # also the end of a 1-working-day limit: not strictly later.
        assert due_date(received_at, lo) <= due_date(received_at, hi)
    else:
        assert due_date(received_at, lo) < due_date(received_at, hi)


@settings(max_examples=200, deadline=None)
@given(RECEIVED, N_DAYS)
def test_due_date_counts_n_working_days_after_receipt(received_at: datetime, n: int) -> None:
    # Civil Code 2015 art. 147(1): an N-day limit counts from the day after the day of
    # receipt, whatever the hour; only a same-day limit has the 15:00 rule.
    received_day = received_at.astimezone(OFFICE_TZ).date()
    due = due_date(received_at, n)
    if n == 0:
        assert due == effective_receipt_day(received_at)
    else:
        assert due > received_day
        assert working_days_between(received_day, due) == n
        assert working_days_between(received_day, due - timedelta(days=1)) == n - 1


@settings(max_examples=200, deadline=None)
@given(RECEIVED)
def test_effective_receipt_day(received_at: datetime) -> None:
    local = received_at.astimezone(OFFICE_TZ)
    receipt = effective_receipt_day(received_at)
    assert_is_working_day(receipt)
    minute = local.time().replace(second=0, microsecond=0)
    if is_working_day(local.date()) and minute <= LATE_CUTOFF:
        assert receipt == local.date()
    else:
        # The first working day after the local calendar day.
        assert receipt > local.date()
        assert working_days_between(local.date(), receipt) == 1


@settings(max_examples=200, deadline=None)
@given(DATES, N_DAYS)
def test_working_days_between_inverts_add_working_days(d: date, n: int) -> None:
    working = add_working_days(d, 0)  # d, or the next working day
    assert working_days_between(working, add_working_days(working, n)) == n


@settings(max_examples=200, deadline=None)
@given(DATES, SMALL_N)
def test_add_working_days_matches_holidays_package(d: date, n: int) -> None:
    assert add_working_days(d, n) == VN.get_nth_working_day(d, n)


@settings(max_examples=200, deadline=None)
@given(DATES, st.integers(min_value=-60, max_value=60))
def test_working_days_between_matches_holidays_package(d: date, offset: int) -> None:
    other = d + timedelta(days=offset)
    lo, hi = sorted((d, other))
    expected = 0 if lo == hi else VN.get_working_days_count(lo + timedelta(days=1), hi)
    assert working_days_between(lo, hi) == expected
    assert working_days_between(hi, lo) == -expected


@settings(max_examples=200, deadline=None)
@given(DATES)
def test_next_working_day_is_strictly_after(d: date) -> None:
    nxt = next_working_day(d)
    assert nxt > d
    assert_is_working_day(nxt)
    day = d + timedelta(days=1)
    while day < nxt:
        assert not is_working_day(day)
        day += timedelta(days=1)


@settings(max_examples=200, deadline=None)
@given(DATES, DATES)
def test_days_overdue(due: date, today: date) -> None:
    late = days_overdue(due, today)
    assert late >= 0
    if today <= due:
        assert late == 0
    else:
        assert late == working_days_between(due, today)


# --------------------------------------------------------------------------- worked examples


def test_holidays_package_has_the_expected_calendar() -> None:
    # The examples below rely on these facts of holidays 0.109.
    for d in (date(2026, 2, 16) + timedelta(days=i) for i in range(5)):  # Tết 2026, Mon-Fri
        assert not is_working_day(d)
    for d in (date(2027, 2, 4) + timedelta(days=i) for i in range(7)):  # Tết 2027, Thu-Wed
        assert not is_working_day(d)
    assert not is_working_day(date(2026, 11, 24))  # Ngày Văn hóa Việt Nam (new from 2026)
    assert is_working_day(date(2025, 11, 24))  # ... not a holiday before 2026
    # Make-up working Saturdays ("làm bù"): exposed as weekend_workdays by the package.
    assert is_working_day(date(2026, 8, 22))  # for the day off Mon 31/08/2026
    assert is_working_day(date(2025, 4, 26))  # for the day off Fri 02/05/2025
    assert not is_working_day(date(2026, 8, 31))
    assert not is_working_day(date(2026, 8, 23))  # the Sunday after is still a day off


def test_marriage_registration_friday_afternoon_before_tet_2026() -> None:
    # Fri 13/02/2026 16:00 is after the 15:00 cutoff -> receipt moves to the next working
    # day: Sat 14, Sun 15 weekend; Mon 16 - Fri 20 Tết; Sat 21, Sun 22 weekend -> Mon 23.
    # A same-day (0-day) procedure is due on the effective receipt day.
    received = at(2026, 2, 13, 16, 0)
    assert effective_receipt_day(received) == date(2026, 2, 23)
    assert due_date(received, 0) == date(2026, 2, 23)


def test_marriage_registration_friday_morning_before_tet_2026() -> None:
    # Fri 13/02/2026 10:00 is a working day before the cutoff: due the same day.
    assert due_date(at(2026, 2, 13, 10, 0), 0) == date(2026, 2, 13)


def test_three_day_procedure_received_thursday_before_tet_2026() -> None:
    # Received Thu 12/02/2026 09:00 -> receipt day Thu 12 (not counted).
    # Day 1 = Fri 13; Sat 14 - Sun 22 are weekend + Tết; day 2 = Mon 23; day 3 = Tue 24.
    assert due_date(at(2026, 2, 12, 9, 0), 3) == date(2026, 2, 24)


def test_cutoff_is_strictly_after_15h_and_configurable() -> None:
    # Decree 23/2015/NĐ-CP art. 7: "nếu tiếp nhận yêu cầu sau 15 giờ" - strictly after.
    # Exactly 15:00 (to the minute printed on the slip) stays the same day.
    assert effective_receipt_day(at(2026, 2, 12, 15, 0)) == date(2026, 2, 12)
    assert effective_receipt_day(at(2026, 2, 12, 15, 0).replace(second=59)) == date(2026, 2, 12)
    # 15:01 is after 15:00: the next working day, Fri 13.
    assert effective_receipt_day(at(2026, 2, 12, 15, 1)) == date(2026, 2, 13)
    assert effective_receipt_day(at(2026, 2, 12, 14, 59)) == date(2026, 2, 12)
    # An office with a 16:30 cutoff keeps 16:00 the same day.
    assert effective_receipt_day(at(2026, 2, 12, 16, 0), cutoff=time(16, 30)) == date(2026, 2, 12)
    assert due_date(at(2026, 2, 12, 16, 0), 0, cutoff=time(16, 30)) == date(2026, 2, 12)


def test_received_at_is_converted_to_office_time() -> None:
    # 08:30 UTC = 15:30 in Hà Nội: late. Fri 13/02/2026 -> Mon 23/02 (after Tết).
    assert effective_receipt_day(datetime(2026, 2, 13, 8, 30, tzinfo=UTC)) == date(2026, 2, 23)
    # 07:59 UTC = 14:59 local: on time.
    assert effective_receipt_day(datetime(2026, 2, 13, 7, 59, tzinfo=UTC)) == date(2026, 2, 13)
    # Thu 12/02 20:00 UTC = Fri 13/02 03:00 local: a working day, before the cutoff.
    assert effective_receipt_day(datetime(2026, 2, 12, 20, 0, tzinfo=UTC)) == date(2026, 2, 13)


def test_one_day_procedure_before_tet_2027() -> None:
    # Wed 03/02/2027 14:59 -> receipt Wed 3. Thu 4 - Wed 10 is Tết (29 Tết .. mùng 5,
    # including Sat 6 / Sun 7) -> day 1 = Thu 11/02/2027.
    assert due_date(at(2027, 2, 3, 14, 59), 1) == date(2027, 2, 11)
    # Same day at 15:01: a same-day limit moves to the next working day, Thu 11; a
    # 1-day limit still counts from the day after receipt (Civil Code art. 147): Thu 11.
    assert due_date(at(2027, 2, 3, 15, 1), 0) == date(2027, 2, 11)
    assert due_date(at(2027, 2, 3, 15, 1), 1) == date(2027, 2, 11)


def test_received_during_tet_2027() -> None:
    # Received on Mon 08/02/2027 (mùng 3 Tết, a holiday) at 09:00 (online): a same-day
    # limit ends the next working day, Thu 11. 5 working days count from the day after
    # receipt: Thu 11, Fri 12, Mon 15, Tue 16, Wed 17.
    assert effective_receipt_day(at(2027, 2, 8, 9, 0)) == date(2027, 2, 11)
    assert due_date(at(2027, 2, 8, 9, 0), 5) == date(2027, 2, 17)


def test_two_day_procedure_over_30_april_1_may_2026() -> None:
    # Received Wed 29/04/2026 10:00 -> receipt Wed 29. Thu 30/04 and Fri 01/05 are
    # holidays, Sat 2 / Sun 3 weekend -> day 1 = Mon 04/05, day 2 = Tue 05/05.
    assert due_date(at(2026, 4, 29, 10, 0), 2) == date(2026, 5, 5)


def test_late_friday_before_hung_kings_observed_2026() -> None:
    # Giỗ Tổ Hùng Vương 2026 falls on Sun 26/04, observed Mon 27/04.
    # Received Fri 24/04/2026 16:00 (late) -> Sat 25, Sun 26, Mon 27 are not working days
    # -> a same-day limit ends Tue 28. An N-day limit counts from Sat 25 whatever the
    # hour: day 1 = Tue 28, day 2 = Wed 29, day 3 = Mon 04/05 (30/04, 01/05 holidays).
    assert effective_receipt_day(at(2026, 4, 24, 16, 0)) == date(2026, 4, 28)
    assert due_date(at(2026, 4, 24, 16, 0), 1) == date(2026, 4, 28)
    assert due_date(at(2026, 4, 24, 16, 0), 2) == date(2026, 4, 29)
    assert due_date(at(2026, 4, 24, 16, 0), 3) == date(2026, 5, 4)


def test_vietnam_culture_day_24_november_2026() -> None:
    # Tue 24/11/2026 is the new "Ngày Văn hóa Việt Nam" holiday.
    # Received Mon 23/11/2026 10:00 -> receipt Mon 23. Day 1 skips Tue 24 -> Wed 25.
    assert due_date(at(2026, 11, 23, 10, 0), 1) == date(2026, 11, 25)
    # Received Mon 23/11 at 15:30 -> receipt is the next working day, Wed 25.
    assert due_date(at(2026, 11, 23, 15, 30), 0) == date(2026, 11, 25)
    # Working days after Mon 23 up to Fri 27: Wed, Thu, Fri = 3 (Tue 24 is a holiday).
    assert working_days_between(date(2026, 11, 23), date(2026, 11, 27)) == 3
    # In 2025 the same dates are ordinary: Mon 24/11/2025 + 1 -> Tue 25/11/2025.
    assert due_date(at(2025, 11, 24, 10, 0), 1) == date(2025, 11, 25)


def test_make_up_working_saturday_22_august_2026() -> None:
    # Sat 22/08/2026 is a make-up working day for the day off Mon 31/08/2026.
    # Received Fri 21/08 16:00 (late) -> the next working day is Sat 22 itself.
    assert effective_receipt_day(at(2026, 8, 21, 16, 0)) == date(2026, 8, 22)
    # Received Fri 21/08 09:00, 1 working day -> Sat 22.
    assert due_date(at(2026, 8, 21, 9, 0), 1) == date(2026, 8, 22)
    # Received Fri 28/08 09:00, 1 working day: Sat 29, Sun 30 weekend, Mon 31 day off,
    # Tue 01/09 and Wed 02/09 Quốc khánh -> Thu 03/09.
    assert due_date(at(2026, 8, 28, 9, 0), 1) == date(2026, 9, 3)


def test_due_date_across_new_year() -> None:
    # Received Wed 30/12/2026 10:00, 2 working days: Thu 31/12 (day 1), Fri 01/01/2027
    # is New Year's Day, weekend -> Mon 04/01/2027 (day 2).
    assert due_date(at(2026, 12, 30, 10, 0), 2) == date(2027, 1, 4)
    assert working_days_between(date(2026, 12, 30), date(2027, 1, 4)) == 2


def test_days_overdue_examples() -> None:
    due = date(2026, 2, 13)  # Fri before Tết 2026
    assert days_overdue(due, date(2026, 2, 13)) == 0  # on time
    assert days_overdue(due, date(2026, 2, 10)) == 0  # early
    assert days_overdue(due, date(2026, 2, 20)) == 0  # only Tết days have passed
    assert days_overdue(due, date(2026, 2, 23)) == 1  # Mon after Tết
    assert days_overdue(due, date(2026, 2, 27)) == 5
    assert working_days_between(date(2026, 2, 27), due) == -5


def test_add_working_days_zero_and_next_working_day() -> None:
    assert add_working_days(date(2026, 2, 12), 0) == date(2026, 2, 12)  # working day
    assert add_working_days(date(2026, 2, 14), 0) == date(2026, 2, 23)  # Sat before Tết
    assert add_working_days(date(2026, 2, 14), 1) == date(2026, 2, 23)
    assert next_working_day(date(2026, 2, 12)) == date(2026, 2, 13)
    assert next_working_day(date(2026, 2, 13)) == date(2026, 2, 23)


# --------------------------------------------------------------------------- errors


def test_naive_received_at_is_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        effective_receipt_day(datetime(2026, 2, 12, 9, 0))
    with pytest.raises(ValueError, match="timezone-aware"):
        due_date(datetime(2026, 2, 12, 9, 0), 3)


def test_aware_cutoff_is_rejected() -> None:
    with pytest.raises(ValueError, match="naive"):
        effective_receipt_day(at(2026, 2, 12), cutoff=time(15, 0, tzinfo=OFFICE_TZ))


@pytest.mark.parametrize("n", [-1, -30, MAX_WORKING_DAYS + 1, 10_000])
def test_unreasonable_working_days_are_rejected(n: int) -> None:
    with pytest.raises(ValueError, match="number of working days"):
        add_working_days(date(2026, 2, 12), n)
    with pytest.raises(ValueError, match="number of working days"):
        due_date(at(2026, 2, 12), n)


def test_non_int_working_days_are_rejected() -> None:
    with pytest.raises(TypeError):
        due_date(at(2026, 2, 12), True)
    with pytest.raises(TypeError):
        add_working_days(date(2026, 2, 12), 1.5)  # type: ignore[arg-type]


def test_dates_outside_the_holiday_calendar_are_rejected() -> None:
    with pytest.raises(ValueError, match="outside the Vietnamese holiday calendar"):
        is_working_day(date(2101, 1, 3))
    with pytest.raises(ValueError, match="outside the Vietnamese holiday calendar"):
        add_working_days(date(2100, 12, 28), 10)
    with pytest.raises(ValueError, match="outside the Vietnamese holiday calendar"):
        working_days_between(date(1900, 6, 1), date(2000, 1, 1))
