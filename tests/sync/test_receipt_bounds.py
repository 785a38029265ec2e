"""The device-number part of a receipt number has at most four digits (PROTOCOL.md §9).

Worked examples: commune 08305, year 2026, serial 1. Device 9999 is the last number
that fits (``08305-269999-00001``); device 10000 would need a fifth digit, which the
grammar does not have, so it is refused when the number is made.
"""

from __future__ import annotations

import pytest

from sync.receipts import format_receipt_number, parse_receipt_number


def test_g1_device_9999_is_the_last_that_fits() -> None:
    assert format_receipt_number("08305", 2026, 9999, 1) == "08305-269999-00001"
    assert parse_receipt_number("08305-269999-00001") == ("08305", 26, 9999, 1)


def test_g1_device_10000_is_refused() -> None:
    with pytest.raises(ValueError, match="device number out of range: 10000"):
        format_receipt_number("08305", 2026, 10000, 1)
    # Nor would its number parse back: the device part has two to four digits.
    assert parse_receipt_number("08305-2610000-00001") is None


def test_g1_device_0_is_the_server_and_formats_with_two_digits() -> None:
    assert format_receipt_number("08305", 2026, 0, 7) == "08305-2600-00007"
    with pytest.raises(ValueError, match="device number out of range: -1"):
        format_receipt_number("08305", 2026, -1, 7)
