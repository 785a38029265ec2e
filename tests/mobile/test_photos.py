"""A colleague's photo, fetched from the real server: checked, kept sealed, refused when wrong.

Tablet A takes a photo of a citizen's papers and syncs it up (the real sync, the real
server on loopback); tablet B, of the same commune, pulls the dossier's ``attachment``
and fetches the bytes with ``mobile.photos``. Wrong answers come through a small
loopback proxy in front of the server that changes the photo's bytes on the way.
"""

from __future__ import annotations

import gc
import hashlib
import http.server
import queue
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from mobile.photos import (
    FetchResult,
    PhotoFetcher,
    PhotoMismatch,
    PhotoState,
    WantedPhoto,
    fetch_photo,
    verify_photo,
)
from mobile.security import Vault
from mobile.store import SQLiteDeviceStore, StoreLocked
from mobile.tablet import Tablet
from mobile.transport import HttpTransport
from sync.errors import ServerRefused
from tests import factories
from tests.conftest import LiveServer
from tests.mobile.test_photo_encryption import FAST, PIN, assert_sealed_on_disk, photo

#: The transport closes its sockets with a reset (``SO_LINGER 0``, mobile/transport.py); the
#: test server (werkzeug's) then fails in its after-response drain before closing the file
#: ``send_file`` opened, which Python reports when it collects it. Only that is ignored.
SERVER_FILE_LEFT_OPEN = (
    r"ignore:Exception ignored in. <_io\.FileIO name='[^']*server-blobs"
    ":pytest.PytestUnraisableExceptionWarning"
)
pytestmark = pytest.mark.filterwarnings(SERVER_FILE_LEFT_OPEN)


@pytest.fixture
def server_url(live_server: LiveServer, tmp_path: Path) -> Iterator[str]:
    live_server.app.config["MOTCUA_BLOB_DIR"] = str(tmp_path / "server-blobs")
    yield live_server.url
    gc.collect()  # any file the server left open is reported here, where it is ignored


@pytest.fixture
def make_tablet(tmp_path: Path, server_url: str) -> Iterator[Callable[[str, str], Tablet]]:
    """Tablets registered with the real server, their store sealed by a PIN's key."""
    made: list[Tablet] = []

    def make(name: str, username: str) -> Tablet:
        cipher = Vault(tmp_path / f"{name}-vault.json", scrypt_n=FAST).set_up(PIN)
        tablet = Tablet(tmp_path / f"{name}.db", cipher=cipher)
        made.append(tablet)
        tablet.register(server_url, username, factories.PASSWORD, f"Máy {name}")
        report = tablet.sync()
        assert report.ok, report.error
        return tablet

    yield make
    for tablet in made:
        tablet.close()


@pytest.fixture
def shared(make_tablet: Callable[[str, str], Tablet], world: Any) -> tuple[Tablet, bytes, dict]:
    """Tablet A's photo on the server; tablet B has pulled its attachment, not its bytes."""
    a = make_tablet("a", world.a.officer.username)
    b = make_tablet("b", world.a.officer.username)
    dossier_id = a.create_dossier(world.procedure.id, "Giàng A Páo")
    data = photo(150_000, seed=7)
    a.attach_photo("dossier", dossier_id, data, "image/jpeg", filename="cccd.jpg")
    report = a.sync()
    assert report.ok and report.photos_uploaded == 1, report
    report = b.sync()
    assert report.ok, report.error
    [attachment] = b.photos("dossier", dossier_id)
    assert attachment["sha256"] == hashlib.sha256(data).hexdigest()
    assert b.store.blob_info(attachment["sha256"]) is None  # only the record came
    return b, data, attachment


def _no_photo_kept(tablet: Tablet, sha: str) -> None:
    assert tablet.store.blob_info(sha) is None
    assert not [p for p in tablet.store.blob_dir.rglob("*") if p.is_file()]


# -- a loopback proxy that changes the photo on the way -----------------------------------------


