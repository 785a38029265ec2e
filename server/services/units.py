"""Administrative units in the admin web: provinces, communes and their villages.

Units are reference data that every tablet of the province pulls, so each change is
re-stamped in the global change sequence (``stamp_global``) and audited.

Who may do what:
- villages (thôn, bản, tổ dân phố): a commune leader in their commune, a province admin
  in the communes of the province, a system admin anywhere;
- communes and provinces: the system admin only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.models import AdminUnit, Device, Dossier, Officer, Role, UnitLevel
from server.scoping import Scope
from server.services import audit
from server.services.changes import stamp_global
from server.services.errors import Forbidden, Invalid, NotFound
from server.translatable import msg

MAX_NAME = 120
MAX_KIND = 40
MAX_CODE = 16
UNIT_MANAGERS = frozenset({Role.COMMUNE_LEADER, Role.PROVINCE_ADMIN, Role.SYSTEM_ADMIN})

#: Kinds offered in the forms ("kind as people say it").
KINDS: dict[UnitLevel, tuple[str, ...]] = {
    UnitLevel.PROVINCE: ("Tỉnh", "Thành phố"),
    UnitLevel.COMMUNE: ("Xã", "Phường", "Đặc khu"),
    UnitLevel.VILLAGE: ("Thôn", "Bản", "Tổ dân phố", "Khu phố", "Làng"),
}


@dataclass
class CommuneNode:
    commune: AdminUnit
    villages: list[AdminUnit] = field(default_factory=list)


@dataclass
class ProvinceNode:
    province: AdminUnit | None
    communes: list[CommuneNode] = field(default_factory=list)


def unit_tree(session: Session, scope: Scope) -> list[ProvinceNode]:
    """Communes of the scope with their villages, grouped by province."""
    stmt = select(AdminUnit).where(AdminUnit.level == UnitLevel.COMMUNE)
    if scope.commune_ids is not None:
        stmt = stmt.where(AdminUnit.id.in_(scope.commune_ids))
    communes = list(session.scalars(stmt.order_by(AdminUnit.name, AdminUnit.id)))
    ids = [c.id for c in communes]
    villages = session.scalars(
        select(AdminUnit)
        .where(AdminUnit.level == UnitLevel.VILLAGE, AdminUnit.parent_id.in_(ids))
        .order_by(AdminUnit.name, AdminUnit.id)
    ).all()
    by_commune: dict[int, CommuneNode] = {c.id: CommuneNode(c) for c in communes}
    for village in villages:
        assert village.parent_id is not None
        by_commune[village.parent_id].villages.append(village)
    provinces: dict[int | None, ProvinceNode] = {}
    if scope.is_everything:
        for province in session.scalars(
            select(AdminUnit)
            .where(AdminUnit.level == UnitLevel.PROVINCE)
            .order_by(AdminUnit.name, AdminUnit.id)
        ):
            provinces[province.id] = ProvinceNode(province)
    for commune in communes:
        if commune.parent_id not in provinces:
            provinces[commune.parent_id] = ProvinceNode(
                session.get(AdminUnit, commune.parent_id) if commune.parent_id else None
            )
        provinces[commune.parent_id].communes.append(by_commune[commune.id])
    return list(provinces.values())


def _clean(name: str, kind: str, code: str | None, level: UnitLevel) -> tuple[str, str, str | None]:
    errors: dict[str, str] = {}
    name, kind = " ".join(name.split()), " ".join(kind.split())
    code = (code or "").strip() or None
    if not name:
        errors["name"] = msg("Cần tên đơn vị")
    elif len(name) > MAX_NAME:
        errors["name"] = msg("Tối đa %(MAX_NAME)s ký tự", MAX_NAME=MAX_NAME)
    if not kind:
        kind = KINDS[level][0]
    elif len(kind) > MAX_KIND:
        errors["kind"] = msg("Tối đa %(MAX_KIND)s ký tự", MAX_KIND=MAX_KIND)
    if code is not None and (len(code) > MAX_CODE or not code.isalnum()):
        errors["code"] = msg("Mã gồm chữ và số, tối đa %(MAX_CODE)s ký tự", MAX_CODE=MAX_CODE)
    if errors:
        raise Invalid(msg("Đơn vị hành chính chưa hợp lệ"), errors=errors)
    return name, kind, code


def _check_code(session: Session, code: str | None, unit_id: int | None = None) -> None:
    if code is None:
        return
    taken = session.scalar(
        select(func.count()).where(AdminUnit.code == code, AdminUnit.id != (unit_id or 0))
    )
    if taken:
        raise Invalid(
            msg("Mã đơn vị %(code)s đã được dùng", code=code),
            errors={"code": msg("Đã được dùng")},
        )


def _require_system(actor: Officer) -> None:
    if actor.role != Role.SYSTEM_ADMIN:
        raise Forbidden(msg("Chỉ quản trị hệ thống được thêm, sửa tỉnh và xã"))


def _require_commune(session: Session, scope: Scope, actor: Officer, commune_id: int) -> AdminUnit:
    if actor.role not in UNIT_MANAGERS:
        raise Forbidden(msg("Không có quyền quản lý thôn, bản"))
    commune = session.get(AdminUnit, commune_id)
    if commune is None or commune.level != UnitLevel.COMMUNE or not scope.allows(commune.id):
        raise NotFound(msg("Không tìm thấy xã: %(commune_id)s", commune_id=commune_id))
    return commune


def _in_use(session: Session, commune_id: int) -> bool:
    """Whether receipt numbers with the commune's code exist (dossiers or tablets)."""
    for model in (Dossier, Device):
        if session.scalar(select(model.id).where(model.commune_id == commune_id).limit(1)):
            return True
    return False


