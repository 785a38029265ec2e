"""Small helpers around ``ip netns``: enter a namespace from a thread, run commands."""

from __future__ import annotations

import ctypes
import os
import queue
import subprocess
import threading
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")
CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


def enter_netns(name: str) -> None:
    """Move the *calling thread* into network namespace ``name`` (``/run/netns/name``)."""
    fd = os.open(f"/run/netns/{name}", os.O_RDONLY | os.O_CLOEXEC)
    try:
        if _libc.setns(fd, CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"setns({name}): {os.strerror(err)}")
    finally:
        os.close(fd)


def run_in_netns(name: str | None, function: Callable[[], T], timeout: float = 600.0) -> T:
    """Call ``function`` in a fresh thread inside namespace ``name`` (``None``: here)."""
    box: queue.Queue[tuple[bool, object]] = queue.Queue()

    def target() -> None:
        try:
            if name is not None:
                enter_netns(name)
            box.put((True, function()))
        except BaseException as error:
            box.put((False, error))

    threading.Thread(target=target, daemon=True, name=f"netns-{name}").start()
    ok, value = box.get(timeout=timeout)
    if not ok:
        raise value  # type: ignore[misc]
    return value  # type: ignore[return-value]


def run(cmd: Sequence[str], *, stdin: str | None = None, check: bool = True) -> str:
    """Run a command (bounded: 30 s), return its stdout; raise with stderr on failure."""
    done = subprocess.run(  # noqa: S603 - fixed tools (ip, tc, nft) with our own arguments
        list(cmd), input=stdin, capture_output=True, text=True, timeout=30, check=False
    )
    if check and done.returncode != 0:
        raise RuntimeError(
            f"`{' '.join(cmd)}` failed ({done.returncode}): {done.stderr.strip() or done.stdout}"
        )
    return done.stdout


def ns_cmd(ns: str, *cmd: str) -> list[str]:
    return ["ip", "netns", "exec", ns, *cmd]
