"""The server's clock (server/sync/clock.py): its node, and the stamp of a person's
decision, which must beat every clock the field had (PROTOCOL.md §11, G5).

The process clock is replaced by one on a frozen physical clock, so "ahead" is exact.
Found by mutation testing: none of this was checked.
"""

from __future__ import annotations

import os
import re
import time

import pytest

from server.sync import clock as clock_module
from server.sync.clock import fresh_stamp_after, is_server_node, server_clock
from sync.hlc import MAX_COUNTER, HybridClock, ManualClock, Timestamp

NOW_MS = 1_796_000_000_000  # 2026-12-01 UTC
MINUTE = 60_000


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch) -> HybridClock:
    made = HybridClock("sfrozen", ManualClock(NOW_MS))
    monkeypatch.setattr(clock_module, "_clock", made)
    monkeypatch.setattr(clock_module, "_pid", os.getpid())
    return made


def stamp(wall_ms: int, counter: int = 0, node: str = "3") -> str:
    return Timestamp(wall_ms, counter, node).encode()


def test_the_server_node_is_s_and_five_base36_characters(monkeypatch: pytest.MonkeyPatch) -> None:
    nodes = set()
    for _ in range(200):
        monkeypatch.setattr(clock_module, "_clock", None)
        node = server_clock().node
        assert re.fullmatch(r"s[0-9a-z]{5}", node), node
        assert is_server_node(node)
        nodes.add(node)
    assert len(nodes) > 190  # random per process: two processes do not share one
    assert not is_server_node("3")
    assert server_clock() is server_clock()  # one per process
    # ...on the system's clock.
    assert abs(server_clock().physical_ms() - time.time() * 1000) < 60_000


def test_with_no_usable_clock_the_stamp_is_now(frozen: HybridClock) -> None:
    for clocks in ((), ("",), (None,), ("not a stamp",), ("", None, "garbage")):
        fresh = Timestamp.decode(fresh_stamp_after(*clocks))
        assert fresh.wall_ms == NOW_MS
        assert fresh.node == "sfrozen"


def test_clocks_in_the_past_give_a_stamp_of_now_after_them(frozen: HybridClock) -> None:
    past = [stamp(NOW_MS - MINUTE), stamp(NOW_MS - 2 * MINUTE, 5)]
    fresh = fresh_stamp_after(*past)
    assert Timestamp.decode(fresh).wall_ms == NOW_MS
    assert all(fresh > old for old in past)


@pytest.mark.parametrize("order", ["highest first", "highest last"])
def test_the_decision_beats_a_clock_far_ahead_whatever_the_order(
    frozen: HybridClock, order: str
) -> None:
    # Beyond the 5-minute skew the server's clock will not jump to it: step past it.
    ahead, further = stamp(NOW_MS + 60 * MINUTE, 4), stamp(NOW_MS + 90 * MINUTE, 2)
    clocks = [further, "", "garbage", ahead] if order == "highest first" else [ahead, further]
    fresh = Timestamp.decode(fresh_stamp_after(*clocks))
    assert (fresh.wall_ms, fresh.counter, fresh.node) == (NOW_MS + 90 * MINUTE, 3, "sfrozen")


def test_empty_and_unreadable_clocks_before_the_highest_are_skipped(frozen: HybridClock) -> None:
    ahead = stamp(NOW_MS + 60 * MINUTE)
    fresh = fresh_stamp_after("", None, "garbage", ahead)
    assert fresh > ahead


def test_a_clock_within_the_skew_is_merged(frozen: HybridClock) -> None:
    near = stamp(NOW_MS + 2 * MINUTE, 7)
    fresh = Timestamp.decode(fresh_stamp_after(near))
    # Observing it moves the clock to (near, 8); the new stamp follows at 9.
    assert (fresh.wall_ms, fresh.counter) == (NOW_MS + 2 * MINUTE, 9)


def test_a_full_counter_moves_to_the_next_millisecond(frozen: HybridClock) -> None:
    full = stamp(NOW_MS + 60 * MINUTE, MAX_COUNTER)
    fresh = Timestamp.decode(fresh_stamp_after(full))
    assert (fresh.wall_ms, fresh.counter) == (NOW_MS + 60 * MINUTE + 1, 0)
