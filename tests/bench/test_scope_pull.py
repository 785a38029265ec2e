"""The scope-pull benchmark's report (bench/scope_pull.py); the run itself is in BENCHMARKS.md."""

from __future__ import annotations

from bench.scope_pull import format_round, format_table


def _pull(changes: int, size: int, seconds: float) -> dict[str, float]:
    return {"changes": changes, "pages": 1, "bytes": size, "seconds": seconds}


def test_the_table_has_one_row_per_round_and_the_empty_pull_first() -> None:
    result = {
        "empty": {n: _pull(0, 96, 0.001) for n in ("settling", "receiving", "third")},
        "rounds": [
            {
                "handovers": 10,
                "seconds_per_handover": 0.0142,
                "pulls": {
                    "receiving": _pull(20, 30_720, 0.006),
                    "settling": _pull(31, 34_816, 0.009),
                    "third": _pull(0, 96, 0.001),
                },
            }
        ],
    }
    lines = format_table(result).splitlines()
    assert lines[2] == "| 0 (empty pull) | – | 0 / 0.1 / 1 | 0 / 0.1 / 1 | 0 / 0.1 / 1 |"
    assert lines[3] == "| 10 | 14.2 | 31 / 34.0 / 9 | 20 / 30.0 / 6 | 0 / 0.1 / 1 |"
    assert format_round(result["rounds"][0]).startswith("N=10: 14.2 ms/handover; receiving: 20")
