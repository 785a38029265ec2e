"""The official dossier code: structure of Circular 01/2018/TT-VPCP art. 19(1)
("V1V2V3.Z1Z2.Y1Y2.MX1X2-YYMMDD-XXXX") and its day, the day of receipt."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from sync.dossier_code import official_code_day, official_code_mismatch, official_code_problem
from sync.workdays import OFFICE_TZ

GOOD = "000.00.21.H37-260312-0007"


def test_a_code_of_the_structure_is_accepted() -> None:
    assert official_code_problem(GOOD) is None
    assert official_code_problem(None) is None  # not issued yet
    assert official_code_day(GOOD) == date(2026, 3, 12)


@pytest.mark.parametrize(
    "code",
    [
        "",
        " 000.00.21.H37-260312-0007",  # a space
        "000.00.21.H37-260312-0007\n",
        "000.00.21.h37-260312-0007",  # lower case
        "000.00.21.H37-20260312-0007",  # four-digit year
        "000.00.21.H37-260312-007",  # three-digit sequence
        "000.00.21.H37-260312-00007",
        "00.00.21.H37-260312-0007",
        "000.00.21.37-260312-0007",  # no letter
        "000.00.21.H37_260312_0007",
        "０００.00.21.H37-260312-0007",  # fullwidth digits
        "08305-2603-00042",  # a receipt number is not an official code
        "000.00.21.H37-260230-0001",  # 30 February
        "000.00.21.H37-261301-0001",  # month 13
        "000.00.21.H37-260312-0000",  # the sequence starts at 0001
        12345,
    ],
)
def test_anything_else_is_refused(code: object) -> None:
    assert official_code_problem(code) is not None


def test_the_day_must_be_the_office_day_of_receipt() -> None:
    # Received 07:30 on 12/03/2026 office time (00:30 UTC): the code's day is 260312.
    received = datetime(2026, 3, 12, 7, 30, tzinfo=OFFICE_TZ)
    assert official_code_mismatch(GOOD, received) is None
    # The same instant read in UTC is still 12/03 here; 23:30 UTC on 11/03 is 06:30 on
    # 12/03 in the office: the office day counts, not the UTC day.
    assert official_code_mismatch(GOOD, datetime.fromisoformat("2026-03-11T23:30:00+00:00")) is None
    late = datetime(2026, 3, 13, 8, 0, tzinfo=OFFICE_TZ)
    problem = official_code_mismatch(GOOD, late)
    assert problem is not None and "13/03/2026" in problem
    assert official_code_mismatch("000.00.21.H37-260312", received) is not None
