"""A small threaded TCP proxy that breaks HTTP exchanges on purpose (fault injection).

``FaultProxy`` listens on a free loopback port and relays each client connection to an
upstream server. It understands just enough HTTP/1.1 (a request or response head, then
a body sized by ``Content-Length`` or ``Transfer-Encoding: chunked``, or read until the
server closes) to see where each exchange starts and ends, so a fault lands at an exact
byte offset of one message:

- ``cut_request``: forward the first ``offset`` bytes of the request (head and body),
  then close both connections. The server never sees a whole request.
- ``cut_response``: forward the whole request, read the server's whole response (so
  the server did all its work and committed), forward its first ``offset`` bytes to the
  client, then close.
- ``drop_response``: forward the whole request, read the whole response, forward none
  of it and close: "the server processed it, the answer was lost".

Closing is a FIN, or a RST (``SO_LINGER`` 0) when the fault says so, as a dying mobile
link does either. A ``FaultPlan`` decides, exchange by exchange, whether and where to
cut, from a seeded ``random.Random``; every exchange is logged (``Exchange``) with what
was done to it, so tests can count cuts and check what reached the server.
"""

from __future__ import annotations

import random
import socket
import struct
import threading
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Literal

FaultKind = Literal["cut_request", "cut_response", "drop_response"]
FAULT_KINDS: tuple[FaultKind, ...] = ("cut_request", "cut_response", "drop_response")
_TIMEOUT = 60.0
_MAX_HEAD = 64 * 1024


class ProtocolTrouble(Exception):
    """The peer closed in the middle of a message or sent something unreadable."""


@dataclass(frozen=True)
class Fault:
    kind: FaultKind
    fraction: float = 0.0  # where to cut, as a share of the message's length (0 ≤ f < 1)
    rst: bool = False


@dataclass
class Exchange:
    """One HTTP request/response that crossed the proxy, and what was done to it."""

    method: str
    path: str
    request_bytes: int  # head + body as the client sent it
    request_body: int  # body length only
    status: int | None = None  # the server's status, None if it never answered
    response_bytes: int = 0  # as the server sent it
    fault: Fault | None = None
    cut_at: int | None = None  # byte offset of the cut in the message the fault names
    delivered: bool = True  # whether the client got the whole response
    seconds: float = 0.0  # from the whole request handed to the server to its whole answer
    body_sent: int = 0  # body bytes handed to the server (less than request_body if cut)
    upload_offset: int | None = None  # the request's Upload-Offset header (blob chunks)
    response_offset: int | None = None  # the response's Upload-Offset header


class FaultPlan:
    """Decides which exchanges to break: ``budget`` faults on exchanges that ``match``.

    A matching exchange is broken with ``probability`` while budget is left; the kind is
    drawn from ``kinds`` (weights equal) and the offset uniformly over the message.
    """

    def __init__(
        self,
        rng: random.Random,
        *,
        match: Callable[[str, str], bool],
        kinds: Collection[FaultKind] = FAULT_KINDS,
        budget: int = 0,
        probability: float = 1.0,
    ) -> None:
        self.rng = rng
        self.match = match
        self.kinds = tuple(kinds)
        self.budget = budget
        self.probability = probability
        self._lock = threading.Lock()

    def decide(self, method: str, path: str) -> Fault | None:
        with self._lock:
            if self.budget <= 0 or not self.match(method, path):
                return None
            if self.rng.random() >= self.probability:
                return None
            self.budget -= 1
            kind = self.rng.choice(self.kinds)
            fraction = 0.0 if kind == "drop_response" else self.rng.random()
            return Fault(kind, fraction, rst=self.rng.random() < 0.5)


