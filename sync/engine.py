"""The client sync engine: operations up, changes down, photos up — then report.

A short orchestrator over a ``DeviceStore`` and a ``Transport`` (both injected), so the
tablet app, the headless simulator and the tests run the same code. Each phase is
resumable: whatever the server acknowledged is recorded before the next request, so a
sync cut at any byte starts again where it stopped (PROTOCOL.md §6–§8).

Records go before photo bytes (G11): every record, attachments included, is pushed
first — the server takes an attachment whose photo is not there yet as *on its way* —
then the pull runs, and only then the photos go up, newest dossier first. On a slow
link the office sees the day's dossiers in seconds, and a sync cut during the photos
holds back no record.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import TypeVar

from sync.errors import (
    DeviceRevoked,
    ServerRefused,
    TransportError,
    Unauthorized,
    UpgradeRequired,
)
from sync.hlc import HybridClock, Timestamp
from sync.ops import Operation, OutcomeKind
from sync.storage import (
    BlobRef,
    BlobStatus,
    DeviceStore,
    PushResult,
    SyncSettings,
    Transport,
)

T = TypeVar("T")

#: Photos announced in one request (the server takes up to 500).
ANNOUNCE_BATCH = 200

#: Progress callback: (phase, done, total), in the order of a sync. Phases: "push"
#: (operations), "pull" (changes), "photos" (done and total in bytes: photos differ a
#: hundredfold in size, so a count would stand still on a big one).
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential back-off with jitter between attempts of one request."""

    attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 30.0

    def delay(self, attempt: int, rng: random.Random) -> float:
        ceiling: float = min(self.max_delay, self.base_delay * 2.0**attempt)
        return ceiling / 2 + rng.random() * ceiling / 2


