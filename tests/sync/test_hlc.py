"""Hybrid logical clock: encoding, monotonicity, causality, skew policy and clamping."""

from __future__ import annotations

import pickle
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sync.hlc import (
    MAX_COUNTER,
    MAX_WALL_MS,
    ZERO,
    ClockSkewError,
    HybridClock,
    ManualClock,
    SystemClock,
    Timestamp,
    clamp,
)

T0 = 1_764_000_000_000  # 2025-11-24 16:00 UTC
MINUTE = 60_000
DAY = 24 * 60 * MINUTE
THREE_YEARS = 1096 * DAY

walls = st.one_of(st.integers(0, 3), st.integers(T0 - 2, T0 + 2), st.integers(0, MAX_WALL_MS))
counters = st.one_of(st.integers(0, 3), st.integers(0, MAX_COUNTER))
nodes = st.one_of(
    st.text(alphabet="!0Aaz~-", max_size=4),
    st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=40),
)
timestamps = st.builds(Timestamp, wall_ms=walls, counter=counters, node=nodes)


# --- Timestamp and its encoding -------------------------------------------------------


def test_encode_example() -> None:
    ts = Timestamp(T0, 5, "srv")
    assert ts.encode() == "0midc1z40005srv"
    assert Timestamp.decode("0midc1z40005srv") == ts
    assert ZERO.encode() == "000000000000"
    assert Timestamp.decode("000000000000") == ZERO
    assert Timestamp(MAX_WALL_MS, MAX_COUNTER, "n").encode() == "zzzzzzzzzzzzn"


def test_wall_datetime() -> None:
    assert Timestamp(T0, 0, "a").wall_datetime == datetime(2025, 11, 24, 16, tzinfo=UTC)
    assert ZERO.wall_datetime == datetime(1970, 1, 1, tzinfo=UTC)
    assert Timestamp(MAX_WALL_MS, 0, "").wall_datetime.year > 5000


def test_order_is_wall_then_counter_then_node() -> None:
    assert Timestamp(1, 9, "z") < Timestamp(2, 0, "a")
    assert Timestamp(1, 1, "z") < Timestamp(1, 2, "a")
    assert Timestamp(1, 1, "a") < Timestamp(1, 1, "b")
    assert Timestamp(1, 1, "a") < Timestamp(1, 1, "a0")
    assert Timestamp(1, 1, "a") != Timestamp(1, 1, "b")


@given(timestamps)
def test_round_trip(ts: Timestamp) -> None:
    encoded = ts.encode()
    assert len(encoded) == 12 + len(ts.node)
    assert Timestamp.decode(encoded) == ts


@given(timestamps, timestamps)
def test_encoding_preserves_order(a: Timestamp, b: Timestamp) -> None:
    assert (a < b) == (a.encode() < b.encode())
    assert (a == b) == (a.encode() == b.encode())


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "too short"),
        ("0midc1z4000", "too short"),
        ("0MIDC1Z40005srv", "bad wall time"),
        ("0midc1z4-005srv", "bad wall time"),
        ("0midc1z400.5srv", "bad counter"),
        ("0midc1z40005s v", "node"),
        ("0midc1z40005sờ", "node"),
        ("0midc1z40005s\n", "node"),
    ],
)
def test_decode_rejects_malformed(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match="invalid HLC timestamp") as info:
        Timestamp.decode(text)
    assert reason in str(info.value)


def test_decode_rejects_non_string() -> None:
    with pytest.raises(ValueError, match="must be a string"):
        Timestamp.decode(123)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("wall", "counter", "node"),
    [(-1, 0, ""), (MAX_WALL_MS + 1, 0, ""), (0, -1, ""), (0, MAX_COUNTER + 1, ""), (0, 0, "a b")],
)
def test_timestamp_rejects_out_of_range(wall: int, counter: int, node: str) -> None:
    with pytest.raises(ValueError, match="HLC"):
        Timestamp(wall, counter, node)


