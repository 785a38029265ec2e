"""Filing anywhere in the province (Decree 118/2025/NĐ-CP): a dossier received by one
commune and settled by another reaches the tablets of exactly the communes involved.

World: communes A (receiving, Tả Van), B (settling, Y Tý) and C (a third commune, never
involved unless a handover names it), all of one province; the procedure is on the
province's list of procedures receivable anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import Dossier, DossierEvent, Procedure, ScopeEntry
from server.services import handover
from server.services.errors import Invalid, NotFound
from tests import factories
from tests.server.conftest import CommuneKit, World, _kit, add_dossier
from tests.server.sync.conftest import FlaskHttp, Tablet, latest, make_tablet


@dataclass
class Three:
    world: World
    c: CommuneKit
    ta: Tablet
    tb: Tablet
    tc: Tablet

    @property
    def procedure(self) -> Procedure:
        return self.world.procedure


@pytest.fixture
def three(session: Session, world: World, client: FlaskClient) -> Three:
    world.procedure.receivable_anywhere = True
    c = _kit(session, world.province, "Sa Pa")
    session.commit()
    http = FlaskHttp(client)
    return Three(
        world,
        c,
        make_tablet(world.a.device, world.a.token, http),
        make_tablet(world.b.device, world.b.token, http),
        make_tablet(c.device, c.token, http),
    )


def ids(changes: list[dict[str, Any]]) -> set[str]:
    return {change["r"] for change in changes}


def received_for_b(three: Three) -> tuple[str, str]:
    """Tablet A receives a dossier for commune B, with its handed_over event."""
    world = three.world
    dossier_id, create = three.ta.new_dossier(
        three.procedure, settling_commune_id=world.b.commune.id
    )
    event_id, event = three.ta.new_event(
        dossier_id,
        kind="handed_over",
        data={
            "from_commune_id": world.a.commune.id,
            "to_commune_id": world.b.commune.id,
            "reason": "",
        },
    )
    results = three.ta.push([create, event])["results"]
    assert [r["o"] for r in results] == ["applied", "applied"], results
    return dossier_id, event_id


def clock_of(tablet: Tablet, dossier_id: str, name: str) -> str:
    changes, _ = tablet.pull_all()
    clock: str = latest(changes, "dossier", dossier_id)["k"][name]
    return clock


def b_hands_over_to_c(
    three: Three, dossier_id: str, reason: str
) -> tuple[dict[str, Any], tuple[str, dict[str, Any]]]:
    """Tablet B's two operations of a handover to C: the dossier's change, its event."""
    move = three.tb.op(
        "dossier",
        dossier_id,
        {"settling_commune_id": three.c.commune.id},
        base={"settling_commune_id": clock_of(three.tb, dossier_id, "settling_commune_id")},
    )
    event = three.tb.new_event(
        dossier_id,
        kind="handed_over",
        note=reason,
        data={
            "from_commune_id": three.world.b.commune.id,
            "to_commune_id": three.c.commune.id,
            "reason": reason,
        },
    )
    return move, event


# -- the rule, as a service -------------------------------------------------------------------


def test_intake_for_another_commune_needs_a_procedure_on_the_province_list(
    session: Session, three: Three
) -> None:
    world = three.world
    world.procedure.receivable_anywhere = False
    with pytest.raises(Invalid) as refused:
        add_dossier(session, world.a, world.procedure, settling_commune_id=world.b.commune.id)
    assert "settling_commune_id" in refused.value.errors
    world.procedure.receivable_anywhere = True
    dossier = add_dossier(session, world.a, world.procedure, settling_commune_id=world.b.commune.id)
    assert (dossier.commune_id, dossier.settling_commune_id, dossier.return_commune_id) == (
        world.a.commune.id,
        world.b.commune.id,
        world.a.commune.id,
    )
    assert handover.involved_communes(dossier) == {world.a.commune.id, world.b.commune.id}
    kinds = session.scalars(
        select(DossierEvent.kind).where(DossierEvent.dossier_id == dossier.id)
    ).all()
    assert sorted(kinds) == ["handed_over", "received"]


def test_intake_refuses_another_province_and_a_third_return_commune(
    session: Session, three: Three
) -> None:
    world = three.world
    elsewhere = factories.commune(session, factories.province(session, name="Lai Châu"))
    with pytest.raises(Invalid) as refused:
        add_dossier(session, world.a, world.procedure, settling_commune_id=elsewhere.id)
    assert "tỉnh" in refused.value.errors["settling_commune_id"]
    with pytest.raises(Invalid) as refused:
        add_dossier(
            session,
            world.a,
            world.procedure,
            settling_commune_id=world.b.commune.id,
            return_commune_id=three.c.commune.id,
        )
    assert "return_commune_id" in refused.value.errors


def test_hand_over_checks_and_records_who_when_why(session: Session, three: Three) -> None:
    world = three.world
    dossier = add_dossier(session, world.a, world.procedure)
    with pytest.raises(Invalid):  # already settled here
        handover.hand_over(session, dossier, world.a.commune.id, "", officer=world.a.officer)
    with pytest.raises(NotFound):  # a third commune cannot even see it
        handover.hand_over(session, dossier, three.c.commune.id, "x", officer=world.b.officer)
    event = handover.hand_over(session, dossier, world.b.commune.id, "", officer=world.a.officer)
    assert event.kind == "handed_over"
    assert event.officer_id == world.a.officer.id
    assert event.data == {
        "from_commune_id": world.a.commune.id,
        "to_commune_id": world.b.commune.id,
        "reason": "",
    }
    due = dossier.due_date
    with pytest.raises(Invalid) as refused:  # a second handover needs a reason
        handover.hand_over(session, dossier, three.c.commune.id, "  ", officer=world.b.officer)
    assert "lý do" in refused.value.message
    handover.hand_over(
        session, dossier, three.c.commune.id, "Công dân thường trú ở Sa Pa", officer=world.b.officer
    )
    session.commit()
    assert dossier.settling_commune_id == three.c.commune.id
    assert dossier.due_date == due  # Decree 118/2025: the time runs from receipt
    # B was involved and is not any more: its entries are removals.
    entries = session.scalars(select(ScopeEntry).where(ScopeEntry.record_id == dossier.id)).all()
    assert {(e.commune_id, e.gone) for e in entries} == {
        (world.b.commune.id, True),
        (three.c.commune.id, False),
    }


def test_a_finished_dossier_is_not_handed_over(session: Session, three: Three) -> None:
    world = three.world
    dossier = add_dossier(session, world.a, world.procedure)
    dossier.status = "approved"
    with pytest.raises(Invalid) as refused:
        handover.hand_over(session, dossier, world.b.commune.id, "", officer=world.a.officer)
    assert "finished" in refused.value.message


# -- sync scope -------------------------------------------------------------------------------


def test_a_dossier_received_for_another_commune_reaches_both_and_no_one_else(
    three: Three,
) -> None:
    dossier_id, event_id = received_for_b(three)
    b_changes, _ = three.tb.pull_all()
    assert {dossier_id, event_id} <= ids(b_changes)
    c_changes, _ = three.tc.pull_all()
    assert not {dossier_id, event_id} & ids(c_changes)
    # The settling commune gets every field (device numbers are per commune).
    dossier = next(c for c in b_changes if c["r"] == dossier_id)
    assert dossier["f"]["applicant_name"] == "Vàng Thị Mỷ"
    assert dossier["f"]["settling_commune_id"] == three.world.b.commune.id


def test_settling_commune_decides_receiving_commune_notes_and_returns(
    session: Session, three: Three
) -> None:
    dossier_id, _ = received_for_b(three)
    b_changes, _ = three.tb.pull_all()
    status_clock = next(c for c in b_changes if c["r"] == dossier_id)["k"]["status"]
    # The receiving commune may not decide...
    decide = three.ta.op("dossier", dossier_id, {"status": "in_progress"})
    outcome = three.ta.push_one(decide)
    assert (outcome["o"], outcome["r"]) == ("rejected", "forbidden"), outcome
    # ...nor may a third commune touch it at all (as if it did not exist).
    outcome = three.tc.push_one(three.tc.new_event(dossier_id)[1])
    assert outcome["r"] in ("forbidden", "missing_parent"), outcome
    # The settling commune decides.
    for status in ("in_progress", "approved"):
        op = three.tb.op("dossier", dossier_id, {"status": status}, base={"status": status_clock})
        assert three.tb.push_one(op)["o"] == "applied"
        status_clock = op["t"]
    # Both may write timeline notes.
    assert three.ta.push_one(three.ta.new_event(dossier_id)[1])["o"] == "applied"
    assert three.tb.push_one(three.tb.new_event(dossier_id)[1])["o"] == "applied"
    # The result is returned at the receiving commune (the default): only A records it.
    returned = {"status": "result_returned", "result_returned_at": "2026-12-07T02:00:00+00:00"}
    outcome = three.tb.push_one(three.tb.op("dossier", dossier_id, returned))
    assert (outcome["o"], outcome["r"]) == ("rejected", "forbidden"), outcome
    a_changes, _ = three.ta.pull_all()
    clocks = latest(a_changes, "dossier", dossier_id)["k"]
    base = {name: clocks[name] for name in returned if name in clocks}
    outcome = three.ta.push_one(three.ta.op("dossier", dossier_id, returned, base=base))
    assert outcome["o"] == "applied", outcome
    session.expire_all()
    assert session.get(Dossier, dossier_id).status == "result_returned"


def test_a_handover_by_tablet_moves_the_scope_and_removes_it_from_the_old_commune(
    three: Three,
) -> None:
    dossier_id, event_id = received_for_b(three)
    _, b_cursor = three.tb.pull_all()
    _, c_cursor = three.tc.pull_all()
    # B is not competent: it hands the dossier over to C, with the reason.
    _, b_cursor = three.tb.pull_all(b_cursor)
    move, (moved_id, moved) = b_hands_over_to_c(three, dossier_id, "Thường trú tại Sa Pa")
    results = three.tb.push([move, moved])["results"]
    assert [r["o"] for r in results] == ["applied", "applied"], results
    # C gets every record of the dossier by its normal pull, old ones included.
    c_changes, _ = three.tc.pull_all(c_cursor)
    assert {dossier_id, event_id, moved_id} <= ids(c_changes)
    # B gets removals and then nothing more.
    b_changes, b_cursor = three.tb.pull_all(b_cursor)
    gone = {c["r"] for c in b_changes if c.get("g")}
    assert {dossier_id, event_id, moved_id} <= gone
    assert all(c["f"] == {} for c in b_changes if c.get("g"))
    assert three.ta.push_one(three.ta.new_event(dossier_id)[1])["o"] == "applied"
    later, _ = three.tb.pull_all(b_cursor)
    assert not ids(later) & {dossier_id}
    # And B can no longer write to it.
    outcome = three.tb.push_one(three.tb.new_event(dossier_id)[1])
    assert outcome["r"] == "forbidden", outcome


def test_a_second_handover_without_reason_is_refused(three: Three) -> None:
    dossier_id, _ = received_for_b(three)
    move, (_, event) = b_hands_over_to_c(three, dossier_id, "")
    results = three.tb.push([move, event])["results"]
    assert results[1]["o"] == "rejected" and "note" in results[1]["e"], results


def test_a_tablet_cannot_name_a_commune_of_another_province(session: Session, three: Three) -> None:
    elsewhere = factories.commune(session, factories.province(session, name="Hà Giang"))
    session.commit()
    _, create = three.ta.new_dossier(three.procedure, settling_commune_id=elsewhere.id)
    outcome = three.ta.push_one(create)
    assert outcome["o"] == "rejected" and "settling_commune_id" in outcome["e"], outcome


def test_photos_travel_with_the_dossier_and_stay_out_of_other_communes(three: Three) -> None:
    from tests.server.sync.test_blobs import attachment_op, upload

    dossier_id, _ = received_for_b(three)
    photo = b"\xff\xd8 giay khai sinh \xff\xd9" * 40
    upload(three.ta, photo)
    attachment_id, op = attachment_op(three.ta, dossier_id, photo)
    assert three.ta.push_one(op)["o"] == "applied"
    digest = op["f"]["sha256"]
    b_changes, _ = three.tb.pull_all()
    assert attachment_id in ids(b_changes)
    assert three.tb.request("GET", f"/api/v1/blobs/{digest}").status == 200
    c_changes, _ = three.tc.pull_all()
    assert attachment_id not in ids(c_changes)
    assert three.tc.request("GET", f"/api/v1/blobs/{digest}").status == 404


def test_conflicts_about_a_shared_dossier_go_to_the_settling_commune(
    session: Session, three: Three, client: FlaskClient
) -> None:
    from server.scoping import Scope
    from server.sync import conflicts
    from tests.server.sync.conftest import second_tablet

    world = three.world
    dossier_id, _ = received_for_b(three)
    other_b = second_tablet(session, world.b, FlaskHttp(client))
    clock = clock_of(three.tb, dossier_id, "applicant_name")
    base = {"applicant_name": clock}
    first = three.tb.op("dossier", dossier_id, {"applicant_name": "Vàng Thị Mỹ"}, base=base)
    second = other_b.op("dossier", dossier_id, {"applicant_name": "Vàng Thị Mị"}, base=base)
    assert three.tb.push_one(first)["o"] == "applied"
    outcome = other_b.push_one(second)
    assert outcome["o"] == "conflict", outcome
    conflict_id = outcome["x"][0]
    in_b = session.scalars(conflicts.conflict_query(Scope(frozenset({world.b.commune.id})))).all()
    in_a = session.scalars(conflicts.conflict_query(Scope(frozenset({world.a.commune.id})))).all()
    assert [c.id for c in in_b] == [conflict_id]
    assert in_a == []
    with pytest.raises(NotFound):
        conflicts.get_conflict(session, conflict_id, Scope(frozenset({world.a.commune.id})))
    # The conflict record reaches both communes' tablets (it is about their dossier)...
    a_changes, _ = three.ta.pull_all()
    assert conflict_id in ids(a_changes)
    # ...but only the settling commune's tablet may resolve it.
    resolve = {"status": "resolved", "resolution": "kept"}
    outcome = three.ta.push_one(three.ta.op("sync_conflict", conflict_id, resolve))
    assert outcome["r"] == "forbidden", outcome
    b_changes, _ = three.tb.pull_all()
    clocks = latest(b_changes, "sync_conflict", conflict_id)["k"]
    base = {name: clocks[name] for name in resolve if name in clocks}
    decided = three.tb.op("sync_conflict", conflict_id, resolve, base=base)
    assert three.tb.push_one(decided)["o"] in ("applied", "conflict")
    session.expire_all()
    from server.models import SyncConflict

    stored = session.get(SyncConflict, conflict_id)
    assert stored is not None and stored.status == "resolved"
