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

Each test makes a fixed number of faults (8 times more under ``MOTCUA_SOAK=1``), over as
many rounds of new work as they take, each round compared with its own fault-free run.
"""

from __future__ import annotations

import hashlib
import math
import random
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from mobile.tablet import Tablet
from mobile.transport import HttpTransport
from sync.engine import RetryPolicy, SyncReport
from sync.errors import ServerRefused
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
    pages,
    reference_server,
    register,
    server_snapshot,
    tablet_snapshot,
)
from tests.faults.proxy import Exchange, Fault, FaultPlan, FaultProxy
from tests.server.conftest import World

#: One attempt per request: a fault ends the sync, the next one resumes.
ONE_SHOT: dict[str, Any] = {"retry": RetryPolicy(attempts=1), "sleep": lambda _s: None}
SCALE = SOAK_FACTOR if SOAK else 1
# Faults per test and backend (x 8 in the soak), made over as many rounds of new work
# as they take: one round's outbox or pull is only so long.
PUSH_CUTS = 24 * SCALE
PULL_CUTS = 14 * SCALE
PHOTO_CUTS = 14 * SCALE


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


def _seeded_plan(
    seed: int, match: Callable[[str, str], bool], budget: int, probability: float
) -> tuple[random.Random, FaultPlan]:
    """A random source seeded with ``seed``, and a plan drawing from it: ``budget`` faults
    on exchanges that ``match``, each matching one broken with ``probability``."""
    rng = random.Random(seed)
    return rng, FaultPlan(rng, match=match, budget=budget, probability=probability)


def _rounds(plan: FaultPlan) -> Iterator[int]:
    """Round numbers, until every fault of ``plan`` was made (each round brings new work).

    A round ends when its work is done, faults left or not; the next round's work takes
    the rest. Far more rounds than the faults should need means the faults found nothing
    to break: that fails.
    """
    limit = 4 * SCALE + 2
    round_no = 0
    while plan.budget > 0:
        assert round_no < limit, f"{round_no} rounds of work left {plan.budget} faults unmade"
        yield round_no
        round_no += 1


def _run_until_done(
    tablet: Tablet, proxy: FaultProxy, plan: FaultPlan, rng: random.Random, **options: Any
) -> list[SyncReport]:
    """Sync through the proxy until the planned faults are spent or the work is done."""
    reports: list[SyncReport] = []
    while plan.budget > 0:
        batch = rng.choice((8, 20, 45))
        report = _sync_via(tablet, proxy.url, push_batch=batch, **options)
        reports.append(report)
        if report.ok and tablet.status().pending == 0:
            break  # all work done: nothing left to break this round
        assert len(reports) < 2000, "the syncs make no progress"
    return reports


class Totals:
    """What the rounds of one test add up to, for the tally."""

    def __init__(self) -> None:
        self.kinds: Counter[str] = Counter()
        self.cuts = self.lost = self.duplicated = self.differing = self.syncs = self.rounds = 0
        self.extra: Counter[str] = Counter()

    def add(self, proxy: FaultProxy, reports: list[SyncReport], result: Comparison) -> None:
        faults = proxy.faults()
        self.cuts += len(faults)
        self.kinds.update(e.fault.kind for e in faults if e.fault is not None)
        self.lost += result.lost
        self.duplicated += result.duplicated
        self.differing += result.differing
        self.syncs += len(reports) + 1
        self.rounds += 1

    def report(self, scenario: str, started: float) -> None:
        TALLY.add(
            scenario,
            cuts=self.cuts,
            kinds=dict(self.kinds),
            lost=self.lost,
            duplicated=self.duplicated,
            differing=self.differing,
            syncs=self.syncs,
            rounds=self.rounds,
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
    rng, plan = _seeded_plan(1100, lambda method, path: path.endswith("/sync/push"), PUSH_CUTS, 0.5)
    for round_no in _rounds(plan):
        summary = field_day(tablet, 1100 + round_no)
        assert summary.operations > 500
        name = f"ref_push_{round_no}"
        reference = _reference_push_run(tablet, database_url, tmp_path, commune_id, name)

        with FaultProxy(_address(live_server.url), plan) as proxy:
            reports = _run_until_done(tablet, proxy, plan, rng, **ONE_SHOT)
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
    rng, plan = _seeded_plan(
        2300, lambda method, path: path.endswith("/sync/pull"), PULL_CUTS, 0.35
    )
    for round_no in _rounds(plan):
        field_day(colleague, 2300 + round_no)
        _healthy_sync(colleague, live_server.url)
        # The colleague's 20 edits of existing dossiers, on the server too.
        for n, dossier in enumerate(rng.sample(colleague.dossiers(), 20)):
            colleague.edit("dossier", dossier["id"], note=f"Đồng nghiệp bổ sung {round_no}.{n}")
        _healthy_sync(colleague, live_server.url)

        copy = Tablet(copy_tablet(puller, tmp_path / f"puller-ref-{round_no}.db"))
        reference_report = _healthy_sync(copy, live_server.url, **pages(budget))
        reference = tablet_snapshot(copy)
        copy.close()

        with FaultProxy(_address(live_server.url), plan) as proxy:
            reports = _run_until_done(puller, proxy, plan, rng, **pages(budget), **ONE_SHOT)
        final = _healthy_sync(puller, live_server.url, **pages(budget))

        result = assert_same(tablet_snapshot(puller), reference, server=False)
        totals.add(proxy, reports, result)
        totals.extra["changes"] += reference_report.pulled
        totals.extra["pages"] += reference_report.requests  # nothing to push: all pages
        # Each applied page stored its cursor with it: no change was applied twice (G10).
        assert sum(r.pulled for r in reports) + final.pulled == reference_report.pulled
    totals.report(f"pull cuts [{_backend(database_url)}]", started)
    # The tablet holds what the server holds.
    assert_tablet_matches_server(puller, live_server.app, commune_id)
    puller.close()
    colleague.close()


# -- (c) photo upload ---------------------------------------------------------------------


@dataclass
class UploadLedger:
    """How the server's bytes of each photo came to be, replayed from the PATCH log."""

    accepted: int = 0  # bytes of chunks the server answered 204 to
    kept: int = 0  # bytes the server kept from chunks cut on the way (PROTOCOL.md §8.3)
    cut_chunks_kept: int = 0  # cut chunks that left bytes on the server


