"""Receipt numbers issued offline are unique across devices and parse back."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sync.receipts import (
    ReceiptNumberError,
    format_receipt_number,
    parse_receipt_number,
    read_receipt_number,
    receipt_number_problem,
)

codes = st.from_regex(r"[0-9]{5}", fullmatch=True)
device_nos = st.integers(min_value=0, max_value=9999)
serials = st.integers(min_value=1, max_value=10**7)
years = st.integers(min_value=2000, max_value=2099)


def test_example() -> None:
    assert format_receipt_number("08305", 2026, 3, 42) == "08305-2603-00042"
    assert parse_receipt_number("08305-2603-00042") == ("08305", 26, 3, 42)


@given(codes, years, device_nos, serials)
def test_round_trip(code: str, year: int, device_no: int, serial: int) -> None:
    number = format_receipt_number(code, year, device_no, serial)
    assert parse_receipt_number(number) == (code, year % 100, device_no, serial)


@given(
    st.tuples(codes, years, device_nos, serials),
    st.tuples(codes, years, device_nos, serials),
)
def test_distinct_inputs_give_distinct_numbers(
    a: tuple[str, int, int, int], b: tuple[str, int, int, int]
) -> None:
    def key(t: tuple[str, int, int, int]) -> tuple[str, int, int, int]:
        return (t[0], t[1] % 100, t[2], t[3])

    if key(a) != key(b):
        assert format_receipt_number(*a) != format_receipt_number(*b)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("08x05", 2026, 1, 1), "digits"),
        (("08305", 2026, -1, 1), "device"),
        (("08305", 2026, 1, 0), "serial"),
    ],
)
def test_bad_parts_are_refused(args: tuple[str, int, int, int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        format_receipt_number(*args)


def test_garbage_does_not_parse() -> None:
    assert parse_receipt_number("hello") is None
    assert parse_receipt_number("08305-26-00042") is None


EXISTING = "02965-2653-00001"


@pytest.mark.parametrize(
    ("variant", "why"),
    [
        (" " + EXISTING, "spaces or line breaks before or after"),
        (EXISTING + "\n", "spaces or line breaks before or after"),
        ("02965-2653-000001", "extra leading zeros"),
        ("02965-26053-00001", "extra leading zeros"),
        ("02965-260053-00001", "extra leading zeros"),
        ("02965-2653-00001-", "expected <commune code>"),
        ("０２９６５-2653-00001", "fullwidth"),
        ("02965-2653-0000１", "fullwidth"),
        ("02965 -2653-00001", "white space"),
    ],
)
def test_variants_of_an_existing_number_are_refused_with_a_reason(variant: str, why: str) -> None:
    """Issue 10.2: the variants an outside client had accepted next to 02965-2653-00001."""
    assert parse_receipt_number(variant) is None
    with pytest.raises(ReceiptNumberError, match=why):
        read_receipt_number(variant)


def test_parts_and_canonical_form() -> None:
    number = read_receipt_number(EXISTING)
    assert (number.commune, number.yy, number.device_no, number.serial) == ("02965", 26, 53, 1)
    assert number.canonical == EXISTING
    # A device above 99 and a serial above 99999 have no leading zeros.
    assert read_receipt_number("02965-26123-123456").canonical == "02965-26123-123456"
    assert receipt_number_problem(EXISTING) is None
    assert "string" in str(receipt_number_problem(2965265300001))
