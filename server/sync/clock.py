"""The server's hybrid logical clock: one per process.

Its node is ``s`` followed by a short random suffix made when the process starts (and
again in a forked child), so two server processes, like two tablets, never issue equal
stamps. Tablet nodes are their device numbers (digits), so a stamp whose node starts
with ``s`` was made by the server.
"""

from __future__ import annotations

import os
import secrets
import threading

from sync.hlc import MAX_COUNTER, HybridClock, SystemClock, Timestamp

SERVER_NODE_PREFIX = "s"

_lock = threading.Lock()
_clock: HybridClock | None = None
_pid: int | None = None


def _new_node() -> str:
    alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"
    return SERVER_NODE_PREFIX + "".join(secrets.choice(alphabet) for _ in range(5))


def server_clock() -> HybridClock:
    """This process's clock (a new one after ``fork``, with its own node)."""
    global _clock, _pid
    pid = os.getpid()
    with _lock:
        if _clock is None or _pid != pid:
            _clock = HybridClock(_new_node(), SystemClock())
            _pid = pid
        return _clock


def is_server_node(node: str) -> bool:
    return node.startswith(SERVER_NODE_PREFIX)


def fresh_stamp_after(*clocks: str | None) -> str:
    """A new server stamp greater than every given encoded stamp (empty ones ignored).

    Used when a person decides a value (resolving a conflict): the write must win over
    every clock the field has had, even stamps made up to the skew limit ahead of this
    process's wall clock or by another server process.
    """
    clock = server_clock()
    highest: Timestamp | None = None
    for text in clocks:
        if not text:
            continue
        try:
            stamp = Timestamp.decode(text)
        except ValueError:
            continue
        clock.observe(stamp)  # refuses (harmlessly) a stamp too far ahead
        highest = stamp if highest is None or stamp > highest else highest
    fresh = clock.now()
    if highest is not None and fresh <= highest:
        # Only when ``highest`` was too far ahead to merge: step just past it.
        if highest.counter < MAX_COUNTER:
            fresh = Timestamp(highest.wall_ms, highest.counter + 1, clock.node)
        else:
            fresh = Timestamp(highest.wall_ms + 1, 0, clock.node)
    return fresh.encode()
