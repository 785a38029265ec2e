"""The HTTP transport: headers, gzip both ways, wire byte counts, error mapping, blobs.

Most tests talk to a scripted HTTP server on loopback, which can answer anything
(including a cut body); the last ones talk to the real server.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy.orm import Session

import mobile.transport as transport_module
from mobile.transport import HttpTransport, register_device
from server.models import Device
from server.services.devices import revoke_device
from sync.errors import (
    DeviceRevoked,
    ServerRefused,
    TransportError,
    Unauthorized,
    UpgradeRequired,
    WireError,
)
from sync.ids import new_id
from sync.ops import Cursor, Operation, OutcomeKind
from sync.schema import SCHEMA_VERSION
from sync.storage import BlobRef
from tests import factories
from tests.conftest import LiveServer


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


Answer = tuple[int, dict[str, str], bytes]


@dataclass
class Script:
    """What the scripted server answers; ``answer`` sees each request."""

    answer: Callable[[Seen], Answer | str] = lambda seen: (200, {}, b"{}")
    seen: list[Seen] = field(default_factory=list)


def json_answer(status: int, obj: Any) -> Answer:
    return status, {"Content-Type": "application/json"}, json.dumps(obj).encode()


def gz_json(obj: Any) -> tuple[dict[str, str], bytes]:
    return {"Content-Encoding": "gzip", "Content-Type": "application/json"}, gzip.compress(
        json.dumps(obj).encode()
    )


class _QuietServer(ThreadingHTTPServer):
    """Connections the transport resets (SO_LINGER 0) or leaves open are expected: no
    traceback from a server thread, which on Python 3.11 could also race the main
    thread's parser (``SystemError: AST constructor recursion depth mismatch``)."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)


@pytest.fixture
def scripted() -> Iterator[tuple[str, Script]]:
    script = Script()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            seen = Seen(self.command, self.path, dict(self.headers.items()), body)
            script.seen.append(seen)
            answer = script.answer(seen)
            if answer == "cut":
                payload = b'{"now": 1, "results": ['
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "5000")
                self.end_headers()
                self.wfile.write(payload)
                self.wfile.flush()
                self.close_connection = True
                return
            if answer == "slow":
                time.sleep(1.0)
                answer = (200, {}, b"{}")
            assert not isinstance(answer, str)
            status, headers, payload = answer
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                try:
                    self.wfile.write(payload)
                except OSError:  # the client gave up (the timeout test)
                    self.close_connection = True

        do_GET = do_POST = do_PATCH = do_HEAD = _handle

    server = _QuietServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", script
    server.shutdown()
    server.server_close()


def ops(count: int) -> list[Operation]:
    return [
        Operation(
            new_id(),
            "survey_response",
            new_id(),
            f"0midc1z4{n:04d}3",
            {"form_id": 1, "answers": {"q1": 5}, "collected_at": "2026-02-12T02:00:00+00:00"},
            create=True,
        )
        for n in range(count)
    ]


def test_g10_g13_push_is_gzipped_versioned_and_counted(scripted: tuple[str, Script]) -> None:
    url, script = scripted
    batch = ops(50)
    reply = {
        "now": 1_764_000_000_123,
        "skew": -5000,
        "results": [{"i": op.op_id, "o": "applied", "s": n + 1} for n, op in enumerate(batch)],
    }
    headers, body = gz_json(reply)
    script.answer = lambda seen: (200, headers, body)
    transport = HttpTransport(url + "/", "tok-123", "0.1.0")
    result = transport.push(batch, 1_763_999_995_123)
    [seen] = script.seen
    assert (seen.method, seen.path) == ("POST", "/api/v1/sync/push")
    assert seen.headers["Authorization"] == "Bearer tok-123"
    assert seen.headers["X-Motcua-Protocol"] == "1"
    assert seen.headers["X-Motcua-App"] == "0.1.0"
    assert seen.headers["X-Motcua-Schema"] == str(SCHEMA_VERSION)
    assert seen.headers["Content-Encoding"] == "gzip"
    assert "gzip" in seen.headers["Accept-Encoding"]
    sent = json.loads(gzip.decompress(seen.body))
    assert sent == {"now": 1_763_999_995_123, "ops": [op.to_wire() for op in batch]}
    assert result.now_ms == 1_764_000_000_123 and result.skew_ms == -5000
    assert [o.kind for o in result.outcomes] == [OutcomeKind.APPLIED] * 50
    assert transport.requests == 1
    assert transport.bytes_sent == len(seen.body) < len(json.dumps(sent))
    assert transport.bytes_received == len(body)  # compressed, as on the wire
    assert transport.stats.by_endpoint["push"].requests == 1


