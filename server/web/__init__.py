"""The admin web (server-rendered pages for leaders and administrators)."""

from __future__ import annotations

from flask import Flask


def register_web(app: Flask) -> None:
    from server.web.views import bp

    app.register_blueprint(bp)
