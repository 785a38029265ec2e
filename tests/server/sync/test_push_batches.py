"""A push applies its operations in chunks, one savepoint each, and numbers its writes in
memory under the commune's counter lock (``server/sync/push.py``, ``changes.numbers_held``).
These check that the numbers still end up in the counter row with the records, and that a
database error inside a chunk still rejects only its own operation (G12)."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import AppliedOperation, AuditEntry, Dossier, DossierEvent
from server.services.changes import commune_scope, current_seq
from tests.server.conftest import World
from tests.server.sync.conftest import FlaskHttp, Tablet, second_tablet


def _stored_seqs(session: Session, commune_id: int) -> dict[str, int]:
    session.expire_all()
    seqs: dict[str, int] = {}
    for model in (Dossier, DossierEvent):
        rows = session.execute(select(model.id, model.seq).where(model.commune_id == commune_id))
        seqs.update({record_id: int(seq) for record_id, seq in rows})
    return seqs


def _chunks_of(monkeypatch: pytest.MonkeyPatch, size: int) -> None:
    """Chunks of ``size``, and no friendly receipt check: the unique index refuses
    duplicates, which only shows when a chunk is flushed."""
    from server.sync import push as push_module

    monkeypatch.setattr(push_module, "CHUNK", size)
    monkeypatch.setattr(push_module.Pusher, "_check_receipt_number", lambda self, op, n: None)


def _same_receipt(tablet: Tablet, world: World, original: dict[str, Any]) -> dict[str, Any]:
    """The creation of a new dossier with ``original``'s receipt number."""
    _record_id, op = tablet.new_dossier(
        world.procedure, receipt_number=original["f"]["receipt_number"]
    )
    return op


def test_g4_numbers_handed_out_in_memory_reach_the_counter(
    tablet_a: Tablet, world: World, session: Session
) -> None:
    scope = commune_scope(world.a.commune.id)
    before = current_seq(session, scope)
    ops = []
    for _ in range(5):
        dossier_id, create = tablet_a.new_dossier(world.procedure)
        _event_id, event = tablet_a.new_event(dossier_id)
        ops += [create, event]
    results = tablet_a.push(ops)["results"]
    assert {r["o"] for r in results} == {"applied"}
    seqs = [r["s"] for r in results]
    assert seqs == sorted(set(seqs))  # one number each, in the order of the operations
    assert min(seqs) > before
    stored = _stored_seqs(session, world.a.commune.id)
    assert sorted(stored.values()) == seqs
    assert current_seq(session, scope) == max(seqs)
    # Pushed again: the stored outcomes, and no number taken.
    assert tablet_a.push(ops)["results"] == results
    session.expire_all()
    assert current_seq(session, scope) == max(seqs)


def test_g12_a_database_error_in_a_chunk_rejects_only_its_operation(
    tablet_a: Tablet,
    world: World,
    session: Session,
    client: FlaskClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _chunks_of(monkeypatch, 2)
    first_id, first = tablet_a.new_dossier(world.procedure)
    duplicate = _same_receipt(tablet_a, world, first)
    second_id, second = tablet_a.new_dossier(world.procedure)
    event_id, event = tablet_a.new_event(second_id)
    again = _same_receipt(tablet_a, world, second)
    third_id, third = tablet_a.new_dossier(world.procedure)
    ops = [first, second, duplicate, event, again, third]
    results = tablet_a.push(ops)["results"]
    assert [r["o"] for r in results] == [
        "applied",
        "applied",
        "rejected",
        "applied",
        "rejected",
        "applied",
    ]
    assert {results[2]["r"], results[4]["r"]} == {"invalid"}

    stored = _stored_seqs(session, world.a.commune.id)
    assert set(stored) == {first_id, second_id, event_id, third_id}
    assert len(set(stored.values())) == len(stored)
    applied = [(op["r"], r["s"]) for op, r in zip(ops, results, strict=True) if r["o"] == "applied"]
    assert [(record_id, stored[record_id]) for record_id, _seq in applied] == applied
    assert current_seq(session, commune_scope(world.a.commune.id)) >= max(stored.values())
    # Every outcome is stored once (rejections too), every applied write audited once.
    outcomes = session.scalars(
        select(AppliedOperation.op_id).where(AppliedOperation.op_id.in_([o["i"] for o in ops]))
    ).all()
    assert sorted(outcomes) == sorted(o["i"] for o in ops)
    audited = session.scalars(
        select(AuditEntry.entity_id).where(AuditEntry.action.startswith("sync."))
    ).all()
    assert sorted(audited) == sorted(stored)

    # A colleague pulls each record once, in order, and its cursor ends at the counter.
    colleague = second_tablet(session, world.a, FlaskHttp(client))
    changes, _cursor = colleague.pull_all(budget=4096)
    commune: list[Any] = [c for c in changes if c["c"] in ("dossier", "dossier_event")]
    assert [c["r"] for c in commune] == [first_id, second_id, event_id, third_id]
    assert [c["s"] for c in commune] == sorted(stored.values())


def test_g3_a_push_resent_after_a_chunk_failed_returns_the_same_outcomes(
    tablet_a: Tablet, world: World, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    _chunks_of(monkeypatch, 3)
    first_id, first = tablet_a.new_dossier(world.procedure)
    duplicate = _same_receipt(tablet_a, world, first)
    event_id, event = tablet_a.new_event(first_id)
    ops = [first, duplicate, event, event]
    results = tablet_a.push(ops)["results"]
    assert [r["o"] for r in results] == ["applied", "rejected", "applied", "applied"]
    assert results[3] == results[2]  # the same operation twice: applied once
    assert tablet_a.push(ops)["results"] == results
    assert set(_stored_seqs(session, world.a.commune.id)) == {first_id, event_id}


def test_a_push_reads_the_day_offs_once_and_inserts_its_records_together(
    tablet_a: Tablet, world: World, session: Session
) -> None:
    """Every new dossier's due date needs the day-off decisions: read once a push, and
    without flushing the chunk, so its new rows still go out in a few multi-row INSERTs
    (a read per dossier made 54 statements of a 40-dossier field day and split its
    INSERTs one per dossier)."""
    from sqlalchemy import event

    from server.extensions import db

    ops = []
    for _ in range(12):
        dossier_id, create = tablet_a.new_dossier(world.procedure)
        _event_id, note = tablet_a.new_event(dossier_id)
        ops += [create, note]
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(" ".join(statement.split()[:3]))

    engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        results = tablet_a.push(ops)["results"]
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert {r["o"] for r in results} == {"applied"}
    day_off_reads = [s for s in statements if "day_off_decision" in s]
    assert len(day_off_reads) == 1, statements
    assert statements.count("INSERT INTO dossier") <= 2, statements
    assert statements.count("INSERT INTO dossier_event") <= 2, statements
    # and the due dates are the ones the decisions give
    session.expire_all()
    dossier = session.get(Dossier, ops[0]["r"])
    assert dossier is not None and dossier.due_date is not None
