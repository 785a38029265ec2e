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

    def visible(headers: dict[str, str]) -> dict[str, set[int]]:
        """Dossier id → the communes involved (receiving, settling, return)."""
        body = client.get("/api/v1/dossiers?per_page=500", headers=headers).get_json()
        assert body["total"] == len(body["items"]) > 0
        return {
            d["id"]: {d["commune_id"], d["settling_commune_id"], d["return_commune_id"]}
            for d in body["items"]
        }

    seen_a, seen_b = visible(tavan), visible(sapa)
    [tavan_id] = set.intersection(*seen_a.values())  # every one involves Tả Van
    [sapa_id] = set.intersection(*seen_b.values())
    assert tavan_id != sapa_id
    # Only the dossiers filed in one for the other are seen by both (Decree 118/2025).
    shared = seen_a.keys() & seen_b.keys()
    assert shared and all({tavan_id, sapa_id} <= seen_a[d] for d in shared)
    one_of_b = next(iter(seen_b.keys() - shared))
    assert client.get(f"/api/v1/dossiers/{one_of_b}", headers=tavan).status_code == 404
    assert client.get(f"/api/v1/dossiers/{one_of_b}", headers=sapa).status_code == 200
    overdue = client.get("/api/v1/dossiers?overdue=true", headers=tavan).get_json()
    assert overdue["total"] > 0
