"""Tenant isolation and roles on the admin web and the citizens' page.

Every route of the dashboard, dossier and public blueprints is in the matrix below, and
every route of the feedback, survey, conflict and management blueprints in
``test_web_tenancy_admin``; a new route of any ``web_*`` blueprint fails
``test_every_web_route_is_in_the_matrix`` until it is placed in one of them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from server.models import Attachment, Blob, BlobHolder, Officer, ServiceRating
from server.services.reports import office_today
from sync.domain import DossierStatus
from sync.ids import new_id
from sync.workdays import OFFICE_TZ, add_working_days
from tests.server.conftest import World
from tests.server.web.helpers import csrf_token, log_in, overdue_dossier
from tests.server.web.test_web_tenancy_admin import COVERED as ADMIN_COVERED

ROLES = ("anonymous", "officer_a", "leader_a", "province_admin", "system_admin")

#: Routes checked by this module, as (methods, rule).
COVERED = {
    ("GET", "/dashboard"),
    ("GET", "/dossiers"),
    ("GET", "/dossiers/overdue"),
    ("GET", "/dossiers/log.pdf"),
    ("GET", "/dossiers/<dossier_id>"),
    ("GET", "/dossiers/<dossier_id>/apology"),
    ("POST", "/dossiers/<dossier_id>/apology"),
    ("GET", "/dossiers/<dossier_id>/stop"),
    ("POST", "/dossiers/<dossier_id>/stop"),
    ("POST", "/dossiers/<dossier_id>/verification"),
    ("POST", "/dossiers/<dossier_id>/official-code"),
    ("GET", "/dossiers/<dossier_id>/correct"),
    ("POST", "/dossiers/<dossier_id>/correct"),
    ("GET", "/dossiers/<dossier_id>/slips/<any('01','02','03','04','05','06'):number>.pdf"),
    ("GET", "/dossiers/<dossier_id>/attachments/<attachment_id>"),
    # test_filing_tenancy.py: intake on the web and the handover
    ("GET", "/dossiers/new"),
    ("POST", "/dossiers/new"),
    ("POST", "/dossiers/<dossier_id>/handover"),
    ("GET", "/tra-cuu"),
    ("GET", "/tra-cuu/<receipt_number>"),
    ("POST", "/tra-cuu/<receipt_number>/danh-gia"),
    ("GET", "/ratings"),
    ("POST", "/ratings/<int:rating_id>"),
}


def test_every_web_route_is_in_the_matrix(app: Flask) -> None:
    routes = {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.split(".")[0].startswith("web_")
        for method in rule.methods or ()
        if method not in ("HEAD", "OPTIONS")
    }
    assert routes == COVERED | ADMIN_COVERED


def _who(world: World, role: str) -> Officer | None:
    return {
        "anonymous": None,
        "officer_a": world.a.officer,
        "leader_a": world.a.leader,
        "province_admin": world.province_admin,
        "system_admin": world.system_admin,
    }[role]


def verified_upload(sha256: str, commune_id: int) -> BlobHolder:
    """A commune's own complete upload of a 3-byte photo (PROTOCOL.md §8)."""
    return BlobHolder(
        sha256=sha256,
        commune_id=commune_id,
        size=3,
        content_type="image/jpeg",
        received=3,
        verified=True,
    )


def photo_attachment(commune_id: int, dossier_id: str, sha256: str, filename: str) -> Attachment:
    return Attachment(
        id=new_id(),
        commune_id=commune_id,
        owner_collection="dossier",
        owner_id=dossier_id,
        sha256=sha256,
        filename=filename,
        content_type="image/jpeg",
        size=3,
    )


@pytest.fixture
def data(world: World, session: Session) -> dict[str, Any]:
    made: dict[str, Any] = {}
    for key, kit in (("a", world.a), ("b", world.b)):
        dossier = overdue_dossier(session, kit, world.procedure, name=f"Người xã {key.upper()}")
        blob = Blob(sha256=f"{key}" * 64, size=3, content_type="image/jpeg", verified=True)
        session.add(blob)
        session.add(verified_upload(blob.sha256, kit.commune.id))  # the bytes are in
        session.flush()
        attachment = photo_attachment(kit.commune.id, dossier.id, blob.sha256, "to-khai.jpg")
        session.add(attachment)
        made[f"dossier_{key}"] = dossier
        made[f"attachment_{key}"] = attachment
    session.commit()
    return made


RATINGS = {
    "anonymous": 302,
    "officer_a": 403,
    "leader_a": 200,
    "province_admin": 200,
    "system_admin": 200,
}