class TamperingProxy:
    """Forwards GETs to the server and changes a photo's bytes: ``flip`` one byte,
    ``short`` (a consistent answer of fewer bytes), ``longer`` (one byte more),
    ``other`` (another photo of the same size) or ``cut`` (the connection closes before
    the announced length)."""

    def __init__(self, upstream: str, mode: str) -> None:
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                headers = {
                    k: v
                    for k, v in self.headers.items()
                    if k.lower() not in ("host", "accept-encoding", "connection")
                }
                answer = requests.get(upstream + self.path, headers=headers, timeout=30)
                body = answer.content
                if answer.status_code == 200 and "/blobs/" in self.path:
                    body = proxy.tamper(body)
                self.send_response(answer.status_code)
                self.send_header("Content-Type", answer.headers.get("Content-Type", ""))
                extra = 1000 if proxy.mode == "cut" else 0
                self.send_header("Content-Length", str(len(body) + extra))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(body)
                proxy.served += 1

            def log_message(self, *_args: Any) -> None:
                return None

        class Server(http.server.ThreadingHTTPServer):
            def handle_error(self, request: Any, client_address: Any) -> None:
                return None  # the transport resets its connections (SO_LINGER 0): expected

        self.mode = mode
        self.served = 0
        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def tamper(self, body: bytes) -> bytes:
        if self.mode == "flip":
            return body[:1000] + bytes([body[1000] ^ 1]) + body[1001:]
        if self.mode == "short":
            return body[: len(body) // 2]
        if self.mode == "longer":
            return body + b"\0"
        if self.mode == "other":
            return photo(len(body), seed=99)
        return body[: len(body) - 10]  # cut: and the length announced is longer still

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


class Inbox:
    """A dispatch that queues the fetcher's reports, to run them here as a UI thread would."""

    def __init__(self) -> None:
        self.actions: queue.Queue[Callable[[], None]] = queue.Queue()
        self.results: list[FetchResult] = []

    def __call__(self, action: Callable[[], None]) -> None:
        self.actions.put(action)

    def next(self, timeout: float = 30.0) -> FetchResult:
        self.actions.get(timeout=timeout)()
        return self.results[-1]


# -- the tests ---------------------------------------------------------------------------------


def test_a_colleagues_photo_is_fetched_checked_and_kept_sealed(
    shared: tuple[Tablet, bytes, dict],
) -> None:
    tablet, data, attachment = shared
    wanted = WantedPhoto.from_attachment(attachment)
    assert wanted == WantedPhoto(attachment["sha256"], len(data), "image/jpeg")
    transport = tablet.transport()
    try:
        fetched = fetch_photo(tablet.store, transport, wanted)
    finally:
        transport.close()
    assert fetched == data
    assert_sealed_on_disk(tablet.store, data)  # the file holds no plain byte of it
    assert tablet.store.blob_bytes(wanted.sha256) == data
    info = tablet.store.blob_info(wanted.sha256)
    assert info is not None and info[1]  # known to be on the server: never sent back
    assert tablet.store.pending_blobs() == []
    report = tablet.sync()
    assert report.ok and report.photos_uploaded == 0


@pytest.mark.parametrize("mode", ["flip", "short", "longer", "other"])
def test_bytes_that_are_not_the_photo_are_discarded(
    shared: tuple[Tablet, bytes, dict], server_url: str, mode: str
) -> None:
    tablet, _data, attachment = shared
    wanted = WantedPhoto.from_attachment(attachment)
    proxy = TamperingProxy(server_url, mode)
    transport = tablet.transport(proxy.url)
    try:
        with pytest.raises(PhotoMismatch, match="không khớp"):
            fetch_photo(tablet.store, transport, wanted)
    finally:
        transport.close()
        proxy.close()
    assert proxy.served == 1  # the server answered; what came through was refused
    _no_photo_kept(tablet, wanted.sha256)


def test_a_cut_download_keeps_nothing_and_is_tried_again(
    shared: tuple[Tablet, bytes, dict], server_url: str
) -> None:
    tablet, data, attachment = shared
    wanted = WantedPhoto.from_attachment(attachment)
    proxy = TamperingProxy(server_url, "cut")
    address = {"url": proxy.url}
    inbox = Inbox()
    fetcher = PhotoFetcher(
        tablet.store,
        lambda: tablet.transport(address["url"]),
        dispatch=inbox,
        on_result=inbox.results.append,
    )
    try:
        assert fetcher.request(wanted).state is PhotoState.LOADING
        result = inbox.next()
        assert result.state is PhotoState.OFFLINE and result.data == b""
        assert "Không kết nối được máy chủ" in result.error
        _no_photo_kept(tablet, wanted.sha256)
        # Failed: drawn again it stays failed, until tapped (retry) or back online.
        assert fetcher.request(wanted).state is PhotoState.OFFLINE
        address["url"] = server_url
        assert fetcher.retry_failed() == 1
        result = inbox.next()
        assert result.state is PhotoState.READY and result.data == data
        assert fetcher.status(wanted.sha256) == FetchResult(wanted.sha256, PhotoState.READY)
        assert fetcher.attempts == 2
    finally:
        fetcher.stop()
        proxy.close()
    assert_sealed_on_disk(tablet.store, data)


def test_the_fetcher_works_off_the_calling_thread_and_fetches_each_photo_once(
    shared: tuple[Tablet, bytes, dict], server_url: str
) -> None:
    tablet, data, attachment = shared
    wanted = WantedPhoto.from_attachment(attachment)
    gate = threading.Event()
    threads: list[str] = []

    class Gated:
        def __init__(self) -> None:
            self.transport = tablet.transport(server_url)

        def fetch_blob(self, sha256: str) -> bytes:
            threads.append(threading.current_thread().name)
            assert gate.wait(30)
            return self.transport.fetch_blob(sha256)

        def close(self) -> None:
            self.transport.close()

    inbox = Inbox()
    fetcher = PhotoFetcher(tablet.store, Gated, dispatch=inbox, on_result=inbox.results.append)
    try:
        assert fetcher.request(wanted).state is PhotoState.LOADING  # returns at once
        assert fetcher.request(wanted, retry=True).state is PhotoState.LOADING
        assert fetcher.busy and inbox.actions.empty()
        gate.set()
        result = inbox.next()
    finally:
        fetcher.stop()
    assert result.state is PhotoState.READY and result.data == data
    assert threads == ["motcua-photos"] and fetcher.attempts == 1
    assert not fetcher.busy
    assert fetcher.request(wanted).state is PhotoState.READY  # kept: not fetched again


def test_unreachable_server_fails_every_waiting_photo_at_once(
    shared: tuple[Tablet, bytes, dict],
) -> None:
    tablet, _data, attachment = shared
    wanted = WantedPhoto.from_attachment(attachment)
    others = [WantedPhoto(hashlib.sha256(bytes([n])).hexdigest(), 1, "image/png") for n in (1, 2)]
    dead = f"http://127.0.0.1:{_closed_port()}"
    inbox = Inbox()
    gate = threading.Event()

    def source() -> HttpTransport:
        assert gate.wait(30)  # the three are queued before the first attempt
        return tablet.transport(dead)

    fetcher = PhotoFetcher(tablet.store, source, dispatch=inbox, on_result=inbox.results.append)
    try:
        for each in (wanted, *others):
            fetcher.request(each)
        gate.set()
        results = [inbox.next() for _ in range(3)]
    finally:
        fetcher.stop()
    assert [r.state for r in results] == [PhotoState.OFFLINE] * 3
    assert [r.sha256 for r in results] == [wanted.sha256] + [o.sha256 for o in others]
    assert fetcher.attempts == 1
    _no_photo_kept(tablet, wanted.sha256)


def test_another_communes_tablet_is_refused(
    shared: tuple[Tablet, bytes, dict],
    make_tablet: Callable[[str, str], Tablet],
    world: Any,
) -> None:
    _tablet, _data, attachment = shared
    wanted = WantedPhoto.from_attachment(attachment)
    stranger = make_tablet("y-ty", world.b.officer.username)
    transport = stranger.transport()
    try:
        with pytest.raises(ServerRefused) as refused:
            fetch_photo(stranger.store, transport, wanted)
    finally:
        transport.close()
    assert refused.value.status == 404
    _no_photo_kept(stranger, wanted.sha256)


def test_a_locked_store_fetches_nothing(shared: tuple[Tablet, bytes, dict]) -> None:
    tablet, _data, attachment = shared
    wanted = WantedPhoto.from_attachment(attachment)
    asked: list[str] = []

    class Source:
        def fetch_blob(self, sha256: str) -> bytes:
            asked.append(sha256)
            return b""

    tablet.store.cipher = None  # the app locked: the photo could only be kept plain
    with pytest.raises(StoreLocked):
        fetch_photo(tablet.store, Source(), wanted)
    assert asked == []
    _no_photo_kept(tablet, wanted.sha256)


def test_verify_photo() -> None:
    data = b"\x89PNG\r\n\x1a\n" + bytes(300)
    wanted = WantedPhoto(hashlib.sha256(data).hexdigest(), len(data), "image/png")
    verify_photo(wanted, data)
    for wrong in (data[:-1], data + b"\0", data[:-1] + b"\1", b""):
        with pytest.raises(PhotoMismatch):
            verify_photo(wanted, wrong)
    for broken in ({"sha256": wanted.sha256}, {"size": len(data)}, {"size": True}):
        with pytest.raises(PhotoMismatch, match="thiếu"):
            verify_photo(WantedPhoto.from_attachment(broken), data)
    assert WantedPhoto.from_attachment({"sha256": "AB", "size": 3}).sha256 == "ab"


def test_failures_are_forgotten_when_the_dossier_is_opened_again(tmp_path: Path) -> None:
    """A failed photo stays failed when drawn again, until the screen is opened again."""
    store = SQLiteDeviceStore(tmp_path / "t.db")
    data = b"\x89PNG\r\n\x1a\n" + bytes(100)
    wanted = WantedPhoto(hashlib.sha256(data).hexdigest(), len(data), "image/png")

    class Source:
        def fetch_blob(self, sha256: str) -> bytes:
            return data

    reports: queue.Queue[Callable[[], None]] = queue.Queue()
    results: list[FetchResult] = []
    fetcher = PhotoFetcher(store, Source, dispatch=reports.put, on_result=results.append)
    try:
        assert fetcher.request(wanted).state is PhotoState.LOADING
        reports.get(timeout=30)()
        assert results[-1].state is PhotoState.FAILED  # no key: nothing is kept plain
        assert fetcher.request(wanted).state is PhotoState.FAILED  # drawn again: not retried
        assert fetcher.attempts == 1
        fetcher.forget_failures()
        assert fetcher.request(wanted).state is PhotoState.LOADING
        reports.get(timeout=30)()
        assert fetcher.attempts == 2
    finally:
        fetcher.stop()
        store.close()
