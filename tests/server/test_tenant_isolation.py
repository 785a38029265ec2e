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
from sync.ops import PROTOCOL_VERSION
from sync.schema import SCHEMA_VERSION
from tests import factories
from tests.server.conftest import World, add_dossier

#: Endpoints anyone may call, without a device token.
PUBLIC = {
    ("GET", "/api/v1/health"),
    ("GET", "/api/v1/openapi.json"),
    ("POST", "/api/v1/devices"),
    # The officer's password, for that officer's own tablet only (test below).
    ("POST", "/api/v1/devices/recovery/claim"),
    ("GET", "/api/v1/docs/"),
    ("GET", "/api/v1/docs/assets/<path:filename>"),
}
#: Endpoints exercised by the matrix below.
SCOPED = {
    ("GET", "/api/v1/devices/me"),
    ("GET", "/api/v1/devices/me/recovery"),
    ("POST", "/api/v1/devices/me/recovery"),
    ("POST", "/api/v1/devices/me/recovery/confirm"),
    ("GET", "/api/v1/procedures"),
    ("GET", "/api/v1/villages"),
    ("GET", "/api/v1/dossiers"),
    ("POST", "/api/v1/dossiers"),
    ("GET", "/api/v1/dossiers/<string:dossier_id>"),
    ("GET", "/api/v1/feedback"),
    ("GET", "/api/v1/feedback/<string:feedback_id>"),
    ("POST", "/api/v1/sync/push"),
    ("POST", "/api/v1/sync/pull"),
    ("POST", "/api/v1/blobs"),
    ("POST", "/api/v1/blobs/announce"),
    ("GET", "/api/v1/blobs/<string:sha256>"),
    ("PATCH", "/api/v1/blobs/<string:sha256>"),
    ("GET", "/api/v1/conflicts"),
    ("POST", "/api/v1/conflicts/<string:conflict_id>/resolve"),
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


# --- sync endpoints ----------------------------------------------------------------------

SYNC_HEADERS = {
    "X-Motcua-Protocol": str(PROTOCOL_VERSION),
    "X-Motcua-App": "0.1.0",
    "X-Motcua-Schema": str(SCHEMA_VERSION),
}


def _sync_headers(kit: Any) -> dict[str, str]:
    return {**kit.headers, **SYNC_HEADERS}


def test_sync_push_cannot_write_other_commune(
    client: FlaskClient, world: World, data: Any, session: Session
) -> None:
    from sync.hlc import HybridClock, SystemClock

    clock = HybridClock(str(world.a.device.device_no), SystemClock())
    dossier_b = data["dossier_b"]
    op = {
        "i": new_id(),
        "c": "dossier",
        "r": dossier_b.id,
        "t": clock.now().encode(),
        "f": {"applicant_name": "Người lạ"},
    }
    response = client.post(
        "/api/v1/sync/push", json={"now": 0, "ops": [op]}, headers=_sync_headers(world.a)
    )
    assert response.status_code == 200
    [result] = response.get_json()["results"]
    assert (result["o"], result["r"]) == ("rejected", "forbidden")
    session.refresh(dossier_b)
    assert dossier_b.applicant_name == "Người xã B"


def test_sync_pull_shows_only_own_commune(client: FlaskClient, world: World, data: Any) -> None:
    for kit, own, other in (
        (world.a, data["dossier_a"], data["dossier_b"]),
        (world.b, data["dossier_b"], data["dossier_a"]),
    ):
        response = client.post(
            "/api/v1/sync/pull",
            json={"cursor": "", "budget": 4 * 1024 * 1024},
            headers={**_sync_headers(kit), "Accept-Encoding": "identity"},
        )
        ids = {change["r"] for change in response.get_json()["changes"]}
        assert own.id in ids
        assert other.id not in ids
        if kit is world.a:
            assert "Người xã B" not in response.get_data(as_text=True)


def test_blob_bytes_only_for_own_commune(
    app: Flask, client: FlaskClient, world: World, session: Session, tmp_path: Any
) -> None:
    import hashlib

    from server.models import Attachment, Blob

    app.config["MOTCUA_BLOB_DIR"] = str(tmp_path)
    photo = b"anh giay to cua xa B"
    digest = hashlib.sha256(photo).hexdigest()
    created = client.post(
        "/api/v1/blobs",
        json={"sha256": digest, "size": len(photo), "content_type": "image/jpeg"},
        headers=_sync_headers(world.b),
    )
    assert created.status_code == 201
    patched = client.patch(
        f"/api/v1/blobs/{digest}",
        data=photo,
        headers={
            **_sync_headers(world.b),
            "Upload-Offset": "0",
            "Content-Type": "application/offset+octet-stream",
        },
    )
    assert patched.status_code == 204
    dossier_b = add_dossier(session, world.b, world.procedure)
    attachment = Attachment(
        id=new_id(),
        commune_id=world.b.commune.id,
        owner_collection="dossier",
        owner_id=dossier_b.id,
        sha256=digest,
        filename="a.jpg",
        content_type="image/jpeg",
        size=len(photo),
    )
    session.add(attachment)
    stamp(session, attachment)
    session.commit()
    assert session.get(Blob, digest) is not None
    with client.get(f"/api/v1/blobs/{digest}", headers=_sync_headers(world.b)) as own:
        assert own.status_code == 200
        assert own.data == photo
    with client.get(f"/api/v1/blobs/{digest}", headers=_sync_headers(world.a)) as other:
        assert other.status_code == 404
        assert photo not in other.data


def test_announcing_photos_needs_a_device(client: FlaskClient, world: World) -> None:
    """Announcing says only whether the bytes of a given hash are complete (the hash is
    known only to whoever holds the photo); it still takes a device of some commune."""
    body = {"blobs": [{"sha256": "ab" * 32, "size": 10, "content_type": "image/jpeg"}]}
    anonymous = client.post("/api/v1/blobs/announce", json=body, headers=dict(SYNC_HEADERS))
    assert anonymous.status_code == 401
    own = client.post("/api/v1/blobs/announce", json=body, headers=_sync_headers(world.a))
    assert own.status_code == 200


def test_conflicts_only_own_commune(
    client: FlaskClient, world: World, data: Any, session: Session
) -> None:
    from server.sync.store import ServerFieldStore

    conflict_id = new_id()
    clock = "0midc1z40005s1"
    values = {
        "collection": "dossier",
        "record_id": data["dossier_b"].id,
        "field": "applicant_name",
        "reason": "concurrent_edit",
        "kept_value": "Người xã B",
        "kept_clock": clock,
        "lost_value": "Tên khác",
        "lost_clock": "0midc1z40004s1",
        "status": "open",
    }
    ServerFieldStore(session, world.b.commune.id).write(
        "sync_conflict", conflict_id, {name: (value, clock) for name, value in values.items()}
    )
    session.commit()
    listed_a = client.get("/api/v1/conflicts", headers=_sync_headers(world.a)).get_json()
    listed_b = client.get("/api/v1/conflicts", headers=_sync_headers(world.b)).get_json()
    assert listed_a["total"] == 0
    assert [c["id"] for c in listed_b["items"]] == [conflict_id]
    refused = client.post(
        f"/api/v1/conflicts/{conflict_id}/resolve",
        json={"choice": "overturned"},
        headers=_sync_headers(world.a),
    )
    assert refused.status_code == 404
    session.refresh(data["dossier_b"])
    assert data["dossier_b"].applicant_name == "Người xã B"


def test_recovery_secrets_are_each_devices_own(client: FlaskClient, world: World) -> None:
    offered = client.post("/api/v1/devices/me/recovery", headers=world.a.headers).get_json()
    done = client.post(
        "/api/v1/devices/me/recovery/confirm",
        headers=world.a.headers,
        json={"secret_id": offered["secret_id"]},
    )
    assert done.status_code == 200
    # Commune B's tablet neither sees nor confirms A's secret.
    mine = client.get("/api/v1/devices/me/recovery", headers=world.b.headers).get_json()
    assert mine == {"secret_id": None}
    other = client.post(
        "/api/v1/devices/me/recovery/confirm",
        headers=world.b.headers,
        json={"secret_id": offered["secret_id"]},
    )
    assert other.status_code == 422
    # B's officer, right password, cannot claim A's tablet.
    claim = client.post(
        "/api/v1/devices/recovery/claim",
        json={
            "device_id": world.a.device.id,
            "username": world.b.officer.username,
            "password": factories.PASSWORD,
        },
    )
    assert claim.status_code == 401
    assert offered["secret"] not in claim.get_data(as_text=True)
