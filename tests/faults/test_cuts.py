"""Connections cut at seeded random byte offsets during push, pull and photo upload.

Real HTTP on loopback: the tablet talks to the live server through ``FaultProxy``, which
cuts the request (the server never gets all of it), cuts the response (the server did
the work and committed, the tablet gets part of the answer) or drops it whole. Each
sync through the proxy stops at its first fault (one attempt per request), the way a
tablet loses its link; the next sync resumes. When the round's faults are spent, one
sync through a healthy path (straight to the server) must complete, and then:

- push and photos: the server holds exactly what a fault-free run of the same workload
  gives (``conftest.reference_server``): 0 lost, 0 duplicated, the same field values,
  the same stored operation outcomes, the same verified photos;
- pull: the tablet holds exactly what a copy of it that pulled fault-free holds, and no
  change was applied twice;
- always: the tablet holds exactly the server's records, with nothing pending.

Each test runs ``rounds`` rounds (more under ``MOTCUA_SOAK=1``), each on new work.
"""

from __future__ import annotations

import hashlib
import math
import random
import time
from collections import Counter
from pathlib import Path
from typing import Any

from flask import Flask

from mobile.tablet import Tablet
from mobile.transport import HttpTransport
from sync.engine import RetryPolicy, SyncReport
from tests.conftest import LiveServer
from tests.faults.conftest import (
    SOAK,
    SOAK_FACTOR,
    TALLY,
    Comparison,
    Snapshot,
    assert_same,
    assert_tablet_matches_server,
    copy_tablet,
    field_day,
    reference_server,
    register,
    server_snapshot,
    tablet_snapshot,
)
from tests.faults.proxy import FaultPlan, FaultProxy
from tests.server.conftest import World

#: One attempt per request: a fault ends the sync, the next one resumes.
ONE_SHOT: dict[str, Any] = {"retry": RetryPolicy(attempts=1), "sleep": lambda _s: None}
ROUNDS = SOAK_FACTOR if SOAK else 1
PUSH_CUTS = 24  # per round and backend
PULL_CUTS = 14
PHOTO_CUTS = 14


def _address(url: str) -> tuple[str, int]:
    host, port = url.removeprefix("http://").split(":")
    return host, int(port)


def _backend(database_url: str) -> str:
    return "postgresql" if database_url.startswith("postgresql") else "sqlite"


def _sync_via(tablet: Tablet, url: str, **options: Any) -> SyncReport:
    transport = HttpTransport(url, tablet.registration.token, tablet.app_version, timeout=(5, 60))
    try:
        return tablet.sync(transport, **options)
    finally:
        transport.close()


def _healthy_sync(tablet: Tablet, url: str, **options: Any) -> SyncReport:
    report = _sync_via(tablet, url, **options)
    assert report.ok, report.error
    assert report.rejected == 0
    return report


def _reference_push_run(
    tablet: Tablet, database_url: str, tmp_path: Path, commune_id: int, name: str
) -> Snapshot:
    """The same outbox pushed fault-free to a clone of the server: the clone's snapshot."""
    copy = Tablet(copy_tablet(tablet, tmp_path / f"{name}.db"))
    try:
        with reference_server(database_url, tmp_path, name) as reference:
            report = _healthy_sync(copy, reference.url)
            assert copy.status().pending == 0, report
            return server_snapshot(reference.app, commune_id)
    finally:
        copy.close()


def _run_until_spent(
    tablet: Tablet, proxy: FaultProxy, plan: FaultPlan, rng: random.Random, **options: Any
) -> list[SyncReport]:
    """Sync through the proxy until every planned fault happened."""
    reports: list[SyncReport] = []
    for _ in range(2000):
        if plan.budget <= 0:
            break
        batch = rng.choice((8, 20, 45))
        report = _sync_via(tablet, proxy.url, push_batch=batch, **options)
        reports.append(report)
        if report.ok and tablet.status().pending == 0:
            break  # all work done: nothing left to break
    assert plan.budget == 0, f"the work ended with {plan.budget} planned faults not made"
    return reports


