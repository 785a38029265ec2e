"""A forgotten PIN must not lose the tablet's data (docs/TABLET.md, PROTOCOL.md §9).

Two halves, no Kivy:

- ``ensure_enrolled`` (unlocked, online; the sync thread calls it once per unlock): the
  data key is wrapped under the server's current recovery secret. When the server holds
  none, or another one (first start, a tablet reinstated after revocation, a rotation
  after a recovery), a new secret is offered, the key wrapped under it, the server told,
  and only then the wrapping marked current. An answer lost on the way leaves both
  wrappings in ``vault.json``; the next check finishes the switch.
- ``recover`` (locked, online): the officer's username and password fetch the secret
  (``claim_recovery``), the vault opens the key with it and wraps it under the new PIN,
  noting which secret was used. The caller then unlocks, and the next
  ``ensure_enrolled`` replaces that secret, so the claimed one is good for nothing.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Protocol, runtime_checkable

from mobile.security import FieldCipher, Vault, check_pin
from mobile.transport import claim_recovery

__all__ = ["Enrolment", "RecoveryClient", "ensure_enrolled", "recover"]


@runtime_checkable
class RecoveryClient(Protocol):
    def recovery_id(self) -> str | None: ...

    def offer_recovery(self) -> tuple[str, bytes]: ...

    def confirm_recovery(self, secret_id: str) -> None: ...


class Enrolment(enum.StrEnum):
    CURRENT = "current"  # the server holds the secret the key is wrapped under (unused)
    CONFIRMED = "confirmed"  # a switch left half done (a lost answer) finished
    ENROLLED = "enrolled"  # a new secret wrapped and confirmed


def ensure_enrolled(vault: Vault, cipher: FieldCipher, client: RecoveryClient) -> Enrolment:
    """Make the key recoverable with the server's secret (raises the transport's errors)."""
    server_id = client.recovery_id()
    if server_id is not None and server_id != vault.claimed_recovery_id:
        if server_id == vault.recovery_id:
            return Enrolment.CURRENT
        if server_id == vault.pending_recovery_id:
            vault.confirm_recovery(server_id)
            return Enrolment.CONFIRMED
    secret_id, secret = client.offer_recovery()
    vault.add_recovery(cipher, secret_id, secret)
    client.confirm_recovery(secret_id)
    vault.confirm_recovery(secret_id)
    return Enrolment.ENROLLED


Claim = Callable[[str, str, str, str, str], tuple[str, bytes]]


def recover(
    vault: Vault,
    *,
    server_url: str,
    device_id: str,
    username: str,
    password: str,
    new_pin: str,
    app_version: str,
    claim: Claim = claim_recovery,
) -> FieldCipher:
    """Set ``new_pin`` with the server's consent; the data key (and data) unchanged.

    Raises ``WeakPin`` before asking the server, the transport's errors (``Unauthorized``
    for a wrong password…), ``RecoveryFailed`` when the secret does not open the vault.
    """
    check_pin(new_pin)
    secret_id, secret = claim(server_url, device_id, username, password, app_version)
    return vault.recover(secret_id, secret, new_pin)
