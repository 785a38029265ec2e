"""Forgotten PIN: the data key wrapped under the server's secret, recovered with the password.

docs/TABLET.md ("Forgotten PIN"), PROTOCOL.md §9. The vault alone, then the whole path
against the real server on loopback: register, PIN, sync (enrols), unsent work, lock,
wrong password, new PIN with the right one, the same data, the secret rotated.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

import pytest

from mobile.app.context import AppContext
from mobile.app.platform import NoLocation, Platform
from mobile.app.sync_runner import SyncRunner, immediate_dispatch
from mobile.app.viewmodels.base import UserError
from mobile.app.viewmodels.setup import FirstRunModel, RecoverModel
from mobile.recovery import Enrolment, ensure_enrolled
from mobile.security import MAX_ATTEMPTS, LockedOut, RecoveryFailed, Vault, VaultError, WrongPin
from mobile.store import StoreLocked
from mobile.transport import claim_recovery
from sync.errors import TransportError, Unauthorized
from tests import factories
from tests.conftest import LiveServer
from tests.mobile.app.conftest import PIN, TEST_SCRYPT_N

NEW_PIN = "975318"


class FakeRecoveryServer:
    """The server's half in memory: a current secret, an offered one; ``lose`` drops
    the next confirmation's answer (applied on the server, lost on the way back)."""

    def __init__(self) -> None:
        self.current: tuple[str, bytes] | None = None
        self.pending: tuple[str, bytes] | None = None
        self.lose = False

    def recovery_id(self) -> str | None:
        return self.current[0] if self.current else None

    def offer_recovery(self) -> tuple[str, bytes]:
        self.pending = (secrets.token_hex(16), secrets.token_bytes(32))
        return self.pending

    def confirm_recovery(self, secret_id: str) -> None:
        assert self.pending is not None and self.pending[0] == secret_id
        self.current, self.pending = self.pending, None
        if self.lose:
            self.lose = False
            raise TransportError("answer lost")

    def claim(self, *_args: Any) -> tuple[str, bytes]:
        assert self.current is not None
        return self.current


def _vault(tmp_path: Path) -> tuple[Vault, Any]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    vault = Vault(tmp_path / "vault.json", scrypt_n=TEST_SCRYPT_N)
    return vault, vault.set_up(PIN)


def test_the_key_wrapped_under_the_secret_opens_with_it_only(tmp_path: Path) -> None:
    vault, cipher = _vault(tmp_path)
    server = FakeRecoveryServer()
    assert ensure_enrolled(vault, cipher, server) is Enrolment.ENROLLED
    assert ensure_enrolled(vault, cipher, server) is Enrolment.CURRENT
    assert server.current is not None
    secret_id, secret = server.current
    assert vault.recovery_id == secret_id and vault.pending_recovery_id is None
    # The vault holds neither the secret nor the key in clear.
    text = (tmp_path / "vault.json").read_text()
    assert secret.hex() not in text and cipher.key.hex() not in text
    with pytest.raises(RecoveryFailed):
        vault.recover(secret_id, secrets.token_bytes(32), NEW_PIN)
    with pytest.raises(RecoveryFailed):
        vault.recover("another id", secret, NEW_PIN)
    with pytest.raises(VaultError, match=r"6 chữ số|dễ đoán"):
        vault.recover(secret_id, secret, "1111")
    recovered = vault.recover(secret_id, secret, NEW_PIN)
    assert recovered.key == cipher.key
    assert vault.unlock(NEW_PIN).key == cipher.key
    with pytest.raises(WrongPin):
        vault.unlock(PIN)
    # Another vault's key is not wrapped into this one.
    other, other_cipher = _vault(tmp_path / "other")
    with pytest.raises(VaultError, match="không thuộc"):
        vault.add_recovery(other_cipher, "x", secrets.token_bytes(32))
    assert other.recovery_id is None


def test_a_lost_confirmation_keeps_both_wrappings_until_the_next_check(tmp_path: Path) -> None:
    vault, cipher = _vault(tmp_path)
    server = FakeRecoveryServer()
    ensure_enrolled(vault, cipher, server)
    first = server.current
    # A rotation whose confirmation is applied on the server but lost on the way back.
    secret_id, secret = server.offer_recovery()
    vault.add_recovery(cipher, secret_id, secret)
    server.lose = True
    with pytest.raises(TransportError):
        server.confirm_recovery(secret_id)
    assert server.current is not None and first is not None
    assert vault.recovery_id == first[0]
    assert vault.pending_recovery_id == server.current[0]
    # The next check finishes the switch (on a copy of this vault)...
    copy = Vault(tmp_path / "copy.json", scrypt_n=TEST_SCRYPT_N)
    copy.path.write_bytes(vault.path.read_bytes())
    assert ensure_enrolled(copy, cipher, server) is Enrolment.CONFIRMED
    assert copy.recovery_id == server.current[0] and copy.pending_recovery_id is None
    # ...or the PIN is forgotten first: the server's secret is the new one, the pending
    # wrapping opens, and the next check replaces the secret just revealed.
    assert vault.recover(*server.claim(), NEW_PIN).key == cipher.key
    used = server.current[0]
    assert ensure_enrolled(vault, cipher, server) is Enrolment.ENROLLED
    assert vault.recovery_id == server.current[0] != used
    assert vault.pending_recovery_id is None


