"""Tablet registration, bearer-token authentication and revocation."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.auth.tokens import hash_token, new_token
from server.models import Device, Officer, Role, utcnow
from server.services import audit
from server.services.errors import DeviceRevoked, Forbidden, Unauthorized
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
        raise Forbidden(
            "Chỉ cán bộ cấp xã mới đăng ký được máy tính bảng "
            "(only commune officers and leaders can register a tablet)"
        )
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
        raise Unauthorized("Mã thiết bị không hợp lệ (unknown device token)")
    if device.revoked:
        raise DeviceRevoked(
            "Thiết bị đã bị thu hồi; liên hệ quản trị viên "
            "(this device has been revoked; contact your administrator)"
        )
    if not device.officer.active:
        raise DeviceRevoked(
            "Tài khoản cán bộ của thiết bị đã bị khoá (the officer's account is disabled)"
        )
    device.last_seen_at = utcnow()
    return device


def revoke_device(session: Session, device: Device, *, by: Officer | None) -> None:
    if device.revoked:
        return
    device.revoked_at = utcnow()
    device.revoked_by_id = by.id if by else None
    audit.record(
        session,
        "device.revoke",
        officer_id=by.id if by else None,
        device_id=device.id,
        commune_id=device.commune_id,
        entity="device",
        entity_id=device.id,
    )