@dataclass
class Adaptive:
    """A request size that follows the link: how many operations a push carries, how
    many bytes a pull page or a photo chunk may hold.

    A request that fails halves it (a cut push or page is lost whole, so a flapping link
    needs requests that fit between its outages); one that took less than half of
    ``target_s`` doubles it (fewer round trips on a good link); one that took more than
    twice ``target_s`` halves it. Photo chunks (whose cut bytes the server keeps) grow
    after every chunk that goes through, whatever it took. Always within ``low``–``high``.
    """

    size: int
    low: int
    high: int
    target_s: float = 10.0

    def __post_init__(self) -> None:
        self.low = min(self.low, self.high)
        self.size = max(self.low, min(self.high, self.size))

    def failed(self) -> None:
        self.size = max(self.low, self.size // 2)

    def grow(self) -> None:
        self.size = min(self.high, self.size * 2)

    def took(self, seconds: float) -> None:
        if seconds < self.target_s / 2:
            self.grow()
        elif seconds > self.target_s * 2:
            self.failed()


@dataclass
class SyncReport:
    started_at: datetime
    finished_at: datetime | None = None
    ok: bool = False
    error: str | None = None
    photos_uploaded: int = 0
    pushed: int = 0
    applied: int = 0
    conflicts: int = 0
    rejected: int = 0
    pulled: int = 0
    requests: int = 0
    skew_ms: int = 0
    revoked: bool = False
    outcomes: dict[str, int] = field(default_factory=dict)
    #: Operations queued again because the server went back in time (PROTOCOL.md §12).
    resent: int = 0


@dataclass
class SyncEngine:
    store: DeviceStore
    transport: Transport
    clock: HybridClock
    settings: SyncSettings = field(default_factory=SyncSettings)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    # Operations per push (at most, and at first) and bytes per pull page (at first):
    # both follow the link within their bounds (``Adaptive``, PROTOCOL.md §6–§7).
    push_batch: int = 1000
    min_push_batch: int = 25
    pull_budget: int = 256 * 1024
    min_pull_budget: int = 16 * 1024
    max_pull_budget: int = 4 * 1024 * 1024
    #: Seconds a push or pull page should take on the link (see ``Adaptive``).
    request_target_s: float = 10.0
    # One photo of ~150 KB goes up in a single request on a healthy link; after a
    # failure chunks halve, down to ``min_chunk_size``, and grow back as they succeed.
    chunk_size: int = 256 * 1024
    min_chunk_size: int = 16 * 1024
    #: Photos sent at once, each on its own connection: while one waits for the answer
    #: to its last chunk (a round trip and the server's hash check), the next one's bytes
    #: already flow, so the uplink never idles between photos. 1 sends them one by one.
    photo_streams: int = 2
    sleep: Callable[[float], None] = time.sleep
    monotonic: Callable[[], float] = time.monotonic
    rng: random.Random = field(default_factory=random.Random)
    progress: Progress | None = None

    def restore_clock(self) -> None:
        """Load the clock offset and last stamp saved by earlier syncs."""
        offset = self.store.get_setting(self.settings.offset_key)
        if offset is not None:
            self.clock.offset_ms = int(offset)
        last = self.store.get_setting(self.settings.hlc_key)
        if last:
            self.clock.restore(Timestamp.decode(last))

    def sync(self) -> SyncReport:
        """One full sync. Never raises for network or server trouble: see the report."""
        report = SyncReport(started_at=datetime.now(UTC))
        try:
            self._push(report)
            self._pull(report)
            photos_refused = self._upload_photos_or_say_why(report)
            report.ok = photos_refused is None
            report.error = photos_refused
            self.store.set_setting(self.settings.last_sync_key, datetime.now(UTC).isoformat())
        except DeviceRevoked as error:
            report.revoked = True
            report.error = error.message
        except TransportError as error:
            report.error = str(error)
        except Exception as error:  # a sync must never crash the app; say what failed
            report.error = f"{type(error).__name__}: {error}"
        finally:
            self.store.set_setting(self.settings.hlc_key, self.clock.last.encode())
            report.finished_at = datetime.now(UTC)
        return report

    # -- phases ----------------------------------------------------------------------------

    def _upload_photos_or_say_why(self, report: SyncReport) -> str | None:
        """Upload the photos, after the records and the pull; a photo the server refuses
        is returned and reported (G12). Its ``attachment`` record is already on the
        server, shown as on its way until the bytes arrive."""
        try:
            self._upload_photos(report)
        except (Unauthorized, UpgradeRequired):
            raise  # the device as a whole may not sync
        except ServerRefused as error:
            return f"Ảnh chưa gửi được (photos not uploaded): {error}"
        return None

    def _upload_photos(self, report: SyncReport) -> None:
        blobs = self.store.pending_blobs()
        if not blobs:
            return
        total = sum(blob.size for blob in blobs)
        # All pending photos are announced at once; each then goes up from the offset
        # the server gave (PROTOCOL.md §8.1), in the store's order (newest dossier first).
        queue: list[tuple[BlobRef, BlobStatus]] = []
        for start in range(0, len(blobs), ANNOUNCE_BATCH):
            group = blobs[start : start + ANNOUNCE_BATCH]
            statuses = self._call(report, partial(self.transport.start_blobs, group))
            queue += zip(group, statuses, strict=True)
        uploads = _PhotoUploads(self, report, queue, total)
        streams = max(1, min(self.photo_streams, len(queue)))
        if streams == 1:
            uploads.run()
        else:
            workers = [
                threading.Thread(target=uploads.run, name=f"photos-{n}", daemon=True)
                for n in range(streams)
            ]
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.join()
        uploads.raise_first_error()
        self._report("photos", total, total)

    def _upload_blob(
        self,
        report: SyncReport,
        blob: BlobRef,
        status: BlobStatus,
        chunks: Adaptive,
        sent: Callable[[int], None] | None = None,
    ) -> None:
        """Upload one photo from ``status``, where the server stands (PROTOCOL.md §8).

        After a failed chunk the server is asked for its offset again (it keeps the
        bytes of a cut chunk), and chunks shrink by half down to ``min_chunk_size``;
        each chunk that goes through doubles the size again, up to ``chunk_size``.
        ``chunks`` carries the size on to the next photo.
        """
        failures = 0
        while not status.complete:
            chunk = self.store.read_blob(blob.sha256, status.offset, chunks.size)
            report.requests += 1
            try:
                status = self.transport.append_blob(blob.sha256, status.offset, chunk)
            except TransportError:
                failures += 1
                if failures >= self.retry.attempts:
                    raise
                chunks.failed()
                self.sleep(self.retry.delay(failures - 1, self.rng))
                status = self._call(report, partial(self.transport.start_blob, blob))
                continue
            failures = 0
            chunks.grow()
            if sent is not None:
                sent(status.offset)

    def _push(self, report: SyncReport) -> None:
        pending = self.store.pending_operations()
        total = len(pending)
        size = Adaptive(
            self.push_batch, self.min_push_batch, self.push_batch, self.request_target_s
        )
        start = 0
        while start < total:
            self._report("push", start, total)

            def push(limit: int, start: int = start) -> tuple[Sequence[Operation], PushResult]:
                batch = pending[start : start + limit]
                return batch, self._push_batch(batch)

            batch, result = self._sized_call(report, size, push)
            self.clock.offset_ms = -result.skew_ms
            self.store.set_setting(self.settings.offset_key, str(self.clock.offset_ms))
            report.skew_ms = result.skew_ms
            self.store.apply_outcomes(result.outcomes)
            for outcome in result.outcomes:
                report.outcomes[outcome.kind.value] = report.outcomes.get(outcome.kind.value, 0) + 1
                if outcome.kind is OutcomeKind.REJECTED:
                    report.rejected += 0 if outcome.retryable else 1
                elif outcome.kind is OutcomeKind.CONFLICT:
                    report.conflicts += 1
                else:
                    report.applied += 1
            report.pushed += len(batch)
            start += len(batch)
        self._report("push", total, total)

    def _push_batch(self, batch: Sequence[Operation]) -> PushResult:
        return self.transport.push(batch, self.clock.physical_ms() - self.clock.offset_ms)

    def _pull(self, report: SyncReport) -> None:
        size = Adaptive(
            self.pull_budget, self.min_pull_budget, self.max_pull_budget, self.request_target_s
        )
        while True:
            cursor = self.store.cursor()
            page = self._sized_call(report, size, partial(self.transport.pull, cursor))
            if self._server_rewound(report, page.epoch):
                continue  # pull again from the start
            for change in page.changes:
                for stamp in change.clocks.values():
                    self.clock.observe(Timestamp.decode(stamp))
            self.store.apply_changes(page.changes, page.cursor)
            report.pulled += len(page.changes)
            self._report("pull", report.pulled, report.pulled + (1 if page.more else 0))
            if not page.more:
                return

    def _server_rewound(self, report: SyncReport, epoch: str | None) -> bool:
        """Whether the server's epoch changed (it was restored from a backup).

        If so, what it acknowledged since the backup may be gone: this device's writes
        are queued again and pushed (their photos go up after the pull, like every
        sync's), and the pull restarts from the start (PROTOCOL.md §12). The first epoch
        a device sees is only remembered.
        """
        if not epoch:
            return False
        known = self.store.get_setting(self.settings.epoch_key)
        if known == epoch:
            return False
        if known is None:
            self.store.set_setting(self.settings.epoch_key, epoch)
            return False
        report.resent = self.store.resend_after_rewind(self.clock.node)
        self.store.set_setting(self.settings.epoch_key, epoch)
        self._push(report)
        return True

    # -- helpers ---------------------------------------------------------------------------

    def _call(self, report: SyncReport, request: Callable[[], T]) -> T:
        """Run one request, retrying transport failures with back-off."""
        for attempt in range(self.retry.attempts):
            report.requests += 1
            try:
                return request()
            except TransportError:
                if attempt == self.retry.attempts - 1:
                    raise
                self.sleep(self.retry.delay(attempt, self.rng))
        raise AssertionError("unreachable")  # pragma: no cover

    def _sized_call(self, report: SyncReport, size: Adaptive, request: Callable[[int], T]) -> T:
        """Like ``_call``, for a request of ``size.size``, which follows the outcome."""
        for attempt in range(self.retry.attempts):
            report.requests += 1
            started = self.monotonic()
            try:
                result = request(size.size)
            except TransportError:
                if attempt == self.retry.attempts - 1:
                    raise
                size.failed()
                self.sleep(self.retry.delay(attempt, self.rng))
                continue
            size.took(self.monotonic() - started)
            return result
        raise AssertionError("unreachable")  # pragma: no cover

    def _report(self, phase: str, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress(phase, done, total)


class _PhotoUploads:
    """The photos of one sync, taken in order by one or more streams (threads).

    Each stream uploads a photo whole (``SyncEngine._upload_blob``, with its own chunk
    size) before it takes the next one. The first error stops every stream from taking
    another photo; it is raised once the streams are done (``raise_first_error``).
    Progress is the bytes the server holds of every photo.
    """

    def __init__(
        self,
        engine: SyncEngine,
        report: SyncReport,
        queue: list[tuple[BlobRef, BlobStatus]],
        total: int,
    ) -> None:
        self.engine = engine
        self.report = report
        self.queue = list(reversed(queue))  # popped from the end: the first one first
        self.total = total
        self.held = {blob.sha256: min(status.offset, blob.size) for blob, status in queue}
        self.lock = threading.Lock()
        self.error: BaseException | None = None

    def _next(self) -> tuple[BlobRef, BlobStatus] | None:
        with self.lock:
            if self.error is not None or not self.queue:
                return None
            return self.queue.pop()

    def _sent(self, sha256: str, offset: int) -> None:
        with self.lock:
            self.held[sha256] = offset
            done = sum(self.held.values())
            self.engine._report("photos", min(self.total, done), self.total)

    def run(self) -> None:
        engine = self.engine
        chunks = Adaptive(engine.chunk_size, engine.min_chunk_size, engine.chunk_size)
        while (item := self._next()) is not None:
            blob, status = item
            self._sent(blob.sha256, min(status.offset, blob.size))  # where this one starts
            try:
                engine._upload_blob(
                    self.report, blob, status, chunks, partial(self._sent, blob.sha256)
                )
                engine.store.mark_blob_uploaded(blob.sha256)
            except BaseException as error:  # handed to the sync's thread
                with self.lock:
                    if self.error is None:
                        self.error = error
                return
            with self.lock:
                self.report.photos_uploaded += 1

    def raise_first_error(self) -> None:
        if self.error is not None:
            raise self.error
