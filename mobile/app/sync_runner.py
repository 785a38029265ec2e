"""Sync in the background: when a connection appears, every little while, and on demand.

One worker thread probes the server (``GET /api/v1/health``, short timeout) and runs
``Tablet.sync`` (PROTOCOL.md, ``sync.engine``). A single long-lived thread on purpose:
the store opens one SQLite connection per thread, so the app only ever has three — the
UI's, this one and the photo fetcher's (``mobile.photos``, also one long-lived thread).

When it syncs:
- as soon as the server becomes reachable (the officer drives back into signal);
- while online, shortly after local changes (``push_delay``) and every
  ``pull_interval`` to bring colleagues' edits;
- whenever the officer taps "Đồng bộ ngay" (even if the probe says offline: the
  report then says why it failed).

Nothing is reported from the worker thread directly: state, progress and the final
report reach the UI through ``dispatch`` — the Kivy clock in the app
(``kivy_dispatch``), a plain call in tests. Progress is coalesced so a fast pull does
not flood the UI with callbacks.
"""

from __future__ import annotations

import enum
import threading
import time
from collections.abc import Callable
from typing import Any

from mobile.app.context import AppContext
from mobile.app.viewmodels.base import Signal
from mobile.recovery import Enrolment, RecoveryClient, ensure_enrolled
from mobile.security import VaultError
from sync.engine import SyncReport
from sync.errors import SyncError

__all__ = ["ConnState", "Dispatch", "SyncRunner", "immediate_dispatch", "kivy_dispatch"]

Dispatch = Callable[[Callable[[], None]], None]


class ConnState(enum.StrEnum):
    OFFLINE = "offline"
    ONLINE = "online"
    SYNCING = "syncing"


def kivy_dispatch(action: Callable[[], None]) -> None:
    """Run ``action`` on the Kivy thread at the next frame."""
    from kivy.clock import Clock

    Clock.schedule_once(lambda _dt: action(), 0)


def immediate_dispatch(action: Callable[[], None]) -> None:
    action()


class SyncRunner:
    """The background sync of one app (see the module docs)."""

    def __init__(
        self,
        ctx: AppContext,
        *,
        dispatch: Dispatch = kivy_dispatch,
        probe_interval: float = 20.0,
        push_delay: float = 10.0,
        pull_interval: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
        sync_options: dict[str, Any] | None = None,
    ) -> None:
        self.ctx = ctx
        self.dispatch = dispatch
        self.probe_interval = probe_interval
        self.push_delay = push_delay
        self.pull_interval = pull_interval
        self.clock = clock
        self.sync_options = dict(sync_options or {})
        #: (ConnState) — on the UI thread.
        self.state_changed = Signal()
        #: (phase, done, total) — on the UI thread, coalesced.
        self.progress = Signal()
        #: (SyncReport) — on the UI thread.
        self.finished = Signal()
        self.state = ConnState.OFFLINE
        self.last_report: SyncReport | None = None
        self._online = False
        self._last_attempt: float | None = None
        self._requested = False
        self._syncing = False
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._progress: tuple[str, int, int] | None = None
        self._progress_queued = False
        #: The last recovery check: what it did, or why it failed ("" when it did not).
        self.recovery: Enrolment | None = None
        self.recovery_error = ""

    # -- control (UI thread) -------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def syncing(self) -> bool:
        return self._syncing

    def start(self) -> None:
        if self.running:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="motcua-sync", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self._thread = None

    def request(self) -> bool:
        """Flag a sync for the next round; False if one is running or already asked for."""
        with self._lock:
            if self._syncing or self._requested:
                return False
            self._requested = True
        return True

    def sync_now(self) -> bool:
        """Ask for a sync now; False if one is already running (it will report)."""
        if not self.request():
            return False
        if not self.running:
            self.start()
        self._wake.set()
        return True

    def poke(self) -> None:
        """Something changed locally: probe (and maybe push) soon."""
        self._wake.set()

    # -- the worker ----------------------------------------------------------------------------

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            self.step()
            self._wake.wait(self.probe_interval)

    def step(self) -> SyncReport | None:
        """One round: probe, then sync if asked or due. Public for tests (no thread)."""
        with self._lock:
            requested, self._requested = self._requested, False
        came_online = self._probe()
        if not (requested or self._due(came_online)):
            return None
        return self._sync()

    def _probe(self) -> bool:
        """Probe the server; True when it just became reachable."""
        url = self.ctx.server_url()
        online = bool(url) and self.ctx.platform.probe(url)
        came_online = online and not self._online
        self._online = online
        if not self._syncing:
            self._set_state(ConnState.ONLINE if online else ConnState.OFFLINE)
        return came_online

    def _due(self, came_online: bool) -> bool:
        if not self._online or self.ctx.prefs.revoked or not self.ctx.tablet.registered:
            return False
        if came_online or self._last_attempt is None:
            return True
        waited = self.clock() - self._last_attempt
        if waited >= self.pull_interval:
            return True
        return waited >= self.push_delay and self.ctx.tablet.store.pending_count() > 0

    def _sync(self) -> SyncReport:
        with self._lock:
            self._syncing = True
        self._set_state(ConnState.SYNCING)
        self._last_attempt = self.clock()
        transport = None
        try:
            transport = self.ctx.make_transport()
            report = self.ctx.tablet.sync(
                transport, progress=self._on_progress, **self.sync_options
            )
            if report.ok:
                self._ensure_recovery(transport)
        except Exception as error:  # Tablet.sync never raises; making a transport might
            report = SyncReport(started_at=self.ctx.tablet.now(), error=str(error))
        finally:
            close = getattr(transport, "close", None)
            if callable(close):
                close()
            with self._lock:
                self._syncing = False
        self.last_report = report
        self._online = report.ok or report.revoked or self._online_after_failure()
        self._flush_progress()
        self._set_state(ConnState.ONLINE if self._online else ConnState.OFFLINE)
        self.dispatch(lambda: self.finished.emit(report))
        return report

    def _ensure_recovery(self, transport: Any) -> None:
        """Once per unlock, after a good sync: the data key recoverable with the server's
        secret (a forgotten PIN then loses nothing; ``mobile.recovery``)."""
        cipher = self.ctx.cipher
        if not self.ctx.recovery_due or cipher is None or not isinstance(transport, RecoveryClient):
            return
        try:
            self.recovery = ensure_enrolled(self.ctx.vault, cipher, transport)
        except (SyncError, VaultError, OSError) as error:  # tried again at the next sync
            self.recovery_error = str(error)
            return
        self.recovery_error = ""
        self.ctx.recovery_due = False

    def _online_after_failure(self) -> bool:
        url = self.ctx.server_url()
        return bool(url) and self.ctx.platform.probe(url)

    def _set_state(self, state: ConnState) -> None:
        if state is self.state:
            return
        self.state = state
        self.dispatch(lambda: self.state_changed.emit(state))

    def _on_progress(self, phase: str, done: int, total: int) -> None:
        with self._lock:
            self._progress = (phase, done, total)
            if self._progress_queued:
                return
            self._progress_queued = True
        self.dispatch(self._deliver_progress)

    def _flush_progress(self) -> None:
        with self._lock:
            if self._progress is None or self._progress_queued:
                return
            self._progress_queued = True
        self.dispatch(self._deliver_progress)

    def _deliver_progress(self) -> None:
        with self._lock:
            latest, self._progress = self._progress, None
            self._progress_queued = False
        if latest is not None:
            self.progress.emit(*latest)