class Totals:
    """What the rounds of one test add up to, for the tally."""

    def __init__(self) -> None:
        self.kinds: Counter[str] = Counter()
        self.cuts = self.lost = self.duplicated = self.differing = self.syncs = 0
        self.extra: Counter[str] = Counter()

    def add(self, proxy: FaultProxy, reports: list[SyncReport], result: Comparison) -> None:
        faults = proxy.faults()
        self.cuts += len(faults)
        self.kinds.update(e.fault.kind for e in faults if e.fault is not None)
        self.lost += result.lost
        self.duplicated += result.duplicated
        self.differing += result.differing
        self.syncs += len(reports) + 1

    def report(self, scenario: str, started: float) -> None:
        TALLY.add(
            scenario,
            cuts=self.cuts,
            kinds=dict(self.kinds),
            lost=self.lost,
            duplicated=self.duplicated,
            differing=self.differing,
            syncs=self.syncs,
            rounds=ROUNDS,
            **dict(self.extra),
            seconds=round(time.monotonic() - started, 1),
        )


# -- (a) push ---------------------------------------------------------------------------------


def test_cuts_during_push_lose_and_duplicate_nothing(
    tmp_path: Path, live_server: LiveServer, field_world: World, database_url: str
) -> None:
    started = time.monotonic()
    commune_id = field_world.a.commune.id
    tablet = register(tmp_path / "tablet.db", live_server.url, field_world.a.officer.username)
    totals = Totals()
    for round_no in range(ROUNDS):
        seed = 1100 + round_no
        summary = field_day(tablet, seed)
        assert summary.operations > 500
        name = f"ref_push_{round_no}"
        reference = _reference_push_run(tablet, database_url, tmp_path, commune_id, name)

        rng = random.Random(seed)
        plan = FaultPlan(
            rng,
            match=lambda method, path: path.endswith("/sync/push"),
            budget=PUSH_CUTS,
            probability=0.5,
        )
        with FaultProxy(_address(live_server.url), plan) as proxy:
            reports = _run_until_spent(tablet, proxy, plan, rng, **ONE_SHOT)
        _healthy_sync(tablet, live_server.url)

        result = assert_same(server_snapshot(live_server.app, commune_id), reference)
        totals.add(proxy, reports, result)
        totals.extra["operations"] += summary.operations
        assert_tablet_matches_server(tablet, live_server.app, commune_id)
    totals.report(f"push cuts [{_backend(database_url)}]", started)
    tablet.close()


# -- (b) pull ---------------------------------------------------------------------------------


def test_cuts_during_pull_resume_from_the_last_applied_page(
    tmp_path: Path, live_server: LiveServer, field_world: World, database_url: str
) -> None:
    started = time.monotonic()
    commune_id = field_world.a.commune.id
    puller = register(tmp_path / "puller.db", live_server.url, field_world.a.officer.username)
    colleague = register(tmp_path / "colleague.db", live_server.url, field_world.a.leader.username)
    budget = 8 * 1024  # small pages: many of them to cut
    totals = Totals()
    for round_no in range(ROUNDS):
        seed = 2300 + round_no
        field_day(colleague, seed)
        _healthy_sync(colleague, live_server.url)
        # The colleague's 20 edits of existing dossiers, on the server too.
        rng = random.Random(seed)
        for n, dossier in enumerate(rng.sample(colleague.dossiers(), 20)):
            colleague.edit("dossier", dossier["id"], note=f"Đồng nghiệp bổ sung {round_no}.{n}")
        _healthy_sync(colleague, live_server.url)

        copy = Tablet(copy_tablet(puller, tmp_path / f"puller-ref-{round_no}.db"))
        reference_report = _healthy_sync(copy, live_server.url, pull_budget=budget)
        reference = tablet_snapshot(copy)
        copy.close()

        plan = FaultPlan(
            rng,
            match=lambda method, path: path.endswith("/sync/pull"),
            budget=PULL_CUTS,
            probability=0.35,
        )
        with FaultProxy(_address(live_server.url), plan) as proxy:
            reports = _run_until_spent(puller, proxy, plan, rng, pull_budget=budget, **ONE_SHOT)
        final = _healthy_sync(puller, live_server.url, pull_budget=budget)

        result = assert_same(tablet_snapshot(puller), reference, server=False)
        totals.add(proxy, reports, result)
        totals.extra["changes"] += reference_report.pulled
        # Each applied page stored its cursor with it: no change was applied twice (G10).
        assert sum(r.pulled for r in reports) + final.pulled == reference_report.pulled
    totals.report(f"pull cuts [{_backend(database_url)}]", started)
    # The tablet holds what the server holds (red while test_paged_pull.py is red).
    assert_tablet_matches_server(puller, live_server.app, commune_id)
    puller.close()
    colleague.close()


