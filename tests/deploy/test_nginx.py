"""The shipped deployment on real parts: Debian's nginx (TLS, deploy/nginx/motcua.conf)
in front of gunicorn (deploy/gunicorn.conf.py, several workers) on PostgreSQL, with the
rate limits in Redis. Everything is checked through the proxy, as a tablet and an
officer reach it.
"""

from __future__ import annotations

import hashlib
import re
import socket
import ssl
import time
from pathlib import Path

import pytest
import redis
import requests
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.models import Blob, Dossier
from sync.ops import PROTOCOL_VERSION
from sync.schema import SCHEMA_VERSION
from tests import factories
from tests.deploy.conftest import only_postgres, redis_or_skip, stack_env
from tests.deploy.stack import stack
from tests.faults.conftest import field_day, register
from tests.server.conftest import World

pytestmark = [pytest.mark.slow, only_postgres()]

#: Headers the app sets for the browser's safety: whichever the app sends must arrive.
APP_SECURITY_HEADERS = (
    "Content-Security-Policy",
    "X-Content-Type-Options",
    "X-Frame-Options",
    "Referrer-Policy",
    "Permissions-Policy",
    "Cross-Origin-Opener-Policy",
)


def _versions(token: str) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {token}",
        "X-Motcua-Protocol": str(PROTOCOL_VERSION),
        "X-Motcua-App": "9.9.9",
        "X-Motcua-Schema": str(SCHEMA_VERSION),
    }


def _metric(text: str, name: str) -> float | None:
    """The value of an unlabelled sample in Prometheus' text format."""
    found = re.search(rf"^{name} ([0-9.e+]+)$", text, re.MULTILINE)
    return float(found[1]) if found else None


def _cut_upload(
    host: str,
    port: int,
    cafile: str,
    path: str,
    headers: dict[str, str],
    declared: int,
    sent: bytes,
) -> None:
    """A PATCH that announces ``declared`` bytes, sends ``sent``, and loses its link."""
    context = ssl.create_default_context(cafile=cafile)
    raw = socket.create_connection((host, port), timeout=10)
    with context.wrap_socket(raw, server_hostname="localhost") as tls:
        head = [f"PATCH {path} HTTP/1.1", f"Host: {host}:{port}", f"Content-Length: {declared}"]
        head += [f"{name}: {value}" for name, value in headers.items()]
        tls.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + sent)
        time.sleep(0.5)  # the bytes reach nginx and, unbuffered, gunicorn
    # Closed without the rest: nginx sees the client go and ends the upstream request.


