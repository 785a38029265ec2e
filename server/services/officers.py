"""Officer accounts: creation, password log-in, and management within a person's rights."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.auth.passwords import hash_password, needs_rehash, verify_password
from server.models import AdminUnit, Officer, Role, UnitLevel, utcnow
from server.services import audit
from server.services.errors import Conflict, Forbidden, Invalid, NotFound
from server.translatable import msg

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
        raise Invalid(msg("Tên đăng nhập không được để trống"))
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(
            msg(
                "Mật khẩu phải có ít nhất %(MIN_PASSWORD_LENGTH)s ký tự",
                MIN_PASSWORD_LENGTH=MIN_PASSWORD_LENGTH,
            )
        )
    expected = ROLE_UNIT_LEVEL[role]
    if expected is None and unit is not None:
        raise Invalid(msg("Quản trị hệ thống không gắn với đơn vị"))
    if expected is not None and (unit is None or unit.level != expected):
        raise Invalid(
            msg(
                "Vai trò %(value)s phải thuộc một đơn vị cấp %(value2)s",
                value=role.value,
                value2=expected.value,
            )
        )
    taken = session.scalar(select(func.count()).where(Officer.username == username))
    if taken:
        raise Conflict(msg("Tên đăng nhập %(username)s đã tồn tại", username=username))
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


# ---------------------------------------------------------------------------------------
# Management in the admin web: who may manage whom
# ---------------------------------------------------------------------------------------

#: A person manages accounts of roles up to their own rank, within their units.
ROLE_RANK: dict[Role, int] = {
    Role.OFFICER: 0,
    Role.COMMUNE_LEADER: 1,
    Role.PROVINCE_ADMIN: 2,
    Role.SYSTEM_ADMIN: 3,
}
#: Roles that manage accounts at all (officers manage nobody).
MANAGER_ROLES = frozenset({Role.COMMUNE_LEADER, Role.PROVINCE_ADMIN, Role.SYSTEM_ADMIN})
MAX_NAME_LENGTH = 120


def managed_unit_ids(session: Session, actor: Officer) -> frozenset[int] | None:
    """The units whose accounts ``actor`` manages; None means every unit (and none).

    A commune leader: the commune. A province admin: the province and its communes.
    """
    if not actor.active or actor.role not in MANAGER_ROLES:
        return frozenset()
    if actor.role == Role.SYSTEM_ADMIN:
        return None
    if actor.unit_id is None:
        return frozenset()
    if actor.role == Role.PROVINCE_ADMIN:
        communes = session.scalars(
            select(AdminUnit.id).where(
                AdminUnit.parent_id == actor.unit_id, AdminUnit.level == UnitLevel.COMMUNE
            )
        ).all()
        return frozenset({actor.unit_id, *communes})
    return frozenset({actor.unit_id})


def assignable_roles(actor: Officer) -> list[Role]:
    """Roles ``actor`` may give: up to their own."""
    if actor.role not in MANAGER_ROLES:
        return []
    return [role for role in Role if ROLE_RANK[role] <= ROLE_RANK[actor.role]]


def assignable_units(session: Session, actor: Officer, role: Role | None = None) -> list[AdminUnit]:
    """Units an account made by ``actor`` may belong to (for ``role`` if given)."""
    managed = managed_unit_ids(session, actor)
    stmt = select(AdminUnit).where(
        AdminUnit.level.in_([UnitLevel.PROVINCE, UnitLevel.COMMUNE]), AdminUnit.active.is_(True)
    )
    if managed is not None:
        stmt = stmt.where(AdminUnit.id.in_(managed))
    units = list(session.scalars(stmt.order_by(AdminUnit.level.desc(), AdminUnit.name)))
    if role is not None:
        expected = ROLE_UNIT_LEVEL[role]
        units = [u for u in units if u.level == expected]
    return units


def visible_officers(session: Session, actor: Officer) -> list[Officer]:
    """Accounts ``actor`` may see on the management pages, by unit then name."""
    managed = managed_unit_ids(session, actor)
    stmt = select(Officer)
    if managed is not None:
        stmt = stmt.where(Officer.unit_id.in_(managed))
    return list(session.scalars(stmt.order_by(Officer.unit_id, Officer.full_name, Officer.id)))


def manageable(session: Session, actor: Officer, target_id: int) -> Officer:
    """The account if ``actor`` may manage it.

    Outside the actor's units it is 404 (ids do not leak); a higher role in them is 403.
    """
    target = session.get(Officer, target_id)
    managed = managed_unit_ids(session, actor)
    if target is None or (managed is not None and target.unit_id not in managed):
        raise NotFound(msg("Không tìm thấy cán bộ: %(target_id)s", target_id=target_id))
    if ROLE_RANK[target.role] > ROLE_RANK[actor.role]:
        raise Forbidden(msg("Không được quản lý tài khoản có vai trò cao hơn mình"))
    return target


def _check_role_unit(session: Session, actor: Officer, role: Role, unit: AdminUnit | None) -> None:
    if role not in assignable_roles(actor):
        raise Forbidden(msg("Không được cấp vai trò %(value)s", value=role.value))
    expected = ROLE_UNIT_LEVEL[role]
    if expected is not None and (unit is None or unit.level != expected):
        raise Invalid(
            msg(
                "Vai trò %(value)s phải thuộc một đơn vị cấp %(value2)s",
                value=role.value,
                value2=expected.value,
            ),
            errors={"unit_id": msg("Chọn đơn vị cấp %(value)s", value=expected.value)},
        )
    managed = managed_unit_ids(session, actor)
    if unit is not None and managed is not None and unit.id not in managed:
        raise Forbidden(msg("Đơn vị ngoài phạm vi quản lý"))


def _unit(session: Session, unit_id: int | None) -> AdminUnit | None:
    return session.get(AdminUnit, unit_id) if unit_id else None


def create_officer_by(
    session: Session,
    actor: Officer,
    *,
    username: str,
    password: str,
    full_name: str,
    role: Role,
    unit_id: int | None,
    title: str | None = None,
    phone: str | None = None,
    remote_addr: str | None = None,
) -> Officer:
    """Create an account within ``actor``'s rights; audited."""
    unit = _unit(session, unit_id)
    if role == Role.SYSTEM_ADMIN:
        unit = None
    _check_role_unit(session, actor, role, unit)
    errors: dict[str, str] = {}
    if not full_name.strip():
        errors["full_name"] = msg("Cần họ tên")
    elif len(full_name.strip()) > MAX_NAME_LENGTH:
        errors["full_name"] = msg(
            "Tối đa %(MAX_NAME_LENGTH)s ký tự", MAX_NAME_LENGTH=MAX_NAME_LENGTH
        )
    if not re.fullmatch(r"[a-z0-9._-]{3,64}", username.strip().lower()):
        errors["username"] = msg("Tên đăng nhập 3–64 ký tự: chữ không dấu, số, dấu chấm, gạch")
    if len(password) < MIN_PASSWORD_LENGTH:
        errors["password"] = msg(
            "Mật khẩu phải có ít nhất %(MIN_PASSWORD_LENGTH)s ký tự",
            MIN_PASSWORD_LENGTH=MIN_PASSWORD_LENGTH,
        )
    if phone and len(phone) > 20:
        errors["phone"] = msg("Tối đa 20 ký tự")
    if title and len(title) > 120:
        errors["title"] = msg("Tối đa 120 ký tự")
    if errors:
        raise Invalid(msg("Tài khoản chưa hợp lệ"), errors=errors)
    try:
        officer = create_officer(
            session,
            username=username,
            password=password,
            full_name=full_name,
            role=role,
            unit=unit,
            title=(title or "").strip() or None,
            phone=(phone or "").strip() or None,
        )
    except Conflict as error:
        raise Invalid(error.message, errors={"username": error.message}) from None
    # The administrator knows this password: the officer replaces it at first log-in.
    officer.must_change_password = True
    _audit(session, "officer.create", actor, officer, remote_addr, {"role": role.value})
    return officer


