"""A user-space TCP relay: one-way delay, link drops, and (fallback) emulated shaping.

The relay accepts the client's connection, opens one to the real server and copies
bytes both ways; every chunk it reads waits ``RTT/2`` before it is written on, so the
two directions add up to the profile's RTT on top of whatever the link (``tc``) adds.

A new connection costs what it costs on a real link: the client's first bytes wait one
round trip (the TCP handshake, ``connect_rtts``) before their one-way delay, as if the
SYN and SYN-ACK had crossed the link. (The relay terminates the client's TCP on this
machine, so without this charge connecting would be free and a client that opens one
connection per request would be flattered.) A TLS handshake is real bytes through the
relay, so its round trips are paid like any others.

``flapping``: the link is down ``flap_down_s`` of every ``flap_period_s``. At the start
of each outage every open connection is reset (RST both ways) and connections made
during the outage are reset at once: a walk out of coverage, as the tablet's TCP sees
it. Nothing is held back: requests in flight are lost and must be retried.

When the kernel cannot shape (no namespaces or no ``tc``), ``Shape.emulate`` makes the
relay pace each direction with a token bucket (TCP/IP headers counted) and charge each
lost 1448-byte segment one RTT plus its resending (a fast retransmit), all in user
space: results made that way are marked ``emulated``.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bench.netlab.profiles import MSS, TCP_IP_OVERHEAD, Profile, link_up
from bench.netlab.tokenbucket import TokenBucket

__all__ = ["Relay", "RelayStats", "Route", "Shape"]

_LINGER_RST = struct.pack("ii", 1, 0)


@dataclass(frozen=True)
class Shape:
    """What the relay does to the bytes it copies."""

    one_way_delay_s: float = 0.0
    flap_period_s: float = 0.0
    flap_down_s: float = 0.0
    # user-space emulation, only when the kernel cannot shape:
    emulate: bool = False
    up_bytes_per_s: float | None = None
    down_bytes_per_s: float | None = None
    loss_pct: float = 0.0
    rtt_s: float = 0.0
    #: Round trips a new connection costs before its first byte (1: the TCP handshake).
    connect_rtts: float = 1.0

    @classmethod
    def for_profile(cls, profile: Profile, *, emulate: bool = False) -> Shape:
        return cls(
            one_way_delay_s=profile.one_way_delay_ms / 1000,
            flap_period_s=profile.flap_period_s,
            flap_down_s=profile.flap_down_s,
            emulate=emulate,
            up_bytes_per_s=profile.up_bytes_per_s() if emulate else None,
            down_bytes_per_s=profile.down_bytes_per_s() if emulate else None,
            loss_pct=profile.loss_pct if emulate else 0.0,
            rtt_s=profile.rtt_ms / 1000,
        )


@dataclass
class RelayStats:
    connections: int = 0
    resets: int = 0  # connections cut by link drops
    refused: int = 0  # connections made while the link was down
    bytes_up: int = 0  # client → server, TCP payload (HTTP headers and bodies)
    bytes_down: int = 0
    outages: int = 0
    requests: int = 0  # HTTP/1.1 request lines seen going up (any client)
    handshake_s: float = 0.0  # time charged for connecting (connect_rtts × RTT each)

    def copy(self) -> RelayStats:
        return RelayStats(**vars(self))

    def minus(self, before: RelayStats) -> RelayStats:
        return RelayStats(**{k: v - getattr(before, k) for k, v in vars(self).items()})


@dataclass(frozen=True)
class Route:
    listen_host: str
    listen_port: int
    upstream_host: str
    upstream_port: int
    name: str = ""


@dataclass(eq=False)
class _Conn:
    writers: list[asyncio.StreamWriter] = field(default_factory=list)

    def reset(self) -> None:
        for writer in self.writers:
            sock = writer.get_extra_info("socket")
            with contextlib.suppress(OSError):
                if sock is not None:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_RST)
            writer.transport.abort()


class Relay:
    """Runs in its own thread (optionally inside a network namespace); see the module."""

    def __init__(
        self,
        routes: list[Route],
        shape: Shape,
        *,
        enter: Callable[[], None] | None = None,
        seed: int = 7,
    ) -> None:
        self.routes = routes
        self.shape = shape
        self.stats = RelayStats()
        self._enter = enter
        self._rng = random.Random(seed)  # noqa: S311 - emulated loss, not secrets
        self._conns: set[_Conn] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None
        self._t0 = time.monotonic()
        self._down_until = 0.0
        self._buckets: dict[str, TokenBucket] = {}
        self._extra: list[Callable[[], object]] = []

    # -- control (any thread) ------------------------------------------------------------------

    def start(self, extra_servers: list[Callable[[], object]] | None = None) -> Relay:
        self._extra = list(extra_servers or [])
        self._thread = threading.Thread(target=self._main, name="netlab-relay", daemon=True)
        self._thread.start()
        if not self._ready.wait(15):
            raise RuntimeError("the relay did not start")
        if self._error is not None:
            raise RuntimeError(f"the relay did not start: {self._error}") from self._error
        return self

    def set_shape(self, shape: Shape, *, restart_clock: bool = True) -> None:
        """Change delay/flapping (takes effect for the next chunk and connection)."""
        self.shape = shape
        self._buckets.clear()
        if restart_clock:
            self._t0 = time.monotonic()

    def link_is_up(self) -> bool:
        if time.monotonic() < self._down_until:
            return False
        s = self.shape
        return link_up(time.monotonic() - self._t0, s.flap_period_s, s.flap_down_s)

    def cut(self, seconds: float) -> None:
        """Take the link down now for ``seconds``: open connections are reset."""
        self._down_until = time.monotonic() + seconds

    def call(self, function: Callable[[], object]) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(function)

    def stop(self) -> None:
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(stop.set)
        if self._thread is not None:
            self._thread.join(10)

    # -- the loop ------------------------------------------------------------------------------

    def _main(self) -> None:
        try:
            if self._enter is not None:
                self._enter()
            asyncio.run(self._serve())
        except BaseException as error:
            self._error = error
            self._ready.set()

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        servers = []
        for route in self.routes:
            server = await asyncio.start_server(
                lambda r, w, route=route: self._handle(r, w, route),
                route.listen_host,
                route.listen_port,
                reuse_address=True,
            )
            servers.append(server)
        for make in self._extra:
            servers.append(await make())  # type: ignore[misc]
        monitor = asyncio.create_task(self._flap_monitor())
        self._ready.set()
        try:
            await self._stop.wait()
        finally:
            monitor.cancel()
            for server in servers:
                server.close()
            for conn in list(self._conns):
                conn.reset()
            for server in servers:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(server.wait_closed(), 2)

    async def _flap_monitor(self) -> None:
        was_up = True
        while True:
            up = self.link_is_up()
            if was_up and not up:
                self.stats.outages += 1
                for conn in list(self._conns):
                    self.stats.resets += 1
                    conn.reset()
                self._conns.clear()
            was_up = up
            await asyncio.sleep(0.02)

    async def _handle(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, route: Route
    ) -> None:
        conn = _Conn([writer])
        if not self.link_is_up():
            self.stats.refused += 1
            conn.reset()
            return
        self.stats.connections += 1
        handshake = self.shape.connect_rtts * self.shape.rtt_s
        if handshake > 0:
            # The SYN/SYN-ACK round trip: nothing the client sent moves on before it.
            self.stats.handshake_s += handshake
            await asyncio.sleep(handshake)
            if not self.link_is_up():
                self.stats.refused += 1
                conn.reset()
                return
        try:
            up_reader, up_writer = await asyncio.open_connection(
                route.upstream_host, route.upstream_port
            )
        except OSError:
            conn.reset()
            return
        conn.writers.append(up_writer)
        for w in conn.writers:
            sock = w.get_extra_info("socket")
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._conns.add(conn)
        try:
            await asyncio.gather(
                self._pump(reader, up_writer, "up"),
                self._pump(up_reader, writer, "down"),
            )
        except (OSError, asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            conn.reset()
        finally:
            self._conns.discard(conn)
            for w in conn.writers:
                if not w.transport.is_closing():
                    w.close()

    def _bucket(self, direction: str) -> TokenBucket | None:
        s = self.shape
        if not s.emulate:
            return None
        rate = s.up_bytes_per_s if direction == "up" else s.down_bytes_per_s
        if rate is None:
            return None
        bucket = self._buckets.get(direction)
        if bucket is None:
            bucket = self._buckets[direction] = TokenBucket(rate, max(2 * MSS, rate * 0.02))
        return bucket

    async def _pump(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, direction: str
    ) -> None:
        loop = asyncio.get_running_loop()
        chunks: asyncio.Queue[tuple[float, bytes | None]] = asyncio.Queue()

        tail = b""

        async def feed() -> None:
            nonlocal tail
            while True:
                try:
                    data = await reader.read(65536)
                except (OSError, ConnectionError):
                    await chunks.put((loop.time(), None))  # reset: pass it on at once
                    return
                if direction == "up" and data:
                    seen = tail + data
                    self.stats.requests += seen.count(b" HTTP/1.1\r\n")
                    tail = seen[-10:]
                await chunks.put((loop.time() + self.shape.one_way_delay_s, data))
                if not data:
                    return

        feeder = asyncio.create_task(feed())
        try:
            while True:
                due, data = await chunks.get()
                if data is None:
                    raise ConnectionResetError("the other side reset the connection")
                wait = due - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                if not data:
                    if writer.can_write_eof() and not writer.transport.is_closing():
                        writer.write_eof()
                    return
                await self._send(writer, data, direction)
        finally:
            feeder.cancel()

    async def _send(self, writer: asyncio.StreamWriter, data: bytes, direction: str) -> None:
        bucket = self._bucket(direction)
        if bucket is None:
            writer.write(data)
            await writer.drain()
        else:
            loop = asyncio.get_running_loop()
            s = self.shape
            for start in range(0, len(data), MSS):
                piece = data[start : start + MSS]
                delay = bucket.reserve(len(piece) + TCP_IP_OVERHEAD, loop.time())
                if s.loss_pct and self._rng.random() * 100 < s.loss_pct:
                    # a lost segment is resent after about one RTT (fast retransmit)
                    delay += s.rtt_s + (len(piece) + TCP_IP_OVERHEAD) / bucket.rate
                if delay > 0:
                    await asyncio.sleep(delay)
                writer.write(piece)
                await writer.drain()
        if direction == "up":
            self.stats.bytes_up += len(data)
        else:
            self.stats.bytes_down += len(data)
