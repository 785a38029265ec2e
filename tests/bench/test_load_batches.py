"""``bench/load.py`` pushes what a tablet pushes: the engine's own batch size."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from bench import load
from sync import wire
from sync.engine import SyncEngine


class _Op:
    def __init__(self, n: int) -> None:
        self.n = n

    def to_wire(self) -> dict[str, Any]:
        return {"i": f"op-{self.n}"}


def test_a_field_day_goes_up_in_the_engines_batches() -> None:
    engine_batch = next(f.default for f in fields(SyncEngine) if f.name == "push_batch")
    assert engine_batch == 1000  # PROTOCOL.md §6: at most 1,000 operations a push
    assert engine_batch == load.PUSH_BATCH
    bodies = load.push_bodies([_Op(n) for n in range(2 * engine_batch + 1)])  # type: ignore[misc]
    # as the bench sends them: gzip when the body starts with gzip's magic
    sizes = [
        len(wire.decode(body, "gzip" if body[:2] == b"\x1f\x8b" else None)["ops"])
        for body in bodies
    ]
    assert sizes == [engine_batch, engine_batch, 1]