def test_recovery_clears_the_pin_lock_out(tmp_path: Path) -> None:
    vault, cipher = _vault(tmp_path)
    server = FakeRecoveryServer()
    ensure_enrolled(vault, cipher, server)
    for _ in range(MAX_ATTEMPTS - 1):
        with pytest.raises(WrongPin):
            vault.unlock("000001")
    with pytest.raises(LockedOut):
        vault.unlock("000001")
    vault.recover(*server.claim(), NEW_PIN)
    assert vault.unlock(NEW_PIN).key == cipher.key
    state = json.loads((tmp_path / "vault.json").read_text())
    assert state["failures"] == 0 and state["locked_until"] == 0


def _ctx(folder: Path) -> AppContext:
    return AppContext.open(
        folder,
        platform=Platform(location=NoLocation(), probe=lambda _url: True),
        scrypt_n=TEST_SCRYPT_N,
    )


def test_forgotten_pin_end_to_end_with_the_real_server(
    tmp_path: Path, live_server: LiveServer, world: Any
) -> None:
    folder = tmp_path / "tablet"
    ctx = _ctx(folder)
    officer = world.a.officer.username
    first_run = FirstRunModel(ctx)
    first_run.register(live_server.url, officer, factories.PASSWORD)
    first_run.choose_pin(PIN, PIN)
    runner = SyncRunner(ctx, dispatch=immediate_dispatch)
    runner.request()
    report = runner.step()
    assert report is not None and report.ok, report and report.error
    assert runner.recovery is Enrolment.ENROLLED, runner.recovery_error
    enrolled = ctx.vault.recovery_id
    assert enrolled is not None and not ctx.recovery_due
    transport = ctx.tablet.transport(live_server.url)
    assert transport.recovery_id() == enrolled
    transport.close()

    # Work that has not reached the server yet.
    feedback_id = ctx.tablet.add_feedback(
        "report", "Đường vào bản bị sạt", citizen_name="Vàng Thị Dở", citizen_phone="0912345678"
    )
    pending = ctx.tablet.store.pending_count()
    assert pending >= 1
    ctx.lock()
    ctx.close()

    # The app starts again; the PIN is forgotten.
    ctx = _ctx(folder)
    with pytest.raises(StoreLocked):
        ctx.tablet.store.get("feedback", feedback_id)
    model = RecoverModel(ctx)
    assert model.username() == officer
    with pytest.raises(UserError) as wrong:
        model.recover(officer, "not the password", NEW_PIN, NEW_PIN)
    assert "password" in wrong.value.errors
    assert wrong.value.message.startswith("Sai tên đăng nhập")
    with pytest.raises(UserError) as mismatch:
        model.recover(officer, factories.PASSWORD, NEW_PIN, PIN)
    assert "again" in mismatch.value.errors
    # The commune's leader, right password, is not this tablet's officer.
    with pytest.raises(UserError) as leader:
        model.recover(world.a.leader.username, factories.PASSWORD, NEW_PIN, NEW_PIN)
    assert "password" in leader.value.errors
    cipher = model.recover(officer, factories.PASSWORD, NEW_PIN, NEW_PIN)
    model.finish(cipher)
    assert ctx.unlocked
    kept = ctx.tablet.store.get("feedback", feedback_id)
    assert kept is not None and kept["citizen_phone"] == "0912345678"
    assert ctx.tablet.store.pending_count() == pending
    assert ctx.vault.unlock(NEW_PIN).key == cipher.key

    # The next sync sends the unsent work and rotates the secret just used.
    claimed = claim_recovery(
        live_server.url, ctx.tablet.registration.device_id, officer, factories.PASSWORD, "test"
    )
    runner = SyncRunner(ctx, dispatch=immediate_dispatch)
    runner.request()
    report = runner.step()
    assert report is not None and report.ok, report and report.error
    assert ctx.tablet.store.pending_count() == 0
    assert runner.recovery is Enrolment.ENROLLED
    assert ctx.vault.recovery_id not in (None, enrolled)
    again = claim_recovery(
        live_server.url, ctx.tablet.registration.device_id, officer, factories.PASSWORD, "test"
    )
    assert again[0] == ctx.vault.recovery_id and again != claimed
    with pytest.raises(RecoveryFailed):  # the claimed secret is good for nothing now
        ctx.vault.recover(*claimed, "864209")
    with pytest.raises(Unauthorized):
        claim_recovery(live_server.url, ctx.tablet.registration.device_id, officer, "x", "t")
    ctx.close()