# -- (c) photo upload ---------------------------------------------------------------------


def _accepted_bytes(proxy: FaultProxy) -> int:
    """Bytes of PATCH chunks the server accepted (204) over the proxy."""
    return sum(e.request_body for e in proxy.exchanges if e.method == "PATCH" and e.status == 204)


def _resumed(proxy: FaultProxy) -> int:
    return sum(1 for e in proxy.exchanges if e.method == "PATCH" and e.status == 409)


def test_cuts_during_photo_upload_resume_from_the_server_offset(
    tmp_path: Path, live_server: LiveServer, field_world: World, database_url: str, app: Flask
) -> None:
    started = time.monotonic()
    commune_id = field_world.a.commune.id
    tablet = register(tmp_path / "tablet.db", live_server.url, field_world.a.officer.username)
    chunk = 8 * 1024  # about 11 chunks per photo, so cuts land mid-photo
    probability = 0.35
    photo_size = 90_000
    # Enough chunks for every planned cut, with room to spare.
    photos = math.ceil(PHOTO_CUTS / probability * 1.6 / (photo_size / chunk))
    totals = Totals()
    blob_dir = Path(app.config["MOTCUA_BLOB_DIR"])
    for round_no in range(ROUNDS):
        seed = 3700 + round_no
        field_day(
            tablet, seed, dossiers=4, feedback=1, surveys=5, photos=photos, photo_size=photo_size
        )
        sizes = {ref.sha256: ref.size for ref in tablet.store.pending_blobs()}
        assert len(sizes) == photos
        name = f"ref_photo_{round_no}"
        reference = _reference_push_run(tablet, database_url, tmp_path, commune_id, name)

        rng = random.Random(seed)
        plan = FaultPlan(
            rng,
            match=lambda method, path: method == "PATCH" and "/blobs/" in path,
            budget=PHOTO_CUTS,
            probability=probability,
        )
        with FaultProxy(_address(live_server.url), plan) as proxy:
            reports = _run_until_spent(tablet, proxy, plan, rng, chunk_size=chunk, **ONE_SHOT)
        with FaultProxy(_address(live_server.url)) as healthy:  # logs, never cuts
            _healthy_sync(tablet, healthy.url, chunk_size=chunk)

        # Every byte of every photo was accepted exactly once: each upload resumed where
        # the server stood (its offset from the announce or a 409), never from 0 again.
        assert _accepted_bytes(proxy) + _accepted_bytes(healthy) == sum(sizes.values())
        for sha256 in sizes:
            data = (blob_dir / sha256[:2] / sha256).read_bytes()
            assert hashlib.sha256(data).hexdigest() == sha256
        run = server_snapshot(live_server.app, commune_id)
        result = assert_same(run, reference)
        assert all(verified for _size, verified in run.blobs.values())
        totals.add(proxy, reports, result)
        totals.extra["photos"] += len(sizes)
        totals.extra["resumed_by_409"] += _resumed(proxy) + _resumed(healthy)
        assert_tablet_matches_server(tablet, live_server.app, commune_id)
    totals.report(f"photo upload cuts [{_backend(database_url)}]", started)
    tablet.close()
