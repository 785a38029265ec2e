"""Dates typed and shown the Vietnamese way; date-times in office time."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from mobile.app.fmt import (
    fmt_date,
    fmt_datetime,
    office_today,
    parse_iso_date,
    parse_user_date,
    short,
)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("17/05/1990", date(1990, 5, 17)),
        ("7/5/1990", date(1990, 5, 7)),
        (" 17-05-1990 ", date(1990, 5, 17)),
        ("17.05.1990", date(1990, 5, 17)),
        ("1990-05-17", date(1990, 5, 17)),
    ],
)
def test_dates_as_officers_type_them(typed: str, expected: date) -> None:
    assert parse_user_date(typed) == expected


@pytest.mark.parametrize("typed", ["31/02/2020", "17/13/1990", "17051990", "", "hôm qua"])
def test_impossible_or_unreadable_dates_are_refused(typed: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - the message is not shown as is
        parse_user_date(typed)


def test_office_time_is_utc_plus_seven() -> None:
    late_evening_utc = datetime(2026, 3, 2, 18, 30, tzinfo=UTC)  # 01:30 on the 3rd in Lào Cai
    assert office_today(late_evening_utc) == date(2026, 3, 3)
    assert fmt_datetime("2026-03-02T18:30:00+00:00") == "01:30 03/03/2026"
    assert parse_iso_date("2026-03-02T18:30:00+00:00") == date(2026, 3, 3)
    assert fmt_date("2026-03-02") == "02/03/2026"
    assert fmt_date(None) == fmt_datetime("garbage") == "—"


def test_short_cuts_long_values() -> None:
    assert short("a\nb") == "a b"
    assert short("x" * 100, 10) == "x" * 9 + "…"
    assert short(None) == "—"
