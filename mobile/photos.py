"""Colleagues' photos: fetched when a screen shows them, checked, kept sealed (PROTOCOL.md §8).

A photo taken on another tablet reaches this one by pull as an ``attachment`` record
(owner, SHA-256, size, type); its bytes stay on the server until a screen needs them.

- ``fetch_photo`` gets the bytes (``GET /api/v1/blobs/<sha256>``, through
  ``HttpTransport.fetch_blob``), checks them against the attachment — the SHA-256 of
  the bytes must be the attachment's and their length its ``size``; anything else is
  discarded (``PhotoMismatch``) — and keeps them through
  ``SQLiteDeviceStore.add_blob(…, uploaded=True)``, sealed like the photos taken here.
  It refuses to keep them in a store without the key (``StoreLocked``): plain photo
  bytes never reach the disk. The bytes are returned, in memory, for the screen to
  decode.
- ``PhotoFetcher`` runs these fetches on one long-lived worker thread, so the UI thread
  never waits on the network (the store gives that thread its own SQLite connection,
  as it does the sync's). Each result is handed back through ``dispatch`` — the Kivy
  clock in the app, a plain call in tests. It remembers each photo's state (on its way,
  failed and why) so a screen drawn again shows the same thing; a failed photo is tried
  again when asked (``request(…, retry=True)``: the officer taps it) or when the
  connection is back (``retry_failed``). After a failure to reach the server the
  photos still waiting are marked failed too, without each waiting for its own
  time-out.

Nothing here knows Kivy; ``mobile.app`` uses it, never the reverse.
"""

from __future__ import annotations

import enum
import hashlib
import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Protocol, runtime_checkable

from mobile.store import SQLiteDeviceStore, StoreLocked
from sync.errors import ServerRefused, SyncError, TransportError

__all__ = [
    "BlobSource",
    "FetchResult",
    "PhotoFetcher",
    "PhotoMismatch",
    "PhotoState",
    "WantedPhoto",
    "fetch_photo",
    "verify_photo",
]

Dispatch = Callable[[Callable[[], None]], None]


@runtime_checkable
class BlobSource(Protocol):
    """Where photos' bytes come from (``mobile.transport.HttpTransport``)."""

    def fetch_blob(self, sha256: str) -> bytes: ...


class PhotoMismatch(SyncError):
    """The bytes received are not the attachment's photo; they were discarded."""


class PhotoState(enum.StrEnum):
    LOADING = "loading"
    READY = "ready"
    #: The server could not be reached (or the answer was cut): worth trying again.
    OFFLINE = "offline"
    #: Bytes came, but not the attachment's (another hash or size): discarded.
    DAMAGED = "damaged"
    #: The server has the attachment but not the bytes yet (``404``): the tablet that
    #: took the photo has not finished sending it (records go first, PROTOCOL.md §8).
    ON_ITS_WAY = "on_its_way"
    #: The server said no (device refused…).
    REFUSED = "refused"
    #: Anything else: the store is locked or the disk full, no transport…
    FAILED = "failed"


#: Failures ``retry_failed`` tries again when the connection is back.
RETRY_WHEN_ONLINE = frozenset({PhotoState.OFFLINE, PhotoState.FAILED, PhotoState.ON_ITS_WAY})


@dataclass(frozen=True)
class WantedPhoto:
    """What an ``attachment`` record says its photo is."""

    sha256: str
    size: int
    content_type: str

    @classmethod
    def from_attachment(cls, record: Mapping[str, Any]) -> WantedPhoto:
        size = record.get("size")
        return cls(
            str(record.get("sha256") or "").lower(),
            size if isinstance(size, int) and not isinstance(size, bool) else 0,
            str(record.get("content_type") or "application/octet-stream"),
        )


@dataclass(frozen=True)
class FetchResult:
    sha256: str
    state: PhotoState
    #: The plain photo, in memory, handed once to ``on_result`` when ``READY``.
    data: bytes = b""
    #: Why it failed (bilingual "Tiếng Việt (English)" when it is ours or the server's).
    error: str = ""

    @property
    def failed(self) -> bool:
        return self.state not in (PhotoState.LOADING, PhotoState.READY, PhotoState.ON_ITS_WAY)


def verify_photo(wanted: WantedPhoto, data: bytes) -> None:
    """Raise ``PhotoMismatch`` unless ``data`` is the photo the attachment names."""
    if wanted.size < 1 or len(wanted.sha256) != 64:
        raise PhotoMismatch(
            "Hồ sơ ảnh thiếu mã SHA-256 hoặc kích thước (the attachment lacks its hash or size)"
        )
    if len(data) != wanted.size:
        raise PhotoMismatch(
            f"Ảnh tải về không khớp với hồ sơ: {len(data)} byte thay vì {wanted.size}, "
            f"đã bỏ (downloaded photo has {len(data)} bytes instead of {wanted.size}; "
            "discarded)"
        )
    if hashlib.sha256(data).hexdigest() != wanted.sha256:
        raise PhotoMismatch(
            "Ảnh tải về không khớp với hồ sơ: sai mã SHA-256, đã bỏ "
            "(downloaded photo does not match its SHA-256; discarded)"
        )


def fetch_photo(store: SQLiteDeviceStore, source: BlobSource, wanted: WantedPhoto) -> bytes:
    """Fetch, check and keep (sealed) one photo; returns its plain bytes (see module docs).

    Raises ``StoreLocked`` without the key (before fetching anything), ``PhotoMismatch``
    when the bytes are not the attachment's (nothing is kept), and what the source
    raises (``TransportError``, ``ServerRefused``).
    """
    if store.cipher is None:
        raise StoreLocked(f"photo {wanted.sha256}")
    data = source.fetch_blob(wanted.sha256)
    verify_photo(wanted, data)
    store.add_blob(data, wanted.content_type, uploaded=True)
    return data