# --- Physical clocks -------------------------------------------------------------------


def test_system_clock_is_wall_time() -> None:
    assert abs(SystemClock().now_ms() - time.time() * 1000) < 5000


def test_manual_clock() -> None:
    clock = ManualClock(T0)
    assert clock.now_ms() == T0
    clock.advance(10)
    assert clock.now_ms() == T0 + 10
    clock.set(T0 - DAY)
    assert clock.now_ms() == T0 - DAY
    clock.advance(-5)
    assert clock.now_ms() == T0 - DAY - 5


# --- HybridClock.now -------------------------------------------------------------------


def test_now_follows_physical_time() -> None:
    physical = ManualClock(T0)
    hlc = HybridClock("tab1", physical)
    assert hlc.last == ZERO
    assert hlc.now() == Timestamp(T0, 0, "tab1")
    assert hlc.now() == Timestamp(T0, 1, "tab1")
    physical.advance(3)
    assert hlc.now() == Timestamp(T0 + 3, 0, "tab1")
    physical.set(T0 - MINUTE)  # the tablet clock goes back
    assert hlc.now() == Timestamp(T0 + 3, 1, "tab1")
    assert hlc.last == Timestamp(T0 + 3, 1, "tab1")


@given(st.lists(st.integers(-10 * DAY, 10 * DAY) | st.integers(-3, 3), max_size=60))
def test_now_strictly_increasing_when_physical_clock_jumps(steps: list[int]) -> None:
    physical = ManualClock(T0)
    hlc = HybridClock("tab1", physical)
    previous = hlc.now()
    for step in steps:
        physical.advance(step)
        stamp = hlc.now()
        assert stamp > previous
        assert stamp.wall_ms >= physical.now_ms()
        assert stamp.node == "tab1"
        previous = stamp


def test_counter_overflow_moves_wall_forward() -> None:
    physical = ManualClock(T0)
    hlc = HybridClock("tab1", physical, last=Timestamp(T0, MAX_COUNTER - 1, "tab1"))
    assert hlc.now() == Timestamp(T0, MAX_COUNTER, "tab1")
    assert hlc.now() == Timestamp(T0 + 1, 0, "tab1")
    assert hlc.now() == Timestamp(T0 + 1, 1, "tab1")


def test_restored_last_keeps_stamps_increasing_after_restart() -> None:
    persisted = Timestamp(T0 + MINUTE, 7, "tab1")
    hlc = HybridClock("tab1", ManualClock(T0), last=persisted)
    assert hlc.now() > persisted


def test_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="node"):
        HybridClock("", ManualClock(T0))
    with pytest.raises(ValueError, match="node"):
        HybridClock("máy 1", ManualClock(T0))
    with pytest.raises(ValueError, match="max_forward_ms"):
        HybridClock("a", ManualClock(T0), max_forward_ms=-1)


# --- HybridClock.update ----------------------------------------------------------------


def test_update_example() -> None:
    hlc = HybridClock("srv", ManualClock(T0))
    assert hlc.update(Timestamp(T0 + 10, 4, "tab1")) == Timestamp(T0 + 10, 5, "srv")
    assert hlc.update(Timestamp(T0 + 10, 2, "tab2")) == Timestamp(T0 + 10, 6, "srv")
    assert hlc.update(Timestamp(T0 - DAY, 0, "tab3")) == Timestamp(T0 + 10, 7, "srv")
    assert hlc.now() == Timestamp(T0 + 10, 8, "srv")


def test_update_counter_overflow() -> None:
    hlc = HybridClock("srv", ManualClock(T0))
    remote = Timestamp(T0 + 1, MAX_COUNTER, "tab1")
    assert hlc.update(remote) == Timestamp(T0 + 2, 0, "srv")


