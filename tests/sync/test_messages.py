"""Texts an officer or a client developer reads: durations in clock-skew messages
(sync/hlc.py) and the lone-surrogate refusal (sync/wire.py). Worked examples; found by
mutation testing, which changed them unnoticed."""

from __future__ import annotations

import json

import pytest

from sync.hlc import _EN_UNITS, _VI_UNITS, ClockSkewError, _duration
from sync.wire import LoneSurrogate, refuse_lone_surrogates

DAY, HOUR, MINUTE, SECOND = 86_400_000, 3_600_000, 60_000, 1000


@pytest.mark.parametrize(
    ("ms", "english", "vietnamese"),
    [
        (0, "0 ms", "0 ms"),
        (1, "1 ms", "1 ms"),
        (HOUR, "1 h", "1 giờ"),
        (
            DAY + HOUR + MINUTE + SECOND + 1,
            "1 days 1 h 1 min 1 s 1 ms",
            "1 ngày 1 giờ 1 phút 1 giây 1 ms",
        ),
        (1096 * DAY + 3 * HOUR, "1096 days 3 h", "1096 ngày 3 giờ"),
        (-5 * MINUTE, "-5 min", "-5 phút"),
        (-1, "-1 ms", "-1 ms"),
    ],
)
def test_durations_read_as_worked_out(ms: int, english: str, vietnamese: str) -> None:
    assert _duration(ms, _EN_UNITS) == english
    assert _duration(ms, _VI_UNITS) == vietnamese


def test_a_clock_skew_error_says_how_far_ahead_and_the_limit() -> None:
    error = ClockSkewError(remote_ms=10 * HOUR, local_ms=HOUR, max_forward_ms=5 * MINUTE)
    assert "9 giờ" in str(error) and "9 h" in str(error)
    assert "5 phút" in str(error) and "5 min" in str(error)


def test_a_lone_surrogate_is_refused_by_name() -> None:
    value = json.loads('{"note": "a\\ud800b"}')
    with pytest.raises(LoneSurrogate, match=r"^lone surrogate escapes \(\\ud800–\\udfff\)"):
        refuse_lone_surrogates(value)
    refuse_lone_surrogates(json.loads('{"note": "\\ud83d\\ude00"}'))  # a pair is a character
