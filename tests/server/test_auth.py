"""Passwords, device registration and revocation, web log-in with CSRF and rate limits."""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from server.auth.passwords import hash_password, verify_password
from server.models import AuditEntry, Device
from server.services.devices import revoke_device
from tests import factories
from tests.server.conftest import World


def test_passwords_are_argon2id_hashed() -> None:
    hashed = hash_password("mật khẩu bí mật")
    assert hashed.startswith("$argon2id$")
    assert verify_password(hashed, "mật khẩu bí mật")
    assert not verify_password(hashed, "wrong")
    assert not verify_password("not a hash", "wrong")


def _register(client: FlaskClient, username: str, password: str = factories.PASSWORD) -> Any:
    return client.post(
        "/api/v1/devices",
        json={"username": username, "password": password, "device_name": "Tab 1"},
    )


def test_register_device_returns_token_stored_only_hashed(
    client: FlaskClient, world: World, session: Session
) -> None:
    response = _register(client, world.a.officer.username)
    assert response.status_code == 201
    token = response.get_json()["token"]
    body = response.get_json()["device"]
    assert body["commune"]["id"] == world.a.commune.id
    assert body["device_no"] == 2  # the world fixture registered device 1 already
    stored = session.get(Device, body["id"])
    assert stored is not None
    assert token not in stored.token_hash
    me = client.get("/api/v1/devices/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert me.get_json()["id"] == body["id"]
    assert "token" not in me.get_json()
    actions = [e.action for e in session.query(AuditEntry).all()]
    assert "device.register" in actions


def test_wrong_password_is_401(client: FlaskClient, world: World) -> None:
    response = _register(client, world.a.officer.username, "wrong password")
    assert response.status_code == 401
    assert "mật khẩu" in response.get_json()["message"]


def test_admins_cannot_register_tablets(client: FlaskClient, world: World) -> None:
    response = _register(client, world.province_admin.username)
    assert response.status_code == 403


def test_missing_or_unknown_token_is_401(client: FlaskClient, world: World) -> None:
    assert client.get("/api/v1/dossiers").status_code == 401
    response = client.get("/api/v1/dossiers", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_revoked_device_is_refused_at_next_request(
    client: FlaskClient, world: World, session: Session
) -> None:
    assert client.get("/api/v1/dossiers", headers=world.a.headers).status_code == 200
    revoke_device(session, world.a.device, by=world.a.leader)
    session.commit()
    response = client.get("/api/v1/dossiers", headers=world.a.headers)
    assert response.status_code == 401
    body = response.get_json()
    assert body["status"] == "device_revoked"
    assert "thu hồi" in body["message"]


def test_disabled_officer_locks_their_device(
    client: FlaskClient, world: World, session: Session
) -> None:
    world.a.officer.active = False
    session.commit()
    assert client.get("/api/v1/dossiers", headers=world.a.headers).status_code == 401


def test_device_registration_is_rate_limited(app_factory: Any, world: World) -> None:
    app = app_factory(LOGIN_RATE_LIMIT="3 per minute")
    client = app.test_client()
    codes = [_register(client, "nobody", "x").status_code for _ in range(4)]
    assert codes == [401, 401, 401, 429]


def _csrf_token(client: FlaskClient) -> str:
    page = client.get("/login").get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert match, page
    return match.group(1)


def test_web_login_requires_csrf_token(app_factory: Any, world: World) -> None:
    app = app_factory()
    client = app.test_client()
    response = client.post(
        "/login", data={"username": world.a.leader.username, "password": factories.PASSWORD}
    )
    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)


def test_web_login_and_logout(app_factory: Any, world: World) -> None:
    app = app_factory()
    client = app.test_client()
    assert client.get("/").status_code == 302  # to the log-in page
    response = client.post(
        "/login",
        data={
            "username": world.a.leader.username,
            "password": factories.PASSWORD,
            "csrf_token": _csrf_token(client),
        },
    )
    assert response.status_code == 302
    home = client.get("/").get_data(as_text=True)
    assert world.a.leader.full_name in home
    assert world.a.commune.name in home
    assert world.b.commune.name not in home
    token = re.search(r'name="csrf_token" value="([^"]+)"', home)
    assert token
    assert client.post("/logout", data={"csrf_token": token.group(1)}).status_code == 302
    assert client.get("/").status_code == 302


def test_web_login_wrong_password_says_so(client: FlaskClient, world: World) -> None:
    response = client.post(
        "/login",
        data={
            "username": world.a.leader.username,
            "password": "nope",
            "csrf_token": _csrf_token(client),
        },
    )
    assert response.status_code == 200
    assert "Sai tên đăng nhập hoặc mật khẩu" in response.get_data(as_text=True)


def test_web_login_is_rate_limited(app_factory: Any, world: World) -> None:
    app = app_factory(LOGIN_RATE_LIMIT="2 per minute")
    client = app.test_client()
    token = _csrf_token(client)
    codes = [
        client.post(
            "/login", data={"username": "x", "password": "y", "csrf_token": token}
        ).status_code
        for _ in range(3)
    ]
    assert codes == [200, 200, 429]
