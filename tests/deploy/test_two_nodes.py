"""Larger than one machine: two gunicorn nodes behind nginx on one PostgreSQL give the
same results as one node (docs/OPERATIONS.md). The same recorded field days, from two
tablets syncing at the same time, go once through two nodes and once through one, each
onto its own copy of the same database; the servers end with the same records, and
each tablet with exactly its server's."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from mobile.tablet import Tablet
from server.extensions import db
from sync.engine import SyncReport
from tests.conftest import make_app
from tests.deploy.conftest import only_postgres, stack_env
from tests.deploy.stack import stack
from tests.faults.conftest import (
    assert_same,
    assert_tablet_matches_server,
    clone_database,
    copy_tablet,
    field_day,
    register,
    serve,
    server_snapshot,
)
from tests.faults.test_cuts import _sync_via
from tests.server.conftest import World

pytestmark = [pytest.mark.slow, only_postgres()]


def _sync_together(tablets: list[Tablet], url: str, rounds: int = 2) -> None:
    """Every tablet syncs at once, ``rounds`` times (the second round pulls the others')."""

    def one(tablet: Tablet, reports: list[SyncReport]) -> None:
        reports.append(_sync_via(tablet, url, push_batch=40))

    for _ in range(rounds):
        reports: list[SyncReport] = []
        threads = [threading.Thread(target=one, args=(t, reports)) for t in tablets]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert len(reports) == len(tablets) and all(r.ok for r in reports), reports


def test_two_nodes_give_the_same_results_as_one(
    field_world: World,
    session: Session,
    app: Flask,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    commune = field_world.a.commune.id
    officer = field_world.a.officer.username
    with serve(app) as first:  # registration and reference data, before the split
        tablets = [register(tmp_path / f"t{i}.db", first.url, officer, f"T{i}") for i in range(2)]
    for seed, tablet in enumerate(tablets):
        field_day(tablet, 60 + seed, dossiers=8, feedback=3, surveys=6, photos=1)
    copies = [Tablet(copy_tablet(t, tmp_path / f"copy{i}.db")) for i, t in enumerate(tablets)]
    clone_url = clone_database(database_url, "postgresql", tmp_path, "one_node")
    clone = make_app(clone_url)
    try:
        two = tmp_path / "two"
        two.mkdir()
        with stack(two, stack_env(database_url, two), nodes=2, workers=1) as (proxy, nodes):
            monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(proxy.cert))
            _sync_together(tablets, proxy.url)
            # Both nodes answered sync requests: the load was shared.
            for node in nodes:
                assert '"/api/v1/sync/' in node.log.read_text(), node.log
        one = tmp_path / "one"
        one.mkdir()
        with stack(one, stack_env(clone_url, one), nodes=1, workers=2) as (proxy, _):
            monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(proxy.cert))
            _sync_together(copies, proxy.url)

        result = assert_same(server_snapshot(app, commune), server_snapshot(clone, commune),
                             server=False)  # fmt: skip
        assert result.equal
        for tablet in tablets:
            assert_tablet_matches_server(tablet, app, commune)
        for tablet in copies:
            assert_tablet_matches_server(tablet, clone, commune)
    finally:
        for tablet in [*tablets, *copies]:
            tablet.close()
        with clone.app_context():
            db.session.remove()
            db.engine.dispose()
