"""The JSON API under ``/api/v1``: one folder per resource (schemas + resources)."""

from __future__ import annotations

from typing import Any

import swagger_ui_bundle
from apispec import APISpec, BasePlugin
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, Flask, render_template_string, send_from_directory, url_for

from server.extensions import api, csrf
from server.sync.versions import PROTOCOL_HEADER

API_PREFIX = "/api/v1"

_DOCS_PAGE = """<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><title>Một Cửa Field API</title>
<link rel="stylesheet" href="{{ url_for('api_docs.asset', filename='swagger-ui.css') }}">
</head><body><div id="swagger-ui" data-spec-url="{{ spec_url }}"></div>
<script src="{{ url_for('api_docs.asset', filename='swagger-ui-bundle.js') }}"></script>
<script src="{{ url_for('static', filename='api-docs.js') }}"></script>
</body></html>"""

docs_blp = Blueprint("api_docs", __name__, url_prefix=f"{API_PREFIX}/docs")


@docs_blp.get("/")
def docs_page() -> str:
    """Swagger UI served from the installed package, so it works with no internet."""
    return render_template_string(_DOCS_PAGE, spec_url=url_for("api-docs.openapi_json"))


@docs_blp.get("/assets/<path:filename>")
def asset(filename: str) -> Any:
    return send_from_directory(swagger_ui_bundle.swagger_ui_path, filename, max_age=86400)


class UpgradeRequiredPlugin(BasePlugin):
    """Documents ``426`` on every operation that takes the sync version headers.

    Each of them checks the headers (``sync_device``) and may answer ``426 Upgrade
    Required`` with ``min_app`` (PROTOCOL.md §5), which the default error schema does
    not allow. Done here once, so push, pull, blobs and conflicts all say so.
    """

    def init_spec(self, spec: APISpec) -> None:
        super().init_spec(spec)
        self.marshmallow = next(p for p in spec.plugins if isinstance(p, MarshmallowPlugin))

    def operation_helper(
        self, path: str | None = None, operations: dict[Any, Any] | None = None, **kwargs: Any
    ) -> None:
        from server.api.sync.schemas import UpgradeRequiredSchema

        for operation in (operations or {}).values():
            if not isinstance(operation, dict):
                continue
            versioned = any(
                isinstance(p, dict) and p.get("in") == "header" and p.get("name") == PROTOCOL_HEADER
                for p in operation.get("parameters", [])
            )
            responses = operation.setdefault("responses", {})
            if not versioned or 426 in responses or "426" in responses:
                continue
            resolver = self.marshmallow.resolver
            assert resolver is not None  # set by the plugin's init_spec, which ran first
            schema = resolver.resolve_schema_dict(UpgradeRequiredSchema)  # type: ignore[no-untyped-call]
            responses["426"] = {
                "description": "The app must be updated first (sync version headers)",
                "content": {"application/json": {"schema": schema}},
            }


def register_api(app: Flask) -> None:
    from server.api.blobs.resources import blp as blobs_blp
    from server.api.catalog.resources import blp as catalog_blp
    from server.api.conflicts.resources import blp as conflicts_blp
    from server.api.devices.resources import blp as devices_blp
    from server.api.dossiers.resources import blp as dossiers_blp
    from server.api.feedback.resources import blp as feedback_blp
    from server.api.health.resources import blp as health_blp
    from server.api.sync.resources import blp as sync_blp
    from server.api.units.resources import blp as units_blp

    api.init_app(
        app,
        spec_kwargs={
            "info": {
                "description": "Sync and data API of Một Cửa Field. Tablets authenticate "
                "with `Authorization: Bearer <device token>` from `POST /api/v1/devices`."
            },
            "extra_plugins": [UpgradeRequiredPlugin()],
        },
    )
    api.spec.components.security_scheme(
        "deviceToken", {"type": "http", "scheme": "bearer", "bearerFormat": "device token"}
    )
    blueprints = (
        health_blp,
        devices_blp,
        catalog_blp,
        units_blp,
        dossiers_blp,
        feedback_blp,
        sync_blp,
        blobs_blp,
        conflicts_blp,
    )
    for blp in blueprints:
        csrf.exempt(blp)  # token-authenticated: no cookies, so no CSRF
        api.register_blueprint(blp, url_prefix=f"{API_PREFIX}/{blp.url_prefix or ''}".rstrip("/"))
    app.register_blueprint(docs_blp)
