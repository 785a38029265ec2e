"""The admin web (server-rendered pages for leaders and administrators)."""

from __future__ import annotations

from flask import Flask


def register_web(app: Flask) -> None:
    """Register every page blueprint and the menu."""
    from server.web import (
        admin,
        conflicts,
        dashboard,
        dossiers,
        feedback,
        formatting,
        intake,
        nav,
        public,
        ratings,
        surveys,
    )
    from server.web.views import bp

    nav.init_app(app)
    formatting.init_app(app)
    admin.init_app(app)
    app.register_blueprint(bp)
    app.register_blueprint(dashboard.bp)
    app.register_blueprint(intake.bp)
    app.register_blueprint(dossiers.bp)
    app.register_blueprint(feedback.bp)
    app.register_blueprint(surveys.bp)
    app.register_blueprint(conflicts.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(public.bp)
    app.register_blueprint(ratings.bp)
