"""Helpers for the fault-injection tests: a field-day world, reference runs, comparisons.

Every scenario compares the server after a run full of faults with the server after a
*fault-free run of the same workload*: the tablet's database (outbox, photos) is copied
before its first push, and the server's database is cloned at the same moment into a
new database of the same backend served by a second live server. The copy syncs with
the clone, fault-free; the original syncs through the faulty proxy and then once more
through a healthy path. Then both servers must hold the same records with the same
field values and the same stored operation outcomes: nothing lost, nothing duplicated.

Counts (cuts performed, lost, duplicated) are kept in ``TALLY`` (``tally.py``) and
printed by each test and, for the whole run, in pytest's terminal summary.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Integer, create_engine, insert, select, text
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from mobile.simulator import FieldDaySummary, record_field_day
from mobile.tablet import Tablet
from server.demo import survey_questions
from server.extensions import db
from server.models import AppliedOperation, Base, Blob, FormStatus, SurveyForm
from server.services.changes import stamp_global
from server.sync.store import MODELS, ServerFieldStore
from sync.engine import RetryPolicy
from sync.schema import COLLECTIONS
from tests import factories
from tests.conftest import fresh_database_url, make_app
from tests.faults.tally import TALLY as TALLY
from tests.server.conftest import World
from tests.server.conftest import world as world

#: ``MOTCUA_SOAK=1`` multiplies the number of faults of every scenario.
SOAK = os.environ.get("MOTCUA_SOAK", "") not in ("", "0")
SOAK_FACTOR = 8


def scaled(default: int) -> int:
    """How many faults a scenario injects: ``default``, or much more under the soak."""
    return default * SOAK_FACTOR if SOAK else default


# -- the world -----------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def blob_dir(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """The test server's photo folder, for every test that has a server."""
    path = tmp_path / "server-blobs"
    if "app" in request.fixturenames:
        app: Flask = request.getfixturevalue("app")
        app.config["MOTCUA_BLOB_DIR"] = str(path)
    return path


@pytest.fixture
def field_world(world: World, session: Session) -> World:
    """The server world plus what a field day needs: more villages and a published survey."""
    for _ in range(3):
        factories.village(session, world.a.commune)
    form = SurveyForm(
        key="hai-long-thu",
        version=1,
        title_vi="Khảo sát mức độ hài lòng",
        title_en="Satisfaction survey",
        questions=survey_questions(),
        status=FormStatus.PUBLISHED,
        published_at=datetime.now(UTC) - timedelta(days=30),
        communes=[world.a.commune],
    )
    session.add(form)
    session.flush()
    stamp_global(session, form)
    session.commit()
    return world


#: Engine options for syncs through a faulty path: no waiting between retries.
FAST_RETRY = {"retry": RetryPolicy(attempts=2, base_delay=0.0), "sleep": lambda _s: None}


def pages(budget: int) -> dict[str, int]:
    """Engine options for pull pages of about ``budget`` bytes, every one of them.

    The engine sizes its pages to the link (``sync.engine.Adaptive``: they double while
    requests are fast); the scenarios pin the size so faults land on many small pages,
    the same ones run after run.
    """
    return {"pull_budget": budget, "min_pull_budget": budget, "max_pull_budget": budget}


def register(path: Path, url: str, username: str, name: str = "Máy thử") -> Tablet:
    """A registered tablet that pulled its reference data (a healthy first sync)."""
    tablet = Tablet(path)
    tablet.register(url, username, factories.PASSWORD, name)
    report = tablet.sync()
    assert report.ok, report.error
    return tablet


def field_day(tablet: Tablet, seed: int, **sizes: int) -> FieldDaySummary:
    """QUALITY.md's field day, with a few small photos unless told otherwise."""
    options: dict[str, int] = {"photos": 4, "photo_size": 12_000} | sizes
    return record_field_day(tablet, seed=seed, **options)