def test_rating_comments_follow_the_commune(
    client: FlaskClient, world: World, session: Session, data: dict[str, Any]
) -> None:
    rating = ServiceRating(
        commune_id=world.b.commune.id, dossier_id=data["dossier_b"].id, stars=3, comment="Ở Y Tý"
    )
    session.add(rating)
    session.commit()
    for role in ROLES:
        log_in(client, _who(world, role))
        response = client.get("/ratings")
        assert response.status_code == RATINGS[role], role
        if role == "leader_a":
            assert "Ở Y Tý" not in response.get_data(as_text=True)
            token = csrf_token(client, "/ratings")
            post = client.post(
                f"/ratings/{rating.id}", data={"csrf_token": token, "status": "approved"}
            )
            assert post.status_code == 404
        if role == "province_admin":
            assert "Ở Y Tý" in response.get_data(as_text=True)


# (role, commune of the dossier) → expected status of the dossier's own pages.
DETAIL = {
    ("anonymous", "a"): 302,
    ("officer_a", "a"): 200,
    ("leader_a", "a"): 200,
    ("province_admin", "a"): 200,
    ("system_admin", "a"): 200,
    ("anonymous", "b"): 302,
    ("officer_a", "b"): 404,
    ("leader_a", "b"): 404,
    ("province_admin", "b"): 200,
    ("system_admin", "b"): 200,
}


def test_dossier_pages_follow_the_commune(
    client: FlaskClient, world: World, data: dict[str, Any]
) -> None:
    for role in ROLES:
        log_in(client, _who(world, role))
        for commune in ("a", "b"):
            dossier = data[f"dossier_{commune}"]
            expected = DETAIL[(role, commune)]
            urls = [
                f"/dossiers/{dossier.id}",
                f"/dossiers/{dossier.id}/slips/01.pdf",
                f"/dossiers/{dossier.id}/slips/06.pdf",
            ]
            for url in urls:
                response = client.get(url)
                assert response.status_code == expected, (role, url)
                if expected == 302:
                    assert "/login" in response.headers["Location"]
            attachment = data[f"attachment_{commune}"]
            # The bytes are not on disk in this test: 404 either way, but never 200 or 403
            # for another commune, and a log-in for anonymous.
            response = client.get(f"/dossiers/{dossier.id}/attachments/{attachment.id}")
            assert response.status_code == (302 if role == "anonymous" else 404)
            other = data["attachment_b" if commune == "a" else "attachment_a"]
            response = client.get(f"/dossiers/{dossier.id}/attachments/{other.id}")
            assert response.status_code == (302 if role == "anonymous" else 404)


APOLOGY = {
    ("anonymous", "a"): 302,
    ("officer_a", "a"): 200,
    ("leader_a", "a"): 200,
    ("province_admin", "a"): 403,
    ("system_admin", "a"): 403,
    ("anonymous", "b"): 302,
    ("officer_a", "b"): 404,
    ("leader_a", "b"): 404,
    ("province_admin", "b"): 403,
    ("system_admin", "b"): 403,
}


def test_apology_follows_role_and_commune(
    client: FlaskClient, world: World, data: dict[str, Any], session: Session
) -> None:
    for role in ROLES:
        log_in(client, world.a.officer)
        token = csrf_token(client, f"/dossiers/{data['dossier_a'].id}/apology")
        log_in(client, _who(world, role))
        new_date = add_working_days(office_today(), 2).isoformat()
        for commune in ("a", "b"):
            dossier = data[f"dossier_{commune}"]
            url = f"/dossiers/{dossier.id}/apology"
            expected = APOLOGY[(role, commune)]
            assert client.get(url).status_code == expected, (role, commune)
            response = client.post(
                url, data={"csrf_token": token, "reason": "Chậm", "new_due_date": new_date}
            )
            assert response.status_code == (302 if expected == 200 else expected), (role, commune)
        session.expire_all()
        assert not data["dossier_b"].apologies


def test_verification_follows_role_and_commune(
    client: FlaskClient, world: World, data: dict[str, Any], session: Session
) -> None:
    """Recording "verification needed" is an officer's or leader's act on their own
    commune's dossier; nobody else changes another commune's appointment."""
    for role in ROLES:
        log_in(client, world.a.officer)
        token = csrf_token(client, f"/dossiers/{data['dossier_a'].id}/apology")
        log_in(client, _who(world, role))
        for commune in ("a", "b"):
            dossier = data[f"dossier_{commune}"]
            expected = APOLOGY[(role, commune)]
            response = client.post(
                f"/dossiers/{dossier.id}/verification", data={"csrf_token": token}
            )
            assert response.status_code == (302 if expected == 200 else expected), (role, commune)
            if expected == 302:
                assert "/login" in response.headers["Location"]
        session.expire_all()
        assert not data["dossier_b"].verification_needed


