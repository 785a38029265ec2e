"""Self-check of a profile: RTT of a tiny request and 200 KB each way, against theory."""

from __future__ import annotations

import asyncio
import socket
import statistics
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from bench.netlab.lab import NetLab, free_port
from bench.netlab.profiles import Profile, transfer_seconds

__all__ = ["CheckResult", "Measure", "check_profile", "compare"]

TOLERANCE = 0.20
#: Below this many seconds of theory, compare absolutely (a LAN's "0 ms" RTT).
ABSOLUTE_FLOOR_S = 0.025


@dataclass
class Measure:
    name: str
    theory_s: float
    measured_s: float
    ok: bool = False
    note: str = ""

    @property
    def ratio(self) -> float:
        return self.measured_s / self.theory_s if self.theory_s > 0 else float("nan")


@dataclass
class CheckResult:
    profile: str
    emulated: bool
    fallback_reason: str | None
    measures: list[Measure] = field(default_factory=list)
    link: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(m.ok for m in self.measures)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["ok"] = self.ok
        for m, raw in zip(self.measures, data["measures"], strict=True):
            raw["ratio"] = None if m.theory_s <= 0 else round(m.ratio, 3)
        return data


def compare(name: str, theory: float, measured: float, note: str = "") -> Measure:
    """Within ±20 % of theory, or within 25 ms when theory is about zero."""
    if theory < ABSOLUTE_FLOOR_S:
        ok = abs(measured - theory) <= ABSOLUTE_FLOOR_S
    else:
        ok = abs(measured / theory - 1) <= TOLERANCE
    return Measure(name, round(theory, 4), round(measured, 4), ok, note)


def format_check(result: CheckResult) -> str:
    lines = [
        f"profile {result.profile}"
        + (
            " (EMULATED in user space: " + str(result.fallback_reason) + ")"
            if result.emulated
            else " (namespaces + tc tbf + nftables + delay relay)"
        )
    ]
    lines.append(f"  {'measure':<34} {'theory s':>9} {'measured s':>11} {'ratio':>6}  verdict")
    for m in result.measures:
        ratio = "-" if m.theory_s <= 0 else f"{m.ratio:.2f}"
        verdict = "ok" if m.ok else "FAIL (more than 20 % off)"
        lines.append(
            f"  {m.name:<34} {m.theory_s:>9.3f} {m.measured_s:>11.3f} {ratio:>6}  {verdict}"
            + (f"  {m.note}" if m.note else "")
        )
    return "\n".join(lines)


# -- the check server (runs on the relay's loop, in the server namespace) ---------------------


async def _check_handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            line = await reader.readline()
            if not line:
                break
            verb, _, arg = line.decode().strip().partition(" ")
            if verb == "P":
                writer.write(b"p\n")
            elif verb == "U":
                await reader.readexactly(int(arg))
                writer.write(b"ok\n")
            elif verb == "D":
                size = int(arg)
                block = b"x" * 65536
                while size > 0:
                    writer.write(block[: min(size, len(block))])
                    size -= min(size, len(block))
                    await writer.drain()
            await writer.drain()
    except (OSError, asyncio.IncompleteReadError):
        pass
    finally:
        writer.close()


def _check_server(port: int) -> Any:
    async def make() -> asyncio.AbstractServer:
        return await asyncio.start_server(_check_handler, "127.0.0.1", port)

    return make


# -- the client side (a thread in the client namespace) ---------------------------------------


def _recv_exact(sock: socket.socket, size: int) -> None:
    left = size
    while left > 0:
        data = sock.recv(min(left, 65536))
        if not data:
            raise ConnectionError("closed early")
        left -= len(data)


def _recv_line(sock: socket.socket) -> bytes:
    buf = b""
    while not buf.endswith(b"\n"):
        data = sock.recv(1)
        if not data:
            raise ConnectionError("closed early")
        buf += data
    return buf