@given(
    local_steps=st.lists(st.integers(-DAY, DAY), max_size=5),
    remote_delta=st.integers(-3 * DAY, 5 * MINUTE),
    remote_counter=counters,
    remote_node=nodes,
)
def test_update_result_exceeds_local_and_remote(
    local_steps: list[int], remote_delta: int, remote_counter: int, remote_node: str
) -> None:
    physical = ManualClock(T0)
    hlc = HybridClock("srv", physical)
    for step in local_steps:
        physical.advance(step)
        hlc.now()
    before = hlc.last
    remote = Timestamp(physical.now_ms() + remote_delta, remote_counter, remote_node)
    merged = hlc.update(remote)
    assert merged > before
    assert merged > remote
    assert merged.node == "srv"
    assert hlc.last == merged
    assert hlc.now() > merged


@dataclass
class _Event:
    stamp: Timestamp
    vector: tuple[int, ...]


def _happens_before(a: tuple[int, ...], b: tuple[int, ...]) -> bool:
    return a != b and all(x <= y for x, y in zip(a, b, strict=True))


actions = st.one_of(
    st.tuples(st.just("local"), st.integers(0, 2), st.just(0)),
    st.tuples(st.just("send"), st.integers(0, 2), st.integers(0, 2)),
    st.tuples(st.just("deliver"), st.integers(0, 1000), st.just(0)),
    st.tuples(st.just("tick"), st.integers(0, 2), st.integers(-DAY, DAY)),
)


@given(
    skews=st.lists(st.integers(-DAY, DAY), min_size=3, max_size=3),
    script=st.lists(actions, max_size=60),
)
def test_causality_across_three_nodes(skews: list[int], script: list[tuple[str, int, int]]) -> None:
    """Messages delivered in random order: happens-before always implies a smaller stamp."""
    physicals = [ManualClock(T0 + skew) for skew in skews]
    clocks = [
        HybridClock(f"n{i}", physical, max_forward_ms=10**12)
        for i, physical in enumerate(physicals)
    ]
    vectors = [[0, 0, 0] for _ in clocks]
    in_flight: list[tuple[int, Timestamp, tuple[int, ...]]] = []
    events: list[_Event] = []

    def record(node: int, stamp: Timestamp) -> tuple[int, ...]:
        vectors[node][node] += 1
        vector = tuple(vectors[node])
        events.append(_Event(stamp, vector))
        return vector

    for kind, a, b in script:
        if kind == "local":
            record(a, clocks[a].now())
        elif kind == "send":
            stamp = clocks[a].now()
            in_flight.append((b, stamp, record(a, stamp)))
        elif kind == "deliver" and in_flight:
            receiver, stamp, sent_vector = in_flight.pop(a % len(in_flight))
            merged = zip(vectors[receiver], sent_vector, strict=True)
            vectors[receiver] = [max(x, y) for x, y in merged]
            record(receiver, clocks[receiver].update(stamp))
        elif kind == "tick":
            physicals[a].advance(b)

    for earlier in events:
        for later in events:
            if _happens_before(earlier.vector, later.vector):
                assert earlier.stamp < later.stamp
    assert len({event.stamp for event in events}) == len(events)


# --- Skew policy -----------------------------------------------------------------------


def test_rejects_remote_three_years_ahead() -> None:
    server = HybridClock("srv", ManualClock(T0))
    before = server.now()
    remote = Timestamp(T0 + THREE_YEARS, 0, "tab1")
    with pytest.raises(ClockSkewError) as info:
        server.update(remote)
    error = info.value
    assert isinstance(error, ValueError)
    assert error.remote_ms == T0 + THREE_YEARS
    assert error.local_ms == T0
    assert error.ahead_ms == THREE_YEARS
    message = str(error)
    assert message.startswith("Đồng hồ")
    assert "(clock" in message
    assert "1096 ngày" in message
    assert "1096 days" in message
    assert str(THREE_YEARS) in message
    assert server.last == before  # not pushed forward
    assert server.now() == Timestamp(T0, 1, "srv")