def _outcome(wanted: WantedPhoto, error: BaseException) -> FetchResult:
    """The state a failed fetch leaves its photo in."""
    if isinstance(error, PhotoMismatch):
        state = PhotoState.DAMAGED
    elif isinstance(error, TransportError):
        state = PhotoState.OFFLINE
    elif isinstance(error, ServerRefused) and error.status == 404:
        # the attachment is here, its bytes not yet: asked again after the next sync
        return FetchResult(wanted.sha256, PhotoState.ON_ITS_WAY, error=error.message)
    elif isinstance(error, ServerRefused):
        state = PhotoState.REFUSED
        return FetchResult(wanted.sha256, state, error=error.message)
    else:
        state = PhotoState.FAILED
    return FetchResult(wanted.sha256, state, error=str(error) or type(error).__name__)


class PhotoFetcher:
    """Fetch photos off the UI thread, one at a time, and report each (see module docs).

    ``source`` makes a ``BlobSource`` for each fetch (and it is closed afterwards if it
    has ``close``), so a server address changed meanwhile is used at once.
    ``on_result(FetchResult)`` runs through ``dispatch``: on the UI thread in the app.
    """

    def __init__(
        self,
        store: SQLiteDeviceStore,
        source: Callable[[], BlobSource],
        *,
        dispatch: Dispatch,
        on_result: Callable[[FetchResult], None] | None = None,
    ) -> None:
        self.store = store
        self.source = source
        self.dispatch = dispatch
        self.on_result = on_result
        self._states: dict[str, FetchResult] = {}
        self._wanted: dict[str, WantedPhoto] = {}
        self._queue: deque[WantedPhoto] = deque()
        self._lock = threading.Condition()
        self._stopping = False
        self._thread: threading.Thread | None = None
        #: Fetches attempted (each a request to the server), for tests and logs.
        self.attempts = 0

    # -- asking (UI thread) --------------------------------------------------------------------

    def status(self, sha256: str) -> FetchResult | None:
        with self._lock:
            return self._states.get(sha256)

    def request(self, wanted: WantedPhoto, *, retry: bool = False) -> FetchResult:
        """Fetch ``wanted`` unless it is being fetched or done, or failed (or still on its
        way to the server) and not ``retry``.

        Returns what to show now: ``LOADING`` when it is (now) on its way, else the
        failure kept from the last attempt (``READY`` once kept: the store has it).
        """
        with self._lock:
            known = self._states.get(wanted.sha256)
            busy_or_done = known is not None and known.state in (
                PhotoState.LOADING,
                PhotoState.READY,
            )
            if known is not None and (busy_or_done or not retry):
                return known
            return self._enqueue(wanted)

    def retry_failed(self, states: Iterable[PhotoState] = RETRY_WHEN_ONLINE) -> int:
        """Try again the photos that failed in one of ``states``; returns how many."""
        wanted = frozenset(states)
        with self._lock:
            again = [
                self._wanted[sha]
                for sha, result in self._states.items()
                if result.state in wanted and sha in self._wanted
            ]
            for photo in again:
                self._enqueue(photo)
        return len(again)

    def forget_failures(self) -> None:
        """Forget past failures: the next ``request`` of each photo tries again."""
        with self._lock:
            for sha in [s for s, r in self._states.items() if r.failed]:
                del self._states[sha]

    def _enqueue(self, wanted: WantedPhoto) -> FetchResult:
        """Queue a fetch (the lock is held)."""
        if self._stopping:
            result = FetchResult(wanted.sha256, PhotoState.FAILED, error="stopped")
            self._states[wanted.sha256] = result
            return result
        result = FetchResult(wanted.sha256, PhotoState.LOADING)
        self._states[wanted.sha256] = result
        self._wanted[wanted.sha256] = wanted
        self._queue.append(wanted)
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._loop, name="motcua-photos", daemon=True)
            self._thread.start()
        self._lock.notify()
        return result

    @property
    def busy(self) -> bool:
        """Whether a fetch is queued or running."""
        with self._lock:
            return any(r.state is PhotoState.LOADING for r in self._states.values())

    def stop(self, timeout: float = 2.0) -> None:
        """Stop the worker (a fetch under way finishes first, or is left after ``timeout``)."""
        with self._lock:
            self._stopping = True
            self._queue.clear()
            self._lock.notify_all()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    # -- the worker ----------------------------------------------------------------------------

    def _loop(self) -> None:
        while True:
            with self._lock:
                while not self._queue and not self._stopping:
                    self._lock.wait()
                if self._stopping:
                    return
                wanted = self._queue.popleft()
                self.attempts += 1
            result = self._fetch(wanted)
            results = [result]
            if result.state is PhotoState.OFFLINE:
                # The server is out of reach: the others would only wait for it too.
                with self._lock:
                    results += [replace(result, sha256=w.sha256) for w in self._queue]
                    self._queue.clear()
            for each in results:
                self._finish(each)

    def _fetch(self, wanted: WantedPhoto) -> FetchResult:
        try:
            source = self.source()
            try:
                data = fetch_photo(self.store, source, wanted)
            finally:
                close = getattr(source, "close", None)
                if callable(close):
                    close()
        except Exception as error:  # never let the worker die: the screen says what failed
            return _outcome(wanted, error)
        return FetchResult(wanted.sha256, PhotoState.READY, data=data)

    def _finish(self, result: FetchResult) -> None:
        with self._lock:
            if self._stopping:
                return
            # Kept without the bytes: they go to ``on_result`` once, not into memory for good.
            self._states[result.sha256] = replace(result, data=b"")
        callback = self.on_result
        if callback is not None:
            self.dispatch(lambda: callback(result))