def _client_measure(host: str, port: int, size: int, pings: int) -> dict[str, Any]:
    with socket.create_connection((host, port), timeout=300) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        rtts = []
        for _ in range(pings + 1):
            started = time.perf_counter()
            sock.sendall(b"P\n")
            _recv_line(sock)
            rtts.append(time.perf_counter() - started)
        started = time.perf_counter()
        sock.sendall(f"U {size}\n".encode() + b"u" * size)
        _recv_line(sock)
        up = time.perf_counter() - started
        started = time.perf_counter()
        sock.sendall(f"D {size}\n".encode())
        _recv_exact(sock, size)
        down = time.perf_counter() - started
    return {"rtts": rtts[1:], "up": up, "down": down}


def _probe_outage(host: str, port: int, seconds: float) -> list[tuple[float, bool]]:
    """Try a ping every 100 ms for ``seconds``: (time, link worked)."""
    samples = []
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        t = time.monotonic() - started
        try:
            with socket.create_connection((host, port), timeout=2) as sock:
                sock.settimeout(3)
                sock.sendall(b"P\n")
                _recv_line(sock)
            samples.append((t, True))  # up when the probe started
        except OSError:
            samples.append((time.monotonic() - started, False))  # down when it failed
        time.sleep(0.1)
    return samples


def _outage_lengths(samples: list[tuple[float, bool]]) -> list[float]:
    """Lengths of the complete runs of failures (first and last runs may be cut: dropped)."""
    runs: list[float] = []
    start: float | None = None
    seen_up = False
    for t, ok in samples:
        if not ok and start is None and seen_up:
            start = t
        elif ok:
            if start is not None:
                runs.append(t - start)
                start = None
            seen_up = True
    return runs


def check_profile(
    lab: NetLab, profile: Profile, size: int = 200_000, pings: int = 5
) -> CheckResult:
    """Measure ``profile`` on ``lab`` (which must not have a relay yet)."""
    port = free_port() if lab.emulated else 7000
    lab.start_relay([("check", port)], extra_servers=[_check_server(port)])
    base = profile
    if profile.flapping:  # measure the link first with the outages off, then the outages
        from dataclasses import replace

        base = replace(profile, flap_period_s=0.0, flap_down_s=0.0)
    lab.apply(base)
    host = lab.relay_host
    relay_port = int(lab.url("check").rsplit(":", 1)[1])
    raw = lab.in_client(lambda: _client_measure(host, relay_port, size, pings), timeout=900)
    result = CheckResult(profile.name, lab.emulated, lab.fallback_reason)
    rtt = statistics.median(raw["rtts"])
    result.measures.append(
        compare(
            "RTT of a tiny request",
            profile.rtt_ms / 1000,
            rtt,
            "samples " + ", ".join(f"{x * 1000:.0f}" for x in raw["rtts"]) + " ms",
        )
    )
    # A transfer: the request/answer takes one RTT, the bytes (with TCP/IP headers) the rest.
    rtt_s = profile.rtt_ms / 1000
    result.measures.append(
        compare(
            f"{size // 1000} KB up (client → server)",
            transfer_seconds(size, profile.up_bps) + rtt_s,
            raw["up"],
        )
    )
    result.measures.append(
        compare(
            f"{size // 1000} KB down (server → client)",
            transfer_seconds(size, profile.down_bps) + rtt_s,
            raw["down"],
        )
    )
    if profile.flapping:
        lab.apply(profile)  # the relay's flap clock starts now: up 15 s, then down 5 s
        watch = profile.flap_period_s * 2 + 1
        samples = lab.in_client(lambda: _probe_outage(host, relay_port, watch), timeout=watch + 60)
        outages = _outage_lengths(samples)
        measured = statistics.median(outages) if outages else 0.0
        result.measures.append(
            compare(
                "link down per period",
                profile.flap_down_s,
                measured,
                f"{len(outages)} complete outage(s) seen in {watch:.0f} s",
            )
        )
        ups = [t for t, ok in samples if ok]
        downs = [t for t, ok in samples if not ok]
        first_down = min(downs) if downs else 0.0
        result.measures.append(
            compare(
                "first outage starts after",
                profile.flap_period_s - profile.flap_down_s,
                first_down,
                f"{len(ups)} good and {len(downs)} failed probes",
            )
        )
    rs = lab.relay_stats()
    result.link = {"relay": asdict(rs), **lab.describe()}
    return result
