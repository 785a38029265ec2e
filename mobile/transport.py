"""The tablet's HTTP transport: ``sync.storage.Transport`` over ``requests`` (PROTOCOL.md §5–§8).

- Request bodies are compact JSON, gzip-compressed when that helps
  (``Content-Encoding: gzip``); responses are read as the raw bytes that crossed the
  wire and inflated here with a bound (``sync.wire.decode``), so the byte counters
  measure what the link really carried (G10).
- Every request carries the device token and the protocol, app and schema versions
  (G13).
- A request's time limits grow with its body (``MIN_UPLOAD_RATE``): sending waits on
  the link, and a 256 KiB photo chunk needs a minute on a 32 kbit/s uplink.
- Sockets close with ``SO_LINGER 0``: a request abandoned after a time-out resets its
  connection, so its unsent bytes stop competing with the retry for a thin uplink.
- Failures become ``sync.errors`` exceptions, the only ones the engine knows:
  connection errors, timeouts, cut responses and 5xx (and 408/429, which ask to come
  back later) are ``TransportError`` and worth retrying; the server's refusals are
  ``ServerRefused`` and its subclasses, carrying the server's message.
- A response cut inside its headers looks whole to ``requests`` (a ``204`` without
  ``Upload-Offset``, a ``200`` with no body): an answer without the headers the
  protocol promises, or with a body shorter than its ``Content-Length``, is a cut
  response, hence a ``TransportError``.
"""

from __future__ import annotations

import base64
import http.client
import json
import socket
import struct
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection

from sync import wire
from sync.errors import (
    DeviceRevoked,
    ServerRefused,
    TransportError,
    Unauthorized,
    UpgradeRequired,
    WireError,
)
from sync.ops import PROTOCOL_VERSION, Change, Cursor, Operation, Outcome
from sync.schema import SCHEMA_VERSION
from sync.storage import BlobRef, BlobStatus, PullPage, PushResult

__all__ = ["API_PREFIX", "EndpointStats", "HttpTransport", "TransportStats", "register_device"]

