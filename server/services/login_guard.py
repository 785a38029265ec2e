"""Password log-in with a per-account back-off, and every failure in the audit log.

The per-address rate limit alone does not fit a commune office: everybody there
reaches the server from one address, so one person guessing a password would lock the
whole office out. Failures are therefore counted per account too: after
``FREE_FAILURES`` wrong passwords in a row that account refuses log-ins for a while,
doubling each time up to ``MAX_BLOCK`` (30 s, 1 min, 2 min … 15 min). Other accounts,
from the same address, are not affected; a successful log-in resets the count.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import Officer
from server.services import audit
from server.services.officers import authenticate

FREE_FAILURES = 5
FIRST_BLOCK = timedelta(seconds=30)
MAX_BLOCK = timedelta(minutes=15)
#: Longest username kept in the audit log for an unknown account.
MAX_LOGGED_USERNAME = 64


class Failure(enum.StrEnum):
    WRONG = "wrong_password"  # unknown username, wrong password or disabled account
    BLOCKED = "blocked"  # the account is backing off


@dataclass(frozen=True)
class LoginResult:
    officer: Officer | None
    failure: Failure | None = None
    retry_after: timedelta | None = None


def block_for(failures: int) -> timedelta | None:
    """How long an account refuses log-ins after ``failures`` wrong passwords in a row."""
    if failures < FREE_FAILURES:
        return None
    block: timedelta = FIRST_BLOCK * 2 ** min(failures - FREE_FAILURES, 10)
    return min(block, MAX_BLOCK)


def log_in(
    session: Session, username: str, password: str, *, now: datetime, remote_addr: str | None
) -> LoginResult:
    """Check a password log-in; audit it either way. The caller commits."""
    name = username.strip().lower()[:MAX_LOGGED_USERNAME]
    account = session.scalar(select(Officer).where(Officer.username == name))
    blocked_until = account.login_blocked_until if account is not None else None
    if blocked_until is not None and blocked_until > now:
        _failed(session, account, name, Failure.BLOCKED, remote_addr)
        return LoginResult(None, Failure.BLOCKED, blocked_until - now)
    officer = authenticate(session, username, password)
    if officer is None:
        if account is not None:
            account.failed_logins = (account.failed_logins or 0) + 1
            block = block_for(account.failed_logins)
            account.login_blocked_until = now + block if block else None
        _failed(session, account, name, Failure.WRONG, remote_addr)
        return LoginResult(None, Failure.WRONG)
    officer.failed_logins = 0
    officer.login_blocked_until = None
    audit.record(
        session,
        "login",
        officer_id=officer.id,
        commune_id=officer.unit_id,
        remote_addr=remote_addr,
    )
    return LoginResult(officer)


def _failed(
    session: Session,
    account: Officer | None,
    name: str,
    failure: Failure,
    remote_addr: str | None,
) -> None:
    detail: dict[str, object] = {"username": name, "reason": failure.value}
    if account is not None:
        detail["failed_logins"] = account.failed_logins
    audit.record(
        session,
        "login.failed",
        commune_id=account.unit_id if account is not None else None,
        entity="officer" if account is not None else None,
        entity_id=account.id if account is not None else None,
        detail=detail,
        remote_addr=remote_addr,
    )
