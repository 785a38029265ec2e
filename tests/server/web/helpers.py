"""Helpers shared by the admin web tests: log-in without the form, CSRF tokens, data."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import g
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from server.auth import sessions
from server.models import Dossier, Officer, Procedure
from server.services.reports import office_today
from sync.workdays import OFFICE_TZ, is_working_day
from tests.server.conftest import CommuneKit, add_dossier

HOSTILE_SCRIPT = "<script>alert(1)</script>"
HOSTILE_IMG = '"><img src=x onerror=alert(1)>'


def log_in(client: FlaskClient, officer: Officer | None) -> FlaskClient:
    """Act as ``officer`` (None: anonymous) without going through the log-in form.

    The test's app context is shared by the requests it makes, so Flask-Login's cached
    user on ``g`` is dropped too.
    """
    g.pop("_login_user", None)
    with client.session_transaction() as flask_session:
        for key in ("_user_id", "_fresh", "_id"):  # the CSRF secret stays
            flask_session.pop(key, None)
        if officer is not None:
            flask_session["_user_id"] = officer.get_id()
            flask_session["_fresh"] = True
            flask_session[sessions.LOGIN_AT] = flask_session[sessions.SEEN_AT] = datetime.now(
                UTC
            ).timestamp()
    return client


def csrf_token(client: FlaskClient, url: str) -> str:
    page = client.get(url).get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert match, page[:2000]
    return match.group(1)


def working_days_ago(n: int) -> datetime:
    """09:00 office time ``n`` working days before today."""
    day = office_today()
    while n > 0:
        day -= timedelta(days=1)
        if is_working_day(day):
            n -= 1
    return datetime.combine(day, time(9, 0), OFFICE_TZ)


def overdue_dossier(session: Session, kit: CommuneKit, procedure: Procedure, **kw: Any) -> Dossier:
    """An open dossier received long enough ago to be past its due date."""
    dossier: Dossier = add_dossier(
        session, kit, procedure, received_at=working_days_ago(procedure.processing_days + 4), **kw
    )
    assert dossier.due_date < office_today()
    return dossier


def next_day_off(after: date) -> date:
    """The first day after ``after`` that is not a working day (a weekend or holiday)."""
    day = after + timedelta(days=1)
    while is_working_day(day):
        day += timedelta(days=1)
    return day


def now() -> datetime:
    return datetime.now(UTC)