def change_role(
    session: Session,
    actor: Officer,
    target_id: int,
    *,
    role: Role,
    unit_id: int | None,
    remote_addr: str | None = None,
) -> Officer:
    target = manageable(session, actor, target_id)
    if target.id == actor.id:
        raise Forbidden(msg("Không tự đổi vai trò của mình"))
    unit = None if role == Role.SYSTEM_ADMIN else _unit(session, unit_id)
    _check_role_unit(session, actor, role, unit)
    before = {"role": target.role.value, "unit_id": target.unit_id}
    target.role = role
    target.unit_id = unit.id if unit else None
    session.flush()
    _audit(
        session,
        "officer.role",
        actor,
        target,
        remote_addr,
        {"from": before, "to": {"role": role.value, "unit_id": target.unit_id}},
    )
    return target


def set_active(
    session: Session,
    actor: Officer,
    target_id: int,
    *,
    active: bool,
    remote_addr: str | None = None,
) -> Officer:
    """Disable (or enable again) an account; a disabled officer's tablets are refused too."""
    target = manageable(session, actor, target_id)
    if target.id == actor.id:
        raise Forbidden(msg("Không tự khoá tài khoản của mình"))
    target.active = active
    session.flush()
    _audit(session, "officer.enable" if active else "officer.disable", actor, target, remote_addr)
    return target