def test_official_code_follows_role_and_commune(
    client: FlaskClient, world: World, data: dict[str, Any], session: Session
) -> None:
    """Recording the official dossier code is an officer's or leader's act on their own
    commune's dossier; another commune's is not found and keeps no code."""
    for role in ROLES:
        log_in(client, world.a.officer)
        token = csrf_token(client, f"/dossiers/{data['dossier_a'].id}/apology")
        log_in(client, _who(world, role))
        for sequence, commune in enumerate(("a", "b"), start=1):
            dossier = data[f"dossier_{commune}"]
            day = dossier.received_at.astimezone(OFFICE_TZ)
            code = f"000.00.21.H37-{day:%y%m%d}-{sequence:04d}"
            expected = APOLOGY[(role, commune)]
            response = client.post(
                f"/dossiers/{dossier.id}/official-code",
                data={"csrf_token": token, "official_code": code},
            )
            assert response.status_code == (302 if expected == 200 else expected), (role, commune)
            if expected == 302:
                assert "/login" in response.headers["Location"]
        session.expire_all()
        assert data["dossier_b"].official_code is None
    assert data["dossier_a"].official_code is not None


def test_corrections_follow_role_and_commune(
    client: FlaskClient, world: World, data: dict[str, Any], session: Session
) -> None:
    """Correcting a typed name is an officer's or leader's act on their own commune's
    dossier: another commune's is not found, administrators may not, nothing changes."""
    name_b = data["dossier_b"].applicant_name
    for role in ROLES:
        log_in(client, world.a.officer)
        token = csrf_token(client, f"/dossiers/{data['dossier_a'].id}/apology")
        log_in(client, _who(world, role))
        for commune in ("a", "b"):
            dossier = data[f"dossier_{commune}"]
            url = f"/dossiers/{dossier.id}/correct"
            expected = APOLOGY[(role, commune)]
            assert client.get(url).status_code == expected, (role, commune)
            response = client.post(
                url, data={"csrf_token": token, "applicant_name": f"Sửa bởi {role}"}
            )
            assert response.status_code == (302 if expected == 200 else expected), (role, commune)
        session.expire_all()
        assert data["dossier_b"].applicant_name == name_b


LISTS = {
    "anonymous": (302, set()),
    "officer_a": (200, {"a"}),
    "leader_a": (200, {"a"}),
    "province_admin": (200, {"a", "b"}),
    "system_admin": (200, {"a", "b"}),
}


def test_lists_never_show_another_communes_rows(
    client: FlaskClient, world: World, data: dict[str, Any]
) -> None:
    for role in ROLES:
        log_in(client, _who(world, role))
        expected_status, visible = LISTS[role]
        for url in ("/dossiers", "/dossiers/overdue", "/dossiers?q=nguoi", "/dossiers?overdue=1"):
            response = client.get(url)
            assert response.status_code == expected_status, url
            html = response.get_data(as_text=True)
            shown = {c for c in ("a", "b") if data[f"dossier_{c}"].receipt_number in html}
            assert shown == visible, (role, url)


FILTER_ON_B = {
    "anonymous": 302,
    "officer_a": 404,
    "leader_a": 404,
    "province_admin": 200,
    "system_admin": 200,
}


def test_commune_filters_stay_in_scope(
    client: FlaskClient, world: World, data: dict[str, Any]
) -> None:
    for role in ROLES:
        log_in(client, _who(world, role))
        b = world.b.commune.id
        expected = FILTER_ON_B[role]
        for url in (
            f"/dossiers?commune={b}",
            f"/dossiers/overdue?commune={b}",
            f"/dossiers/log.pdf?commune={b}",
        ):
            assert client.get(url).status_code == expected, url
        dashboard = {"officer_a": 403}.get(role, expected)
        assert client.get(f"/dashboard?commune={b}").status_code == dashboard


DASHBOARD = {
    "anonymous": 302,
    "officer_a": 403,
    "leader_a": 200,
    "province_admin": 200,
    "system_admin": 200,
}


def test_dashboard_roles(client: FlaskClient, world: World, data: dict[str, Any]) -> None:
    for role in ROLES:
        log_in(client, _who(world, role))
        response = client.get("/dashboard")
        assert response.status_code == DASHBOARD[role]
        if response.status_code == 200:
            html = response.get_data(as_text=True)
            assert (world.b.commune.name in html) == (role != "leader_a")


