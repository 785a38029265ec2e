"""Hybrid logical clock (HLC): conflict-ordering stamps for offline-first sync.

Why
===

Every synchronised field carries the stamp of its last accepted write
(``SyncRecord.field_clocks``), and field-level merging keeps the write with the larger
stamp. Tablets work offline for days and their wall clocks are often wrong, so plain
wall-clock time is not good enough: it can go backwards, and two devices can produce the
same millisecond. A hybrid logical clock (Kulkarni, Demirbas et al., "Logical Physical
Clocks and Consistent Snapshots in Globally Distributed Databases", 2014; the design of
CockroachDB's ``pkg/util/hlc``) fixes both:

- a stamp is ``(wall_ms, counter, node)``; ``wall_ms`` stays close to physical time,
  ``counter`` orders events within the same millisecond, and ``node`` (the device id, or
  the server's name) breaks the remaining ties, so two devices can never produce equal
  stamps;
- :meth:`HybridClock.now` is strictly increasing even when the physical clock jumps
  backwards (the counter advances while the wall time does not);
- :meth:`HybridClock.update` merges a stamp received from another node and returns a
  stamp larger than both, so "happens before" always implies "is smaller than".

The physical clock is injected (:class:`Clock`): :class:`SystemClock` in production,
:class:`ManualClock` in tests.

Skew policy
===========

A node's clock must never be dragged into the future by a wrong remote clock, because
an HLC never goes back: one tablet set three years ahead would otherwise push every
clock it talks to three years ahead, for good. Therefore:

1. :meth:`HybridClock.update` refuses (:class:`ClockSkewError`) a remote stamp whose
   ``wall_ms`` is more than ``max_forward_ms`` (default 5 minutes) ahead of the local
   corrected physical time ``physical + offset_ms``. The local clock is left unchanged.
   :meth:`HybridClock.observe` is the non-raising variant (for pulls of server data:
   returns ``False`` and ignores the stamp).
2. The server tells each tablet how far its clock is off; the tablet stores that as
   :attr:`HybridClock.offset_ms` and its HLC then runs on ``physical + offset_ms``.
   Correct the offset *before* stamping: stamps already issued ahead cannot be taken
   back (the clock stays monotonic), the server clamps them instead.
3. The server bounds every device stamp with :func:`clamp`: a device operation stamped
   later than the server's own time is re-stamped with the server's ``now()``, so a
   wrong tablet clock cannot win every conflict.

Encoding
========

:meth:`Timestamp.encode` gives 12 fixed-width characters followed by the node::

    wall_ms  9 lowercase base-36 digits  (0 .. 36**9 - 1 ms: until the year 5188)
    counter  3 lowercase base-36 digits  (0 .. 46655)
    node     the rest of the string, as is

For example ``Timestamp(1764000000000, 5, "srv").encode() == "0midc1z40005srv"``.
Since ``"0" < … < "9" < "a" < … < "z"`` and both numbers have a fixed width, plain string
comparison of encoded stamps gives exactly the order of :class:`Timestamp` (compare them
byte-wise: in SQL use a binary collation such as ``COLLATE "C"``). Node names are
restricted to visible ASCII (``!`` to ``~``) so that the order is the same everywhere.

Counter overflow: when the counter would exceed 46655 within one millisecond, the clock
moves ``wall_ms`` one millisecond forward and restarts the counter at 0. The stamp stays
strictly increasing; the wall time merely runs a little ahead until physical time
catches up.

This module uses the standard library only, so the server and the tablet share it.
"""

from __future__ import annotations

import string
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

__all__ = [
    "COUNTER_DIGITS",
    "MAX_COUNTER",
    "MAX_WALL_MS",
    "WALL_DIGITS",
    "ZERO",
    "Clock",
    "ClockSkewError",
    "HybridClock",
    "ManualClock",
    "SystemClock",
    "Timestamp",
    "clamp",
]

_DIGITS = string.digits + string.ascii_lowercase  # base 36, in ASCII order
_DIGIT_VALUE = {ch: i for i, ch in enumerate(_DIGITS)}

WALL_DIGITS = 9
"""Width of the base-36 wall time in :meth:`Timestamp.encode`."""
COUNTER_DIGITS = 3
"""Width of the base-36 counter in :meth:`Timestamp.encode`."""
MAX_WALL_MS = 36**WALL_DIGITS - 1
"""Largest encodable wall time: 101 559 956 668 415 ms, in the year 5188."""
MAX_COUNTER = 36**COUNTER_DIGITS - 1
"""Largest counter (46 655); one more moves the wall time 1 ms forward."""
_PREFIX = WALL_DIGITS + COUNTER_DIGITS

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _is_valid_node(node: str) -> bool:
    return all("!" <= ch <= "~" for ch in node)


def _to_base36(value: int, width: int) -> str:
    chars = []
    for _ in range(width):
        value, digit = divmod(value, 36)
        chars.append(_DIGITS[digit])
    return "".join(reversed(chars))


def _from_base36(text: str) -> int | None:
    value = 0
    for ch in text:
        digit = _DIGIT_VALUE.get(ch)
        if digit is None:
            return None
        value = value * 36 + digit
    return value