def copy_tablet(tablet: Tablet, target: Path) -> Path:
    """A consistent copy of the tablet's database and photo folder (the app keeps running)."""
    source = sqlite3.connect(tablet.store.path)
    copy = sqlite3.connect(target)
    with copy:
        source.backup(copy)
    source.close()
    copy.close()
    if tablet.store.blob_dir.exists():
        shutil.copytree(tablet.store.blob_dir, target.with_name(target.name + "-blobs"))
    return target


# -- databases and servers -------------------------------------------------------------------


def clone_database(source_url: str, backend: str, tmp_dir: Path, name: str) -> str:
    """A new database of ``backend`` holding a copy of every row of ``source_url``."""
    target_url = fresh_database_url(backend, tmp_dir, name)
    source = create_engine(source_url)
    target = create_engine(target_url)
    Base.metadata.create_all(target)
    with source.connect() as reader, target.begin() as writer:
        for table in Base.metadata.sorted_tables:
            rows = [dict(row) for row in reader.execute(select(table)).mappings()]
            if rows:
                writer.execute(insert(table), rows)
        if target.dialect.name == "postgresql":
            for table in Base.metadata.sorted_tables:
                for column in table.primary_key.columns:
                    if isinstance(column.type, Integer) and column.autoincrement in (True, "auto"):
                        writer.execute(
                            text(
                                f"SELECT setval(pg_get_serial_sequence('{table.name}', "
                                f"'{column.name}'), coalesce(max({column.name}), 0) + 1, false) "
                                f"FROM {table.name}"
                            )
                        )
    source.dispose()
    target.dispose()
    return target_url


@dataclass
class Served:
    app: Flask
    url: str

    @property
    def address(self) -> tuple[str, int]:
        host, port = self.url.removeprefix("http://").split(":")
        return host, int(port)