def test_skew_limit_is_inclusive_and_uses_offset() -> None:
    hlc = HybridClock("srv", ManualClock(T0), max_forward_ms=MINUTE, offset_ms=1000)
    assert hlc.update(Timestamp(T0 + 1000 + MINUTE, 0, "a")).wall_ms == T0 + 1000 + MINUTE
    with pytest.raises(ClockSkewError, match="1 phút 1 giây 1 ms") as info:
        hlc.update(Timestamp(T0 + MINUTE + 2001, 0, "a"))
    assert info.value.ahead_ms == MINUTE + 1001
    assert info.value.local_ms == T0 + 1000


def test_observe_does_not_raise() -> None:
    hlc = HybridClock("tab1", ManualClock(T0))
    assert not hlc.observe(Timestamp(T0 + THREE_YEARS, 0, "srv"))
    assert hlc.last == ZERO
    assert hlc.observe(Timestamp(T0 + MINUTE, 3, "srv"))
    assert hlc.last == Timestamp(T0 + MINUTE, 4, "tab1")


def test_skew_error_pickles() -> None:
    error = ClockSkewError(T0 + THREE_YEARS, T0, 5 * MINUTE)
    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own data
    assert (copy.remote_ms, copy.local_ms, copy.ahead_ms) == (T0 + THREE_YEARS, T0, THREE_YEARS)
    assert str(copy) == str(error)


def test_offset_corrects_a_tablet_clock_three_years_ahead() -> None:
    true_time = ManualClock(T0)
    server = HybridClock("srv", true_time)
    tablet_physical = ManualClock(T0 + THREE_YEARS)
    tablet = HybridClock("tab1", tablet_physical)
    assert tablet.offset_ms == 0

    # Before correction the server refuses the tablet's stamps.
    assert not server.observe(HybridClock("probe", tablet_physical).now())

    # The server reports how far off the tablet is; the tablet applies it.
    tablet.offset_ms = server.now().wall_ms - tablet_physical.now_ms()
    assert tablet.offset_ms == -THREE_YEARS
    stamp = tablet.now()
    assert abs(stamp.wall_ms - T0) <= 1
    assert stamp.wall_datetime.year == 2025
    assert server.observe(stamp)

    true_time.advance(MINUTE)
    tablet_physical.advance(MINUTE)
    later = tablet.now()
    assert later.wall_ms == T0 + MINUTE
    assert tablet.update(server.now()) > later


# --- clamp -----------------------------------------------------------------------------


def test_clamp() -> None:
    server = HybridClock("srv", ManualClock(T0))
    now = server.now()
    behind = Timestamp(T0 - DAY, 9, "tab1")
    same_ms = Timestamp(T0, 99, "tab1")
    assert clamp(behind, now) is behind
    assert clamp(same_ms, now) is same_ms
    ahead = Timestamp(T0 + 1, 0, "tab1")
    assert clamp(ahead, now) == now
    # Two devices ahead of the server, each re-stamped with a fresh server time.
    first = clamp(Timestamp(T0 + THREE_YEARS, 0, "tab1"), server.now())
    second = clamp(Timestamp(T0 + THREE_YEARS, 0, "tab2"), server.now())
    assert now < first < second
    assert second.wall_ms == T0


@given(timestamps, timestamps)
def test_clamp_never_later_than_now(ts: Timestamp, now: Timestamp) -> None:
    clamped = clamp(ts, now)
    assert clamped.wall_ms <= now.wall_ms
    assert clamped in (ts, now)
    if ts.wall_ms <= now.wall_ms:
        assert clamped == ts


def test_restore_continues_after_own_stamp_even_if_clock_went_back() -> None:
    from sync.hlc import HybridClock, ManualClock

    physical = ManualClock(1_764_000_000_000)
    before = HybridClock("3", physical)
    saved = before.now()
    physical.set(1_764_000_000_000 - 3_600_000)  # an hour back while the app was closed
    after = HybridClock("3", physical)
    assert not after.observe(saved) or after.last >= saved
    restored = HybridClock("3", physical)
    restored.restore(saved)
    assert restored.now() > saved
