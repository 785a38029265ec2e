"""The app answers its health check, serves its OpenAPI description and offline docs."""

from __future__ import annotations

from flask.testing import FlaskClient


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
