"""The app answers its health check, serves its OpenAPI description and offline docs."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.server.conftest import World
from tests.server.conftest import world as world


def test_health_reports_database(client: FlaskClient, database_url: str) -> None:
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["database"] == database_url.split(":")[0].split("+")[0]


def test_openapi_description_lists_the_endpoints(client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    for path in ("/api/v1/health", "/api/v1/devices", "/api/v1/dossiers", "/api/v1/procedures"):
        assert path in spec["paths"], path
    assert "deviceToken" in spec["components"]["securitySchemes"]


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref", "")
    return spec["components"]["schemas"][ref.rsplit("/", 1)[-1]] if ref else schema


def test_every_endpoint_with_version_headers_documents_426_with_min_app(
    client: FlaskClient,
) -> None:
    """A 426 carries ``min_app``; the default error schema forbids it (found by the fuzzer)."""
    spec = client.get("/api/v1/openapi.json").get_json()
    versioned = [
        (method, path, operation)
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
        if isinstance(operation, dict)
        and any(p.get("name") == "X-Motcua-Protocol" for p in operation.get("parameters", []))
    ]
    assert {path for _m, path, _o in versioned} >= {
        "/api/v1/sync/push",
        "/api/v1/sync/pull",
        "/api/v1/blobs",
        "/api/v1/blobs/{sha256}",
        "/api/v1/conflicts",
        "/api/v1/conflicts/{conflict_id}/resolve",
    }
    for method, path, operation in versioned:
        assert "426" in operation["responses"], f"{method.upper()} {path} does not document 426"
        schema = operation["responses"]["426"]["content"]["application/json"]["schema"]
        assert "min_app" in _resolve(spec, schema)["properties"], (method, path)


@pytest.mark.parametrize(
    ("method", "path"),
    [("PATCH", "/api/v1/blobs/" + "0" * 64), ("GET", "/api/v1/conflicts")],
    ids=["blob_chunk", "conflict_list"],
)
def test_a_426_answer_fits_its_documented_schema(
    client: FlaskClient, world: World, method: str, path: str
) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    headers = world.a.headers | {
        "X-Motcua-Protocol": "0",
        "X-Motcua-App": "0.1.0",
        "X-Motcua-Schema": "0",
    }
    response = client.open(path, method=method, headers=headers)
    assert response.status_code == 426
    body = response.get_json()
    template = path.replace("0" * 64, "{sha256}")
    documented = spec["paths"][template][method.lower()]["responses"]["426"]
    schema = _resolve(spec, documented["content"]["application/json"]["schema"])
    assert set(body) <= set(schema["properties"]), sorted(set(body) - set(schema["properties"]))
    assert body["min_app"]


def test_docs_page_is_served_without_internet(client: FlaskClient) -> None:
    page = client.get("/api/v1/docs/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "http" not in html.split("SwaggerUIBundle")[0].replace("http-equiv", "")
    for asset in ("swagger-ui.css", "swagger-ui-bundle.js"):
        assert f"/api/v1/docs/assets/{asset}" in html
        with client.get(f"/api/v1/docs/assets/{asset}") as response:
            assert response.status_code == 200


def test_unknown_api_path_is_json_404(client: FlaskClient) -> None:
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.is_json
    assert response.get_json()["code"] == 404


def test_unknown_web_path_is_html_404(client: FlaskClient) -> None:
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "Lỗi 404" in response.get_data(as_text=True)


def test_live_server_answers_over_http(live_server: object) -> None:
    import urllib.request

    url = f"{live_server.url}/api/v1/health"  # type: ignore[attr-defined]
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback
        assert response.status == 200
