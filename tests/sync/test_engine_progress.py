"""G14: a running sync reports its progress step by step, not only at the end.

The officer watches a bar move while a day's work goes up on a slow link: every photo,
push batch and pull page must move it, with the real count done of the real total.
"""

from __future__ import annotations

import random
from pathlib import Path

from mobile.tablet import Tablet
from sync.engine import SyncEngine
from tests.sync.fake_server import FakeServer, FakeTransport
from tests.sync.test_engine import fill_commune, make_dossiers
from tests.sync.test_engine import server as server
from tests.sync.test_engine import tablet as tablet


def _watched(
    tablet: Tablet, server: FakeServer, phases: list[tuple[str, int, int]], **options: int
) -> SyncEngine:
    """An engine for ``tablet`` that records every progress report in ``phases``."""
    return SyncEngine(
        tablet.store,
        FakeTransport(server, 1),
        tablet.clock,
        rng=random.Random(7),
        sleep=lambda _s: None,
        progress=lambda *p: phases.append(p),
        **options,
    )


def test_g14_push_progress_moves_batch_by_batch(tablet: Tablet, server: FakeServer) -> None:
    make_dossiers(tablet, 30)  # a dossier and its "received" timeline event each
    assert tablet.store.pending_count() == 60
    phases: list[tuple[str, int, int]] = []
    report = _watched(tablet, server, phases, push_batch=25, min_push_batch=25).sync()
    assert report.ok, report.error
    pushes = [p for p in phases if p[0] == "push"]
    # Batches of 25, 25 and 10 operations: before each, then at the end.
    assert pushes == [("push", 0, 60), ("push", 25, 60), ("push", 50, 60), ("push", 60, 60)]


def test_g14_photo_and_pull_progress_move_item_by_item(
    tablet: Tablet, server: FakeServer, tmp_path: Path
) -> None:
    dossier = make_dossiers(tablet, 1)[0]
    for n in range(3):
        tablet.attach_photo("dossier", dossier, b"\xff\xd8 photo %d" % n, "image/jpeg")
    fill_commune(tmp_path, server, 12)  # 24 records for this tablet to pull
    phases: list[tuple[str, int, int]] = []
    # A budget of one byte: the fake server sends one change per page.
    one = {"pull_budget": 1, "min_pull_budget": 1, "max_pull_budget": 1}
    report = _watched(tablet, server, phases, **one).sync()
    assert report.ok, report.error
    photos = [p for p in phases if p[0] == "photos"]
    assert photos == [("photos", n, 3) for n in (0, 1, 2, 3)]
    pulls = [p for p in phases if p[0] == "pull"]
    assert len(pulls) == report.pulled >= 24
    assert [done for _phase, done, _total in pulls] == list(range(1, report.pulled + 1))
    # While pages remain, the total is ahead of what is done; the last page ends it.
    assert all(done < total for _phase, done, total in pulls[:-1])
    assert pulls[-1][1] == pulls[-1][2]
