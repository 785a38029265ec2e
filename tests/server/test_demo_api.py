"""The demo data seen through the API: an officer of one commune sees theirs, not another's."""

from __future__ import annotations

from datetime import date

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from server.demo import DEMO_LOGINS, DEMO_PASSWORD, seed_demo_province


def _register(client: FlaskClient, username: str) -> dict[str, str]:
    response = client.post(
        "/api/v1/devices",
        json={"username": username, "password": DEMO_PASSWORD, "device_name": "Tab"},
    )
    assert response.status_code == 201, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def test_demo_officers_see_only_their_commune(client: FlaskClient, session: Session) -> None:
    seed_demo_province(session, seed=7, dossiers_per_commune=12, today=date(2026, 3, 12))
    session.commit()
    usernames = {name for name, _, _ in DEMO_LOGINS}
    tavan = _register(client, "hotich.tavan")
    sapa = _register(client, "hotich.sapa")
    assert {"hotich.tavan", "hotich.sapa"} <= usernames

    def visible(headers: dict[str, str]) -> tuple[set[int], set[str]]:
        body = client.get("/api/v1/dossiers?per_page=500", headers=headers).get_json()
        assert body["total"] == len(body["items"]) > 0
        return {d["commune_id"] for d in body["items"]}, {d["id"] for d in body["items"]}

    communes_a, ids_a = visible(tavan)
    communes_b, ids_b = visible(sapa)
    assert len(communes_a) == len(communes_b) == 1
    assert communes_a != communes_b
    assert not ids_a & ids_b
    one_of_b = next(iter(ids_b))
    assert client.get(f"/api/v1/dossiers/{one_of_b}", headers=tavan).status_code == 404
    assert client.get(f"/api/v1/dossiers/{one_of_b}", headers=sapa).status_code == 200
    overdue = client.get("/api/v1/dossiers?overdue=true", headers=tavan).get_json()
    assert overdue["total"] > 0
