"""Tenant isolation: an officer of commune A can neither read nor write commune B.

The matrix covers every API endpoint; a test fails when an endpoint is added without
being placed in it.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from server.models import Feedback, Role, utcnow
from server.scoping import scope_for_officer
from server.services.changes import stamp
from sync.domain import Channel, FeedbackKind
from sync.ids import new_id
from tests.server.conftest import World, add_dossier

#: Endpoints anyone may call, without a device token.
PUBLIC = {
    ("GET", "/api/v1/health"),
    ("GET", "/api/v1/openapi.json"),
    ("POST", "/api/v1/devices"),
    ("GET", "/api/v1/docs/"),
    ("GET", "/api/v1/docs/assets/<path:filename>"),
}
#: Endpoints exercised by the matrix below.
SCOPED = {
    ("GET", "/api/v1/devices/me"),
    ("GET", "/api/v1/procedures"),
    ("GET", "/api/v1/villages"),
    ("GET", "/api/v1/dossiers"),
    ("POST", "/api/v1/dossiers"),
    ("GET", "/api/v1/dossiers/<string:dossier_id>"),
    ("GET", "/api/v1/feedback"),
    ("GET", "/api/v1/feedback/<string:feedback_id>"),
}


def test_every_api_endpoint_is_in_the_matrix(app: Flask) -> None:
    routes = {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/")
        for method in rule.methods or ()
        if method not in ("HEAD", "OPTIONS")
    }
    assert routes == PUBLIC | SCOPED


def _feedback(session: Session, commune_id: int) -> Feedback:
    item = Feedback(
        id=new_id(),
        commune_id=commune_id,
        kind=FeedbackKind.COMPLAINT,
        content="Hẹn trả kết quả nhưng chưa có",
        channel=Channel.COUNTER,
        received_at=utcnow(),
    )
    session.add(item)
    stamp(session, item)
    return item


@pytest.fixture
def data(world: World, session: Session) -> dict[str, Any]:
    made = {
        "dossier_a": add_dossier(session, world.a, world.procedure, name="Người xã A"),
        "dossier_b": add_dossier(session, world.b, world.procedure, name="Người xã B"),
        "feedback_a": _feedback(session, world.a.commune.id),
        "feedback_b": _feedback(session, world.b.commune.id),
    }
    session.commit()
    return made


def test_lists_show_only_own_commune(client: FlaskClient, world: World, data: Any) -> None:
    for path in ("/api/v1/dossiers", "/api/v1/feedback"):
        for kit in (world.a, world.b):
            items = client.get(path, headers=kit.headers).get_json()["items"]
            assert items, path
            assert {item["commune_id"] for item in items} == {kit.commune.id}


def test_reading_other_commune_by_id_is_404(client: FlaskClient, world: World, data: Any) -> None:
    cases = [
        ("/api/v1/dossiers/{}", data["dossier_a"].id, data["dossier_b"].id),
        ("/api/v1/feedback/{}", data["feedback_a"].id, data["feedback_b"].id),
    ]
    for template, own_id, other_id in cases:
        assert client.get(template.format(own_id), headers=world.a.headers).status_code == 200
        other = client.get(template.format(other_id), headers=world.a.headers)
        assert other.status_code == 404
        assert "Người xã B" not in other.get_data(as_text=True)


def test_search_does_not_cross_communes(client: FlaskClient, world: World, data: Any) -> None:
    receipt_b = data["dossier_b"].receipt_number
    found = client.get(f"/api/v1/dossiers?q={receipt_b}", headers=world.a.headers).get_json()
    assert found["total"] == 0


def test_villages_are_own_commune_only(client: FlaskClient, world: World) -> None:
    ids = {v["id"] for v in client.get("/api/v1/villages", headers=world.a.headers).get_json()}
    assert ids == {world.a.village.id}


def test_device_me_is_own_device(client: FlaskClient, world: World) -> None:
    body = client.get("/api/v1/devices/me", headers=world.a.headers).get_json()
    assert body["commune"]["id"] == world.a.commune.id


def test_writing_into_other_commune_is_refused(
    client: FlaskClient, world: World, data: Any
) -> None:
    # The API takes the commune from the device; naming B's village is refused.
    response = client.post(
        "/api/v1/dossiers",
        json={
            "procedure_id": world.procedure.id,
            "applicant": {"name": "Lý Láo Tả"},
            "village_id": world.b.village.id,
        },
        headers=world.a.headers,
    )
    assert response.status_code == 422
    assert "village_id" in response.get_json()["errors"]
    # And the commune cannot be chosen by the client at all.
    response = client.post(
        "/api/v1/dossiers",
        json={
            "procedure_id": world.procedure.id,
            "applicant": {"name": "Lý Láo Tả"},
            "commune_id": world.b.commune.id,
        },
        headers=world.a.headers,
    )
    assert response.status_code == 422
    b_items = client.get("/api/v1/dossiers", headers=world.b.headers).get_json()["items"]
    assert [d["applicant_name"] for d in b_items] == ["Người xã B"]


def test_catalog_is_shared_reference_data(client: FlaskClient, world: World) -> None:
    for kit in (world.a, world.b):
        codes = [p["code"] for p in client.get("/api/v1/procedures", headers=kit.headers).json]
        assert world.procedure.code in codes


def test_scopes_by_role(world: World, session: Session) -> None:
    a, b = world.a.commune.id, world.b.commune.id
    assert scope_for_officer(session, world.a.officer).commune_ids == {a}
    assert scope_for_officer(session, world.a.leader).commune_ids == {a}
    assert scope_for_officer(session, world.province_admin).commune_ids == {a, b}
    assert scope_for_officer(session, world.system_admin).commune_ids is None
    world.a.officer.active = False
    assert scope_for_officer(session, world.a.officer).commune_ids == frozenset()
    assert world.province_admin.role == Role.PROVINCE_ADMIN
