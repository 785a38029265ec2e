"""Listing and resolving conflict records; a resolution syncs back to every tablet (G5)."""

from __future__ import annotations

import json
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import AuditEntry, Dossier, SyncConflict
from server.scoping import Scope
from server.sync.conflicts import resolve_conflict
from tests.server.conftest import World
from tests.server.sync.conftest import FlaskHttp, Tablet, latest, second_tablet


def make_conflict(
    tablet: Tablet, world: World, session: Session, client: FlaskClient
) -> tuple[str, str, Tablet]:
    """Two tablets of commune A edit one name; returns (dossier id, conflict id, other)."""
    other = second_tablet(session, world.a, FlaskHttp(client))
    dossier_id, create = tablet.new_dossier(world.procedure)
    tablet.push([create])
    base = {"applicant_name": create["t"]}
    first = tablet.op("dossier", dossier_id, {"applicant_name": "Sùng A Chứ"}, base=base)
    second = other.op("dossier", dossier_id, {"applicant_name": "Sùng A Chư"}, base=base)
    tablet.push([first])
    result = other.push_one(second)
    assert result["o"] == "conflict"
    return dossier_id, result["x"][0], other


def resolve(tablet: Tablet, conflict_id: str, body: dict[str, Any]) -> Any:
    return tablet.request(
        "POST",
        f"/api/v1/conflicts/{conflict_id}/resolve",
        json.dumps(body).encode(),
        **{"Content-Type": "application/json"},
    )


def test_g5_conflicts_list_and_overturn_syncs_back(
    tablet_a: Tablet, tablet_b: Tablet, world: World, session: Session, client: FlaskClient
) -> None:
    dossier_id, conflict_id, other = make_conflict(tablet_a, world, session, client)
    listed = tablet_a.request("GET", "/api/v1/conflicts?status=open")
    assert listed.status == 200
    page = listed.json()
    assert page["total"] == 1
    item = page["items"][0]
    assert item["id"] == conflict_id
    assert (item["kept_value"], item["lost_value"]) == ("Sùng A Chư", "Sùng A Chứ")
    assert tablet_b.request("GET", "/api/v1/conflicts").json()["total"] == 0

    _changes, cursor = other.pull_all()
    reply = resolve(tablet_a, conflict_id, {"choice": "overturned"})
    assert reply.status == 200, reply.json()
    body = reply.json()
    assert (body["status"], body["resolution"]) == ("resolved", "overturned")
    assert body["resolved_by_id"] == world.a.officer.id
    assert body["resolved_at"]

    # The next pull brings the overturned value, with a server stamp that wins.
    page_after = other.pull(cursor)
    dossier = latest(page_after["changes"], "dossier", dossier_id)
    assert dossier["f"]["applicant_name"] == "Sùng A Chứ"
    assert dossier["k"]["applicant_name"] > item["kept_clock"]
    conflict = latest(page_after["changes"], "sync_conflict", conflict_id)
    assert conflict["f"]["status"] == "resolved"
    assert conflict["f"]["resolution"] == "overturned"
    record = session.get(Dossier, dossier_id)
    assert record is not None
    session.refresh(record)
    assert record.applicant_name == "Sùng A Chứ"
    assert (
        session.scalar(select(AuditEntry).where(AuditEntry.action == "sync.conflict.resolve"))
        is not None
    )
    assert tablet_a.request("GET", "/api/v1/conflicts?status=open").json()["total"] == 0
    # Resolving twice is refused.
    assert resolve(tablet_a, conflict_id, {"choice": "kept"}).status == 409


def test_g5_edited_resolution_writes_a_third_value(
    tablet_a: Tablet, world: World, session: Session, client: FlaskClient
) -> None:
    dossier_id, conflict_id, _other = make_conflict(tablet_a, world, session, client)
    _changes, cursor = tablet_a.pull_all()
    invalid = resolve(tablet_a, conflict_id, {"choice": "edited", "value": ""})
    assert invalid.status == 422
    assert "value" in invalid.json()["errors"]
    missing = resolve(tablet_a, conflict_id, {"choice": "edited"})
    assert missing.status == 422
    assert resolve(tablet_a, conflict_id, {"choice": "sideways"}).status == 422
    reply = resolve(tablet_a, conflict_id, {"choice": "edited", "value": "Sùng A Chừ"})
    assert reply.status == 200
    page = tablet_a.pull(cursor)
    assert latest(page["changes"], "dossier", dossier_id)["f"]["applicant_name"] == "Sùng A Chừ"


def test_g5_kept_resolution_only_closes_the_conflict(
    tablet_a: Tablet, world: World, session: Session, client: FlaskClient
) -> None:
    dossier_id, conflict_id, _other = make_conflict(tablet_a, world, session, client)
    _changes, cursor = tablet_a.pull_all()
    assert resolve(tablet_a, conflict_id, {"choice": "kept", "value": "x"}).status == 422
    assert resolve(tablet_a, conflict_id, {"choice": "kept"}).status == 200
    page = tablet_a.pull(cursor)
    assert [c["c"] for c in page["changes"]] == ["sync_conflict"]
    record = session.get(Dossier, dossier_id)
    assert record is not None
    session.refresh(record)
    assert record.applicant_name == "Sùng A Chư"


def test_g9_conflicts_of_another_commune_are_404(
    tablet_a: Tablet, tablet_b: Tablet, world: World, session: Session, client: FlaskClient
) -> None:
    _dossier_id, conflict_id, _other = make_conflict(tablet_a, world, session, client)
    reply = resolve(tablet_b, conflict_id, {"choice": "overturned"})
    assert reply.status == 404
    conflict = session.get(SyncConflict, conflict_id)
    assert conflict is not None
    session.refresh(conflict)
    assert conflict.status == "open"


def test_resolve_service_is_usable_from_the_admin_web(
    tablet_a: Tablet, world: World, session: Session, client: FlaskClient
) -> None:
    dossier_id, conflict_id, _other = make_conflict(tablet_a, world, session, client)
    conflict = resolve_conflict(
        session,
        conflict_id,
        scope=Scope(None),
        choice="overturned",
        officer_id=world.a.leader.id,
    )
    session.commit()
    assert conflict.resolved_by_id == world.a.leader.id
    record = session.get(Dossier, dossier_id)
    assert record is not None
    assert record.applicant_name == "Sùng A Chứ"
