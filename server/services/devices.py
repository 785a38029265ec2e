"""Tablet registration, bearer-token authentication and revocation."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from server.auth.tokens import hash_token, new_token
from server.models import AdminUnit, Device, Officer, Role, utcnow
from server.scoping import Scope, get_scoped, restrict
from server.services import audit, device_recovery
from server.services.errors import DeviceRevoked, Forbidden, Invalid, NotFound, Unauthorized
from server.translatable import msg
from sync.ids import new_id

DEVICE_ROLES = frozenset({Role.OFFICER, Role.COMMUNE_LEADER})


def register_device(
    session: Session,
    officer: Officer,
    *,
    name: str,
    app_version: str | None = None,
    remote_addr: str | None = None,
) -> tuple[Device, str]:
    """Bind a new tablet to ``officer`` and their commune; return it and its token.

    The token is returned once and only its digest is stored.
    """
    if officer.role not in DEVICE_ROLES or officer.unit_id is None:
        raise Forbidden(msg("Chỉ cán bộ cấp xã mới đăng ký được máy tính bảng"))
    # Device numbers are never reused, even after revocation: they are part of the
    # receipt numbers a tablet issues offline.
    last_no = session.scalar(
        select(func.max(Device.device_no)).where(Device.commune_id == officer.unit_id)
    )
    token = new_token()
    device = Device(
        id=new_id(),
        officer_id=officer.id,
        commune_id=officer.unit_id,
        device_no=(last_no or 0) + 1,
        name=name.strip() or "Máy tính bảng",
        token_hash=hash_token(token),
        app_version=app_version,
        last_seen_at=utcnow(),
    )
    session.add(device)
    session.flush()
    audit.record(
        session,
        "device.register",
        officer_id=officer.id,
        device_id=device.id,
        commune_id=device.commune_id,
        entity="device",
        entity_id=device.id,
        detail={"name": device.name, "device_no": device.device_no},
        remote_addr=remote_addr,
    )
    return device, token


def authenticate_device(session: Session, token: str) -> Device:
    """The device holding ``token``; raises if unknown, revoked or its officer is disabled."""
    device = session.scalar(select(Device).where(Device.token_hash == hash_token(token)))
    if device is None:
        raise Unauthorized(msg("Mã thiết bị không hợp lệ"))
    if device.revoked:
        raise DeviceRevoked(msg("Thiết bị đã bị thu hồi; liên hệ quản trị viên"))
    if not device.officer.active:
        raise DeviceRevoked(msg("Tài khoản cán bộ của thiết bị đã bị khoá"))
    device.last_seen_at = utcnow()
    return device


def revoke_device(session: Session, device: Device, *, by: Officer | None) -> None:
    if device.revoked:
        return
    device.revoked_at = utcnow()
    device.revoked_by_id = by.id if by else None
    # A lost tablet: its data can no longer be recovered with the officer's password.
    device_recovery.forget(session, device)
    audit.record(
        session,
        "device.revoke",
        officer_id=by.id if by else None,
        device_id=device.id,
        commune_id=device.commune_id,
        entity="device",
        entity_id=device.id,
    )


# ---------------------------------------------------------------------------------------
# The admin web's list
# ---------------------------------------------------------------------------------------

#: Who may list and revoke tablets on the web (a leader: their commune's).
DEVICE_MANAGERS = frozenset({Role.COMMUNE_LEADER, Role.PROVINCE_ADMIN, Role.SYSTEM_ADMIN})


@dataclass
class DeviceRow:
    device: Device
    commune: AdminUnit
    officer: Officer
    revoked_by: str | None


def list_devices(
    session: Session, scope: Scope, *, commune_id: int | None = None, revoked: bool | None = None
) -> list[DeviceRow]:
    """Tablets of the scope, by commune and number, with their officer."""
    if commune_id is not None:
        if not scope.allows(commune_id):
            raise NotFound(msg("Không tìm thấy xã: %(commune_id)s", commune_id=commune_id))
        scope = Scope(frozenset({commune_id}))
    revoker = aliased(Officer)
    stmt = restrict(
        select(Device, AdminUnit, Officer, revoker.full_name)
        .join(AdminUnit, AdminUnit.id == Device.commune_id)
        .join(Officer, Officer.id == Device.officer_id)
        .outerjoin(revoker, revoker.id == Device.revoked_by_id),
        Device.commune_id,
        scope,
    )
    if revoked is True:
        stmt = stmt.where(Device.revoked_at.is_not(None))
    elif revoked is False:
        stmt = stmt.where(Device.revoked_at.is_(None))
    rows = session.execute(stmt.order_by(AdminUnit.name, Device.device_no)).all()
    return [DeviceRow(device, unit, officer, by) for device, unit, officer, by in rows]


def get_device(session: Session, scope: Scope, device_id: str) -> Device:
    device: Device = get_scoped(session, Device, device_id, scope)
    return device


def reinstate_device(session: Session, device: Device, *, by: Officer | None) -> None:
    """Accept a revoked tablet again (found after being lost, or revoked by mistake).

    The tablet keeps its token and device number, so the changes it could not send
    while revoked go out at its next sync, with nothing lost.
    """
    if not device.revoked:
        return
    device.revoked_at = None
    device.revoked_by_id = None
    audit.record(
        session,
        "device.reinstate",
        officer_id=by.id if by else None,
        device_id=device.id,
        commune_id=device.commune_id,
        entity="device",
        entity_id=device.id,
    )


def reinstate_in_scope(session: Session, scope: Scope, device_id: str, *, by: Officer) -> Device:
    """Reinstate a revoked tablet of the scope (idempotent)."""
    device = get_device(session, scope, device_id)
    scope.require(device.commune_id)
    reinstate_device(session, device, by=by)
    session.flush()
    return device


def revoke_in_scope(session: Session, scope: Scope, device_id: str, *, by: Officer) -> Device:
    """Revoke a tablet of the scope (idempotent); its next API request answers 401."""
    device = get_device(session, scope, device_id)
    scope.require(device.commune_id)
    revoke_device(session, device, by=by)
    session.flush()
    return device


# ---------------------------------------------------------------------------------------
# How a tablet is named to people (the web, logs, the CLI)
# ---------------------------------------------------------------------------------------

#: The web shows a tablet as its name, its number in the commune and the last
#: characters of its id ("Máy tính bảng #02 (…7fbdfad3)"): two tablets with the same
#: name still look different, and the CLI accepts that short id.
SHORT_ID_LENGTH = 8


def short_id(device_id: str) -> str:
    return device_id[-SHORT_ID_LENGTH:]


def device_label(device: Device) -> str:
    return f"{device.name} #{device.device_no:02d} (…{short_id(device.id)})"


def find_device(session: Session, reference: str) -> Device:
    """The tablet a person means: its full id, or the short id the web shows (…7fbdfad3)."""
    ref = reference.strip().lstrip("…").lstrip(".").strip().lower()
    device = session.get(Device, ref) if ref else None
    if device is not None:
        return device
    if len(ref) >= 6 and all(ch in "0123456789abcdef-" for ch in ref):
        matches = list(session.scalars(select(Device).where(Device.id.endswith(ref)).limit(5)))
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            names = ", ".join(device_label(d) for d in matches)
            raise Invalid(
                msg(
                    "Mã %(reference)s khớp với nhiều máy: %(names)s; nhập mã đầy đủ",
                    reference=reference,
                    names=names,
                )
            )
    raise NotFound(msg("Không có máy tính bảng %(reference)s", reference=reference))