def reset_password(
    session: Session,
    actor: Officer,
    target_id: int,
    *,
    password: str,
    remote_addr: str | None = None,
) -> Officer:
    target = manageable(session, actor, target_id)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(
            msg(
                "Mật khẩu phải có ít nhất %(MIN_PASSWORD_LENGTH)s ký tự",
                MIN_PASSWORD_LENGTH=MIN_PASSWORD_LENGTH,
            ),
            errors={"password": f"≥ {MIN_PASSWORD_LENGTH}"},
        )
    target.password_hash = hash_password(password)
    # Whoever had the account is logged out everywhere, and the officer chooses their
    # own password at the next log-in (the administrator knows this one).
    target.session_generation = (target.session_generation or 0) + 1
    target.must_change_password = target.id != actor.id
    session.flush()
    _audit(session, "officer.password", actor, target, remote_addr)
    return target


def change_own_password(
    session: Session,
    officer: Officer,
    *,
    current: str,
    new: str,
    again: str,
    remote_addr: str | None = None,
) -> Officer:
    """An officer replaces their own password; every other session of theirs ends."""
    errors: dict[str, str] = {}
    if not verify_password(officer.password_hash, current):
        errors["current"] = msg("Mật khẩu hiện tại không đúng")
    if len(new) < MIN_PASSWORD_LENGTH:
        errors["new"] = msg(
            "Mật khẩu phải có ít nhất %(MIN_PASSWORD_LENGTH)s ký tự",
            MIN_PASSWORD_LENGTH=MIN_PASSWORD_LENGTH,
        )
    elif new == current:
        errors["new"] = msg("Mật khẩu mới phải khác mật khẩu cũ")
    if new != again:
        errors["again"] = msg("Hai lần nhập mật khẩu không khớp")
    if errors:
        raise Invalid(msg("Chưa đổi được mật khẩu"), errors=errors)
    officer.password_hash = hash_password(new)
    officer.session_generation = (officer.session_generation or 0) + 1
    officer.must_change_password = False
    session.flush()
    _audit(session, "officer.password_change", officer, officer, remote_addr)
    return officer


def _audit(
    session: Session,
    action: str,
    actor: Officer,
    target: Officer,
    remote_addr: str | None,
    detail: dict[str, Any] | None = None,
) -> None:
    unit = session.get(AdminUnit, target.unit_id) if target.unit_id else None
    audit.record(
        session,
        action,
        officer_id=actor.id,
        commune_id=unit.id if unit is not None else None,
        entity="officer",
        entity_id=target.id,
        detail={"username": target.username, **(detail or {})},
        remote_addr=remote_addr,
    )