def test_pull_parses_a_page(scripted: tuple[str, Script]) -> None:
    url, script = scripted
    page = {
        "now": 5,
        "cursor": "3.17",
        "more": True,
        "changes": [{"c": "procedure", "r": 4, "s": 3, "f": {"code": "1.001193"}}],
    }
    script.answer = lambda seen: json_answer(200, page)
    transport = HttpTransport(url, "tok", "0.1.0")
    result = transport.pull(Cursor(1, 2), 1000)
    assert json.loads(script.seen[0].body) == {"cursor": "1.2", "budget": 1000}
    assert result.cursor == Cursor(3, 17) and result.more
    assert result.changes[0].record_id == "4" and result.changes[0].fields == {"code": "1.001193"}


@pytest.mark.parametrize(
    ("status", "payload", "error"),
    [
        (401, {"status": "device_revoked", "message": "Thiết bị đã bị thu hồi"}, DeviceRevoked),
        (401, {"status": "unauthorized", "message": "Mã thiết bị không hợp lệ"}, Unauthorized),
        (
            426,
            {"status": "upgrade_required", "message": "Cập nhật ứng dụng", "min_app": "0.2.0"},
            UpgradeRequired,
        ),
        (422, {"status": "invalid", "message": "Dữ liệu không hợp lệ: ops"}, ServerRefused),
        (413, {"status": "too_large", "message": "Quá lớn"}, ServerRefused),
        (500, {"message": "boom"}, TransportError),
        (503, {}, TransportError),
        (429, {"message": "chậm lại"}, TransportError),
    ],
)
def test_failures_map_to_sync_errors(
    scripted: tuple[str, Script], status: int, payload: dict[str, Any], error: type[Exception]
) -> None:
    url, script = scripted
    script.answer = lambda seen: json_answer(status, payload)
    with pytest.raises(error) as raised:
        HttpTransport(url, "tok", "0.1.0").push(ops(1), 0)
    assert type(raised.value) is error
    if isinstance(raised.value, ServerRefused):
        assert raised.value.status == status
        assert raised.value.message.startswith(payload["message"])
    if error is UpgradeRequired:
        assert "0.2.0" in str(raised.value)


def test_a_cut_response_is_a_transport_error(scripted: tuple[str, Script]) -> None:
    url, script = scripted
    script.answer = lambda seen: "cut"
    transport = HttpTransport(url, "tok", "0.1.0")
    with pytest.raises(TransportError):
        transport.push(ops(2), 0)
    assert transport.stats.failures == 1


def test_a_truncated_gzip_body_is_a_transport_error(scripted: tuple[str, Script]) -> None:
    url, script = scripted
    headers, body = gz_json({"now": 1, "skew": 0, "results": []})
    script.answer = lambda seen: (200, headers, body[:-6])
    with pytest.raises(TransportError):
        HttpTransport(url, "tok", "0.1.0").push([], 0)


def test_a_timeout_is_a_transport_error(scripted: tuple[str, Script]) -> None:
    url, script = scripted
    script.answer = lambda seen: "slow"
    with pytest.raises(TransportError):
        HttpTransport(url, "tok", "0.1.0", timeout=(1.0, 0.2)).pull(Cursor(), 100)


def test_no_server_is_a_transport_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(TransportError):
        HttpTransport(f"http://127.0.0.1:{port}", "tok", "0.1.0", timeout=(1, 1)).pull(Cursor(), 1)


