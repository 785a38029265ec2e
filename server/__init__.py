"""Một Cửa Field server: the sync API, the admin web and the citizens' page."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

__version__ = "0.1.0"


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Application factory: configuration, then each subsystem's ``init_app``."""
    app = Flask(__name__, instance_relative_config=True)
    from server import config as config_module

    app.config.from_mapping(config_module.from_environment(Path(app.instance_path)))
    if config:
        app.config.from_mapping(config)

    from server import cli, db_setup, errors, metrics, observability, security_headers
    from server.api import register_api
    from server.auth import context as auth
    from server.jobs import tasks  # noqa: F401  (registers the jobs)
    from server.web import register_web

    observability.init_app(app)
    metrics.init_app(app)
    db_setup.init_app(app)
    errors.init_app(app)
    security_headers.init_app(app)
    auth.init_app(app)
    register_api(app)
    register_web(app)
    cli.init_app(app)
    proxies = int(app.config.get("PROXY_COUNT") or 0)
    if proxies:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies
        )
    return app
