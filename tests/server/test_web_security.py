"""Web sessions, log-in, and security headers (issue 10 §13-15)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.auth import sessions
from server.models import AuditEntry, Officer, Role
from server.services import officers
from server.services.login_guard import block_for
from tests import factories
from tests.server.conftest import World


def _token(client: FlaskClient, url: str = "/login") -> str:
    page = client.get(url).get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert match, page[:500]
    return match.group(1)


def _login(
    client: FlaskClient, username: str, password: str = factories.PASSWORD, **extra: str
) -> Any:
    data = {"username": username, "password": password, "csrf_token": _token(client)}
    return client.post("/login", data=data, query_string=extra)


def _cookie(client: FlaskClient) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def _with_cookie(app_client: FlaskClient, value: str) -> FlaskClient:
    app_client.set_cookie("session", value)
    return app_client


# --- §13 sessions -----------------------------------------------------------------------


def test_a_cookie_copied_before_logout_does_not_work_after(app_factory: Any, world: World) -> None:
    app = app_factory()
    client = app.test_client()
    assert _login(client, world.a.leader.username).status_code == 302
    copied = _cookie(client)
    thief = _with_cookie(app.test_client(), copied)
    assert thief.get("/").status_code == 200  # the copy works while the officer is in
    home = client.get("/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', home)
    assert token
    assert client.post("/logout", data={"csrf_token": token.group(1)}).status_code == 302
    response = _with_cookie(app.test_client(), copied).get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_password_change_ends_other_sessions_and_keeps_this_one(
    app_factory: Any, world: World, session: Session
) -> None:
    app = app_factory()
    here, there = app.test_client(), app.test_client()
    for client in (here, there):
        assert _login(client, world.a.officer.username).status_code == 302
    token = _token(here, "/account/password")
    wrong = here.post(
        "/account/password",
        data={"csrf_token": token, "current": "sai", "new": "mat-khau-moi-1", "again": "x"},
    )
    assert wrong.status_code == 422
    assert "Mật khẩu hiện tại không đúng" in wrong.get_data(as_text=True)
    done = here.post(
        "/account/password",
        data={
            "csrf_token": token,
            "current": factories.PASSWORD,
            "new": "mat-khau-moi-1",
            "again": "mat-khau-moi-1",
        },
    )
    assert done.status_code == 302
    assert here.get("/").status_code == 200
    assert there.get("/").status_code == 302
    session.expire_all()
    assert officers.authenticate(session, world.a.officer.username, "mat-khau-moi-1") is not None


def test_reset_by_an_administrator_ends_sessions_and_forces_a_new_password(
    app_factory: Any, world: World, session: Session
) -> None:
    app = app_factory()
    client = app.test_client()
    assert _login(client, world.a.officer.username).status_code == 302
    officers.reset_password(session, world.a.leader, world.a.officer.id, password="tam-thoi-123")
    session.commit()
    assert client.get("/").status_code == 302  # logged out
    response = _login(client, world.a.officer.username, "tam-thoi-123")
    assert response.headers["Location"].endswith("/account/password")
    for url in ("/", "/dossiers", "/dashboard"):
        blocked = client.get(url)
        assert blocked.status_code == 302 and blocked.headers["Location"].endswith(
            "/account/password"
        )
    token = _token(client, "/account/password")
    client.post(
        "/account/password",
        data={
            "csrf_token": token,
            "current": "tam-thoi-123",
            "new": "cua-toi-456",
            "again": "cua-toi-456",
        },
    )
    assert client.get("/").status_code == 200


def test_accounts_made_by_an_administrator_must_change_the_password(
    session: Session, world: World
) -> None:
    made = officers.create_officer_by(
        session,
        world.a.leader,
        username="moi.vao",
        password="do-admin-dat",
        full_name="Người Mới",
        role=Role.OFFICER,
        unit_id=world.a.commune.id,
    )
    assert made.must_change_password is True
    assert world.a.officer.must_change_password is False  # made by the CLI / demo


def test_idle_timeout_and_absolute_lifetime(app_factory: Any, world: World) -> None:
    app = app_factory(SESSION_IDLE_MINUTES=30, SESSION_MAX_HOURS=12)
    client = app.test_client()
    assert _login(client, world.a.leader.username).status_code == 302
    now = datetime.now(UTC).timestamp()
    with client.session_transaction() as s:
        s[sessions.SEEN_AT] = now - 31 * 60
    assert client.get("/").status_code == 302
    assert _login(client, world.a.leader.username).status_code == 302
    with client.session_transaction() as s:
        s[sessions.LOGIN_AT] = now - 13 * 3600  # used a minute ago, but 13 hours old
        s[sessions.SEEN_AT] = now - 60
    assert client.get("/").status_code == 302
    assert _login(client, world.a.leader.username).status_code == 302
    with client.session_transaction() as s:
        s[sessions.SEEN_AT] = now - 29 * 60
    assert client.get("/").status_code == 200


# --- §14 failed log-ins -------------------------------------------------------------------


def test_failed_logins_are_audited(app_factory: Any, world: World, session: Session) -> None:
    client = app_factory().test_client()
    _login(client, world.a.leader.username, "sai-mat-khau")
    _login(client, "khong-co-ai", "x")
    failed = session.scalars(
        select(AuditEntry).where(AuditEntry.action == "login.failed").order_by(AuditEntry.id)
    ).all()
    assert [(e.detail["username"], e.commune_id) for e in failed] == [
        (world.a.leader.username, world.a.commune.id),
        ("khong-co-ai", None),
    ]
    assert all(e.remote_addr == "127.0.0.1" for e in failed)


def test_back_off_schedule() -> None:
    assert [block_for(n) for n in range(1, 5)] == [None] * 4
    assert block_for(5) == timedelta(seconds=30)
    assert block_for(6) == timedelta(minutes=1)
    assert block_for(8) == timedelta(minutes=4)
    assert block_for(12) == timedelta(minutes=15)  # capped
    assert block_for(500) == timedelta(minutes=15)


def test_one_guesser_blocks_one_account_not_the_office(
    app_factory: Any, world: World, session: Session
) -> None:
    app = app_factory(LOGIN_RATE_LIMIT="100 per minute", LOGIN_ADDRESS_RATE_LIMIT="100 per minute")
    guesser = app.test_client()
    for _ in range(5):
        assert _login(guesser, world.a.leader.username, "doan-bua").status_code == 200
    # The right password is refused too while the account backs off…
    blocked = _login(guesser, world.a.leader.username)
    assert blocked.status_code == 200
    assert "tạm thời không đăng nhập được" in blocked.get_data(as_text=True)
    # …but a colleague at the same address logs in.
    colleague = app.test_client()
    assert _login(colleague, world.a.officer.username).status_code == 302
    leader = session.get(Officer, world.a.leader.id)
    assert leader is not None
    session.refresh(leader)
    assert leader.failed_logins == 5 and leader.login_blocked_until is not None
    leader.login_blocked_until = datetime.now(UTC) - timedelta(seconds=1)  # time passes
    session.commit()
    assert _login(app.test_client(), world.a.leader.username).status_code == 302
    session.refresh(leader)
    assert leader.failed_logins == 0


def test_per_address_limit_is_per_account(app_factory: Any, world: World) -> None:
    app = app_factory(LOGIN_RATE_LIMIT="2 per minute", LOGIN_ADDRESS_RATE_LIMIT="100 per minute")
    client = app.test_client()
    codes = [_login(client, "ke-doan", "x").status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    assert _login(client, world.a.officer.username).status_code == 302


# --- §15 headers and redirects ----------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["/login", "/tra-cuu", "/static/app.css", "/khong-co", "/api/v1/health"]
)
def test_security_headers(client: FlaskClient, world: World, url: str) -> None:
    with client.get(url) as response:
        headers = response.headers
    csp = headers["Content-Security-Policy"]
    assert (
        "script-src 'self'" in csp
        and "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
    )
    assert "frame-ancestors 'none'" in csp
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in headers  # plain-HTTP demo


def test_hsts_when_cookies_are_secure(app_factory: Any, world: World) -> None:
    client = app_factory(SESSION_COOKIE_SECURE=True).test_client()
    assert client.get("/login").headers["Strict-Transport-Security"].startswith("max-age=")


def test_next_is_followed_within_the_site_only(app_factory: Any, world: World) -> None:
    app = app_factory()
    response = app.test_client().get("/dossiers")
    assert "next=" in response.headers["Location"]
    ok = _login(app.test_client(), world.a.leader.username, next="/dossiers?q=abc")
    assert ok.headers["Location"].endswith("/dossiers?q=abc")
    for hostile in (
        "https://evil.example/",
        "//evil.example/x",
        "/\\evil.example",
        "javascript:alert(1)",
    ):
        response = _login(app.test_client(), world.a.leader.username, next=hostile)
        assert response.headers["Location"] == "/", hostile


def test_language_switch_redirects_only_within_the_site(client: FlaskClient, world: World) -> None:
    back = client.get("/lang/en", headers={"Referer": "http://localhost/tra-cuu?ma=1"})
    assert back.headers["Location"] == "/tra-cuu?ma=1"
    for referrer in ("https://evil.example/phish", "//evil.example/", "http://localhost.evil/"):
        response = client.get("/lang/vi", headers={"Referer": referrer})
        assert response.headers["Location"] == "/", referrer


def test_no_page_has_an_inline_script() -> None:
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "server"
    for path in [*root.rglob("*.html"), root / "api" / "__init__.py"]:
        text = path.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), path
        assert not re.search(r"\son[a-z]+\s*=", text), path
