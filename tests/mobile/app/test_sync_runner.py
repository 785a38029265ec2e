"""The background sync: when it runs, what it reports and through which channel."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from mobile.app.context import AppContext
from mobile.app.sync_runner import ConnState, SyncRunner, immediate_dispatch
from sync.engine import SyncReport
from sync.errors import DeviceRevoked
from tests.sync.fake_server import FakeServer


class Recorder:
    def __init__(self, runner: SyncRunner) -> None:
        self.states: list[ConnState] = []
        self.progress: list[tuple[str, int, int]] = []
        self.reports: list[SyncReport] = []
        runner.state_changed.connect(self.states.append)
        runner.progress.connect(lambda *p: self.progress.append(p))
        runner.finished.connect(self.reports.append)


class Ticker:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _runner(ctx: AppContext, **kw: Any) -> tuple[SyncRunner, Recorder, Ticker]:
    ticker = Ticker()
    runner = SyncRunner(
        ctx, dispatch=immediate_dispatch, clock=ticker, push_delay=10, pull_interval=300, **kw
    )
    return runner, Recorder(runner), ticker


def test_syncs_when_the_server_appears_then_when_due(
    make_ctx: Callable[..., AppContext], fake_server: FakeServer
) -> None:
    ctx = make_ctx(online=False)
    online = {"now": False}
    ctx.platform.probe = lambda _url: online["now"]
    runner, seen, ticker = _runner(ctx)
    ctx.tablet.create_dossier(1, "Giàng A Páo")
    assert runner.step() is None  # offline: nothing happens
    assert runner.state is ConnState.OFFLINE and seen.states == []
    online["now"] = True
    report = runner.step()  # came online: sync at once
    assert report is not None and report.ok and report.pushed == 2
    assert seen.states == [ConnState.ONLINE, ConnState.SYNCING, ConnState.ONLINE]
    assert seen.progress and seen.progress[-1][0] == "pull"
    assert seen.reports == [report]
    assert ctx.tablet.status().pending == 0
    assert runner.step() is None  # nothing pending, pulled just now
    ctx.tablet.add_feedback("praise", "Nhiệt tình")
    assert runner.step() is None  # changes wait a little (push_delay)
    ticker.now += 11
    assert runner.step() is not None
    ticker.now += 100
    assert runner.step() is None
    ticker.now += 300
    assert runner.step() is not None  # colleagues' edits come every pull_interval
    assert fake_server.count("feedback") == 1


def test_on_demand_even_offline_and_the_failure_is_reported(
    make_ctx: Callable[..., AppContext],
) -> None:
    ctx = make_ctx(online=False)

    def broken() -> Any:
        raise ConnectionError("mạng hỏng (network down)")

    ctx.transport_factory = broken
    runner, seen, _ = _runner(ctx)
    assert runner.request() is True
    assert runner.request() is False  # asked once is enough
    report = runner.step()
    assert report is not None and not report.ok
    assert report.error is not None and "mạng hỏng" in report.error
    assert seen.reports == [report]
    assert runner.state is ConnState.OFFLINE
    assert ctx.tablet.status().pending == 0  # nothing was made, nothing lost


def test_revoked_device_stops_automatic_sync(make_ctx: Callable[..., AppContext]) -> None:
    ctx = make_ctx()

    class Revoked:
        def push(self, *_: Any) -> Any:
            raise DeviceRevoked(401, "Máy đã bị thu hồi (device revoked)", "device_revoked")

        pull = start_blob = start_blobs = append_blob = push

    ctx.transport_factory = Revoked
    ctx.tablet.create_dossier(1, "Thào A Tủa")
    runner, seen, _ = _runner(ctx)
    report = runner.step()
    assert report is not None and report.revoked
    ctx.prefs.revoked = True  # what the app does when it hears the report
    assert runner.step() is None
    assert runner.state is ConnState.ONLINE
    assert seen.reports == [report]


def test_the_thread_reports_through_dispatch(make_ctx: Callable[..., AppContext]) -> None:
    ctx = make_ctx()
    done = threading.Event()
    delivered: list[Callable[[], None]] = []
    runner = SyncRunner(ctx, dispatch=delivered.append, probe_interval=0.05)
    runner.finished.connect(lambda _report: done.set())
    ctx.tablet.create_dossier(1, "Lò Văn Thắng")
    runner.start()
    assert runner.sync_now() in (True, False)
    for _ in range(200):  # the "UI thread": run what the worker handed over
        while delivered:
            delivered.pop(0)()
        if done.wait(0.02):
            break
    runner.stop()
    assert done.is_set()
    assert runner.last_report is not None and runner.last_report.ok
    assert threading.current_thread() is threading.main_thread()
