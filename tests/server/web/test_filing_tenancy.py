"""Roles and communes on the web intake and the handover (filing anywhere in the
province, Decree 118/2025/NĐ-CP): a counter's people receive and hand over, for their
own commune's dossiers only; administrators do neither; anonymous visitors log in."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.server.conftest import World, add_dossier
from tests.server.web.helpers import csrf_token, log_in
from tests.server.web.test_web_tenancy import ROLES, _who

INTAKE = {
    "anonymous": 302,
    "officer_a": 200,
    "leader_a": 200,
    "province_admin": 403,
    "system_admin": 403,
}


def test_intake_and_handover_follow_role_and_commune(
    client: FlaskClient, world: World, session: Session
) -> None:
    world.procedure.receivable_anywhere = True
    own = add_dossier(session, world.a, world.procedure)
    other = add_dossier(session, world.b, world.procedure)
    session.commit()
    log_in(client, world.a.officer)
    token = csrf_token(client, "/dossiers/new")
    intake_url = f"/dossiers/new?procedure={world.procedure.id}"
    for role in ROLES:
        log_in(client, _who(world, role))
        expected = INTAKE[role]
        response = client.get(intake_url)
        assert response.status_code == expected, role
        if expected == 302:
            assert "/login" in response.headers["Location"]
        form: dict[str, Any] = {"csrf_token": token, "applicant_name": f"Người nộp {role}"}
        posted = client.post(intake_url, data=form)
        assert posted.status_code == (302 if expected == 200 else expected), role
        # Another commune's dossier is not found; administrators may not hand over.
        handover = client.post(
            f"/dossiers/{other.id}/handover",
            data={"csrf_token": token, "to_commune_id": str(world.a.commune.id), "reason": "x"},
        )
        assert handover.status_code == (404 if expected == 200 else expected), role
        session.expire_all()
        assert other.settling_commune_id == world.b.commune.id
    # The own commune's officer hands its dossier over to a commune of the province.
    log_in(client, world.a.officer)
    moved = client.post(
        f"/dossiers/{own.id}/handover",
        data={"csrf_token": token, "to_commune_id": str(world.b.commune.id), "reason": ""},
    )
    assert moved.status_code == 302
    session.expire_all()
    assert own.settling_commune_id == world.b.commune.id
