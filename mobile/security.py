"""Protecting citizens' personal data on a tablet that may be lost (PIN unlock + encryption).

- A random 256-bit **data key** encrypts the sensitive fields (citizen ID, birth date,
  phone, address, names of complainants) with AES-GCM before they reach SQLite.
- The data key is stored only **wrapped**: encrypted with a key derived from the
  officer's PIN by scrypt (memory-hard, so guessing PINs on a stolen tablet is slow).
  Without the PIN the database holds ciphertext only.
- Failed PIN attempts are counted in the same file; after ``MAX_ATTEMPTS`` wrong PINs in
  a row the vault stays locked for ``LOCKOUT_SECONDS`` and the wait doubles each time.
- **Photos** are sealed with the same key (``FieldCipher.seal_blob``), in segments of
  ``BLOB_SEGMENT`` plain bytes, each with its own nonce and tag. A range of the photo
  (the sync uploads chunks from any offset) is read by opening only the segments that
  cover it (``FieldCipher.open_blob``). Every segment is bound to the file's header (its
  plain size) and to its index and the photo's SHA-256, so a segment moved, dropped or
  taken from another photo, and a file cut short, fail like a wrong key.

- **Forgotten PIN.** The data key is wrapped a second time under a random secret that
  only the server keeps (``add_recovery`` / ``confirm_recovery`` while unlocked). The
  server gives that secret back only for the password of the tablet's officer
  (``POST /api/v1/devices/recovery/claim``); ``recover`` then unwraps the key with it
  and wraps it under the new PIN, so nothing stored is lost. The tablet keeps the
  secret nowhere: a thief with the tablet and without the password gets nothing.

The vault file is a small JSON document next to the database.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PIN_MIN_LENGTH = 6
MAX_ATTEMPTS = 5
LOCKOUT_SECONDS = 60
#: scrypt cost: about 50 ms and 16 MiB on a tablet; tests may lower it.
SCRYPT_N = 2**14
ENCRYPTED_PREFIX = "enc1:"
#: Plain bytes per sealed segment of a photo.
BLOB_SEGMENT = 64 * 1024
#: A sealed photo file starts with these bytes, the segment size and the plain size.
BLOB_MAGIC = b"MCB1"
_BLOB_HEADER = struct.Struct(">4sIQ")
_NONCE_SIZE = 12
_TAG_SIZE = 16

#: Fields whose values are encrypted at rest, by collection.
SENSITIVE_FIELDS: dict[str, frozenset[str]] = {
    "dossier": frozenset(
        # ``parties`` holds each party's citizen ID, birth date and residence.
        {
            "applicant_cccd",
            "applicant_dob",
            "applicant_phone",
            "applicant_address",
            "notify_email",
            "parties",
        }
    ),
    "feedback": frozenset({"citizen_name", "citizen_phone"}),
    "survey_response": frozenset({"latitude", "longitude"}),
}


class VaultError(Exception):
    """Base of the vault's errors; messages are for the officer."""


class WrongPin(VaultError):
    def __init__(self, attempts_left: int) -> None:
        super().__init__(
            f"Mã PIN không đúng, còn {attempts_left} lần thử "
            f"(wrong PIN, {attempts_left} tries left)"
        )
        self.attempts_left = attempts_left


class LockedOut(VaultError):
    def __init__(self, seconds: int) -> None:
        super().__init__(
            f"Nhập sai quá nhiều lần, thử lại sau {seconds} giây "
            f"(too many wrong PINs; try again in {seconds} s)"
        )
        self.seconds = seconds


class WeakPin(VaultError):
    pass


class RecoveryFailed(VaultError):
    """The server's secret does not open this vault's recovery wrapping."""

    def __init__(self) -> None:
        super().__init__(
            "Khóa khôi phục của máy chủ không mở được dữ liệu của máy này "
            "(the server's recovery secret does not open this tablet's data)"
        )


class DamagedBlob(VaultError):
    """A sealed photo that does not open: another tablet's key, or a damaged file."""

    def __init__(self, label: str) -> None:
        super().__init__(
            f"Không mở được ảnh {label[:12]}: sai khóa hoặc tệp bị hỏng "
            f"(photo {label[:12]} cannot be opened: wrong key or damaged file)"
        )
        self.label = label