def create_unit(
    session: Session,
    scope: Scope,
    actor: Officer,
    *,
    level: UnitLevel,
    parent_id: int | None,
    name: str,
    kind: str,
    code: str | None = None,
    remote_addr: str | None = None,
) -> AdminUnit:
    """A new village (in a commune of the scope), or commune/province (system admin)."""
    if level == UnitLevel.VILLAGE:
        if parent_id is None:
            raise Invalid(msg("Chọn xã"), errors={"parent_id": "required"})
        parent: AdminUnit | None = _require_commune(session, scope, actor, parent_id)
        commune_id: int | None = parent_id
    elif level == UnitLevel.COMMUNE:
        _require_system(actor)
        parent = session.get(AdminUnit, parent_id) if parent_id else None
        if parent is None or parent.level != UnitLevel.PROVINCE:
            raise Invalid(msg("Chọn tỉnh"), errors={"parent_id": "province"})
        commune_id = None
    elif level == UnitLevel.PROVINCE:
        _require_system(actor)
        parent, commune_id = None, None
    else:
        raise Invalid(msg("Chỉ thêm được tỉnh, xã hoặc thôn, bản"))
    name, kind, code = _clean(name, kind, code, level)
    _check_code(session, code)
    unit = AdminUnit(
        name=name,
        kind=kind,
        code=code,
        level=level,
        parent_id=parent.id if parent else None,
        active=True,
    )
    session.add(unit)
    session.flush()
    stamp_global(session, unit)
    audit.record(
        session,
        "unit.create",
        officer_id=actor.id,
        commune_id=unit.id if level == UnitLevel.COMMUNE else commune_id,
        entity="admin_unit",
        entity_id=unit.id,
        detail={"level": level.value, "name": unit.full_name, "parent_id": unit.parent_id},
        remote_addr=remote_addr,
    )
    return unit


def update_unit(
    session: Session,
    scope: Scope,
    actor: Officer,
    unit_id: int,
    *,
    name: str,
    kind: str,
    active: bool,
    code: str | None = None,
    remote_addr: str | None = None,
) -> AdminUnit:
    """Rename a unit (or change its kind, code, or whether it is in use)."""
    unit = session.get(AdminUnit, unit_id)
    if unit is None:
        raise NotFound(msg("Không tìm thấy đơn vị: %(unit_id)s", unit_id=unit_id))
    if unit.level == UnitLevel.VILLAGE:
        assert unit.parent_id is not None
        _require_commune(session, scope, actor, unit.parent_id)
        commune_id: int | None = unit.parent_id
        code = unit.code  # villages keep their code; none is typed for them
    else:
        if actor.role != Role.SYSTEM_ADMIN and not (
            unit.level == UnitLevel.COMMUNE and scope.allows(unit.id)
        ):
            raise NotFound(msg("Không tìm thấy đơn vị: %(unit_id)s", unit_id=unit_id))
        _require_system(actor)
        commune_id = unit.id if unit.level == UnitLevel.COMMUNE else None
    name, kind, code = _clean(name, kind, code, unit.level)
    _check_code(session, code, unit.id)
    if unit.level == UnitLevel.COMMUNE and code != unit.code and _in_use(session, unit.id):
        raise Invalid(
            msg("Mã xã đã có trong số biên nhận của hồ sơ và máy tính bảng, không đổi được"),
            errors={"code": msg("Không đổi được")},
        )
    before = {"name": unit.name, "kind": unit.kind, "code": unit.code, "active": unit.active}
    after = {"name": name, "kind": kind, "code": code, "active": bool(active)}
    if before == after:
        return unit
    unit.name, unit.kind, unit.code, unit.active = name, kind, code, bool(active)
    stamp_global(session, unit)
    audit.record(
        session,
        "unit.update",
        officer_id=actor.id,
        commune_id=commune_id,
        entity="admin_unit",
        entity_id=unit.id,
        detail={
            "from": {k: v for k, v in before.items() if before[k] != after[k]},
            "to": {k: v for k, v in after.items() if before[k] != after[k]},
        },
        remote_addr=remote_addr,
    )
    session.flush()
    return unit
