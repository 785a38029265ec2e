"""Officer accounts: creation and password log-in."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.auth.passwords import hash_password, needs_rehash, verify_password
from server.models import AdminUnit, Officer, Role, UnitLevel, utcnow
from server.services.errors import Conflict, Invalid

MIN_PASSWORD_LENGTH = 8

#: The unit level each role must belong to (None: no unit).
ROLE_UNIT_LEVEL: dict[Role, UnitLevel | None] = {
    Role.OFFICER: UnitLevel.COMMUNE,
    Role.COMMUNE_LEADER: UnitLevel.COMMUNE,
    Role.PROVINCE_ADMIN: UnitLevel.PROVINCE,
    Role.SYSTEM_ADMIN: None,
}


def create_officer(
    session: Session,
    *,
    username: str,
    password: str,
    full_name: str,
    role: Role,
    unit: AdminUnit | None = None,
    title: str | None = None,
    phone: str | None = None,
) -> Officer:
    username = username.strip().lower()
    if not username:
        raise Invalid("Tên đăng nhập không được để trống (username is required)")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(
            f"Mật khẩu phải có ít nhất {MIN_PASSWORD_LENGTH} ký tự "
            f"(password needs at least {MIN_PASSWORD_LENGTH} characters)"
        )
    expected = ROLE_UNIT_LEVEL[role]
    if expected is None and unit is not None:
        raise Invalid("Quản trị hệ thống không gắn với đơn vị (a system admin has no unit)")
    if expected is not None and (unit is None or unit.level != expected):
        raise Invalid(
            f"Vai trò {role.value} phải thuộc một đơn vị cấp {expected.value} "
            f"(role {role.value} must belong to a {expected.value})"
        )
    taken = session.scalar(select(func.count()).where(Officer.username == username))
    if taken:
        raise Conflict(f"Tên đăng nhập {username} đã tồn tại (username already taken)")
    officer = Officer(
        username=username,
        password_hash=hash_password(password),
        full_name=full_name.strip(),
        role=role,
        unit_id=unit.id if unit else None,
        title=title,
        phone=phone,
    )
    session.add(officer)
    session.flush()
    return officer


def authenticate(session: Session, username: str, password: str) -> Officer | None:
    """The active officer with these credentials, or None. Upgrades old hashes."""
    officer = session.scalar(select(Officer).where(Officer.username == username.strip().lower()))
    if officer is None or not officer.active:
        # Spend the same time as a real check so usernames cannot be probed by timing.
        verify_password(_DUMMY_HASH, password)
        return None
    if not verify_password(officer.password_hash, password):
        return None
    if needs_rehash(officer.password_hash):
        officer.password_hash = hash_password(password)
    officer.last_login_at = utcnow()
    return officer


_DUMMY_HASH = hash_password("not-a-real-password")