@dataclass(frozen=True, order=True, slots=True)
class Timestamp:
    """One HLC stamp, totally ordered by ``(wall_ms, counter, node)``."""

    wall_ms: int
    """Milliseconds since the Unix epoch (close to, never behind, physical time)."""
    counter: int
    """Orders events that share ``wall_ms``."""
    node: str
    """The node that made the stamp: a device id or the server's name."""

    def __post_init__(self) -> None:
        if type(self.wall_ms) is not int or not 0 <= self.wall_ms <= MAX_WALL_MS:
            raise ValueError(f"HLC wall_ms must be an int in 0..{MAX_WALL_MS}: {self.wall_ms!r}")
        if type(self.counter) is not int or not 0 <= self.counter <= MAX_COUNTER:
            raise ValueError(f"HLC counter must be an int in 0..{MAX_COUNTER}: {self.counter!r}")
        if not isinstance(self.node, str) or not _is_valid_node(self.node):
            raise ValueError(
                f"HLC node must be visible ASCII characters ('!' to '~'): {self.node!r}"
            )

    def encode(self) -> str:
        """Compact form whose string order is the stamp order (see the module docs)."""
        return (
            _to_base36(self.wall_ms, WALL_DIGITS)
            + _to_base36(self.counter, COUNTER_DIGITS)
            + self.node
        )

    @classmethod
    def decode(cls, text: str) -> Timestamp:
        """Parse :meth:`encode` output; ``ValueError`` if ``text`` is not a stamp."""
        if not isinstance(text, str):
            raise ValueError(f"HLC timestamp must be a string, got {type(text).__name__}")
        expected = (
            f"expected {WALL_DIGITS} lowercase base-36 digits (wall ms), "
            f"{COUNTER_DIGITS} lowercase base-36 digits (counter), then the node"
        )
        if len(text) < _PREFIX:
            raise ValueError(f"invalid HLC timestamp {text!r}: too short; {expected}")
        wall = _from_base36(text[:WALL_DIGITS])
        if wall is None:
            raise ValueError(f"invalid HLC timestamp {text!r}: bad wall time; {expected}")
        counter = _from_base36(text[WALL_DIGITS:_PREFIX])
        if counter is None:
            raise ValueError(f"invalid HLC timestamp {text!r}: bad counter; {expected}")
        node = text[_PREFIX:]
        if not _is_valid_node(node):
            raise ValueError(
                f"invalid HLC timestamp {text!r}: node must be visible ASCII ('!' to '~')"
            )
        return cls(wall, counter, node)

    @property
    def wall_datetime(self) -> datetime:
        """``wall_ms`` as an aware UTC datetime."""
        return _EPOCH + timedelta(milliseconds=self.wall_ms)


ZERO = Timestamp(0, 0, "")
"""Smaller than every other stamp; the ``last`` of a clock that has issued nothing."""


class Clock(Protocol):
    """A physical clock."""

    def now_ms(self) -> int:
        """Milliseconds since the Unix epoch."""
        ...


class SystemClock:
    """The operating system's wall clock."""

    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000


class ManualClock:
    """A clock that only moves when told to, for tests. It may be set backwards."""

    def __init__(self, start_ms: int) -> None:
        self._ms = start_ms

    def now_ms(self) -> int:
        return self._ms

    def advance(self, ms: int) -> None:
        """Move the clock ``ms`` milliseconds (backwards if ``ms`` is negative)."""
        self._ms += ms

    def set(self, ms: int) -> None:
        """Jump to ``ms``, forwards or backwards (a tablet with a wrong clock)."""
        self._ms = ms


def _duration(ms: int, units: tuple[str, str, str, str, str]) -> str:
    """``ms`` as e.g. ``"1096 days 3 h"`` with the given unit names (largest first)."""
    parts = []
    rest = abs(ms)
    for size, unit in zip((86_400_000, 3_600_000, 60_000, 1000, 1), units, strict=True):
        amount, rest = divmod(rest, size)
        if amount:
            parts.append(f"{amount} {unit}")
    return ("-" if ms < 0 else "") + (" ".join(parts) if parts else f"0 {units[-1]}")


_VI_UNITS = ("ngày", "giờ", "phút", "giây", "ms")
_EN_UNITS = ("days", "h", "min", "s", "ms")


class ClockSkewError(ValueError):
    """A remote stamp is too far ahead of the local clock to be merged."""

    def __init__(self, remote_ms: int, local_ms: int, max_forward_ms: int) -> None:
        self.remote_ms = remote_ms
        """The remote stamp's wall time."""
        self.local_ms = local_ms
        """The local corrected physical time (physical + offset)."""
        self.ahead_ms = remote_ms - local_ms
        """How far the remote stamp is ahead of the local clock."""
        self.max_forward_ms = max_forward_ms
        """The most that was allowed."""
        super().__init__(
            f"Đồng hồ bên gửi chạy trước đồng hồ máy này "
            f"{_duration(self.ahead_ms, _VI_UNITS)} ({self.ahead_ms} ms), "
            f"vượt mức cho phép {_duration(max_forward_ms, _VI_UNITS)}; "
            f"hãy kiểm tra ngày giờ của thiết bị "
            f"(clock skew: the remote timestamp is {_duration(self.ahead_ms, _EN_UNITS)} "
            f"({self.ahead_ms} ms) ahead of the local clock, more than the "
            f"{_duration(max_forward_ms, _EN_UNITS)} allowed; check the device's date and time)"
        )

    def __reduce__(self) -> tuple[type[ClockSkewError], tuple[int, int, int]]:
        return (type(self), (self.remote_ms, self.local_ms, self.max_forward_ms))