def test_a_malformed_answer_is_a_wire_error(scripted: tuple[str, Script]) -> None:
    url, script = scripted
    script.answer = lambda seen: (200, {}, json.dumps({"now": 1, "results": []}).encode())
    with pytest.raises(WireError, match="0 results for 1"):
        HttpTransport(url, "tok", "0.1.0").push(ops(1), 0)


def test_g11_blob_upload_follows_the_protocol(scripted: tuple[str, Script]) -> None:
    url, script = scripted
    held = bytearray()
    data = bytes(range(256)) * 40
    sha = "ab" * 32

    def answer(seen: Seen) -> Answer:
        if seen.method == "POST":
            return 201, {"Content-Type": "application/json"}, b'{"offset": 0, "complete": false}'
        offset = int(seen.headers["Upload-Offset"])
        if offset != len(held):
            return 409, {"Upload-Offset": str(len(held))}, b'{"status": "conflict"}'
        held.extend(seen.body)
        return 204, {"Upload-Offset": str(len(held))}, b""

    script.answer = answer
    transport = HttpTransport(url, "tok", "0.1.0")
    status = transport.start_blob(BlobRef(sha, len(data), "image/jpeg"))
    assert (status.offset, status.complete) == (0, False)
    assert json.loads(script.seen[0].body) == {
        "sha256": sha,
        "size": len(data),
        "content_type": "image/jpeg",
    }
    status = transport.append_blob(sha, 0, data[:4000])
    assert (status.offset, status.complete) == (4000, False)
    patch = script.seen[-1]
    assert patch.path == f"/api/v1/blobs/{sha}" and patch.method == "PATCH"
    assert patch.headers["Content-Type"] == "application/offset+octet-stream"
    assert patch.headers["Upload-Offset"] == "0" and patch.body == data[:4000]
    assert "Content-Encoding" not in patch.headers  # photos are already compressed
    # A stale offset (a retried chunk): the server's offset is taken.
    status = transport.append_blob(sha, 0, data[:4000])
    assert (status.offset, status.complete) == (4000, False)
    status = transport.append_blob(sha, 4000, data[4000:])
    assert (status.offset, status.complete) == (len(data), True)
    assert bytes(held) == data
    with pytest.raises(WireError):
        transport.append_blob("cd" * 32, 0, b"x")  # never started


def test_register_device_posts_the_credentials(scripted: tuple[str, Script]) -> None:
    url, script = scripted
    answer = {"device": {"id": new_id(), "device_no": 3}, "token": "secret"}
    script.answer = lambda seen: json_answer(201, answer)
    assert register_device(url, "hotich.tavan", "pw", "Máy 3", "0.1.0") == answer
    seen = script.seen[0]
    assert seen.path == "/api/v1/devices" and "Authorization" not in seen.headers
    assert json.loads(seen.body) == {
        "username": "hotich.tavan",
        "password": "pw",
        "device_name": "Máy 3",
        "app_version": "0.1.0",
    }
    refusal = {"status": "unauthorized", "message": "Sai mật khẩu"}
    script.answer = lambda seen: json_answer(401, refusal)
    with pytest.raises(Unauthorized, match="Sai mật khẩu"):
        register_device(url, "hotich.tavan", "bad", "Máy 3", "0.1.0")


# -- the real server ---------------------------------------------------------------------------


def test_live_register_device(live_server: LiveServer, world: Any) -> None:
    answer = register_device(
        live_server.url, world.a.officer.username, factories.PASSWORD, "Máy live", "0.1.0"
    )
    device = answer["device"]
    assert device["commune"]["id"] == world.a.commune.id
    assert device["officer"]["id"] == world.a.officer.id
    assert device["device_no"] >= 2 and answer["token"]
    with pytest.raises(Unauthorized):
        register_device(live_server.url, world.a.officer.username, "sai", "Máy", "0.1.0")