def test_deployment_behind_nginx(
    field_world: World,
    session: Session,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    redis_url = redis_or_skip()
    env = stack_env(
        database_url,
        tmp_path,
        MOTCUA_RATELIMIT_STORAGE_URI=redis_url,
        MOTCUA_LOGIN_RATE_LIMIT="4 per minute",
    )
    with stack(tmp_path, env, nodes=1, workers=3) as (proxy, (node,)):
        cafile = str(proxy.cert)
        # requests prefers these to a session's own ``verify``; the tablet uses them too.
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", cafile)
        monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
        web = requests.Session()
        web.verify = cafile

        # -- plain HTTP goes to HTTPS ------------------------------------------------
        moved = requests.get(
            f"http://127.0.0.1:{proxy.http_port}/login", allow_redirects=False, timeout=10
        )
        assert moved.status_code == 301
        assert moved.headers["Location"].startswith("https://")

        # -- log-in through the proxy (CSRF token, secure session cookie) -------------
        page = web.get(f"{proxy.url}/login", timeout=10)
        assert page.status_code == 200
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text)
        assert token, page.text[:500]
        officer = field_world.a.leader
        answer = web.post(
            f"{proxy.url}/login",
            data={
                "csrf_token": token[1],
                "username": officer.username,
                "password": factories.PASSWORD,
            },
            headers={"Referer": f"{proxy.url}/login"},  # as a browser sends it (CSRF over TLS)
            timeout=10,
        )
        assert answer.status_code == 200
        assert answer.url == f"{proxy.url}/", answer.url
        assert officer.full_name in answer.text

        # -- headers: the app's arrive unchanged, HSTS is added, the request id too ---
        direct = requests.get(f"{node.url}/login", timeout=10)
        for name in APP_SECURITY_HEADERS:
            if name in direct.headers:
                assert page.headers.get(name) == direct.headers[name], name
        # HSTS: exactly one, from nginx (the app's own copy is not doubled).
        assert page.raw.headers.getlist("Strict-Transport-Security") == [
            "max-age=31536000; includeSubDomains"
        ]
        # nginx's $request_id (32 hex digits) reached the app and came back.
        assert re.fullmatch(r"[0-9a-f]{32}", page.headers["X-Request-Id"])
        assert re.search(r'"request_id":"[0-9a-f]{32}"', node.log.read_text())

        # -- the citizens' page is cached by nginx ------------------------------------
        first = web.get(f"{proxy.url}/tra-cuu", timeout=10, cookies={})
        plain = requests.get(f"{proxy.url}/tra-cuu", timeout=10, verify=cafile)
        again = requests.get(f"{proxy.url}/tra-cuu", timeout=10, verify=cafile)
        assert first.status_code == plain.status_code == again.status_code == 200
        assert again.headers["X-Cache-Status"] == "HIT", (plain.headers, again.headers)

        # -- a sync: one tablet pushes a field day, a colleague's tablet pulls it ------
        tablet = register(tmp_path / "a.db", proxy.url, field_world.a.officer.username)
        made = field_day(tablet, 15, dossiers=6, feedback=2, surveys=4, photos=2)
        report = tablet.sync()
        assert report.ok, report
        assert tablet.status().pending == 0
        session.expire_all()
        on_server = session.scalar(
            select(func.count())
            .select_from(Dossier)
            .where(Dossier.commune_id == field_world.a.commune.id)
        )
        assert on_server == made.dossiers
        colleague = register(tmp_path / "b.db", proxy.url, field_world.a.officer.username, "B")
        assert colleague.sync().ok
        assert colleague.store.count_records("dossier") == made.dossiers
        tablet.close()
        colleague.close()

        # -- a photo upload cut in the middle, then resumed from what arrived ---------
        photo = bytes(range(256)) * 800  # 204,800 bytes
        digest = hashlib.sha256(photo).hexdigest()
        headers = _versions(field_world.a.token)
        announced = requests.post(
            f"{proxy.url}/api/v1/blobs",
            json={"sha256": digest, "size": len(photo), "content_type": "image/jpeg"},
            headers=headers,
            timeout=10,
            verify=cafile,
        )
        assert announced.status_code == 201, announced.text
        chunk_headers = {
            **headers,
            "Upload-Offset": "0",
            "Content-Type": "application/offset+octet-stream",
        }
        _cut_upload(
            "127.0.0.1",
            proxy.https_port,
            cafile,
            f"/api/v1/blobs/{digest}",
            chunk_headers,
            declared=len(photo),
            sent=photo[:120_000],
        )
        offset = 0
        for _ in range(50):  # the app notices the cut once nginx closes the upstream
            state = requests.head(
                f"{proxy.url}/api/v1/blobs/{digest}", headers=headers, timeout=10, verify=cafile
            )
            offset = int(state.headers["Upload-Offset"])
            if offset:
                break
            time.sleep(0.1)
        # Unbuffered: what reached the server is kept (a prefix of what was sent).
        assert 0 < offset <= 120_000, offset
        rest = requests.patch(
            f"{proxy.url}/api/v1/blobs/{digest}",
            data=photo[offset:],
            headers={**chunk_headers, "Upload-Offset": str(offset)},
            timeout=10,
            verify=cafile,
        )
        assert rest.status_code == 204, rest.text
        assert int(rest.headers["Upload-Offset"]) == len(photo)
        session.expire_all()
        blob = session.get(Blob, digest)
        assert blob is not None and blob.verified
        stored = next((tmp_path / "blobs").rglob(f"{digest}*"))
        assert hashlib.sha256(stored.read_bytes()).hexdigest() == digest

        # -- /metrics sums the three workers' counters (Prometheus multiprocess mode) --
        scraped = requests.get(f"{proxy.url}/metrics", timeout=10).text
        pushes = _metric(scraped, "motcua_sync_pushes_total")
        assert pushes is not None and pushes >= 1, scraped[:2000]
        assert (_metric(scraped, "motcua_photo_bytes_total") or 0) >= len(photo)
        assert _metric(scraped, "motcua_job_queue_depth") == 0

        # -- too large: 413 from nginx, in the API's JSON shape ------------------------
        huge = b"x" * (9 * 1024 * 1024)
        app_says = requests.post(
            f"{node.url}/api/v1/sync/push", data=huge, headers=headers, timeout=30
        ).json()
        assert app_says["code"] == 413
        for path in ("/api/v1/sync/push", f"/api/v1/blobs/{digest}"):
            refused = requests.post(
                f"{proxy.url}{path}", data=huge, headers=headers, timeout=30, verify=cafile
            )
            assert refused.status_code == 413, (path, refused.status_code)
            assert refused.json()["code"] == 413
            assert refused.json()["status"] == app_says["status"]  # the app's own name
            assert refused.headers["Strict-Transport-Security"]

        # -- the log-in limit is shared by the three workers through Redis --------------
        statuses = []
        for _ in range(6):
            fresh = requests.Session()  # a new connection: any worker may answer
            fresh.verify = cafile
            form = fresh.get(f"{proxy.url}/login", timeout=10).text
            csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form)
            assert csrf
            statuses.append(
                fresh.post(
                    f"{proxy.url}/login",
                    data={"csrf_token": csrf[1], "username": "nobody", "password": "wrong"},
                    headers={"Referer": f"{proxy.url}/login"},
                    timeout=10,
                ).status_code
            )
        # 4 per minute per address and username: the 5th try is refused, whichever of
        # the three workers takes it.
        assert statuses[:4] == [200] * 4 and set(statuses[4:]) == {429}, statuses
        prefix = env["MOTCUA_RATELIMIT_KEY_PREFIX"]
        keys = redis.Redis.from_url(redis_url).keys(f"LIMITS:LIMITER/{prefix}/*login*")
        assert keys, "the log-in limit was not counted in Redis"