def test_public_page_needs_no_log_in(
    client: FlaskClient, world: World, data: dict[str, Any]
) -> None:
    for role in ROLES:
        log_in(client, _who(world, role))
        for commune in ("a", "b"):
            dossier = data[f"dossier_{commune}"]
            number = dossier.receipt_number
            assert client.get(f"/tra-cuu/{number}?k={dossier.check_code}").status_code == 302
            assert client.get(f"/tra-cuu/{number}").status_code == 200
        assert client.get("/tra-cuu").status_code == 200


@pytest.mark.parametrize(
    "post",
    ["/dossiers/{a}/apology", "/tra-cuu/{number}/danh-gia", "/logout", "/login"],
)
def test_every_post_form_needs_the_csrf_token(
    client: FlaskClient, world: World, data: dict[str, Any], post: str
) -> None:
    log_in(client, world.a.leader)
    dossier = data["dossier_a"]
    url = post.format(a=dossier.id, number=dossier.receipt_number)
    fields = {
        "reason": "Chậm",
        "new_due_date": add_working_days(office_today(), 2).isoformat(),
        "stars": "5",
        "username": "x",
        "password": "y",
    }
    assert client.post(url, data=fields).status_code == 400
    assert client.post(url, data={**fields, "csrf_token": "forged"}).status_code == 400
    assert dossier.status == DossierStatus.RECEIVED
    assert not dossier.apologies


def test_attachment_bytes_follow_the_commune(
    app_factory: Any, world: World, data: dict[str, Any], tmp_path: Path
) -> None:
    from server.sync.blobs import BlobFiles

    files = BlobFiles(tmp_path)
    for key in ("a", "b"):
        path = files.final(data[f"attachment_{key}"].sha256)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(key.encode() * 3)
    client = app_factory(MOTCUA_BLOB_DIR=str(tmp_path)).test_client()
    a, b = data["dossier_a"], data["dossier_b"]
    attachment_a, attachment_b = data["attachment_a"], data["attachment_b"]
    log_in(client, world.a.officer)
    detail = client.get(f"/dossiers/{a.id}").get_data(as_text=True)
    assert f"/dossiers/{a.id}/attachments/{attachment_a.id}" in detail
    with client.get(f"/dossiers/{a.id}/attachments/{attachment_a.id}") as response:
        assert (response.status_code, response.data) == (200, b"aaa")
        assert response.mimetype == "image/jpeg"
    assert client.get(f"/dossiers/{b.id}/attachments/{attachment_b.id}").status_code == 404
    assert client.get(f"/dossiers/{a.id}/attachments/{attachment_b.id}").status_code == 404
    log_in(client, world.province_admin)
    with client.get(f"/dossiers/{b.id}/attachments/{attachment_b.id}") as response:
        assert (response.status_code, response.data) == (200, b"bbb")


def test_a_photo_on_its_way_shows_as_such_until_its_bytes_arrive(
    app_factory: Any, world: World, session: Session, tmp_path: Path
) -> None:
    """Records before photos (PROTOCOL.md §8): the dossier page names an attachment
    whose bytes have not arrived as "Ảnh đang được gửi" and serves no bytes, even when
    another commune uploaded the same photo; once the commune's own upload is verified
    the photo shows."""
    from server.sync.blobs import BlobFiles

    dossier = overdue_dossier(session, world.a, world.procedure, name="Người chờ ảnh")
    digest = "c" * 64
    session.add(Blob(sha256=digest, size=3, content_type="image/jpeg", verified=True))
    session.add(verified_upload(digest, world.b.commune.id))  # B holds them; A names them
    session.flush()
    attachment = photo_attachment(world.a.commune.id, dossier.id, digest, "giay-khai-sinh.jpg")
    session.add(attachment)
    session.commit()
    path = BlobFiles(tmp_path).final(digest)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"ccc")
    client = app_factory(MOTCUA_BLOB_DIR=str(tmp_path)).test_client()
    log_in(client, world.a.officer)
    photo = f"/dossiers/{dossier.id}/attachments/{attachment.id}"
    page = client.get(f"/dossiers/{dossier.id}").get_data(as_text=True)
    assert "Ảnh đang được gửi" in page and "giay-khai-sinh.jpg" in page
    assert photo not in page
    assert client.get(photo).status_code == 404
    session.add(verified_upload(digest, world.a.commune.id))
    session.commit()
    page = client.get(f"/dossiers/{dossier.id}").get_data(as_text=True)
    assert "Ảnh đang được gửi" not in page and photo in page
    with client.get(photo) as response:
        assert (response.status_code, response.data) == (200, b"ccc")
