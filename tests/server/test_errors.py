"""Bad input gets a clear 4xx that names the problem — never a 500 or an HTML page."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests import factories
from tests.server.conftest import World


def _intake(world: World, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "procedure_id": world.procedure.id,
        "applicant": {"name": "Sùng Thị Mai", "cccd": factories.valid_cccd(), "dob": "1990-05-17"},
        "village_id": world.a.village.id,
    }
    body.update(overrides)
    return body


def test_malformed_json_is_400(client: FlaskClient, world: World) -> None:
    response = client.post(
        "/api/v1/dossiers",
        data=b'{"procedure_id": 1,',
        headers={**world.a.headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.is_json
    assert "json" in response.get_json()["message"].lower()


def test_wrong_type_is_422_naming_the_field(client: FlaskClient, world: World) -> None:
    response = client.post(
        "/api/v1/dossiers", json=_intake(world, procedure_id="abc"), headers=world.a.headers
    )
    assert response.status_code == 422
    assert "procedure_id" in response.get_json()["errors"]["json"]


def test_unknown_field_is_422_naming_it(client: FlaskClient, world: World) -> None:
    response = client.post(
        "/api/v1/dossiers", json=_intake(world, colour="red"), headers=world.a.headers
    )
    assert response.status_code == 422
    assert "colour" in response.get_json()["errors"]["json"]


def test_oversized_body_is_413_json(app: Any, world: World) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 1024
    client = app.test_client()
    response = client.post(
        "/api/v1/dossiers",
        json=_intake(world, note="x" * 5000),
        headers=world.a.headers,
    )
    assert response.status_code == 413
    assert response.is_json


def test_impossible_date_is_422(client: FlaskClient, world: World) -> None:
    body = _intake(world)
    body["applicant"]["dob"] = "1990-02-30"
    response = client.post("/api/v1/dossiers", json=body, headers=world.a.headers)
    assert response.status_code == 422
    assert "dob" in response.get_json()["errors"]["json"]["applicant"]


@pytest.mark.parametrize(
    ("cccd", "fragment"),
    [("12345", "12 chữ số"), ("12345678901a", "12 chữ số"), ("099123456789", "099")],
)
def test_bad_cccd_is_422_with_reason(
    client: FlaskClient, world: World, cccd: str, fragment: str
) -> None:
    body = _intake(world)
    body["applicant"]["cccd"] = cccd
    response = client.post("/api/v1/dossiers", json=body, headers=world.a.headers)
    assert response.status_code == 422
    assert fragment in response.get_json()["errors"]["cccd"]


def test_birth_date_in_future_is_422(client: FlaskClient, world: World) -> None:
    body = _intake(world)
    body["applicant"]["dob"] = "2999-01-01"
    response = client.post("/api/v1/dossiers", json=body, headers=world.a.headers)
    assert response.status_code == 422
    assert "dob" in response.get_json()["errors"]


def test_receipt_time_in_future_is_422(client: FlaskClient, world: World) -> None:
    body = _intake(world, received_at="2999-01-01T08:00:00+07:00")
    response = client.post("/api/v1/dossiers", json=body, headers=world.a.headers)
    assert response.status_code == 422
    assert "received_at" in response.get_json()["errors"]


def test_naive_receipt_time_is_422(client: FlaskClient, world: World) -> None:
    body = _intake(world, received_at="2026-01-05T08:00:00")
    response = client.post("/api/v1/dossiers", json=body, headers=world.a.headers)
    assert response.status_code == 422


def test_bad_query_parameter_is_422(client: FlaskClient, world: World) -> None:
    response = client.get("/api/v1/dossiers?page=0", headers=world.a.headers)
    assert response.status_code == 422
    assert "page" in response.get_json()["errors"]["query"]


def test_a_lone_surrogate_is_400_not_a_database_error(
    app: Any, client: FlaskClient, world: World
) -> None:
    """``"\\ud800"`` parses as JSON but is not text: refused before it reaches the database."""
    app.config["PROPAGATE_EXCEPTIONS"] = False  # answer as in production
    body = _intake(world, applicant={"name": "Giàng A Páo"})
    raw = json.dumps(body).replace("Gi\\u00e0ng", "Gi\\ud800ng").encode()
    assert b"\\ud800" in raw
    response = client.post(
        "/api/v1/dossiers",
        data=raw,
        headers={**world.a.headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert "surrogate" in response.get_json()["message"]
    # A character outside the BMP, escaped as a surrogate pair, is fine.
    body = _intake(world, applicant={"name": "Giàng A Páo \U0001f33e"})
    response = client.post("/api/v1/dossiers", json=body, headers=world.a.headers)
    assert response.status_code == 201, response.get_json()