@contextmanager
def serve(app: Flask) -> Iterator[Served]:
    """``app`` over real HTTP on a free loopback port, in a thread (like ``live_server``)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield Served(app, f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@contextmanager
def reference_server(database_url: str, tmp_path: Path, name: str) -> Iterator[Served]:
    """A live server on a clone of the test database as it is now (for a fault-free run)."""
    backend = "postgresql" if database_url.startswith("postgresql") else "sqlite"
    clone_url = clone_database(database_url, backend, tmp_path, name)
    app = make_app(clone_url, MOTCUA_BLOB_DIR=str(tmp_path / f"{name}-blobs"))
    try:
        with serve(app) as served:
            yield served
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


# -- snapshots and comparison ----------------------------------------------------------------

COMMUNE_COLLECTIONS = tuple(MODELS)


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


@dataclass
class Snapshot:
    """What a replica holds for one commune: records' fields, and the server's extras."""

    records: dict[str, dict[str, dict[str, Any]]]  # collection → id → fields
    applied: dict[str, dict[str, Any]] = field(default_factory=dict)  # op id → outcome
    blobs: dict[str, tuple[int, bool]] = field(default_factory=dict)  # sha256 → (size, ok)

    def count(self) -> int:
        return sum(len(v) for v in self.records.values())


def server_snapshot(app: Flask, commune_id: int) -> Snapshot:
    with app.app_context():
        session = db.session()
        try:
            store = ServerFieldStore(session, commune_id)
            records: dict[str, dict[str, dict[str, Any]]] = {}
            for collection in COMMUNE_COLLECTIONS:
                rows: dict[str, dict[str, Any]] = {}
                for record_id in store.record_ids(collection):
                    state = store.read_record(collection, record_id)
                    assert state is not None
                    rows[record_id] = dict(state.fields)
                records[collection] = rows
            applied = {
                op.op_id: {k: v for k, v in op.outcome.items() if k not in ("s", "t")}
                for op in session.scalars(
                    select(AppliedOperation).where(AppliedOperation.commune_id == commune_id)
                )
            }
            blobs = {
                b.sha256: (int(b.size), bool(b.verified)) for b in session.scalars(select(Blob))
            }
        finally:
            db.session.remove()
    return Snapshot(records, applied, blobs)


def tablet_snapshot(tablet: Tablet) -> Snapshot:
    records: dict[str, dict[str, dict[str, Any]]] = {}
    for collection in COMMUNE_COLLECTIONS:
        rows: dict[str, dict[str, Any]] = {}
        for record_id in tablet.store.record_ids(collection):
            state = tablet.store.read_record(collection, record_id)
            assert state is not None
            values = dict(state.fields)
            if not COLLECTIONS[collection].append_only:
                values.setdefault("deleted", False)  # the server always has the tombstone
            rows[record_id] = values
        records[collection] = rows
    return Snapshot(records)


@dataclass
class Comparison:
    lost: int = 0  # records (or stored outcomes) the reference has and the run has not
    duplicated: int = 0  # records the run has twice or in excess (by id or by content)
    differing: int = 0  # records present in both whose field values differ
    details: list[str] = field(default_factory=list)

    @property
    def equal(self) -> bool:
        return self.lost == self.duplicated == self.differing == 0


def compare(run: Snapshot, reference: Snapshot, *, server: bool = True) -> Comparison:
    """Record sets and field values of ``run`` against ``reference``."""
    result = Comparison()
    for collection in COMMUNE_COLLECTIONS:
        mine = run.records.get(collection, {})
        theirs = reference.records.get(collection, {})
        missing = sorted(set(theirs) - set(mine))
        extra = sorted(set(mine) - set(theirs))
        result.lost += len(missing)
        result.details += [f"lost {collection} {rid}" for rid in missing[:5]]
        result.details += [f"extra {collection} {rid}" for rid in extra[:5]]
        for record_id in sorted(set(mine) & set(theirs)):
            if _canonical(mine[record_id]) != _canonical(theirs[record_id]):
                result.differing += 1
                names = sorted(
                    k
                    for k in set(mine[record_id]) | set(theirs[record_id])
                    if mine[record_id].get(k, "<absent>") != theirs[record_id].get(k, "<absent>")
                )
                if len(result.details) < 12:
                    result.details.append(f"differs {collection} {record_id}: fields {names}")
        # The same content under another id is a duplicate too (a re-created record).
        mine_content = Counter(_canonical(v) for v in mine.values())
        theirs_content = Counter(_canonical(v) for v in theirs.values())
        excess = sum(max(0, mine_content[k] - n) for k, n in theirs_content.items())
        result.duplicated += max(len(extra), excess)
    if server:
        missing_ops = set(reference.applied) - set(run.applied)
        extra_ops = set(run.applied) - set(reference.applied)
        result.lost += len(missing_ops)
        result.duplicated += len(extra_ops)
        result.details += [f"lost outcome {op}" for op in sorted(missing_ops)[:5]]
        result.details += [f"extra outcome {op}" for op in sorted(extra_ops)[:5]]
        for op_id in set(run.applied) & set(reference.applied):
            if run.applied[op_id] != reference.applied[op_id]:
                result.differing += 1
                if len(result.details) < 30:
                    result.details.append(
                        f"outcome {op_id}: {run.applied[op_id]} != {reference.applied[op_id]}"
                    )
        if run.blobs != reference.blobs:
            result.differing += 1
            result.details.append(f"blobs {run.blobs} != {reference.blobs}")
    return result


def assert_same(run: Snapshot, reference: Snapshot, *, server: bool = True) -> Comparison:
    result = compare(run, reference, server=server)
    assert reference.count() > 0
    assert result.equal, (
        f"lost {result.lost}, duplicated {result.duplicated}, differing {result.differing}:\n"
        + "\n".join(result.details)
    )
    return result


def assert_tablet_matches_server(tablet: Tablet, app: Flask, commune_id: int) -> None:
    """After a complete sync the tablet holds exactly the server's commune records."""
    status = tablet.status()
    assert status.pending == 0 and not status.rejected, status
    assert_same(tablet_snapshot(tablet), server_snapshot(app, commune_id), server=False)