def _upload_ledger(exchanges: list[Exchange], sizes: dict[str, int]) -> UploadLedger:
    """Replay every chunk sent for ``sizes``' photos; fail if a byte was written twice.

    The server's offset for a photo is known after a ``204`` (its chunk started at the
    offset and ended at the new one) or a ``409`` (which says where the upload stands).
    A chunk cut on the way (``cut_request``) may leave any prefix of the body bytes that
    reached the server, so the offset is then only known to lie in a range, until the
    next answer says where it is. Each ``204`` must start inside the possible range (at
    the server's offset: no byte written twice, none skipped, never from 0 again), the
    offset never goes back, and every photo ends exactly at its size.
    """
    ledger = UploadLedger()
    low = dict.fromkeys(sizes, 0)  # the server's offset lies in [low, high]
    high = dict.fromkeys(sizes, 0)

    def settle(sha256: str, offset: int | None, who: str) -> int:
        """An answer put the server's offset at ``offset``: it must lie in the possible
        range, beyond whose low end lie the kept bytes of cut chunks; the range closes on it."""
        assert offset is not None and low[sha256] <= offset <= high[sha256], (
            f"{who} stood in [{low[sha256]}, {high[sha256]}]"
        )
        if offset > low[sha256]:
            ledger.cut_chunks_kept += 1
        ledger.kept += offset - low[sha256]
        low[sha256] = high[sha256] = offset
        return offset

    for e in exchanges:
        sha256 = e.path.rsplit("/", 1)[-1]
        if e.method != "PATCH" or sha256 not in sizes:
            continue
        where = f"PATCH {sha256[:12]} at {e.upload_offset} -> {e.status} ({e.fault})"
        if e.status == 204:
            start = settle(sha256, e.upload_offset, f"{where}: the server")
            ledger.accepted += e.request_body
            low[sha256] = high[sha256] = start + e.request_body
            assert e.response_offset == low[sha256], where
        elif e.status == 409:
            stands = e.response_offset
            settle(sha256, stands, f"{where}: the server says {stands}, it")
        elif e.status is None and e.upload_offset is not None:  # cut before the server answered
            high[sha256] = max(high[sha256], e.upload_offset + e.body_sent)
        else:
            raise AssertionError(f"{where}: unexpected answer")
    for sha256, size in sizes.items():
        assert low[sha256] == high[sha256] == size, (sha256, low[sha256], high[sha256], size)
    return ledger


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
    # Enough chunks in a round for the default run's cuts, with room to spare.
    photos = math.ceil(14 / probability * 1.6 / (photo_size / chunk))
    totals = Totals()
    blob_dir = Path(app.config["MOTCUA_BLOB_DIR"])
    rng, plan = _seeded_plan(
        3700, lambda method, path: method == "PATCH" and "/blobs/" in path, PHOTO_CUTS, probability
    )
    for round_no in _rounds(plan):
        field_day(
            tablet,
            3700 + round_no,
            dossiers=4,
            feedback=1,
            surveys=5,
            photos=photos,
            photo_size=photo_size,
        )
        sizes = {ref.sha256: ref.size for ref in tablet.store.pending_blobs()}
        assert len(sizes) == photos
        name = f"ref_photo_{round_no}"
        reference = _reference_push_run(tablet, database_url, tmp_path, commune_id, name)

        with FaultProxy(_address(live_server.url), plan) as proxy:
            reports = _run_until_done(tablet, proxy, plan, rng, chunk_size=chunk, **ONE_SHOT)
        with FaultProxy(_address(live_server.url)) as healthy:  # logs, never cuts
            _healthy_sync(tablet, healthy.url, chunk_size=chunk)

        # Every byte of every photo was written exactly once: each upload resumed where
        # the server stood (its offset from the announce or a 409), never from 0 again.
        ledger = _upload_ledger([*proxy.exchanges, *healthy.exchanges], sizes)
        assert ledger.accepted + ledger.kept == sum(sizes.values())
        for sha256 in sizes:
            data = (blob_dir / sha256[:2] / sha256).read_bytes()
            assert hashlib.sha256(data).hexdigest() == sha256
        run = server_snapshot(live_server.app, commune_id)
        result = assert_same(run, reference)
        assert all(verified for _size, verified in run.blobs.values())
        totals.add(proxy, reports, result)
        totals.extra["photos"] += len(sizes)
        totals.extra["resumed_by_409"] += _resumed(proxy) + _resumed(healthy)
        totals.extra["cut_chunks_kept"] += ledger.cut_chunks_kept
        totals.extra["bytes_kept_from_cut_chunks"] += ledger.kept
        assert_tablet_matches_server(tablet, live_server.app, commune_id)
    totals.report(f"photo upload cuts [{_backend(database_url)}]", started)
    tablet.close()


