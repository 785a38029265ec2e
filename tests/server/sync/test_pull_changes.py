"""What a pulled change carries (PROTOCOL.md §7), found unchecked by mutation testing:
the tombstone flag only on deleted records, and records read in sequence order even
when their ids sort the other way (ids are made on tablets, in any order)."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from server.sync import pull as pull_module
from tests.server.conftest import World
from tests.server.sync.conftest import FlaskHttp, Tablet, latest, second_tablet

REFERENCE = ("admin_unit", "procedure", "survey_form")


def test_g10_only_deleted_records_are_pulled_as_tombstones(
    tablet_a: Tablet, world: World, session: Session, client: FlaskClient
) -> None:
    dossier_id, create = tablet_a.new_dossier(world.procedure)
    event_id, event = tablet_a.new_event(dossier_id)
    kept_id, kept = tablet_a.new_feedback()
    gone_id, gone = tablet_a.new_feedback()
    delete = tablet_a.op("feedback", gone_id, {"deleted": True})
    results = tablet_a.push([create, event, kept, gone, delete])["results"]
    assert {r["o"] for r in results} == {"applied"}, results
    changes, _cursor = second_tablet(session, world.a, FlaskHttp(client)).pull_all()
    by_id = {c["r"]: c for c in changes if c["c"] not in REFERENCE}
    for live in (dossier_id, event_id, kept_id):
        assert by_id[live].get("d", 0) == 0, by_id[live]
    assert latest(changes, "feedback", gone_id)["d"] == 1


def test_g10_records_whose_ids_sort_against_their_sequence_arrive_whole_and_in_order(
    tablet_a: Tablet,
    world: World,
    session: Session,
    client: FlaskClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(pull_module, "MIN_ROWS", 4)
    monkeypatch.setattr(pull_module, "MAX_ROWS", 4)
    made = [tablet_a.new_feedback() for _ in range(15)]
    # Pushed newest id first: sequence numbers grow while the ids shrink.
    made.reverse()
    results = tablet_a.push([op for _id, op in made])["results"]
    assert {r["o"] for r in results} == {"applied"}
    colleague = second_tablet(session, world.a, FlaskHttp(client))
    changes, _cursor = colleague.pull_all(budget=1 << 20)
    pulled = [c for c in changes if c["c"] == "feedback"]
    assert [c["r"] for c in pulled] == [record_id for record_id, _op in made]
    assert [c["s"] for c in pulled] == sorted(c["s"] for c in pulled)
