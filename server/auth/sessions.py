"""Officers' web sessions: which cookie still opens an account, and for how long.

Flask-Login keeps ``"<officer id>:<session generation>"`` in the signed session cookie
(``Officer.get_id``). Log-out, a password change and a password reset raise the
officer's generation in the database, so every cookie issued before (a copy kept by
someone else, another browser) stops working at its next request. Each cookie also
carries when it logged in and when it was last used: past the idle timeout
(``SESSION_IDLE_MINUTES``) or the absolute lifetime (``SESSION_MAX_HOURS``) it is
refused and the officer logs in again.
"""

from __future__ import annotations

import time

from flask import current_app, session
from flask_login import login_user

from server.extensions import db
from server.models import Officer

LOGIN_AT = "login_at"
SEEN_AT = "seen_at"
#: ``seen_at`` is rewritten at most this often (seconds), not on every request.
SEEN_RESOLUTION = 60


def _now() -> float:
    return time.time()


def start(officer: Officer) -> None:
    """Log ``officer`` in on this browser: a new session cookie, timestamps reset."""
    session.clear()  # nothing of an earlier session (or an attacker-planted one) carries over
    session.permanent = True  # the cookie expires with the absolute lifetime
    login_user(officer)
    now = _now()
    session[LOGIN_AT] = now
    session[SEEN_AT] = now


def end_everywhere(officer: Officer) -> None:
    """Invalidate every session of ``officer`` (the caller commits)."""
    officer.session_generation = (officer.session_generation or 0) + 1


def load(user_id: str) -> Officer | None:
    """Flask-Login's user loader: the officer if this cookie is still valid, else None."""
    officer_text, sep, generation_text = user_id.partition(":")
    if not sep or not officer_text.isdigit() or not generation_text.isdigit():
        return None  # a cookie from before generations existed
    officer = db.session.get(Officer, int(officer_text))
    if officer is None or not officer.active:
        return None
    if officer.session_generation != int(generation_text):
        return None
    now = _now()
    login_at = session.get(LOGIN_AT)
    seen_at = session.get(SEEN_AT)
    if not isinstance(login_at, int | float) or not isinstance(seen_at, int | float):
        return None
    idle = float(current_app.config["SESSION_IDLE_MINUTES"]) * 60
    lifetime = float(current_app.config["SESSION_MAX_HOURS"]) * 3600
    if now - seen_at > idle or now - login_at > lifetime:
        session.clear()
        return None
    if now - seen_at >= SEEN_RESOLUTION:
        session[SEEN_AT] = now
    return officer