def test_a_sync_cut_during_the_photos_has_put_every_record_on_the_server(
    field_world: World, live_server: LiveServer, tmp_path: Path
) -> None:
    """Records before photos (G11): the link dies at the first photo chunk, over real
    HTTP; every record, attachments included, is already on the server (and the pull
    done), the photos are on their way (unreadable), and the next sync sends only them."""
    commune_id = field_world.a.commune.id
    tablet = register(tmp_path / "tablet.db", live_server.url, field_world.a.officer.username)
    field_day(tablet, 3900, dossiers=3, feedback=1, surveys=4, photos=4, photo_size=40_000)
    photos = {ref.sha256 for ref in tablet.store.pending_blobs()}
    assert len(photos) == 4
    plan = FaultPlan(
        random.Random(3900),
        match=lambda method, path: method == "PATCH" and "/blobs/" in path,
        kinds=("cut_request",),
        budget=1,
    )
    with FaultProxy(_address(live_server.url), plan) as proxy:
        report = _sync_via(tablet, proxy.url, chunk_size=16 * 1024, **ONE_SHOT)
    # the other photo stream may finish the photo it holds, it takes no other
    assert not report.ok and report.photos_uploaded <= 1
    assert len(proxy.faults()) == 1
    paths = [(e.method, e.path) for e in proxy.exchanges]
    first_chunk = next(i for i, (method, _p) in enumerate(paths) if method == "PATCH")
    assert any(path.endswith("/sync/push") for _m, path in paths[:first_chunk])
    assert any(path.endswith("/sync/pull") for _m, path in paths[:first_chunk])
    assert not any("/sync/" in path for _m, path in paths[first_chunk:])
    assert_tablet_matches_server(tablet, live_server.app, commune_id)  # nothing pending
    attachments = server_snapshot(live_server.app, commune_id).records["attachment"]
    assert {fields["sha256"] for fields in attachments.values()} == photos
    waiting = {p.sha256 for p in tablet.store.pending_blobs()}
    assert waiting <= photos and len(waiting) == len(photos) - report.photos_uploaded
    token = tablet.registration.token
    for sha256 in waiting:  # on its way: named, not readable
        transport = HttpTransport(live_server.url, token, tablet.app_version, timeout=(5, 60))
        try:
            with pytest.raises(ServerRefused) as refused:
                transport.fetch_blob(sha256)
            assert refused.value.status == 404
        finally:
            transport.close()

    with FaultProxy(_address(live_server.url)) as healthy:
        _healthy_sync(tablet, healthy.url)
    assert not any(e.path.endswith("/sync/push") for e in healthy.exchanges)
    assert tablet.store.pending_blobs() == []
    blobs = server_snapshot(live_server.app, commune_id).blobs
    assert all(blobs[sha256][1] for sha256 in photos)
    tablet.close()