def test_live_g9_a_revoked_device_is_refused(
    live_server: LiveServer, world: Any, session: Session
) -> None:
    transport = HttpTransport(live_server.url, world.a.token, "0.1.0")
    assert transport.pull(Cursor(), 10_000).changes  # works before
    device = session.get(Device, world.a.device.id)
    assert device is not None
    revoke_device(session, device, by=None)
    session.commit()
    with pytest.raises(DeviceRevoked):
        transport.push(ops(1), 0)
    with pytest.raises(Unauthorized):
        HttpTransport(live_server.url, "not-a-token", "0.1.0").pull(Cursor(), 10_000)


def test_live_g13_an_unknown_protocol_is_told_to_upgrade(
    live_server: LiveServer, world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(transport_module, "PROTOCOL_VERSION", 99)
    with pytest.raises(UpgradeRequired):
        HttpTransport(live_server.url, world.a.token, "0.1.0").pull(Cursor(), 10_000)


def _silent_server() -> tuple[socket.socket, int]:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(10)
    return listener, listener.getsockname()[1]


def _read_request(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        data += conn.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length")
    )
    while len(body) < length:
        body += conn.recv(65536)
    return body


def test_an_abandoned_request_resets_its_connection() -> None:
    """After a time-out the socket is reset, not drained: its unsent bytes are dropped."""
    listener, port = _silent_server()
    with listener:
        transport = HttpTransport(f"http://127.0.0.1:{port}", "tok", "0.1.0", timeout=(1, 0.2))
        failed: list[BaseException] = []

        def pull() -> None:
            try:
                transport.pull(Cursor(), 100)
            except TransportError as error:
                failed.append(error)

        thread = threading.Thread(target=pull)
        thread.start()
        conn, _ = listener.accept()
        with conn:
            _read_request(conn)  # and never answer
            thread.join(timeout=10)
            assert failed, "the pull should have timed out"
            conn.settimeout(5)
            with pytest.raises(ConnectionResetError):
                conn.recv(1)  # an orderly close would read b"" here


def test_time_limits_grow_with_the_body() -> None:
    """A chunk that needs longer to cross a thin link is given the time to."""
    assert transport_module.scaled_timeout((10.0, 60.0), 0) == (10.0, 60.0)
    assert transport_module.scaled_timeout((10.0, 60.0), 262_144) == pytest.approx(
        (10.0 + 131.072, 60.0 + 131.072)
    )
    listener, port = _silent_server()
    answered: list[int] = []

    def serve() -> None:
        for _ in range(2):
            conn, _ = listener.accept()
            with conn:
                body = _read_request(conn)
                time.sleep(0.6)  # the server (or the link) takes its time
                reply = json.dumps({"offset": len(body), "complete": False}).encode()
                answered.append(len(body))
                with contextlib.suppress(OSError):  # the second client gave up (reset)
                    conn.sendall(
                        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                        + f"Upload-Offset: {len(body)}\r\nContent-Length: {len(reply)}\r\n".encode()
                        + b"Connection: close\r\n\r\n"
                        + reply
                    )

    with listener:
        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        transport = HttpTransport(f"http://127.0.0.1:{port}", "tok", "0.1.0", timeout=(1, 0.2))
        transport._blob_sizes["ab" * 32] = 10_000
        # 2000 bytes add a second to the 0.2 s read limit: the answer after 0.6 s is in time.
        status = transport.append_blob("ab" * 32, 0, b"x" * 2000)
        assert status.offset == 2000
        # A tiny body gets no extra time and times out.
        with pytest.raises(TransportError):
            transport.append_blob("ab" * 32, 2000, b"x")
        thread.join(timeout=10)
    assert answered == [2000, 1]


def test_live_g11_many_photos_are_announced_gzipped(live_server: LiveServer, world: Any) -> None:
    """A sync's announcement of 30 photos is large enough to be gzipped: the server reads it."""
    transport = HttpTransport(live_server.url, world.a.token, "0.1.0")
    blobs = [
        BlobRef(hashlib.sha256(str(n).encode()).hexdigest(), 1000 + n, "image/jpeg")
        for n in range(30)
    ]
    states = transport.start_blobs(blobs)
    assert [(s.offset, s.complete) for s in states] == [(0, False)] * 30
    assert transport.stats.by_endpoint["blob_start"].bytes_sent < 3000  # it went compressed