class _Reader:
    """Buffered reads from a socket, message by message."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = bytearray()

    def _fill(self) -> bool:
        data = self.sock.recv(65536)
        if not data:
            return False
        self.buffer += data
        return True

    def head(self) -> bytes | None:
        """Bytes up to and including the blank line; None if the peer closed before any."""
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end >= 0:
                head = bytes(self.buffer[: end + 4])
                del self.buffer[: end + 4]
                return head
            if len(self.buffer) > _MAX_HEAD:
                raise ProtocolTrouble("head too long")
            if not self._fill():
                if self.buffer:
                    raise ProtocolTrouble("closed inside a head")
                return None

    def exactly(self, size: int) -> bytes:
        while len(self.buffer) < size:
            if not self._fill():
                raise ProtocolTrouble(f"closed after {len(self.buffer)} of {size} body bytes")
        data = bytes(self.buffer[:size])
        del self.buffer[:size]
        return data

    def line(self) -> bytes:
        while True:
            end = self.buffer.find(b"\r\n")
            if end >= 0:
                data = bytes(self.buffer[: end + 2])
                del self.buffer[: end + 2]
                return data
            if not self._fill():
                raise ProtocolTrouble("closed inside a chunk header")

    def chunked(self) -> bytes:
        """A chunked body, raw (sizes and trailers included)."""
        out = bytearray()
        while True:
            size_line = self.line()
            out += size_line
            size = int(size_line.split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while True:  # trailers, then the final blank line
                    trailer = self.line()
                    out += trailer
                    if trailer == b"\r\n":
                        return bytes(out)
            out += self.exactly(size + 2)

    def rest(self) -> bytes:
        while self._fill():
            pass
        data = bytes(self.buffer)
        self.buffer.clear()
        return data


def _headers(head: bytes) -> tuple[str, dict[str, str]]:
    lines = head.decode("latin-1").split("\r\n")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    return lines[0], headers


def _offset(headers: dict[str, str]) -> int | None:
    value = headers.get("upload-offset", "").strip()
    return int(value) if value.isdigit() else None


def _body(reader: _Reader, headers: dict[str, str], *, until_close: bool) -> bytes:
    if "chunked" in headers.get("transfer-encoding", "").lower():
        return reader.chunked()
    if "content-length" in headers:
        return reader.exactly(int(headers["content-length"]))
    return reader.rest() if until_close else b""


def _close(sock: socket.socket, rst: bool) -> None:
    try:
        if rst:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
    except OSError:
        pass


class FaultProxy:
    """Relays ``127.0.0.1:<port>`` to ``upstream``; breaks what ``plan`` says."""

    def __init__(
        self,
        upstream: tuple[str, int],
        plan: FaultPlan | None = None,
        *,
        on_request: Callable[[str, str], None] | None = None,
    ) -> None:
        self.upstream = upstream
        self.plan = plan
        #: Called (method, path) once a whole request has been handed to the server.
        self.on_request = on_request
        self.exchanges: list[Exchange] = []
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.port = int(self._listener.getsockname()[1])
        self._stopping = threading.Event()
        self._open: set[socket.socket] = set()
        self._threads: list[threading.Thread] = []
        self._acceptor = threading.Thread(target=self._accept, name="fault-proxy", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FaultProxy:
        self._acceptor.start()
        return self

    def close(self) -> None:
        self._stopping.set()
        self._acceptor.join(timeout=5)
        self._listener.close()
        with self._lock:
            sockets = list(self._open)
        for sock in sockets:
            _close(sock, rst=False)
        for thread in self._threads:
            thread.join(timeout=5)

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def faults(self) -> list[Exchange]:
        with self._lock:
            return [e for e in self.exchanges if e.fault is not None]

    # -- plumbing --------------------------------------------------------------------------

    def _track(self, sock: socket.socket) -> socket.socket:
        sock.settimeout(_TIMEOUT)
        with self._lock:
            self._open.add(sock)
        return sock

    def _untrack(self, sock: socket.socket | None, rst: bool = False) -> None:
        if sock is None:
            return
        with self._lock:
            self._open.discard(sock)
        _close(sock, rst)

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                client, _ = self._listener.accept()
            except (TimeoutError, OSError):
                continue
            thread = threading.Thread(target=self._serve, args=(client,), daemon=True)
            with self._lock:
                self._threads = [t for t in self._threads if t.is_alive()]
                self._threads.append(thread)
            thread.start()

    def _log(self, exchange: Exchange) -> None:
        with self._lock:
            self.exchanges.append(exchange)

    def _serve(self, client: socket.socket) -> None:
        self._track(client)
        upstream: socket.socket | None = None
        client_reader = _Reader(client)
        upstream_reader: _Reader | None = None
        rst = False
        try:
            while not self._stopping.is_set():
                head = client_reader.head()
                if head is None:
                    return
                request_line, headers = _headers(head)
                method, _, rest = request_line.partition(" ")
                path = rest.rsplit(" ", 1)[0]
                body = _body(client_reader, headers, until_close=False)
                request = head + body
                exchange = Exchange(method, path, len(request), len(body))
                exchange.upload_offset = _offset(headers)
                fault = self.plan.decide(method, path) if self.plan is not None else None
                exchange.fault = fault
                if upstream is None:
                    upstream = self._track(socket.create_connection(self.upstream, timeout=10))
                    upstream_reader = _Reader(upstream)
                assert upstream_reader is not None
                if fault is not None and fault.kind == "cut_request":
                    exchange.cut_at = int(fault.fraction * len(request))
                    exchange.delivered = False
                    exchange.body_sent = max(0, exchange.cut_at - len(head))
                    upstream.sendall(request[: exchange.cut_at])
                    self._log(exchange)
                    rst = fault.rst
                    return
                upstream.sendall(request)
                exchange.body_sent = len(body)
                handed = time.monotonic()
                if self.on_request is not None:
                    self.on_request(method, path)
                response_head = upstream_reader.head()
                if response_head is None:
                    exchange.delivered = False
                    self._log(exchange)
                    return
                status_line, response_headers = _headers(response_head)
                exchange.status = int(status_line.split()[1])
                exchange.response_offset = _offset(response_headers)
                closing = "close" in response_headers.get("connection", "").lower() or (
                    status_line.startswith("HTTP/1.0")
                    and "keep-alive" not in response_headers.get("connection", "").lower()
                )
                no_body = (
                    method == "HEAD"
                    or exchange.status in (204, 304)
                    or (100 <= exchange.status < 200)
                )
                response_body = (
                    b"" if no_body else _body(upstream_reader, response_headers, until_close=True)
                )
                response = response_head + response_body
                exchange.response_bytes = len(response)
                exchange.seconds = time.monotonic() - handed
                if fault is not None:  # cut_response or drop_response
                    exchange.cut_at = int(fault.fraction * len(response))
                    exchange.delivered = False
                    client.sendall(response[: exchange.cut_at])
                    self._log(exchange)
                    rst = fault.rst
                    return
                client.sendall(response)
                self._log(exchange)
                if closing:
                    return
        except (OSError, ProtocolTrouble, ValueError, IndexError):
            return
        finally:
            self._untrack(upstream, rst)
            self._untrack(client, rst)
