"""Management pages: villages, accounts and roles, tablets, the catalog, the audit log."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import AdminUnit, AuditEntry, Officer, Procedure, Role, UnitLevel
from server.services.officers import authenticate
from tests import factories
from tests.server.conftest import World
from tests.server.web.admin_helpers import tablet
from tests.server.web.helpers import csrf_token, log_in


def _post(client: FlaskClient, url: str, data: dict[str, Any] | None = None) -> Any:
    return client.post(url, data={"csrf_token": csrf_token(client, "/"), **(data or {})})


def _units(changes: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {c["r"]: c["f"] for c in changes if c["c"] == "admin_unit"}


def test_villages_follow_the_commune_and_reach_tablets(
    client: FlaskClient, world: World, session: Session
) -> None:
    device = tablet(world, client)
    _c, cursor = device.pull_all()
    village = {"level": "village", "kind": "Thôn", "name": "Sín Chải"}
    log_in(client, world.a.leader)
    page = client.get("/admin/units").get_data(as_text=True)
    assert world.a.village.name in page and world.b.commune.name not in page
    assert (
        _post(client, "/admin/units", {**village, "parent_id": world.a.commune.id}).status_code
        == 302
    )
    made = session.scalar(select(AdminUnit).where(AdminUnit.name == "Sín Chải"))
    assert made is not None and made.parent_id == world.a.commune.id
    assert made.level == UnitLevel.VILLAGE
    # Another commune's, a commune, or an empty name: refused.
    assert (
        _post(client, "/admin/units", {**village, "parent_id": world.b.commune.id}).status_code
        == 404
    )
    response = _post(
        client, "/admin/units", {**village, "name": " ", "parent_id": world.a.commune.id}
    )
    assert response.status_code == 422
    assert (
        _post(
            client,
            "/admin/units",
            {"level": "commune", "name": "Xã mới", "parent_id": world.province.id},
        ).status_code
        == 403
    )
    # Rename (and stop using) a village: tablets pull the change.
    response = _post(
        client, f"/admin/units/{made.id}", {"kind": "Bản", "name": "Sín Chải 2", "active": ""}
    )
    assert response.status_code == 302
    changes, _ = device.pull_all(cursor)
    pulled = _units(changes)[str(made.id)]
    assert (pulled["name"], pulled["kind"], pulled["active"]) == ("Sín Chải 2", "Bản", False)
    assert _post(client, f"/admin/units/{world.b.village.id}", {"name": "X"}).status_code == 404
    assert _post(client, f"/admin/units/{world.a.commune.id}", {"name": "X"}).status_code == 403

    # The province admin works in every commune of the province; the system admin adds
    # provinces and communes.
    log_in(client, world.province_admin)
    assert (
        _post(client, "/admin/units", {**village, "parent_id": world.b.commune.id}).status_code
        == 302
    )
    log_in(client, world.system_admin)
    assert (
        _post(
            client,
            "/admin/units",
            {"level": "province", "kind": "Tỉnh", "name": "Lai Châu", "code": "12"},
        ).status_code
        == 302
    )
    province = session.scalar(select(AdminUnit).where(AdminUnit.name == "Lai Châu"))
    assert province is not None
    response = _post(
        client,
        "/admin/units",
        {
            "level": "commune",
            "kind": "Xã",
            "name": "Sìn Hồ",
            "code": "12",
            "parent_id": province.id,
        },
    )
    assert response.status_code == 422  # the code is taken
    assert (
        _post(
            client,
            "/admin/units",
            {
                "level": "commune",
                "kind": "Xã",
                "name": "Sìn Hồ",
                "code": "03601",
                "parent_id": province.id,
            },
        ).status_code
        == 302
    )
    actions = session.scalars(
        select(AuditEntry.action).where(AuditEntry.entity == "admin_unit")
    ).all()
    assert sorted(actions) == ["unit.create"] * 4 + ["unit.update"]


def test_accounts_within_the_managers_rights(
    client: FlaskClient, world: World, session: Session
) -> None:
    log_in(client, world.a.leader)
    listing = client.get("/admin/officers").get_data(as_text=True)
    assert world.a.officer.username in listing and world.b.officer.username not in listing
    assert world.province_admin.username not in listing
    form = client.get("/admin/officers/new").get_data(as_text=True)
    assert 'value="officer"' in form and 'value="province_admin"' not in form
    new = {
        "full_name": "Hầu A Lử",
        "username": "hau.alu",
        "password": "mat-khau-dai",
        "role": "officer",
        "unit_id": str(world.a.commune.id),
    }
    assert (
        _post(client, "/admin/officers/new", {**new, "role": "province_admin"}).status_code == 403
    )
    assert (
        _post(
            client, "/admin/officers/new", {**new, "unit_id": str(world.b.commune.id)}
        ).status_code
        == 403
    )
    assert _post(client, "/admin/officers/new", {**new, "password": "ngan"}).status_code == 422
    assert _post(client, "/admin/officers/new", new).status_code == 302
    created = session.scalar(select(Officer).where(Officer.username == "hau.alu"))
    assert created is not None and created.unit_id == world.a.commune.id
    assert _post(client, "/admin/officers/new", new).status_code == 422  # username taken

    # Another commune's accounts are not found; higher roles are out of reach.
    for target in (world.b.officer, world.province_admin, world.system_admin):
        assert client.get(f"/admin/officers/{target.id}").status_code == 404
        assert (
            _post(client, f"/admin/officers/{target.id}/active", {"active": "0"}).status_code == 404
        )
    # Nobody locks themselves out.
    assert (
        _post(client, f"/admin/officers/{world.a.leader.id}/active", {"active": "0"}).status_code
        == 403
    )

    # Reset a password, promote within the commune, disable: the tablet is refused too.
    url = f"/admin/officers/{world.a.officer.id}"
    mismatch = _post(client, f"{url}/password", {"password": "moi-mat-khau", "password_again": "x"})
    assert mismatch.status_code == 422
    assert (
        _post(
            client,
            f"{url}/password",
            {"password": "moi-mat-khau", "password_again": "moi-mat-khau"},
        ).status_code
        == 302
    )
    assert authenticate(session, world.a.officer.username, "moi-mat-khau") is not None
    assert (
        _post(client, f"{url}/role", {"role": "province_admin", "unit_id": ""}).status_code == 403
    )
    assert (
        _post(
            client, f"{url}/role", {"role": "commune_leader", "unit_id": str(world.a.commune.id)}
        ).status_code
        == 302
    )
    session.refresh(world.a.officer)
    assert world.a.officer.role == Role.COMMUNE_LEADER
    assert _post(client, f"{url}/active", {"active": "0"}).status_code == 302
    reply = tablet(world, client).request("GET", "/api/v1/feedback")
    assert reply.status == 401 and reply.json()["status"] == "device_revoked"
    assert authenticate(session, world.a.officer.username, "moi-mat-khau") is None

    # A province admin manages the province's people (and gives roles up to their own).
    log_in(client, world.province_admin)
    assert (
        _post(
            client,
            f"/admin/officers/{world.b.officer.id}/role",
            {"role": "province_admin", "unit_id": str(world.province.id)},
        ).status_code
        == 302
    )
    assert client.get(f"/admin/officers/{world.system_admin.id}").status_code == 404
    world.a.officer.active = True
    world.a.officer.role = Role.OFFICER
    world.a.officer.must_change_password = False  # set by the reset above
    session.commit()
    log_in(client, world.a.officer)
    assert client.get("/admin/officers").status_code == 403
    actions = session.scalars(select(AuditEntry.action).where(AuditEntry.entity == "officer")).all()
    assert sorted(actions) == [
        "officer.create",
        "officer.disable",
        "officer.password",
        "officer.role",
        "officer.role",
    ]


def test_revoking_a_tablet_refuses_its_next_request(
    client: FlaskClient, world: World, session: Session
) -> None:
    device = tablet(world, client)
    assert device.request("GET", "/api/v1/feedback").status == 200
    log_in(client, world.a.leader)
    listing = client.get("/admin/devices").get_data(as_text=True)
    assert world.a.device.name in listing and "0.1.0" in listing
    assert world.b.device.id not in listing
    confirm = client.get(f"/admin/devices/{world.a.device.id}/revoke").get_data(as_text=True)
    assert "Thu hồi thiết bị?" in confirm and world.a.officer.full_name in confirm
    assert client.get(f"/admin/devices/{world.b.device.id}/revoke").status_code == 404
    assert _post(client, f"/admin/devices/{world.b.device.id}/revoke").status_code == 404
    assert _post(client, f"/admin/devices/{world.a.device.id}/revoke").status_code == 302
    session.refresh(world.a.device)
    assert world.a.device.revoked and world.a.device.revoked_by_id == world.a.leader.id
    reply = device.request("GET", "/api/v1/feedback")
    assert reply.status == 401 and reply.json()["status"] == "device_revoked"
    assert "Đã thu hồi" in client.get("/admin/devices?state=revoked").get_data(as_text=True)
    assert world.a.device.name not in client.get("/admin/devices?state=active").get_data(
        as_text=True
    )
    assert world.b.device.revoked_at is None
    # Found again: the leader reinstates it and the same token works, nothing lost.
    assert _post(client, f"/admin/devices/{world.b.device.id}/reinstate").status_code == 404
    assert _post(client, f"/admin/devices/{world.a.device.id}/reinstate").status_code == 302
    session.refresh(world.a.device)
    assert not world.a.device.revoked
    assert device.request("GET", "/api/v1/feedback").status == 200


def test_catalog_edits_reach_every_tablet(
    client: FlaskClient, world: World, session: Session
) -> None:
    device = tablet(world, client, "b")
    _c, cursor = device.pull_all()
    url = f"/admin/procedures/{world.procedure.id}"
    log_in(client, world.a.leader)
    assert client.get("/admin/procedures").status_code == 403
    assert _post(client, url, {"name_vi": "x"}).status_code == 403
    log_in(client, world.province_admin)
    assert world.procedure.name_vi in client.get("/admin/procedures").get_data(as_text=True)
    form = {
        "name_vi": "Đăng ký kết hôn",
        "name_en": "Marriage registration",
        "processing_days": "5",
        "extension_days": "5",
        "fee_vnd": "0",
        "active": "1",
        "doc_name_vi": ["Tờ khai", "", "Giấy xác nhận tình trạng hôn nhân"],
        "doc_name_en": ["Form", "", ""],
        "doc_required": ["0"],
    }
    bad = _post(client, url, {**form, "processing_days": "-1", "name_en": ""})
    assert bad.status_code == 422
    assert "Không được để trống" in bad.get_data(as_text=True)
    seq = world.procedure.seq
    assert _post(client, url, form).status_code == 302
    session.refresh(world.procedure)
    assert world.procedure.processing_days == 5 and world.procedure.seq > seq
    assert world.procedure.required_documents == [
        {"name_vi": "Tờ khai", "name_en": "Form", "required": True},
        {
            "name_vi": "Giấy xác nhận tình trạng hôn nhân",
            "name_en": "Giấy xác nhận tình trạng hôn nhân",
            "required": False,
        },
    ]
    changes, cursor = device.pull_all(cursor)
    pulled = [c for c in changes if c["c"] == "procedure"]
    assert len(pulled) == 1 and pulled[0]["f"]["processing_days"] == 5
    # Saving unchanged values sends nothing new.
    seq = world.procedure.seq
    assert _post(client, url, form).status_code == 302
    session.refresh(world.procedure)
    assert world.procedure.seq == seq
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "procedure.update"))
    assert entry is not None and entry.detail["from"]["processing_days"] == 3


def test_audit_log_filters_within_scope(
    client: FlaskClient, world: World, session: Session
) -> None:
    other = factories.procedure(session)
    session.commit()
    log_in(client, world.province_admin)
    _post(
        client,
        f"/admin/procedures/{other.id}",
        {"name_vi": "A", "name_en": "A", "processing_days": "1", "active": "1"},
    )
    log_in(client, world.a.leader)
    _post(client, f"/admin/devices/{world.a.device.id}/revoke")
    log_in(client, world.b.leader)
    _post(client, f"/admin/devices/{world.b.device.id}/revoke")

    log_in(client, world.a.leader)
    html = client.get("/admin/audit").get_data(as_text=True)
    assert "device.revoke" in html and world.a.leader.full_name in html
    assert world.b.leader.full_name not in html  # another commune's entries
    assert "procedure.update" not in html  # the province's
    filtered = client.get("/admin/audit?action=device.register").get_data(as_text=True)
    assert "device.register" in filtered and "<code>device.revoke</code>" not in filtered
    by_officer = client.get(f"/admin/audit?officer={world.a.officer.id}").get_data(as_text=True)
    assert "<code>device.revoke</code>" not in by_officer
    assert client.get(f"/admin/audit?commune={world.b.commune.id}").status_code == 404
    assert "Không có mục nào" in client.get("/admin/audit?from=2001-01-01&to=2001-01-02").get_data(
        as_text=True
    )
    log_in(client, world.province_admin)
    html = client.get("/admin/audit").get_data(as_text=True)
    assert "procedure.update" in html and world.b.leader.full_name in html
    log_in(client, world.a.officer)
    assert client.get("/admin/audit").status_code == 403
    assert session.get(Procedure, other.id) is not None


def test_new_pages_switch_to_english(client: FlaskClient, world: World) -> None:
    from flask_babel import refresh

    log_in(client, world.system_admin)
    client.get("/lang/en")
    refresh()  # the test's app context (and its cached locale) outlives each request
    for url, english, vietnamese in (
        ("/feedback", "Answer overdue", "Quá hạn trả lời"),
        ("/surveys", "Survey forms", "Phiếu khảo sát"),
        ("/conflicts", "Sync conflicts", "Xung đột đồng bộ"),
        ("/admin/units", "Administrative units", "Đơn vị hành chính"),
        ("/admin/officers", "Officers and accounts", "Cán bộ, tài khoản"),
        ("/admin/devices", "Last sync", "Đồng bộ lần cuối"),
        ("/admin/procedures", "Procedure catalog", "Danh mục thủ tục"),
        ("/admin/audit", "Administration", "Nhật ký hệ thống"),
    ):
        html = client.get(url).get_data(as_text=True)
        assert english in html and vietnamese not in html, url


def test_a_commune_code_in_use_cannot_change(client: FlaskClient, world: World) -> None:
    log_in(client, world.system_admin)
    url = f"/admin/units/{world.a.commune.id}"
    data = {"kind": "Xã", "name": "Tả Van Mới", "active": "1"}
    response = _post(client, url, {**data, "code": "99999"})
    assert response.status_code == 422  # its tablet prints receipts with the code
    assert _post(client, url, {**data, "code": world.a.commune.code}).status_code == 302
    assert world.a.commune.name == "Tả Van Mới"
