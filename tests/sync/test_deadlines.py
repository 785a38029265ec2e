"""The appointment of a dossier (sync.workdays.appointment): worked examples with their
legal source, and properties of calendar-day limits, day-off decisions and the clock
stopped while waiting for a supplement."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sync.workdays import (
    OFFICE_CLOSES,
    OFFICE_TZ,
    Appointment,
    DayOffDecisions,
    DeadlineRule,
    TimeUnit,
    add_working_days,
    appointment,
    days_overdue,
    is_working_day,
    parse_received_at,
    resume_due_date,
    working_days_between,
)

#: Notice 12729/VPCP-KGVX of 25/12/2025 (New Year 2026 for civil servants): Thu 01/01 to
#: Sun 04/01/2026 off, the working Friday 02/01 swapped with Saturday 10/01/2026.
NEW_YEAR_2026 = DayOffDecisions.of([(date(2026, 1, 2), False), (date(2026, 1, 10), True)])

MARRIAGE = DeadlineRule(0, cutoff_15h=True, extension_days=5)  # 1.000894
DEATH = DeadlineRule(0, cutoff_15h=True, extension_days=3)  # 1.000656
CERTIFICATION = DeadlineRule(0, cutoff_15h=True)  # 2.000815 copy certification
MEDIATION = DeadlineRule(30, unit=TimeUnit.CALENDAR_DAYS)  # 1.012812 land dispute
THREE_DAYS = DeadlineRule(3)  # e.g. 1.004194 temporary residence


def at(y: int, m: int, d: int, hh: int = 9, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=OFFICE_TZ)


# --------------------------------------------------------------------------- worked examples


def test_marriage_with_verification_received_before_tet_2026() -> None:
    # Law on Civil Status 2014 art. 18(2): "Trường hợp cần xác minh thêm điều kiện kết
    # hôn ... thời hạn giải quyết không quá 05 ngày làm việc". Received Thu 12/02/2026
    # 10:00; counting from the day after (Civil Code art. 147): Fri 13 (1); Tết break
    # Sat 14 - Sun 22/02/2026; Mon 23 (2), Tue 24 (3), Wed 25 (4), Thu 26 (5).
    received = at(2026, 2, 12, 10, 0)
    assert appointment(received, MARRIAGE, verification=True) == Appointment(date(2026, 2, 26))
    # Without verification: the same day, by the end of the office day.
    assert appointment(received, MARRIAGE) == Appointment(date(2026, 2, 12), OFFICE_CLOSES)
    # Received Fri 13/02 16:00 with verification: the hour does not matter for a 5-day
    # limit: Mon 23 (1) ... Fri 27 (5).
    assert appointment(at(2026, 2, 13, 16, 0), MARRIAGE, verification=True).day == date(2026, 2, 27)


def test_death_with_verification_three_working_days() -> None:
    # Law on Civil Status 2014 art. 34(2): verification "không quá 03 ngày làm việc".
    # Received Wed 29/04/2026 11:00: Thu 30/04, Fri 01/05 holidays, weekend -> Mon 04/05
    # (1), Tue 05 (2), Wed 06 (3).
    assert appointment(at(2026, 4, 29, 11, 0), DEATH, verification=True).day == date(2026, 5, 6)


def test_certification_at_15h_and_15h01_on_the_eve_of_30_april_2026() -> None:
    # Decree 23/2015/NĐ-CP art. 7: "ngay trong ngày ... hoặc trong ngày làm việc tiếp
    # theo, nếu tiếp nhận yêu cầu sau 15 giờ"; the slip states the hour.
    # Wed 29/04/2026 15:00 is not after 15:00: due the same day.
    assert appointment(at(2026, 4, 29, 15, 0), CERTIFICATION) == Appointment(
        date(2026, 4, 29), time(17, 0)
    )
    # 15:01 is after 15:00: the next working day. Thu 30/04 (Reunification Day) and Fri
    # 01/05 (Labour Day) are holidays, Sat 02 / Sun 03 the weekend -> Mon 04/05/2026.
    late = appointment(at(2026, 4, 29, 15, 1), CERTIFICATION)
    assert late == Appointment(date(2026, 5, 4), time(17, 0))
    assert str(late) == "2026-05-04 17:00"


def test_certification_contract_two_days_has_no_15h_rule() -> None:
    # Contracts (2.001035): "không quá 02 ngày làm việc", no 15:00 rule: 09:00 and 16:30
    # on Wed 29/04/2026 give the same date, Tue 05/05/2026 (Mon 04 = day 1).
    rule = DeadlineRule(2)
    assert appointment(at(2026, 4, 29, 9, 0), rule) == Appointment(date(2026, 5, 5))
    assert appointment(at(2026, 4, 29, 16, 30), rule) == Appointment(date(2026, 5, 5))


def test_mediation_30_calendar_days_ending_on_a_sunday() -> None:
    # Land Law 2024 art. 235: mediation at the commune "không quá 30 ngày". Received Fri
    # 06/02/2026: day 1 is Sat 07/02 (Civil Code art. 147(1)), day 30 is Sun 08/03/2026,
    # a day off -> the limit ends at the end of the next working day, Mon 09/03/2026
    # (Civil Code art. 148(5)). The Tết break inside the period does not extend it.
    appointment_ = appointment(at(2026, 2, 6, 10, 0), MEDIATION)
    assert appointment_ == Appointment(date(2026, 3, 9))
    assert str(appointment_) == "2026-03-09"
    # Received Mon 09/02/2026: day 30 is Wed 11/03/2026, a working day: unchanged.
    assert appointment(at(2026, 2, 9, 10, 0), MEDIATION).day == date(2026, 3, 11)


def test_calendar_limit_ending_in_a_holiday_run() -> None:
    # 30 days after Mon 31/03/2026 is Thu 30/04 (holiday); Fri 01/05 holiday, weekend ->
    # the next working day, Mon 04/05/2026.
    assert appointment(at(2026, 3, 31), MEDIATION).day == date(2026, 5, 4)


def test_new_year_2026_with_the_make_up_saturday() -> None:
    # With notice 12729/VPCP-KGVX: a 3-working-day dossier received Wed 31/12/2025
    # 16:00 counts from Thu 01/01 (holiday), Fri 02/01 (day off by the notice), weekend:
    # Mon 05 (1), Tue 06 (2), Wed 07/01/2026 (3).
    received = at(2025, 12, 31, 16, 0)
    assert appointment(received, THREE_DAYS, decisions=NEW_YEAR_2026).day == date(2026, 1, 7)
    # Without the decision Friday 02/01 would be day 1: Tue 06/01.
    assert appointment(received, THREE_DAYS).day == date(2026, 1, 6)
    # Saturday 10/01/2026 is worked: a 5-day dossier received Mon 05/01 is due that day.
    five = DeadlineRule(5)
    assert appointment(at(2026, 1, 5), five, decisions=NEW_YEAR_2026).day == date(2026, 1, 10)
    assert appointment(at(2026, 1, 5), five).day == date(2026, 1, 12)
    # A certification received Wed 31/12/2025 at 15:30: the next working day is Mon
    # 05/01/2026; on Fri 09/01 at 16:00 it is Sat 10/01 (make-up day).
    assert appointment(at(2025, 12, 31, 15, 30), CERTIFICATION, decisions=NEW_YEAR_2026) == (
        Appointment(date(2026, 1, 5), OFFICE_CLOSES)
    )
    assert appointment(at(2026, 1, 9, 16, 0), CERTIFICATION, decisions=NEW_YEAR_2026).day == (
        date(2026, 1, 10)
    )


def test_same_day_without_15h_rule_and_after_office_hours() -> None:
    # A same-day limit without the 15:00 rule keeps 16:00 the same day...
    rule = DeadlineRule(0, cutoff_15h=False)
    assert appointment(at(2026, 4, 29, 16, 0), rule).day == date(2026, 4, 29)
    # ... but nothing is returned after the office day ends (17:00): the next working day.
    assert appointment(at(2026, 4, 28, 17, 0), rule).day == date(2026, 4, 29)


def test_verification_flag_without_extension_changes_nothing() -> None:
    received = at(2026, 4, 29, 10, 0)
    assert appointment(received, CERTIFICATION, verification=True) == appointment(
        received, CERTIFICATION
    )


def test_supplement_stops_the_clock() -> None:
    # A 10-working-day dossier received Mon 04/05/2026 is due Mon 18/05. Form 02 is
    # issued Thu 07/05 (3 working days used: Tue 5, Wed 6, Thu 7; 7 left). The complete
    # supplement arrives Mon 25/05: counting again from Tue 26/05, 7 working days ->
    # Wed 03/06/2026 (Mon 01/06 and Tue 02/06 are ordinary days).
    due = appointment(at(2026, 5, 4), DeadlineRule(10)).day
    assert due == date(2026, 5, 18)
    assert resume_due_date(due, date(2026, 5, 7), date(2026, 5, 25)) == date(2026, 6, 3)
    # Paused when already late: the due date stays.
    assert resume_due_date(due, date(2026, 5, 20), date(2026, 5, 25)) == due


def test_decisions_change_overdue_counts() -> None:
    # Due Wed 31/12/2025; on Mon 05/01/2026 it is 1 working day late with the notice
    # (Fri 02/01 off), 2 without.
    assert days_overdue(date(2025, 12, 31), date(2026, 1, 5), NEW_YEAR_2026) == 1
    assert days_overdue(date(2025, 12, 31), date(2026, 1, 5)) == 2


def test_rule_from_catalog_entries() -> None:
    assert DeadlineRule.of({"processing_days": 30, "time_unit": "calendar_days"}) == MEDIATION
    assert (
        DeadlineRule.of({"processing_days": 0, "cutoff_15h": True, "extension_days": 5}) == MARRIAGE
    )
    # An entry without the new keys: working days, the 15:00 rule for same-day limits.
    assert DeadlineRule.of({"processing_days": 0}).cutoff_15h is True
    assert DeadlineRule.of({"processing_days": 3}).cutoff_15h is False
    with pytest.raises(ValueError, match="processing_days"):
        DeadlineRule.of({"code": "1.000894"})
    with pytest.raises(ValueError, match="weeks"):
        DeadlineRule(3, unit="weeks")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-04-29T15:01", at(2026, 4, 29, 15, 1)),
        ("2026-04-29 15:01:00", at(2026, 4, 29, 15, 1)),
        ("2026-04-29T08:01:00Z", at(2026, 4, 29, 15, 1)),
        ("2026-04-29T15:01+07:00", at(2026, 4, 29, 15, 1)),
    ],
)
def test_parse_received_at(text: str, expected: datetime) -> None:
    assert parse_received_at(text) == expected


@pytest.mark.parametrize("text", ["2026-04-29", "29/04/2026 15:00", "soon"])
def test_parse_received_at_refuses(text: str) -> None:
    with pytest.raises(ValueError, match="received-at"):
        parse_received_at(text)


def test_a_day_both_off_and_worked_is_refused() -> None:
    with pytest.raises(ValueError, match="both off and a working day"):
        DayOffDecisions.of([(date(2026, 1, 2), False), (date(2026, 1, 2), True)])


# --------------------------------------------------------------------------- properties

DATES = st.dates(min_value=date(2001, 1, 1), max_value=date(2098, 12, 1))
RECEIVED = st.datetimes(min_value=datetime(2001, 1, 2), max_value=datetime(2098, 11, 1)).map(
    lambda d: d.replace(tzinfo=OFFICE_TZ)
)
DECISIONS = st.lists(st.tuples(DATES, st.booleans()), max_size=12, unique_by=lambda t: t[0]).map(
    DayOffDecisions.of
)


@settings(max_examples=150, deadline=None)
@given(DATES, st.integers(min_value=0, max_value=60), DECISIONS)
def test_decisions_layered_over_the_calendar(d: date, n: int, decisions: DayOffDecisions) -> None:
    due = add_working_days(d, n, decisions)
    assert is_working_day(due, decisions)
    if n:
        assert due > d
        assert working_days_between(d, due, decisions) == n
        assert working_days_between(d, due - timedelta(days=1), decisions) == n - 1
    for day in decisions.days_off:
        assert not is_working_day(day, decisions)
    for day in decisions.working_days:
        assert is_working_day(day, decisions)


@settings(max_examples=150, deadline=None)
@given(RECEIVED, st.integers(min_value=1, max_value=90), DECISIONS)
def test_calendar_limit_is_the_first_working_day_from_day_n(
    received: datetime, n: int, decisions: DayOffDecisions
) -> None:
    due = appointment(received, DeadlineRule(n, unit=TimeUnit.CALENDAR_DAYS), decisions=decisions)
    last = received.date() + timedelta(days=n)
    assert due.hour is None
    assert due.day >= last
    assert is_working_day(due.day, decisions)
    day = last
    while day < due.day:  # every day skipped is a day off (Civil Code art. 148(5))
        assert not is_working_day(day, decisions)
        day += timedelta(days=1)


@settings(max_examples=150, deadline=None)
@given(RECEIVED, st.integers(min_value=0, max_value=30), st.integers(min_value=1, max_value=10))
def test_verification_never_ends_before_the_plain_limit(
    received: datetime, days: int, extension: int
) -> None:
    rule = DeadlineRule(days, cutoff_15h=days == 0, extension_days=extension)
    plain = appointment(received, rule)
    longer = appointment(received, rule, verification=True)
    assert longer.day >= plain.day
    assert longer.hour is None
    assert working_days_between(received.date(), longer.day) == days + extension


@settings(max_examples=150, deadline=None)
@given(
    DATES,
    st.integers(min_value=1, max_value=40),
    st.integers(min_value=0, max_value=70),
    st.integers(min_value=0, max_value=40),
)
def test_resume_keeps_the_days_left(received: date, n: int, after: int, wait: int) -> None:
    due = add_working_days(received, n)
    paused = received + timedelta(days=after)  # possibly after the due date
    resumed = paused + timedelta(days=wait)
    new_due = resume_due_date(due, paused, resumed)
    left = working_days_between(paused, due)
    if left <= 0 or wait == 0:
        assert new_due == due
    else:
        assert working_days_between(resumed, new_due) == left
        assert new_due >= due
