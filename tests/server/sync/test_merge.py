"""Field-level merging of concurrent edits from two tablets (G5, G6, G7)."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.models import Dossier, SyncConflict
from tests.server.conftest import World
from tests.server.sync.conftest import FlaskHttp, Tablet, latest, second_tablet


def _shared_dossier(one: Tablet, two: Tablet, world: World) -> tuple[str, dict[str, Any]]:
    """A dossier made by ``one`` that both tablets have pulled; its state and clocks."""
    dossier_id, create = one.new_dossier(world.procedure)
    assert one.push_one(create)["o"] == "applied"
    changes, _cursor = two.pull_all()
    return dossier_id, latest(changes, "dossier", dossier_id)


def test_g5_same_field_edits_make_exactly_one_conflict_with_both_values(
    tablet_a: Tablet, world: World, session: Session, client: FlaskClient
) -> None:
    other = second_tablet(session, world.a, FlaskHttp(client))
    dossier_id, state = _shared_dossier(tablet_a, other, world)
    base = {"applicant_name": state["k"]["applicant_name"]}
    # Both edit the name offline; ``other`` edits later.
    first = tablet_a.op("dossier", dossier_id, {"applicant_name": "Giàng Thị Dở"}, base=base)
    second = other.op("dossier", dossier_id, {"applicant_name": "Giàng Thị Dính"}, base=base)
    assert first["t"] < second["t"]
    assert tablet_a.push_one(first)["o"] == "applied"
    result = other.push_one(second)
    assert result["o"] == "conflict"
    [conflict_id] = result["x"]
    # Retries and the opposite order never make a second record.
    assert other.push_one(second) == result
    assert session.scalar(select(func.count()).select_from(SyncConflict)) == 1

    conflict = session.get(SyncConflict, conflict_id)
    assert conflict is not None
    assert conflict.reason == "concurrent_edit"
    assert conflict.field == "applicant_name"
    assert (conflict.kept_value, conflict.lost_value) == ("Giàng Thị Dính", "Giàng Thị Dở")
    assert (conflict.kept_clock, conflict.lost_clock) == (second["t"], first["t"])
    assert conflict.kept_device_id == other.device_id
    assert conflict.lost_device_id == tablet_a.device_id
    assert conflict.lost_officer_id == world.a.officer.id
    # Each side's officer by name (schema 9): tablets do not hold the officer list.
    assert conflict.kept_officer_name == conflict.lost_officer_name == world.a.officer.full_name
    assert conflict.status == "open"
    assert conflict.commune_id == world.a.commune.id
    dossier = session.get(Dossier, dossier_id)
    assert dossier is not None
    assert dossier.applicant_name == "Giàng Thị Dính"
    # Both tablets get the conflict record by pull; the one that lost gets the winner
    # (the winner already holds its own value: a device is never sent its own writes).
    for tablet in (tablet_a, other):
        changes, _cursor = tablet.pull_all()
        name = latest(changes, "dossier", dossier_id)["f"].get("applicant_name")
        assert name == ("Giàng Thị Dính" if tablet is tablet_a else None)
        pulled = latest(changes, "sync_conflict", conflict_id)["f"]
        assert pulled["lost_value"] == "Giàng Thị Dở"
        assert pulled["kept_officer_name"] == world.a.officer.full_name


def test_g5_the_older_write_arriving_last_loses_into_the_same_single_conflict(
    tablet_a: Tablet, world: World, session: Session, client: FlaskClient
) -> None:
    other = second_tablet(session, world.a, FlaskHttp(client))
    dossier_id, state = _shared_dossier(tablet_a, other, world)
    base = {"applicant_phone": state["k"].get("applicant_phone", "")}
    older = tablet_a.op("dossier", dossier_id, {"applicant_phone": "0912345678"}, base=base)
    newer = other.op("dossier", dossier_id, {"applicant_phone": "0987654321"}, base=base)
    assert other.push_one(newer)["o"] == "applied"
    result = tablet_a.push_one(older)
    assert result["o"] == "conflict"
    conflict = session.get(SyncConflict, result["x"][0])
    assert conflict is not None
    assert (conflict.kept_value, conflict.lost_value) == ("0987654321", "0912345678")
    assert session.get(Dossier, dossier_id).applicant_phone == "0987654321"  # type: ignore[union-attr]


def test_g5_edits_of_different_fields_both_survive(
    tablet_a: Tablet, world: World, session: Session, client: FlaskClient
) -> None:
    other = second_tablet(session, world.a, FlaskHttp(client))
    dossier_id, state = _shared_dossier(tablet_a, other, world)
    name = tablet_a.op(
        "dossier",
        dossier_id,
        {"applicant_name": "Lò Văn Pằn"},
        base={"applicant_name": state["k"]["applicant_name"]},
    )
    address = other.op("dossier", dossier_id, {"applicant_address": "Bản Cát Cát"})
    assert tablet_a.push_one(name)["o"] == "applied"
    # ``other`` had not seen the name change: merged alongside it, nothing lost.
    result = other.push_one(address)
    assert result["o"] in ("applied", "merged")
    assert "x" not in result
    dossier = session.get(Dossier, dossier_id)
    assert dossier is not None
    assert (dossier.applicant_name, dossier.applicant_address) == ("Lò Văn Pằn", "Bản Cát Cát")
    assert session.scalar(select(func.count()).select_from(SyncConflict)) == 0


def test_g6_a_stale_status_edit_after_the_result_was_returned_is_a_conflict(
    tablet_a: Tablet, world: World, session: Session, client: FlaskClient
) -> None:
    other = second_tablet(session, world.a, FlaskHttp(client))
    dossier_id, state = _shared_dossier(tablet_a, other, world)
    stale_base = {"status": state["k"]["status"]}
    # Tablet A walks the dossier to the end while ``other`` is offline.
    clock = state["k"]["status"]
    for status in ("approved", "result_returned"):
        op = tablet_a.op("dossier", dossier_id, {"status": status}, base={"status": clock})
        assert tablet_a.push_one(op)["o"] == "applied"
        clock = op["t"]
    # ``other``, offline since before, asks for a supplement later in time.
    stale = other.op("dossier", dossier_id, {"status": "needs_supplement"}, base=stale_base)
    result = other.push_one(stale)
    assert result["o"] == "conflict"
    conflict = session.get(SyncConflict, result["x"][0])
    assert conflict is not None
    assert conflict.reason == "stale_status"
    assert (conflict.kept_value, conflict.lost_value) == ("result_returned", "needs_supplement")
    dossier = session.get(Dossier, dossier_id)
    assert dossier is not None
    assert dossier.status.value == "result_returned"


def test_g6_a_sequential_impossible_transition_is_rejected(tablet_a: Tablet, world: World) -> None:
    dossier_id, create = tablet_a.new_dossier(world.procedure)
    tablet_a.push([create])
    jump = tablet_a.op(
        "dossier", dossier_id, {"status": "result_returned"}, base={"status": create["t"]}
    )
    result = tablet_a.push_one(jump)
    assert (result["o"], result["r"]) == ("rejected", "invalid_transition")


def test_a_deletion_reaches_other_tablets_as_a_tombstone(
    tablet_a: Tablet, world: World, session: Session, client: FlaskClient
) -> None:
    colleague = second_tablet(session, world.a, FlaskHttp(client))
    feedback_id, create = tablet_a.new_feedback()
    tablet_a.push([create])
    _changes, cursor = colleague.pull_all()
    delete = tablet_a.op("feedback", feedback_id, {"deleted": True})
    assert tablet_a.push_one(delete)["o"] == "applied"
    page = colleague.pull(cursor)
    [change] = page["changes"]
    assert change["d"] == 1
    assert change["k"]["deleted"] == delete["t"]


def test_a_datetime_in_another_offset_is_the_same_instant_not_a_change(
    tablet_a: Tablet, world: World, session: Session, client: FlaskClient
) -> None:
    from datetime import datetime, timedelta, timezone

    received = datetime.now(timezone(timedelta(hours=7))) - timedelta(hours=1)
    dossier_id, create = tablet_a.new_dossier(world.procedure, received_at=received.isoformat())
    assert tablet_a.push_one(create)["o"] == "applied"
    # Sending the same instant in UTC is not a change of an immutable field.
    same = tablet_a.op("dossier", dossier_id, {"received_at": received.astimezone(UTC).isoformat()})
    assert tablet_a.push_one(same)["o"] in ("applied", "merged")
    changes, _cursor = second_tablet(session, world.a, FlaskHttp(client)).pull_all()
    pulled = latest(changes, "dossier", dossier_id)["f"]["received_at"]
    assert pulled == received.astimezone(UTC).isoformat()
    assert pulled.endswith("+00:00")
