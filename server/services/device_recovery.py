"""Recovering a tablet's data after its officer forgot the PIN (docs/TABLET.md).

The tablet's data key is wrapped twice: under the PIN, and under a random 256-bit
**recovery secret** that only the server keeps. The unlocked tablet enrols (``offer``
then ``confirm``: the secret changes on the server only once the tablet has wrapped its
key under the new one, so a lost answer never leaves the two apart). A tablet whose PIN
is forgotten asks for the secret with its officer's username and password (``claim``):

- the password goes through the log-in guard (per-account back-off, every failure in
  the audit log) and the API's per-address rate limit;
- only the officer the tablet is registered to, for that tablet, not revoked;
- the secret is useless without the tablet's own ``vault.json``, and the tablet rotates
  it (a new ``offer`` + ``confirm``) as soon as the new PIN is chosen, which makes the
  claimed secret worthless: one use. Until then a second claim returns it again (an
  answer lost on the way must not cost the unsent work), each claim audit-logged;
- an offered secret not confirmed within ``PENDING_TTL`` expires; revoking the tablet
  deletes both secrets (``forget``).

Secrets are sealed at rest (AES-GCM, key derived from the server's ``SECRET_KEY``, the
device id as associated data): a copy of the database alone does not give them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy.orm import Session

from server.models import Device, DeviceRecovery
from server.services import audit, login_guard
from server.services.errors import (
    DeviceRevoked,
    Invalid,
    NotFound,
    TooManyAttempts,
    Unauthorized,
)
from server.translatable import msg

SECRET_BYTES = 32
#: How long an offered secret waits for the tablet's confirmation.
PENDING_TTL = timedelta(hours=1)
_NONCE = 12
_WRONG = msg("Sai tên đăng nhập hoặc mật khẩu, hoặc tài khoản không phải của máy này")


@dataclass(frozen=True)
class Secret:
    """A recovery secret as sent to the tablet: its id and its bytes (base64url)."""

    secret_id: str
    secret: str


def secret_id(raw: bytes) -> str:
    """The digest that names a secret (the tablet keeps it beside the wrapped key)."""
    return hashlib.sha256(b"motcua-recovery-id" + raw).hexdigest()[:32]


def _sealing_key(server_key: str) -> bytes:
    return hmac.new(server_key.encode("utf-8"), b"motcua-device-recovery", "sha256").digest()


def _seal(server_key: str, device_id: str, raw: bytes) -> str:
    nonce = secrets.token_bytes(_NONCE)
    sealed = AESGCM(_sealing_key(server_key)).encrypt(nonce, raw, device_id.encode("utf-8"))
    return base64.b64encode(nonce + sealed).decode("ascii")


def _open(server_key: str, device_id: str, sealed: str) -> bytes:
    data = base64.b64decode(sealed)
    try:
        return AESGCM(_sealing_key(server_key)).decrypt(
            data[:_NONCE], data[_NONCE:], device_id.encode("utf-8")
        )
    except InvalidTag as error:  # the server's secret key changed since
        raise NotFound(msg("Không đọc được khóa khôi phục của máy này")) from error


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii")


def current_id(session: Session, device: Device, *, server_key: str) -> str | None:
    """The id of the confirmed secret (the tablet compares it with its vault's).

    None when there is none, or when it no longer opens (the server's secret key was
    changed): the tablet then enrols again.
    """
    row = session.get(DeviceRecovery, device.id)
    if row is None or row.secret_id is None or row.secret_sealed is None:
        return None
    try:
        _open(server_key, device.id, row.secret_sealed)
    except NotFound:
        return None
    return row.secret_id


def offer(session: Session, device: Device, *, server_key: str, now: datetime) -> Secret:
    """A new secret for the unlocked tablet (its bearer token authenticated it).

    It becomes the tablet's secret only when ``confirm``-ed; until then the previous one
    still recovers the tablet.
    """
    row = session.get(DeviceRecovery, device.id)
    if row is None:
        row = DeviceRecovery(device_id=device.id, claims=0)
        session.add(row)
    raw = secrets.token_bytes(SECRET_BYTES)
    row.pending_id = secret_id(raw)
    row.pending_sealed = _seal(server_key, device.id, raw)
    row.pending_expires_at = now + PENDING_TTL
    session.flush()
    return Secret(row.pending_id, _encode(raw))


def confirm(session: Session, device: Device, offered_id: str, *, now: datetime) -> None:
    """The tablet wrapped its key under the offered secret: it replaces the old one."""
    row = session.get(DeviceRecovery, device.id)
    if row is not None and row.secret_id == offered_id and row.pending_id is None:
        return  # confirmed already (the first answer was lost)
    if (
        row is None
        or row.pending_id is None
        or not hmac.compare_digest(row.pending_id.encode(), offered_id.encode("utf-8"))
        or row.pending_expires_at is None
        or row.pending_expires_at <= now
    ):
        raise Invalid(
            msg("Khóa khôi phục này không còn được đề nghị; xin lấy khóa mới"),
            errors={"secret_id": ["unknown or expired"]},
        )
    rotated = row.claimed_at is not None
    row.secret_id, row.secret_sealed = row.pending_id, row.pending_sealed
    row.pending_id = row.pending_sealed = None
    row.pending_expires_at = None
    row.claimed_at = None
    _audit(session, "device.recovery_enrol", device, device.officer_id, {"after_claim": rotated})


def claim(
    session: Session,
    device_id: str,
    username: str,
    password: str,
    *,
    server_key: str,
    now: datetime,
    remote_addr: str | None,
) -> Secret:
    """The secret of ``device_id`` for its own officer's password. The caller commits.

    ``Unauthorized`` (one message) for a wrong password, another account or an unknown
    tablet; ``TooManyAttempts`` while the account backs off; ``DeviceRevoked``;
    ``NotFound`` when the tablet never enrolled.
    """
    result = login_guard.log_in(session, username, password, now=now, remote_addr=remote_addr)
    if result.failure is login_guard.Failure.BLOCKED:
        seconds = int(result.retry_after.total_seconds()) if result.retry_after else 60
        raise TooManyAttempts(
            msg(
                "Tài khoản tạm thời bị khóa vì nhập sai mật khẩu nhiều lần; xin thử lại sau "
                "%(seconds)s giây",
                seconds=seconds,
            ),
            retry_after=seconds,
        )
    officer = result.officer
    device = session.get(Device, device_id.strip()) if device_id else None
    if officer is None or device is None or device.officer_id != officer.id:
        if officer is not None:
            audit.record(
                session,
                "device.recovery_refused",
                officer_id=officer.id,
                commune_id=officer.unit_id,
                entity="device",
                entity_id=device_id[:36],
                detail={"reason": "not_this_officer" if device else "unknown_device"},
                remote_addr=remote_addr,
            )
        raise Unauthorized(_WRONG)
    if device.revoked:
        raise DeviceRevoked(msg("Thiết bị đã bị thu hồi; liên hệ quản trị viên"))
    row = session.get(DeviceRecovery, device.id)
    if row is None or row.secret_sealed is None or row.secret_id is None:
        raise NotFound(msg("Máy này chưa có khóa khôi phục trên máy chủ"))
    raw = _open(server_key, device.id, row.secret_sealed)
    row.claimed_at = now
    row.claims = (row.claims or 0) + 1
    _audit(
        session, "device.recovery_claim", device, officer.id, {"claims": row.claims}, remote_addr
    )
    return Secret(row.secret_id, _encode(raw))


def _audit(
    session: Session,
    action: str,
    device: Device,
    officer_id: int,
    detail: dict[str, object],
    remote_addr: str | None = None,
) -> None:
    audit.record(
        session,
        action,
        officer_id=officer_id,
        device_id=device.id,
        commune_id=device.commune_id,
        entity="device",
        entity_id=device.id,
        detail=detail,
        remote_addr=remote_addr,
    )


def forget(session: Session, device: Device) -> None:
    """Delete the tablet's secrets (it was revoked: a thief must get nothing)."""
    row = session.get(DeviceRecovery, device.id)
    if row is not None:
        session.delete(row)
