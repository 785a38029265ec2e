"""The fault-injection counts of a run, printed in pytest's terminal summary.

Each scenario adds one row (and prints it as a ``FAULTS {json}`` line). Under
pytest-xdist the rows live in the workers: each worker hands them to the controller in
its ``workeroutput`` and the controller prints one table for the whole run (the hooks
are in ``tests/conftest.py``, the one conftest the xdist controller loads).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

KEYS = ("cuts", "kills", "lost", "duplicated", "differing", "syncs", "seconds")
WORKER_KEY = "fault_tally"


@dataclass
class Tally:
    rows: list[dict[str, Any]] = field(default_factory=list)

    def add(self, scenario: str, **counts: Any) -> None:
        row = {"scenario": scenario, **counts}
        self.rows.append(row)
        print("\nFAULTS " + json.dumps(row, ensure_ascii=False))

    def dump(self) -> str:
        return json.dumps(self.rows, ensure_ascii=False)

    def load(self, text: str) -> None:
        self.rows.extend(json.loads(text))

    def write_summary(self, terminalreporter: Any) -> None:
        if not self.rows:
            return
        write = terminalreporter.write_line
        terminalreporter.section("fault injection (tests/faults)")
        write(f"{'scenario':<44}" + "".join(f"{k:>11}" for k in KEYS))
        totals: dict[str, float] = dict.fromkeys(KEYS, 0)
        for row in sorted(self.rows, key=lambda r: str(r["scenario"])):
            write(f"{row['scenario']:<44}" + "".join(f"{row.get(k, 0)!s:>11}" for k in KEYS))
            for key in KEYS:
                value = row.get(key, 0)
                if isinstance(value, int | float):
                    totals[key] += value
        write(
            f"{'TOTAL':<44}"
            + "".join(f"{round(totals[k], 1) if k == 'seconds' else totals[k]!s:>11}" for k in KEYS)
        )


TALLY = Tally()