class HybridClock:
    """A hybrid logical clock for one node (thread-safe).

    ``physical`` is read as ``physical.now_ms() + offset_ms``. ``last`` restores the
    last stamp persisted before a restart, so stamps keep increasing even if the
    device's clock went back while the app was closed.
    """

    def __init__(
        self,
        node: str,
        physical: Clock,
        *,
        max_forward_ms: int = 5 * 60 * 1000,
        offset_ms: int = 0,
        last: Timestamp = ZERO,
    ) -> None:
        if not node or not _is_valid_node(node):
            raise ValueError(f"HLC node must be non-empty visible ASCII ('!' to '~'): {node!r}")
        if max_forward_ms < 0:
            raise ValueError(f"max_forward_ms must not be negative: {max_forward_ms}")
        self._node = node
        self._physical = physical
        self._max_forward_ms = max_forward_ms
        self._offset_ms = offset_ms
        self._last = last
        self._lock = threading.Lock()

    @property
    def node(self) -> str:
        return self._node

    @property
    def max_forward_ms(self) -> int:
        return self._max_forward_ms

    @property
    def offset_ms(self) -> int:
        """Correction added to the physical clock (positive if the device is behind)."""
        return self._offset_ms

    @offset_ms.setter
    def offset_ms(self, value: int) -> None:
        with self._lock:
            self._offset_ms = value

    @property
    def last(self) -> Timestamp:
        """The latest stamp issued or merged (:data:`ZERO` at first)."""
        return self._last

    def physical_ms(self) -> int:
        """The corrected physical time ``physical + offset_ms``, in ms since the epoch."""
        return self._physical.now_ms() + self._offset_ms

    def _stamp(self, wall_ms: int, counter: int) -> Timestamp:
        if counter > MAX_COUNTER:  # counter overflow: borrow the next millisecond
            wall_ms, counter = wall_ms + 1, 0
        return Timestamp(wall_ms, counter, self._node)

    def now(self) -> Timestamp:
        """A new stamp for a local event, larger than every stamp issued or merged."""
        with self._lock:
            physical = max(self.physical_ms(), 0)
            last = self._last
            if physical > last.wall_ms:
                stamp = self._stamp(physical, 0)
            else:
                stamp = self._stamp(last.wall_ms, last.counter + 1)
            self._last = stamp
            return stamp

    def update(self, remote: Timestamp) -> Timestamp:
        """Merge a received stamp; return a stamp larger than both it and :attr:`last`.

        Raises :class:`ClockSkewError`, leaving the clock untouched, if ``remote`` is more
        than ``max_forward_ms`` ahead of ``physical + offset_ms``.
        """
        with self._lock:
            physical = self.physical_ms()
            if remote.wall_ms > physical + self._max_forward_ms:
                raise ClockSkewError(remote.wall_ms, physical, self._max_forward_ms)
            last = self._last
            wall = max(last.wall_ms, remote.wall_ms, physical)
            if wall == last.wall_ms == remote.wall_ms:
                counter = max(last.counter, remote.counter) + 1
            elif wall == last.wall_ms:
                counter = last.counter + 1
            elif wall == remote.wall_ms:
                counter = remote.counter + 1
            else:
                counter = 0
            stamp = self._stamp(wall, counter)
            self._last = stamp
            return stamp

    def restore(self, last: Timestamp) -> None:
        """Continue after ``last``, this clock's own stamp saved before a restart.

        Unlike :meth:`update` there is no skew check: the stamp is our own, and stamps
        must keep increasing even if the physical clock went back while the app was
        closed.
        """
        with self._lock:
            if last > self._last:
                self._last = Timestamp(last.wall_ms, last.counter, self._node)

    def observe(self, remote: Timestamp) -> bool:
        """Like :meth:`update` but never raises: ``False`` if ``remote`` was refused."""
        try:
            self.update(remote)
        except ClockSkewError:
            return False
        return True


def clamp(ts: Timestamp, now: Timestamp) -> Timestamp:
    """Bound a device's stamp by the server's time (the server-side skew rule).

    Returns ``ts`` unchanged if its wall time is not later than ``now.wall_ms``,
    otherwise ``now``. The server calls ``clamp(op_stamp, server_clock.now())`` when it
    accepts a device operation, so an operation stamped by a clock running ahead of the
    server is re-stamped with the server's time: a wrong tablet clock cannot win every
    later conflict. Pass a fresh ``now()`` per operation so re-stamps stay unique.
    """
    return ts if ts.wall_ms <= now.wall_ms else now