def sealed_blob_size(size: int, segment: int = BLOB_SEGMENT) -> int:
    """The size on disk of ``size`` plain bytes sealed by ``FieldCipher.seal_blob``.

    Always larger than ``size`` (a header, and a nonce and tag per segment, at least one
    segment), so a file whose size equals the plain size was stored before encryption.
    """
    segments = max(1, -(-size // segment))
    return _BLOB_HEADER.size + size + segments * (_NONCE_SIZE + _TAG_SIZE)


def _blob_aad(header: bytes, label: str, index: int) -> bytes:
    return header + label.encode("utf-8") + index.to_bytes(4, "big")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"))


def _derive(pin: str, salt: bytes, n: int) -> bytes:
    return hashlib.scrypt(pin.encode("utf-8"), salt=salt, n=n, r=8, p=1, dklen=32)


@dataclass
class FieldCipher:
    """Encrypts and decrypts single field values with the unlocked data key."""

    key: bytes

    def encrypt(self, value: Any) -> str:
        nonce = secrets.token_bytes(12)
        plain = json.dumps(value, ensure_ascii=False).encode("utf-8")
        return ENCRYPTED_PREFIX + _b64(nonce + AESGCM(self.key).encrypt(nonce, plain, None))

    def decrypt(self, value: Any) -> Any:
        if not isinstance(value, str) or not value.startswith(ENCRYPTED_PREFIX):
            return value  # stored before encryption was enabled, or not sensitive
        raw = _unb64(value[len(ENCRYPTED_PREFIX) :])
        try:
            plain = AESGCM(self.key).decrypt(raw[:12], raw[12:], None)
        except InvalidTag as error:
            raise VaultError("Dữ liệu mã hóa bị hỏng (encrypted data is damaged)") from error
        return json.loads(plain)

    def seal_blob(self, data: bytes, label: str, *, segment: int = BLOB_SEGMENT) -> bytes:
        """A photo's bytes sealed for the disk; ``label`` (its SHA-256) is bound to it."""
        header = _BLOB_HEADER.pack(BLOB_MAGIC, segment, len(data))
        aead = AESGCM(self.key)
        parts = [header]
        for index in range(max(1, -(-len(data) // segment))):
            nonce = secrets.token_bytes(_NONCE_SIZE)
            chunk = data[index * segment : (index + 1) * segment]
            parts += [nonce, aead.encrypt(nonce, chunk, _blob_aad(header, label, index))]
        return b"".join(parts)

    def open_blob(
        self, handle: IO[bytes], label: str, offset: int = 0, size: int | None = None
    ) -> bytes:
        """Plain bytes ``[offset, offset + size)`` of a sealed photo (to its end if None).

        Reads and opens only the segments that cover the range; past the end gives
        fewer bytes (or none), like a plain file. ``DamagedBlob`` if a segment does not
        open (another key, a damaged or cut file, a file of another photo).
        """
        if offset < 0 or (size is not None and size < 0):
            raise ValueError("negative offset or size")
        handle.seek(0)
        header = handle.read(_BLOB_HEADER.size)
        if len(header) != _BLOB_HEADER.size:
            raise DamagedBlob(label)
        magic, segment, total = _BLOB_HEADER.unpack(header)
        if magic != BLOB_MAGIC or segment <= 0:
            raise DamagedBlob(label)
        end = total if size is None else min(total, offset + size)
        if offset >= end:
            return b""
        first, last = offset // segment, (end - 1) // segment
        handle.seek(_BLOB_HEADER.size + first * (segment + _NONCE_SIZE + _TAG_SIZE))
        aead = AESGCM(self.key)
        plain = bytearray()
        for index in range(first, last + 1):
            length = min(segment, total - index * segment)
            record = handle.read(_NONCE_SIZE + length + _TAG_SIZE)
            if len(record) != _NONCE_SIZE + length + _TAG_SIZE:
                raise DamagedBlob(label)
            try:
                plain += aead.decrypt(
                    record[:_NONCE_SIZE],
                    record[_NONCE_SIZE:],
                    _blob_aad(header, label, index),
                )
            except InvalidTag as error:
                raise DamagedBlob(label) from error
        start = offset - first * segment
        return bytes(plain[start : start + end - offset])

    def seal(self, collection: str, fields: dict[str, Any]) -> dict[str, Any]:
        """A copy of ``fields`` with the sensitive ones encrypted."""
        sensitive = SENSITIVE_FIELDS.get(collection, frozenset())
        return {
            k: self.encrypt(v) if k in sensitive and v is not None else v for k, v in fields.items()
        }

    def open(self, collection: str, fields: dict[str, Any]) -> dict[str, Any]:
        sensitive = SENSITIVE_FIELDS.get(collection, frozenset())
        return {k: self.decrypt(v) if k in sensitive else v for k, v in fields.items()}


class Vault:
    """The wrapped data key and the PIN attempt counter, kept in one JSON file."""

    def __init__(
        self,
        path: Path,
        *,
        scrypt_n: int = SCRYPT_N,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.path = path
        self.scrypt_n = scrypt_n
        self.now = now
        # The sync thread adds the recovery wrapping while the UI thread may count a
        # wrong PIN: each read-modify-write of the file holds this lock.
        self._lock = threading.RLock()

    @property
    def is_set_up(self) -> bool:
        return self.path.exists()

    def _read(self) -> dict[str, Any]:
        state: dict[str, Any] = json.loads(self.path.read_text(encoding="utf-8"))
        return state

    def _write(self, state: dict[str, Any]) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(state), encoding="utf-8")
        with tmp.open("rb") as handle:
            os.fsync(handle.fileno())
        tmp.replace(self.path)

    def set_up(self, pin: str) -> FieldCipher:
        """First run: make a data key and protect it with ``pin``."""
        if self.is_set_up:
            raise VaultError("Đã có mã PIN (a PIN is already set)")
        check_pin(pin)
        key = secrets.token_bytes(32)
        state = self._wrap(key, pin) | {"failures": 0, "locked_until": 0, "lockouts": 0}
        self._check_key(state, FieldCipher(key))
        self._write(state)
        return FieldCipher(key)

    def unlock(self, pin: str) -> FieldCipher:
        with self._lock:
            return self._unlock(pin)

    def _unlock(self, pin: str) -> FieldCipher:
        state = self._read()
        wait = int(state.get("locked_until", 0) - self.now())
        if wait > 0:
            raise LockedOut(wait)
        try:
            key = self._unwrap(state, pin)
        except InvalidTag:
            state["failures"] = state.get("failures", 0) + 1
            if state["failures"] >= MAX_ATTEMPTS:
                state["lockouts"] = state.get("lockouts", 0) + 1
                seconds = LOCKOUT_SECONDS * 2 ** (state["lockouts"] - 1)
                state["locked_until"] = self.now() + seconds
                state["failures"] = 0
                self._write(state)
                raise LockedOut(seconds) from None
            self._write(state)
            raise WrongPin(MAX_ATTEMPTS - state["failures"]) from None
        if state.get("failures") or state.get("lockouts"):
            state.update(failures=0, lockouts=0, locked_until=0)
            self._write(state)
        return FieldCipher(key)

    def change_pin(self, old_pin: str, new_pin: str) -> None:
        with self._lock:
            cipher = self.unlock(old_pin)
            check_pin(new_pin)
            state = self._read()
            state.update(self._wrap(cipher.key, new_pin))
            self._write(state)

    # -- forgotten PIN -----------------------------------------------------------------------

    def _recovery_entry(self, name: str) -> str | None:
        """The secret id kept under ``name`` (a wrapping's ``id``, or the id itself)."""
        if not self.is_set_up:
            return None
        entry = self._read().get(name)
        if isinstance(entry, dict):
            entry = entry.get("id")
        return str(entry) if entry else None

    @property
    def recovery_id(self) -> str | None:
        """The id of the server secret the data key is wrapped under (None: not enrolled)."""
        return self._recovery_entry("recovery")

    @property
    def pending_recovery_id(self) -> str | None:
        """A secret the key was wrapped under whose confirmation has not come back yet."""
        return self._recovery_entry("recovery_pending")

    @property
    def claimed_recovery_id(self) -> str | None:
        """The secret a recovery used: revealed once, to be replaced at the next sync."""
        return self._recovery_entry("recovery_claimed")

    def add_recovery(self, cipher: FieldCipher, secret_id: str, secret: bytes) -> None:
        """Wrap the (unlocked) data key under a secret the server offered.

        Kept as pending: the wrapping under the previous secret stays until
        ``confirm_recovery`` (the server switches only when told, so the two never part).
        """
        if len(secret) < 32:
            raise VaultError("Khóa khôi phục quá ngắn (recovery secret too short)")
        with self._lock:
            state = self._read()
            self._check_key(state, cipher)
            state["recovery_pending"] = _wrap_recovery(cipher.key, secret_id, secret)
            self._write(state)

    def confirm_recovery(self, secret_id: str) -> bool:
        """The server took the pending secret: it becomes the recovery wrapping."""
        with self._lock:
            state = self._read()
            pending = state.get("recovery_pending")
            if not isinstance(pending, dict) or pending.get("id") != secret_id:
                return False
            state["recovery"] = state.pop("recovery_pending")
            self._write(state)
            return True

    def recover(self, secret_id: str, secret: bytes, new_pin: str) -> FieldCipher:
        """A forgotten PIN: open the data key with the server's secret, wrap it under
        ``new_pin``. The PIN lock-out is cleared (the server agreed, for the password)."""
        check_pin(new_pin)
        with self._lock:
            state = self._read()
            for name in ("recovery", "recovery_pending"):
                wrapping = state.get(name)
                if isinstance(wrapping, dict) and wrapping.get("id") == secret_id:
                    try:
                        key = _unwrap_recovery(wrapping, secret)
                    except (InvalidTag, KeyError, ValueError):
                        continue
                    break
            else:
                raise RecoveryFailed()
            state.update(self._wrap(key, new_pin))
            state.update(failures=0, lockouts=0, locked_until=0, recovery_claimed=secret_id)
            self._write(state)
            return FieldCipher(key)

    def _check_key(self, state: dict[str, Any], cipher: FieldCipher) -> None:
        """A recovery wrapping is only made for this vault's own key."""
        check = state.get("key_check")
        digest = hashlib.sha256(b"motcua-key-check" + cipher.key).hexdigest()
        if check is None:
            state["key_check"] = digest
        elif check != digest:
            raise VaultError("Khóa không thuộc máy này (this key is not this vault's)")

    def _wrap(self, key: bytes, pin: str) -> dict[str, Any]:
        salt, nonce = secrets.token_bytes(16), secrets.token_bytes(12)
        wrapped = AESGCM(_derive(pin, salt, self.scrypt_n)).encrypt(nonce, key, b"motcua-vault")
        return {
            "salt": _b64(salt),
            "nonce": _b64(nonce),
            "wrapped": _b64(wrapped),
            "n": self.scrypt_n,
        }

    def _unwrap(self, state: dict[str, Any], pin: str) -> bytes:
        kek = _derive(pin, _unb64(state["salt"]), int(state["n"]))
        return AESGCM(kek).decrypt(
            _unb64(state["nonce"]), _unb64(state["wrapped"]), b"motcua-vault"
        )


_RECOVERY_AAD = b"motcua-recovery:"


def _wrap_recovery(key: bytes, secret_id: str, secret: bytes) -> dict[str, Any]:
    nonce = secrets.token_bytes(12)
    kek = hashlib.sha256(b"motcua-recovery-kek" + secret).digest()
    wrapped = AESGCM(kek).encrypt(nonce, key, _RECOVERY_AAD + secret_id.encode("ascii"))
    return {"id": secret_id, "nonce": _b64(nonce), "wrapped": _b64(wrapped)}


def _unwrap_recovery(wrapping: dict[str, Any], secret: bytes) -> bytes:
    kek = hashlib.sha256(b"motcua-recovery-kek" + secret).digest()
    return AESGCM(kek).decrypt(
        _unb64(wrapping["nonce"]),
        _unb64(wrapping["wrapped"]),
        _RECOVERY_AAD + str(wrapping["id"]).encode("ascii"),
    )


def check_pin(pin: str) -> None:
    if len(pin) < PIN_MIN_LENGTH or not pin.isdigit():
        raise WeakPin(
            f"Mã PIN phải gồm ít nhất {PIN_MIN_LENGTH} chữ số "
            f"(the PIN needs at least {PIN_MIN_LENGTH} digits)"
        )
    if len(set(pin)) == 1 or pin in "01234567890" or pin in "09876543210":
        raise WeakPin("Mã PIN quá dễ đoán (the PIN is too easy to guess)")
