"""A pull cursor never passes a change that commits late (G4), on PostgreSQL.

Sequence numbers are taken from the commune's counter row, whose lock the writer holds
until it commits. These tests hold a writer open in the middle of its transaction and
pull concurrently through the live server; they need PostgreSQL's row locks and
concurrent readers (SQLite serialises everything, so it cannot show the race).
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from server.extensions import db
from server.models import Dossier, DossierEvent
from server.sync import store as store_module
from server.sync.clock import server_clock
from server.sync.store import ServerFieldStore, lock_commune
from sync.ids import new_id
from sync.ops import Cursor
from tests.server.conftest import World
from tests.server.sync.conftest import LiveHttp, Tablet, make_tablet, second_tablet


@pytest.fixture(autouse=True)
def _postgres_only(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("G4 races need PostgreSQL (SQLite runs one writer at a time anyway)")


def _slow_write(
    engine: Engine, commune_id: int, procedure_id: int, serial: int
) -> tuple[Session, str, int]:
    """Stamp a new dossier in its own transaction and leave it open: (session, id, seq)."""
    session = Session(engine)
    lock_commune(session, commune_id)  # as every server writer of the commune does
    record_id = new_id()
    clock = server_clock().now().encode()
    received = datetime.now(UTC) - timedelta(minutes=1)
    values: dict[str, Any] = {
        "receipt_number": f"SLOW-{serial}-{record_id[-8:]}",
        "procedure_id": procedure_id,
        "applicant_name": "Chậm Trễ",
        "channel": "counter",
        "received_at": received.isoformat(),
        "due_date": date.today().isoformat(),
        "status": "received",
    }
    row = ServerFieldStore(session, commune_id).write(
        "dossier", record_id, {name: (value, clock) for name, value in values.items()}
    )
    session.flush()
    return session, record_id, int(row.seq)


COMMUNE_KINDS = ("dossier", "dossier_event")


class Puller(threading.Thread):
    """Pulls in a loop with its own cursor, recording every cursor and record it saw."""

    def __init__(self, tablet: Tablet, budget: int = 4096) -> None:
        super().__init__(daemon=True)
        self.tablet = tablet
        self.budget = budget
        self.cursor = ""
        self.seen: set[str] = set()
        self.cursors: list[tuple[float, int]] = []
        self.stop = threading.Event()
        self.errors: list[BaseException] = []
        self.pulled = threading.Condition()

    def pull_once(self) -> bool:
        page = self.tablet.pull(self.cursor, self.budget)
        self.seen.update(c["r"] for c in page["changes"] if c["c"] in COMMUNE_KINDS)
        self.cursor = page["cursor"]
        with self.pulled:
            self.cursors.append((time.monotonic(), Cursor.decode(self.cursor).commune))
            self.pulled.notify_all()
        return bool(page["more"])

    def wait_until(self, done: Callable[[], bool], timeout: float = 20) -> bool:
        """Wait, pull by pull, until ``done()`` holds or the puller failed."""
        with self.pulled:
            return self.pulled.wait_for(lambda: done() or bool(self.errors), timeout)

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                self.pull_once()
        except BaseException as error:  # reported by the test
            self.errors.append(error)
            with self.pulled:
                self.pulled.notify_all()

    def drain(self) -> None:
        while self.pull_once():
            pass


def _committed_records(session: Session, commune_id: int) -> set[str]:
    session.expire_all()
    return {
        *session.scalars(select(Dossier.id).where(Dossier.commune_id == commune_id)),
        *session.scalars(select(DossierEvent.id).where(DossierEvent.commune_id == commune_id)),
    }


def _someone_waits_for(engine: Engine, holder_pid: int) -> bool:
    """Whether a PostgreSQL backend waits for a lock that backend ``holder_pid`` holds."""
    with engine.connect() as connection:
        waiting = connection.scalar(
            text("SELECT count(*) FROM pg_stat_activity WHERE :pid = ANY(pg_blocking_pids(pid))"),
            {"pid": holder_pid},
        )
    return bool(waiting)


def test_g4_a_pull_never_passes_an_uncommitted_seq(
    live_server: Any, world: World, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    http = LiveHttp(live_server.url)
    writer = make_tablet(world.a.device, world.a.token, http)
    reader = second_tablet(session, world.a, http)
    first_id, first = writer.new_dossier(world.procedure)
    assert writer.push_one(first)["o"] == "applied"

    # The push tells when it asks for the commune's counter lock.
    at_the_lock = threading.Event()

    def lock_and_tell(lock_session: Session, commune_id: int) -> int:
        at_the_lock.set()
        return lock_commune(lock_session, commune_id)

    # (a push locks its communes' counters through ``shared.lock_communes``)
    monkeypatch.setattr(store_module, "lock_commune", lock_and_tell)
    slow, slow_id, slow_seq = _slow_write(
        db.engine, world.a.commune.id, world.procedure.id, serial=1
    )
    holder_pid = slow.connection().scalar(text("SELECT pg_backend_pid()"))
    pushed_id, pushed = writer.new_dossier(world.procedure)
    push_result: list[Any] = []
    pusher = threading.Thread(
        target=lambda: push_result.append(writer.push_one(pushed)), daemon=True
    )
    puller = Puller(reader)
    try:
        pusher.start()
        assert at_the_lock.wait(20), "the push never reached the commune's counter lock"
        # ...and waits there, on the row the open transaction holds (seen in pg_locks).
        deadline = time.monotonic() + 20
        while not _someone_waits_for(db.engine, holder_pid):
            assert time.monotonic() < deadline, "the push does not wait for the lock"
        puller.start()
        assert puller.wait_until(lambda: len(puller.cursors) >= 5), puller.errors
        # Five pulls went through while the push was still held.
        assert pusher.is_alive()
        assert push_result == []
        committed_at = time.monotonic()
        slow.commit()
    finally:
        slow.close()
    pusher.join(timeout=20)
    assert not pusher.is_alive()
    assert push_result and push_result[0]["o"] == "applied"
    pushed_seq = push_result[0]["s"]
    assert pushed_seq > slow_seq
    # The puller carries on past both writes once they are committed.
    assert puller.wait_until(
        lambda: any(at > committed_at and seq >= pushed_seq for at, seq in puller.cursors)
    ), puller.errors
    puller.stop.set()
    puller.join(timeout=20)
    assert not puller.errors, puller.errors
    before = [seq for at, seq in puller.cursors if at < committed_at]
    assert len(before) >= 5 and max(before) < slow_seq
    # Every cursor only ever moved forward.
    seqs = [seq for _at, seq in puller.cursors]
    assert seqs == sorted(seqs)
    puller.drain()
    assert {first_id, slow_id, pushed_id} <= puller.seen


def test_g4_stress_every_puller_sees_every_committed_record(
    live_server: Any, world: World, session: Session
) -> None:
    http = LiveHttp(live_server.url)
    pushers = [make_tablet(world.a.device, world.a.token, http)] + [
        second_tablet(session, world.a, http) for _ in range(2)
    ]
    pullers = [Puller(second_tablet(session, world.a, http), budget=4096) for _ in range(3)]
    engine = db.engine
    commune_id, procedure_id = world.a.commune.id, world.procedure.id
    stop = threading.Event()
    errors: list[BaseException] = []

    def push_loop(tablet: Tablet) -> None:
        try:
            while not stop.is_set():
                ops = []
                for _ in range(random.randint(1, 3)):
                    dossier_id, create = tablet.new_dossier(world_procedure)
                    ops += [create, tablet.new_event(dossier_id)[1]]
                results = tablet.push(ops)["results"]
                assert {r["o"] for r in results} == {"applied"}, results
        except BaseException as error:
            errors.append(error)

    def slow_loop(serial: int) -> None:
        rng = random.Random(serial)
        try:
            n = 0
            while not stop.is_set():
                n += 1
                slow, _record_id, _seq = _slow_write(
                    engine, commune_id, procedure_id, serial * 10_000 + n
                )
                try:
                    time.sleep(rng.uniform(0.0, 0.03))
                    slow.commit()
                finally:
                    slow.close()
        except BaseException as error:
            errors.append(error)

    world_procedure = world.procedure
    threads = [threading.Thread(target=push_loop, args=(t,), daemon=True) for t in pushers]
    threads += [threading.Thread(target=slow_loop, args=(i,), daemon=True) for i in (1, 2)]
    for thread in threads + pullers:
        thread.start()
    time.sleep(3)
    stop.set()
    for thread in threads:
        thread.join(timeout=20)
    for puller in pullers:
        puller.stop.set()
        puller.join(timeout=20)
    assert not errors, errors
    committed = _committed_records(session, commune_id)
    assert len(committed) > 10
    for puller in pullers:
        assert not puller.errors, puller.errors
        seqs = [seq for _at, seq in puller.cursors]
        assert seqs == sorted(seqs)
        puller.drain()
        assert puller.seen == committed
