"""Forgotten PIN: the recovery secret offered, confirmed, claimed with the password, rotated.

docs/TABLET.md ("Forgotten PIN"), PROTOCOL.md §9.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import AuditEntry, DeviceRecovery
from server.services import device_recovery
from server.services.devices import reinstate_device, revoke_device
from server.services.errors import Invalid, NotFound, TooManyAttempts, Unauthorized
from tests import factories
from tests.server.conftest import World

KEY = "server-secret-key-for-tests"


def _enrol(client: FlaskClient, headers: dict[str, str]) -> dict[str, Any]:
    offered = client.post("/api/v1/devices/me/recovery", headers=headers)
    assert offered.status_code == 201, offered.get_json()
    body: dict[str, Any] = offered.get_json()
    confirmed = client.post(
        "/api/v1/devices/me/recovery/confirm",
        headers=headers,
        json={"secret_id": body["secret_id"]},
    )
    assert confirmed.status_code == 200, confirmed.get_json()
    return body


def _claim(client: FlaskClient, world: World, password: str = factories.PASSWORD) -> Any:
    return client.post(
        "/api/v1/devices/recovery/claim",
        json={
            "device_id": world.a.device.id,
            "username": world.a.officer.username,
            "password": password,
        },
    )


def test_enrol_then_claim_with_the_officers_password(
    client: FlaskClient, world: World, session: Session
) -> None:
    headers = world.a.headers
    assert client.get("/api/v1/devices/me/recovery", headers=headers).get_json() == {
        "secret_id": None
    }
    offered = _enrol(client, headers)
    assert len(base64.urlsafe_b64decode(offered["secret"])) == 32
    current = client.get("/api/v1/devices/me/recovery", headers=headers).get_json()
    assert current == {"secret_id": offered["secret_id"]}

    claimed = _claim(client, world)
    assert claimed.status_code == 200
    assert claimed.get_json() == {"secret_id": offered["secret_id"], "secret": offered["secret"]}
    # Sealed at rest: the database holds neither the secret nor its bytes.
    row = session.get(DeviceRecovery, world.a.device.id)
    assert row is not None and row.secret_sealed is not None
    raw = base64.urlsafe_b64decode(offered["secret"])
    assert offered["secret"] not in row.secret_sealed
    assert raw not in base64.b64decode(row.secret_sealed)
    actions = [e.action for e in session.scalars(select(AuditEntry))]
    assert "device.recovery_enrol" in actions and "device.recovery_claim" in actions


def test_rotation_after_a_claim_makes_the_claimed_secret_worthless(
    client: FlaskClient, world: World
) -> None:
    first = _enrol(client, world.a.headers)
    assert _claim(client, world).get_json()["secret"] == first["secret"]
    # A lost answer: a second claim gives the same secret again (nothing lost).
    assert _claim(client, world).get_json()["secret"] == first["secret"]
    second = _enrol(client, world.a.headers)  # the tablet, its new PIN chosen, rotates
    assert second["secret"] != first["secret"]
    assert _claim(client, world).get_json()["secret"] == second["secret"]


def test_an_offer_not_confirmed_leaves_the_old_secret_in_force(
    client: FlaskClient, world: World
) -> None:
    first = _enrol(client, world.a.headers)
    offered = client.post("/api/v1/devices/me/recovery", headers=world.a.headers).get_json()
    assert _claim(client, world).get_json()["secret_id"] == first["secret_id"]
    wrong = client.post(
        "/api/v1/devices/me/recovery/confirm",
        headers=world.a.headers,
        json={"secret_id": first["secret_id"][::-1]},
    )
    assert wrong.status_code == 422
    assert "secret_id" in wrong.get_json()["errors"]
    for junk in ("m", "é" * 32, "ĐĐ"):  # not an id at all: refused by its shape, never a 500
        refused = client.post(
            "/api/v1/devices/me/recovery/confirm",
            headers=world.a.headers,
            json={"secret_id": junk},
        )
        assert refused.status_code == 422, refused.get_json()
    ok = client.post(
        "/api/v1/devices/me/recovery/confirm",
        headers=world.a.headers,
        json={"secret_id": offered["secret_id"]},
    )
    assert ok.status_code == 200
    # Confirming twice (the first answer lost) is fine.
    again = client.post(
        "/api/v1/devices/me/recovery/confirm",
        headers=world.a.headers,
        json={"secret_id": offered["secret_id"]},
    )
    assert again.status_code == 200


def test_wrong_password_other_officer_unknown_device_one_answer(
    client: FlaskClient, world: World, session: Session
) -> None:
    _enrol(client, world.a.headers)
    wrong = _claim(client, world, "wrong password")
    assert wrong.status_code == 401
    assert "secret" not in wrong.get_json()
    # The leader of the same commune, with the right password, is not this tablet's officer.
    leader = client.post(
        "/api/v1/devices/recovery/claim",
        json={
            "device_id": world.a.device.id,
            "username": world.a.leader.username,
            "password": factories.PASSWORD,
        },
    )
    assert leader.status_code == 401
    assert leader.get_json()["message"] == wrong.get_json()["message"]
    unknown = client.post(
        "/api/v1/devices/recovery/claim",
        json={
            "device_id": "0190aaaa-0000-7000-8000-000000000000",
            "username": world.a.officer.username,
            "password": factories.PASSWORD,
        },
    )
    assert unknown.status_code == 401
    refused = [
        e.detail["reason"]
        for e in session.scalars(select(AuditEntry))
        if e.action == "device.recovery_refused"
    ]
    assert refused == ["not_this_officer", "unknown_device"]
    extra = client.post(
        "/api/v1/devices/recovery/claim",
        json={"device_id": world.a.device.id, "username": "x", "password": "y", "pin": "1"},
    )
    assert extra.status_code == 422


def test_never_enrolled_is_404_and_revoked_is_refused_and_forgets(
    client: FlaskClient, world: World, session: Session
) -> None:
    assert _claim(client, world).status_code == 404
    _enrol(client, world.a.headers)
    revoke_device(session, world.a.device, by=world.a.leader)
    session.commit()
    response = _claim(client, world)
    assert response.status_code == 401
    assert response.get_json()["status"] == "device_revoked"
    assert session.get(DeviceRecovery, world.a.device.id) is None
    reinstate_device(session, world.a.device, by=world.a.leader)
    session.commit()
    # Reinstated: the secret is gone (the tablet enrols again when next unlocked).
    assert _claim(client, world).status_code == 404


def test_wrong_passwords_back_off_the_account(
    client: FlaskClient, world: World, session: Session
) -> None:
    _enrol(client, world.a.headers)
    codes = [_claim(client, world, f"wrong {i}").status_code for i in range(6)]
    assert codes[:5] == [401] * 5
    assert codes[5] == 429
    blocked = _claim(client, world)  # even the right password waits
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) > 0
    assert "secret" not in blocked.get_json()


def test_service_offer_expires_and_sealing_needs_the_server_key(
    session: Session, world: World
) -> None:
    now = datetime(2026, 12, 8, 1, 0, tzinfo=UTC)
    device = world.a.device
    offered = device_recovery.offer(session, device, server_key=KEY, now=now)
    with pytest.raises(Invalid):
        device_recovery.confirm(
            session, device, offered.secret_id, now=now + device_recovery.PENDING_TTL
        )
    offered = device_recovery.offer(session, device, server_key=KEY, now=now)
    device_recovery.confirm(session, device, offered.secret_id, now=now + timedelta(minutes=5))
    assert device_recovery.current_id(session, device, server_key=KEY) == offered.secret_id
    # Another server key: the secret reads as none, so the tablet enrols again.
    assert device_recovery.current_id(session, device, server_key="another key") is None
    claim: dict[str, Any] = {
        "username": world.a.officer.username,
        "password": factories.PASSWORD,
        "now": now,
        "remote_addr": None,
    }
    got = device_recovery.claim(session, device.id, server_key=KEY, **claim)
    assert got == offered
    with pytest.raises(NotFound):  # another server key cannot open it
        device_recovery.claim(session, device.id, server_key="another key", **claim)
    with pytest.raises(Unauthorized):
        device_recovery.claim(session, "", server_key=KEY, **claim)
    for _ in range(5):
        with pytest.raises(Unauthorized):
            device_recovery.claim(
                session, device.id, server_key=KEY, **(claim | {"password": "nope"})
            )
    with pytest.raises(TooManyAttempts):
        device_recovery.claim(session, device.id, server_key=KEY, **claim)