def test_the_upload_ledger_catches_bytes_written_twice_or_skipped() -> None:
    """The photo scenario's check itself: a kept prefix is fine, an overlap or gap is not."""
    sha = "a" * 64
    path = f"/api/v1/blobs/{sha}"
    cut = Fault("cut_request", 0.5)

    def chunk(offset: int, size: int, status: int | None, sent: int | None = None) -> Exchange:
        answer = {204: offset + size, 409: sent}.get(status) if status else None
        e = Exchange("PATCH", path, size + 400, size, status=status, fault=None if status else cut)
        e.upload_offset, e.body_sent, e.response_offset = offset, sent or size, answer
        return e

    # 100 bytes, a chunk cut after 30 of its 50 bytes reached the server, which kept 20.
    ledger = _upload_ledger(
        [chunk(0, 50, 204), chunk(50, 50, None, sent=30), chunk(70, 30, 204)], {sha: 100}
    )
    assert (ledger.accepted, ledger.kept, ledger.cut_chunks_kept) == (80, 20, 1)
    # ... or told by a 409 where it stands.
    ledger = _upload_ledger(
        [
            chunk(0, 50, 204),
            chunk(50, 50, None, sent=30),
            chunk(50, 50, 409, sent=60),
            chunk(60, 40, 204),
        ],
        {sha: 100},
    )
    assert (ledger.accepted, ledger.kept) == (90, 10)
    # Sent again from 0 and accepted: bytes written twice.
    with pytest.raises(AssertionError, match="stood in"):
        _upload_ledger([chunk(0, 50, 204), chunk(0, 50, 204), chunk(50, 50, 204)], {sha: 100})
    # More kept than reached the server, or a gap.
    with pytest.raises(AssertionError, match="stood in"):
        _upload_ledger(
            [chunk(0, 50, 204), chunk(50, 50, None, sent=10), chunk(70, 30, 204)], {sha: 100}
        )
    # Not all of it.
    with pytest.raises(AssertionError):
        _upload_ledger([chunk(0, 50, 204)], {sha: 100})