API_PREFIX = "/api/v1"
Timeout = tuple[float, float]
DEFAULT_TIMEOUT: Timeout = (10.0, 60.0)
#: The slowest uplink a request is given time for, in bytes per second (16 kbit/s):
#: a body of ``n`` bytes adds ``n / MIN_UPLOAD_RATE`` seconds to both time limits.
MIN_UPLOAD_RATE = 2000.0
#: Close with a reset, dropping unsent bytes (see the module docs).
_LINGER_OFF = (socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
#: Statuses that mean "try again later" although they are 4xx.
_RETRY_LATER = frozenset({408, 429})


@dataclass
class EndpointStats:
    requests: int = 0
    bytes_sent: int = 0
    bytes_received: int = 0
    seconds: float = 0.0  # time spent waiting for the network and the server


@dataclass
class TransportStats:
    """Round trips and wire bytes (bodies as sent and received, compressed).

    Photos go up on several connections at once (``SyncEngine.photo_streams``): the
    counters are changed under a lock."""

    requests: int = 0
    bytes_sent: int = 0
    bytes_received: int = 0
    failures: int = 0
    by_endpoint: dict[str, EndpointStats] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def failed(self) -> None:
        with self._lock:
            self.failures += 1

    def add(self, endpoint: str, sent: int, received: int, seconds: float = 0.0) -> None:
        with self._lock:
            self._add(endpoint, sent, received, seconds)

    def _add(self, endpoint: str, sent: int, received: int, seconds: float) -> None:
        self.requests += 1
        self.bytes_sent += sent
        self.bytes_received += received
        stats = self.by_endpoint.setdefault(endpoint, EndpointStats())
        stats.requests += 1
        stats.bytes_sent += sent
        stats.bytes_received += received
        stats.seconds += seconds

    def snapshot(self) -> TransportStats:
        return TransportStats(
            self.requests,
            self.bytes_sent,
            self.bytes_received,
            self.failures,
            {
                k: EndpointStats(v.requests, v.bytes_sent, v.bytes_received, v.seconds)
                for k, v in self.by_endpoint.items()
            },
        )


@dataclass(frozen=True)
class _Reply:
    status: int
    headers: Mapping[str, str]
    body: bytes


def _error_payload(reply: _Reply) -> dict[str, Any]:
    try:
        payload = wire.decode(reply.body, reply.headers.get("Content-Encoding"))
    except WireError:
        return {}
    return payload if isinstance(payload, dict) else {}


def _refusal(reply: _Reply) -> Exception:
    """The ``sync.errors`` exception for a non-2xx answer."""
    payload = _error_payload(reply)
    status = reply.status
    reason = payload.get("status") if isinstance(payload.get("status"), str) else None
    message = payload.get("message")
    if not isinstance(message, str) or not message:
        text = reply.body[:200].decode("utf-8", "replace").strip() if not payload else ""
        message = f"HTTP {status}" + (f": {text}" if text else "")
    if status >= 500 or status in _RETRY_LATER:
        return TransportError(f"Máy chủ tạm thời không phục vụ được ({message})")
    if status == 401:
        if reason == "device_revoked":
            return DeviceRevoked(status, message, reason)
        return Unauthorized(status, message, reason)
    if status == 426:
        min_app = payload.get("min_app")
        if min_app:
            message = f"{message} (min_app {min_app})"
        return UpgradeRequired(status, message, reason or "upgrade_required")
    return ServerRefused(status, message, reason)


class _ResettingAdapter(HTTPAdapter):
    """An adapter whose sockets reset on close instead of draining their send buffer."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["socket_options"] = [*HTTPConnection.default_socket_options, _LINGER_OFF]
        super().init_poolmanager(*args, **kwargs)


def new_session() -> requests.Session:
    """A ``requests`` session whose connections reset on close (see the module docs)."""
    session = requests.Session()
    adapter = _ResettingAdapter()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def scaled_timeout(timeout: Timeout, body_bytes: int) -> Timeout:
    """``timeout`` lengthened for a body of ``body_bytes`` sent at ``MIN_UPLOAD_RATE``.

    urllib3 sends the body under the *connect* limit and then waits for the answer
    under the *read* limit, while the tail of the body may still be queued on the link;
    both get the time the body needs.
    """
    extra = body_bytes / MIN_UPLOAD_RATE
    return (timeout[0] + extra, timeout[1] + extra)


class _Client:
    """The HTTP plumbing shared by the transport and registration."""

    def __init__(
        self,
        base_url: str,
        app_version: str,
        *,
        token: str | None,
        timeout: Timeout,
        session: requests.Session | None,
        compress: bool,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.app_version = app_version
        self.token = token
        self.timeout = timeout
        self.session = session or new_session()
        self.compress = compress
        self.stats = TransportStats()

    def headers(self) -> dict[str, str]:
        headers = {
            "Accept": "application/json",
            "Accept-Encoding": "gzip",
            "X-Motcua-Protocol": str(PROTOCOL_VERSION),
            "X-Motcua-App": self.app_version,
            "X-Motcua-Schema": str(SCHEMA_VERSION),
        }
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers

    def request(
        self,
        method: str,
        path: str,
        endpoint: str,
        *,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> _Reply:
        """One round trip; the whole body is read before returning (or it failed)."""
        all_headers = self.headers() | dict(headers or {})
        sent = len(body or b"")
        started = time.perf_counter()
        try:
            response = self.session.request(
                method,
                self.base_url + path,
                data=body,
                headers=all_headers,
                timeout=scaled_timeout(self.timeout, sent),
                stream=True,
                allow_redirects=False,
            )
            try:
                raw = response.raw.read(decode_content=False) if method != "HEAD" else b""
            finally:
                response.close()
        except (
            requests.RequestException,
            urllib3.exceptions.HTTPError,
            http.client.HTTPException,
            OSError,
        ) as error:
            self.stats.failed()
            self.stats.add(endpoint, sent, 0, time.perf_counter() - started)
            raise TransportError(
                f"Không kết nối được máy chủ ({type(error).__name__}: {error})"
            ) from error
        self.stats.add(endpoint, sent, len(raw), time.perf_counter() - started)
        reply = _Reply(response.status_code, dict(response.headers), raw)
        declared = _int_header(reply.headers, "Content-Length")
        if method != "HEAD" and declared is not None and declared != len(raw):
            # urllib3 does not always notice: a body shorter than announced was cut.
            raise self.cut(f"{len(raw)} of {declared} bytes")
        return reply

    def cut(self, detail: str) -> TransportError:
        """A response cut on the way (in its headers or its body): a failed request,
        retried like any other (PROTOCOL.md §5)."""
        self.stats.failed()
        return TransportError(f"Phản hồi bị cắt hoặc hỏng (cut response: {detail})")

    def json(
        self, method: str, path: str, endpoint: str, payload: Any, *, expected: Sequence[int]
    ) -> tuple[_Reply, Any]:
        body, encoding = wire.encode(payload, compress=self.compress)
        headers = {"Content-Type": "application/json"}
        if encoding:
            headers["Content-Encoding"] = encoding
        reply = self.request(method, path, endpoint, body=body, headers=headers)
        if reply.status not in expected:
            raise _refusal(reply)
        return reply, self.decode(reply)

    def decode(self, reply: _Reply) -> Any:
        """The JSON body of a 2xx answer. An empty or unparsable one was cut on the way
        (a cut inside the headers looks like a whole answer with no body): try again."""
        if not reply.body:
            raise self.cut(f"HTTP {reply.status} without its JSON body")
        try:
            return wire.decode(reply.body, reply.headers.get("Content-Encoding"))
        except WireError as error:
            raise self.cut(str(error)) from error


def _int_header(headers: Mapping[str, str], name: str) -> int | None:
    for key, value in headers.items():
        if key.lower() == name.lower():
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _blob_status(body: Any, size: int) -> BlobStatus:
    """A photo's state from the server's JSON (``offset``, ``complete``)."""
    offset = int(body.get("offset", 0))
    return BlobStatus(offset=offset, complete=bool(body.get("complete", False)) or offset >= size)


class HttpTransport:
    """``sync.storage.Transport`` over HTTP(S) with ``requests`` (see the module docs)."""

    def __init__(
        self,
        base_url: str,
        token: str,
        app_version: str,
        *,
        timeout: Timeout = DEFAULT_TIMEOUT,
        session: requests.Session | None = None,
        compress: bool = True,
    ) -> None:
        self._client = _Client(
            base_url,
            app_version,
            token=token,
            timeout=timeout,
            session=session,
            compress=compress,
        )
        self._blob_sizes: dict[str, int] = {}

    @property
    def base_url(self) -> str:
        return self._client.base_url

    @property
    def stats(self) -> TransportStats:
        return self._client.stats

    @property
    def requests(self) -> int:
        return self._client.stats.requests

    @property
    def bytes_sent(self) -> int:
        return self._client.stats.bytes_sent

    @property
    def bytes_received(self) -> int:
        return self._client.stats.bytes_received

    def close(self) -> None:
        self._client.session.close()

    # -- push and pull -------------------------------------------------------------------------

    def push(self, operations: Sequence[Operation], device_now_ms: int) -> PushResult:
        payload = {"now": device_now_ms, "ops": [op.to_wire() for op in operations]}
        _, body = self._client.json(
            "POST", f"{API_PREFIX}/sync/push", "push", payload, expected=(200,)
        )
        try:
            results = body["results"]
            outcomes = [Outcome.from_wire(item) for item in results]
            result = PushResult(int(body["now"]), int(body.get("skew", 0)), outcomes)
        except (KeyError, TypeError, ValueError) as error:
            raise WireError(f"malformed push response: {error}") from error
        if len(outcomes) != len(operations):
            raise WireError(
                f"push response has {len(outcomes)} results for {len(operations)} operations"
            )
        return result

    def pull(self, cursor: Cursor, budget: int) -> PullPage:
        payload = {"cursor": cursor.encode(), "budget": budget}
        _, body = self._client.json(
            "POST", f"{API_PREFIX}/sync/pull", "pull", payload, expected=(200,)
        )
        try:
            return PullPage(
                now_ms=int(body["now"]),
                changes=[Change.from_wire(item) for item in body["changes"]],
                cursor=Cursor.decode(body["cursor"]),
                more=bool(body.get("more", False)),
                epoch=str(body["e"]) if body.get("e") else None,
            )
        except (KeyError, TypeError, ValueError) as error:
            raise WireError(f"malformed pull response: {error}") from error

    # -- photos (PROTOCOL.md §8) -----------------------------------------------------------------

    def start_blob(self, blob: BlobRef) -> BlobStatus:
        payload = {"sha256": blob.sha256, "size": blob.size, "content_type": blob.content_type}
        _, body = self._client.json(
            "POST", f"{API_PREFIX}/blobs", "blob_start", payload, expected=(200, 201)
        )
        self._blob_sizes[blob.sha256] = blob.size
        try:
            return _blob_status(body, blob.size)
        except (TypeError, ValueError, AttributeError) as error:
            raise WireError(f"malformed blob response: {error}") from error

    def start_blobs(self, blobs: Sequence[BlobRef]) -> list[BlobStatus]:
        payload = {
            "blobs": [
                {"sha256": b.sha256, "size": b.size, "content_type": b.content_type} for b in blobs
            ]
        }
        _, body = self._client.json(
            "POST", f"{API_PREFIX}/blobs/announce", "blob_start", payload, expected=(200,)
        )
        try:
            states = [
                _blob_status(item, blob.size)
                for item, blob in zip(body["blobs"], blobs, strict=True)
            ]
        except (KeyError, TypeError, ValueError) as error:
            raise WireError(f"malformed blob announcement response: {error}") from error
        for blob in blobs:
            self._blob_sizes[blob.sha256] = blob.size
        return states

    def append_blob(self, sha256: str, offset: int, chunk: bytes) -> BlobStatus:
        size = self._blob_sizes.get(sha256)
        if size is None:
            raise WireError(f"append_blob before start_blob for {sha256}")
        reply = self._client.request(
            "PATCH",
            f"{API_PREFIX}/blobs/{sha256}",
            "blob_append",
            body=chunk,
            headers={
                "Upload-Offset": str(offset),
                "Content-Type": "application/offset+octet-stream",
            },
        )
        if reply.status not in (200, 201, 204, 409):
            raise _refusal(reply)
        body = self._client.decode(reply) if reply.body else {}
        new_offset = _int_header(reply.headers, "Upload-Offset")
        if new_offset is None and isinstance(body, dict) and "offset" in body:
            try:
                new_offset = int(body["offset"])
            except (TypeError, ValueError):
                new_offset = None
        if new_offset is None or not 0 <= new_offset <= size:
            # The server always says where the upload stands; an answer without it was
            # cut inside its headers. Never guess: ask again (the engine re-announces).
            raise self._client.cut(f"HTTP {reply.status} without a valid Upload-Offset")
        complete = new_offset >= size
        if isinstance(body, dict) and isinstance(body.get("complete"), bool):
            complete = body["complete"] or complete
        return BlobStatus(offset=new_offset, complete=complete)

    def blob_offset(self, sha256: str) -> int:
        """How many bytes of a photo the server holds (``HEAD``)."""
        reply = self._client.request("HEAD", f"{API_PREFIX}/blobs/{sha256}", "blob_head")
        if reply.status == 404:
            return 0
        if reply.status >= 300:
            raise _refusal(reply)
        held = _int_header(reply.headers, "Upload-Offset")
        if held is None or held < 0:
            raise self._client.cut(f"HTTP {reply.status} without a valid Upload-Offset")
        return held

    # -- forgotten PIN (PROTOCOL.md §9) -----------------------------------------------------

    def recovery_id(self) -> str | None:
        """The id of the recovery secret the server holds for this tablet (None: none)."""
        reply = self._client.request("GET", f"{API_PREFIX}/devices/me/recovery", "recovery")
        if reply.status != 200:
            raise _refusal(reply)
        body = self._client.decode(reply)
        value = body.get("secret_id") if isinstance(body, dict) else None
        return str(value) if value else None

    def offer_recovery(self) -> tuple[str, bytes]:
        """A new recovery secret (id, 32 bytes); in force once ``confirm_recovery``-ed."""
        _, body = self._client.json(
            "POST", f"{API_PREFIX}/devices/me/recovery", "recovery", {}, expected=(201,)
        )
        return _recovery_secret(body)

    def confirm_recovery(self, secret_id: str) -> None:
        self._client.json(
            "POST",
            f"{API_PREFIX}/devices/me/recovery/confirm",
            "recovery",
            {"secret_id": secret_id},
            expected=(200,),
        )

    def fetch_blob(self, sha256: str) -> bytes:
        """A photo's bytes, fetched lazily when the officer opens it."""
        reply = self._client.request("GET", f"{API_PREFIX}/blobs/{sha256}", "blob_get")
        if reply.status != 200:
            raise _refusal(reply)
        data = reply.body
        if (reply.headers.get("Content-Encoding") or "").lower() == "gzip":
            try:
                data = wire.inflate(reply.body)
            except WireError as error:
                raise self._client.cut(f"photo download: {error}") from error
        return data  # mobile.photos checks that the bytes hash to the name


def _post_with_password(
    base_url: str,
    app_version: str,
    path: str,
    payload: dict[str, Any],
    *,
    timeout: Timeout,
    session: requests.Session | None,
) -> tuple[_Client, _Reply]:
    """One POST carrying an officer's password (no device token), uncompressed."""
    client = _Client(
        base_url, app_version, token=None, timeout=timeout, session=session, compress=False
    )
    body, _ = wire.encode(payload, compress=False)
    endpoint = "register" if path == "/devices" else "recovery"
    try:
        reply = client.request(
            "POST",
            API_PREFIX + path,
            endpoint,
            body=body,
            headers={"Content-Type": "application/json"},
        )
    finally:
        if session is None:
            client.session.close()
    return client, reply


def register_device(
    base_url: str,
    username: str,
    password: str,
    device_name: str,
    app_version: str,
    *,
    timeout: Timeout = DEFAULT_TIMEOUT,
    session: requests.Session | None = None,
) -> dict[str, Any]:
    """Register this tablet (``POST /api/v1/devices``) and return the server's answer.

    ``{"device": {"id", "device_no", "commune": {...}, "officer": {...}, …}, "token": …}``.
    Raises ``Unauthorized`` for a wrong password, ``ServerRefused`` for other refusals
    (an account that may not hold a tablet, too many attempts…), ``TransportError``
    when the server cannot be reached.
    """
    payload = {
        "username": username,
        "password": password,
        "device_name": device_name,
        "app_version": app_version,
    }
    client, reply = _post_with_password(
        base_url, app_version, "/devices", payload, timeout=timeout, session=session
    )
    if reply.status not in (200, 201):
        raise _refusal(reply)
    body = client.decode(reply)
    if not isinstance(body, dict) or "token" not in body or "device" not in body:
        raise WireError(f"malformed registration response: {json.dumps(body)[:200]}")
    return body


def _recovery_secret(body: Any) -> tuple[str, bytes]:
    try:
        secret_id = str(body["secret_id"])
        secret = base64.urlsafe_b64decode(str(body["secret"]).encode("ascii"))
    except (KeyError, TypeError, ValueError) as error:
        raise WireError(f"malformed recovery secret: {type(error).__name__}") from error
    return secret_id, secret


def claim_recovery(
    base_url: str,
    device_id: str,
    username: str,
    password: str,
    app_version: str,
    *,
    timeout: Timeout = DEFAULT_TIMEOUT,
    session: requests.Session | None = None,
) -> tuple[str, bytes]:
    """A locked tablet's recovery secret for its officer's password (no device token:
    it is sealed under the key this recovers). ``Unauthorized`` for a wrong password or
    another officer, ``ServerRefused`` for the rest (429 too many tries, 404 never
    enrolled), ``TransportError`` when the server cannot be reached.
    """
    payload = {"device_id": device_id, "username": username, "password": password}
    client, reply = _post_with_password(
        base_url, app_version, "/devices/recovery/claim", payload, timeout=timeout, session=session
    )
    if reply.status == 429:  # the account backs off: its message says for how long
        message = _error_payload(reply).get("message")
        raise ServerRefused(429, str(message or "HTTP 429"), "too_many_attempts")
    if reply.status != 200:
        raise _refusal(reply)
    return _recovery_secret(client.decode(reply))
