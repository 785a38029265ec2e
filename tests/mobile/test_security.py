"""PIN unlock and field encryption on the tablet."""

from __future__ import annotations

from pathlib import Path

import pytest

from mobile.security import (
    ENCRYPTED_PREFIX,
    LockedOut,
    Vault,
    VaultError,
    WeakPin,
    WrongPin,
)

FAST = 2**10  # cheap scrypt for tests


class Clock:
    def __init__(self) -> None:
        self.t = 1_000_000.0

    def __call__(self) -> float:
        return self.t


def test_set_up_unlock_and_round_trip(tmp_path: Path) -> None:
    vault = Vault(tmp_path / "vault.json", scrypt_n=FAST)
    cipher = vault.set_up("482913")
    sealed = cipher.seal("dossier", {"applicant_cccd": "010090012345", "note": "ghi chú"})
    assert sealed["note"] == "ghi chú"
    assert sealed["applicant_cccd"].startswith(ENCRYPTED_PREFIX)
    assert "010090012345" not in sealed["applicant_cccd"]
    again = vault.unlock("482913")
    assert again.open("dossier", sealed) == {"applicant_cccd": "010090012345", "note": "ghi chú"}


def test_the_key_is_not_in_the_vault_file(tmp_path: Path) -> None:
    vault = Vault(tmp_path / "vault.json", scrypt_n=FAST)
    cipher = vault.set_up("482913")
    raw = (tmp_path / "vault.json").read_bytes()
    assert cipher.key not in raw
    assert cipher.key.hex().encode() not in raw


def test_wrong_pin_counts_down_then_locks_out(tmp_path: Path) -> None:
    clock = Clock()
    vault = Vault(tmp_path / "vault.json", scrypt_n=FAST, now=clock)
    vault.set_up("482913")
    for left in (4, 3, 2, 1):
        with pytest.raises(WrongPin) as wrong:
            vault.unlock("000111")
        assert wrong.value.attempts_left == left
    with pytest.raises(LockedOut) as locked:
        vault.unlock("000111")
    assert locked.value.seconds == 60
    with pytest.raises(LockedOut):
        vault.unlock("482913")  # even the right PIN waits
    clock.t += 61
    vault.unlock("482913")


def test_weak_pins_are_refused(tmp_path: Path) -> None:
    vault = Vault(tmp_path / "vault.json", scrypt_n=FAST)
    for pin in ("12345", "abcdef", "111111", "123456", "987654"):
        with pytest.raises(WeakPin):
            vault.set_up(pin)


def test_change_pin_keeps_the_data_key(tmp_path: Path) -> None:
    vault = Vault(tmp_path / "vault.json", scrypt_n=FAST)
    sealed = vault.set_up("482913").seal("feedback", {"citizen_phone": "0912345678"})
    vault.change_pin("482913", "739102")
    with pytest.raises(WrongPin):
        vault.unlock("482913")
    assert vault.unlock("739102").open("feedback", sealed) == {"citizen_phone": "0912345678"}


def test_tampered_ciphertext_is_detected(tmp_path: Path) -> None:
    cipher = Vault(tmp_path / "vault.json", scrypt_n=FAST).set_up("482913")
    sealed = cipher.encrypt("010090012345")
    tampered = sealed[:-4] + ("AAAA" if not sealed.endswith("AAAA") else "BBBB")
    with pytest.raises(VaultError):
        cipher.decrypt(tampered)
