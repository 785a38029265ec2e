"""G4 for records that move into a commune's scope (a handover), on PostgreSQL.

A handover numbers every record of the dossier, old ones included, in the new settling
commune's scope, under that commune's counter lock (server/sync/shared.py). Here the
handover's transaction stays open while the new commune's tablet pulls and another of
its tablets pushes: the pulls never pass the handover's numbers, the push waits for the
lock, and once the handover commits the next pull brings the whole dossier, although
its records were numbered at home long before the puller's cursor.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from server.extensions import db
from server.models import Dossier, DossierEvent, ScopeEntry
from server.services import handover
from tests.server.conftest import World, add_dossier
from tests.server.sync.conftest import LiveHttp, make_tablet, second_tablet
from tests.server.sync.test_g4_concurrency import Puller, _someone_waits_for


@pytest.fixture(autouse=True)
def _postgres_only(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("G4 races need PostgreSQL (SQLite runs one writer at a time anyway)")


def test_g4_a_handover_committed_late_is_not_skipped_by_the_new_communes_cursor(
    live_server: Any, world: World, session: Session
) -> None:
    world.procedure.receivable_anywhere = True
    # An old dossier of A, with its received event, numbered in A's scope only.
    dossier = add_dossier(session, world.a, world.procedure)
    dossier_id = dossier.id
    session.commit()
    http = LiveHttp(live_server.url)
    reader = make_tablet(world.b.device, world.b.token, http)
    writer = second_tablet(session, world.b, http)
    puller = Puller(reader)
    puller.drain()  # B's cursor is now past everything committed in B's scope
    assert dossier_id not in puller.seen
    # B gets writes of its own after that, so its cursor moves well past the start.
    for _ in range(3):
        assert writer.push_one(writer.new_dossier(world.procedure)[1])["o"] == "applied"
    puller.drain()

    # The handover, left open (its numbers in B's scope are taken, not committed).
    slow = Session(db.engine)
    moving = slow.get(Dossier, dossier_id)
    assert moving is not None
    handover.hand_over(slow, moving, world.b.commune.id, "", officer=world.a.officer)
    slow.flush()
    entry_seqs = list(
        slow.scalars(select(ScopeEntry.seq).where(ScopeEntry.commune_id == world.b.commune.id))
    )
    assert len(entry_seqs) >= 3  # the dossier, its received event, its handed_over event
    holder_pid = slow.connection().scalar(text("SELECT pg_backend_pid()"))
    pushed: list[Any] = []
    pusher = threading.Thread(
        target=lambda: pushed.append(writer.push_one(writer.new_dossier(world.procedure)[1])),
        daemon=True,
    )
    try:
        pusher.start()
        deadline = time.monotonic() + 20
        while not _someone_waits_for(db.engine, holder_pid):
            assert time.monotonic() < deadline, "the push does not wait for B's counter lock"
        puller.start()
        assert puller.wait_until(lambda: len(puller.cursors) >= 8), puller.errors
        assert pusher.is_alive() and pushed == []
        committed_at = time.monotonic()
        slow.commit()
    finally:
        slow.close()
    pusher.join(timeout=20)
    assert pushed and pushed[0]["o"] == "applied", pushed
    assert puller.wait_until(
        lambda: any(at > committed_at and seq >= pushed[0]["s"] for at, seq in puller.cursors)
    ), puller.errors
    puller.stop.set()
    puller.join(timeout=20)
    assert not puller.errors, puller.errors
    # While the handover was open no cursor reached its numbers...
    before = [seq for at, seq in puller.cursors if at < committed_at]
    assert before and max(before) < min(entry_seqs)
    seqs = [seq for _at, seq in puller.cursors]
    assert seqs == sorted(seqs)
    # ...and once it committed, the whole dossier came by the normal pull.
    puller.drain()
    session.expire_all()
    event_ids = set(
        session.scalars(select(DossierEvent.id).where(DossierEvent.dossier_id == dossier_id))
    )
    assert len(event_ids) == 2  # received, handed_over
    assert {dossier_id, *event_ids} <= puller.seen
