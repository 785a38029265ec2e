"""What every screen shares: the tablet, the vault, the officer's preferences, the texts.

``AppContext`` is plain Python (no Kivy), so the view models and their tests use it
without a window. Files in the data folder:

- ``tablet.db`` (+ ``tablet.db-blobs/``, the photos, sealed): the local store
  (``mobile.store``), with the drafts of work being typed (``mobile.drafts``, sealed);
- ``vault.json``: the PIN-wrapped data key (``mobile.security.Vault``), next to it;
- ``app-settings.json``: language, text size, server address, the "revoked" flag;
- ``receipts/``: QR code images of the receipts issued;
- ``camera/``: where the device camera saves a photo; the intake deletes it once the
  photo is sealed in the store, and files left by an intake that never finished are
  deleted when the app opens;
- ``exports/``: PDF slips exported on a desktop (``Platform.exports``; on Android they go
  to the shared storage).
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from mobile.app.i18n import LANGUAGES, Translator
from mobile.app.platform import Platform
from mobile.drafts import DraftStore
from mobile.security import SCRYPT_N, FieldCipher, Vault
from mobile.tablet import Tablet
from sync.storage import Transport

__all__ = ["FONT_SCALES", "AppContext", "Prefs"]

#: Text sizes offered in the settings (multipliers of the theme's sizes).
FONT_SCALES: dict[str, float] = {"small": 0.9, "normal": 1.0, "large": 1.2, "huge": 1.4}

STORE_NAME = "tablet.db"
VAULT_NAME = "vault.json"
PREFS_NAME = "app-settings.json"
CAMERA_DIR = "camera"


def _clear_camera_folder(folder: Path) -> None:
    """Delete plain photos the camera left there (an intake that never finished)."""
    if not folder.is_dir():
        return
    for leftover in folder.iterdir():
        if leftover.is_file():
            leftover.unlink(missing_ok=True)


@dataclass
class Prefs:
    """The officer's choices, kept as JSON beside the store."""

    language: str = "vi"
    font_scale: float = 1.0
    server_url: str = ""
    #: The server refused the device as revoked at the last sync (cleared by a good sync).
    revoked: bool = False

    @classmethod
    def load(cls, path: Path) -> Prefs:
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls()
        if not isinstance(raw, dict):
            return cls()
        prefs = cls()
        language = raw.get("language")
        if language in LANGUAGES:
            prefs.language = language
        scale = raw.get("font_scale")
        if isinstance(scale, int | float) and 0.5 <= scale <= 2.0:
            prefs.font_scale = float(scale)
        if isinstance(raw.get("server_url"), str):
            prefs.server_url = raw["server_url"]
        prefs.revoked = raw.get("revoked") is True
        return prefs

    def save(self, path: Path) -> None:
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(asdict(self), ensure_ascii=False), encoding="utf-8")
        os.replace(temporary, path)


@dataclass
class AppContext:
    """The tablet app's shared state (one per running app)."""

    data_dir: Path
    tablet: Tablet
    vault: Vault
    prefs: Prefs
    tr: Translator
    platform: Platform
    #: The server address typed at the command line (first-run default).
    default_server: str = ""
    #: The unlocked data key; None while the app is locked.
    cipher: FieldCipher | None = None
    #: How the sync reaches the server; None = HTTP to ``server_url()`` (tests inject).
    transport_factory: Callable[[], Transport] | None = None
    #: The recovery wrapping is still to be checked with the server (once per unlock,
    #: by the sync thread after a good sync: ``mobile.recovery.ensure_enrolled``).
    recovery_due: bool = False
    _closers: list[Callable[[], None]] = field(default_factory=list)
    _drafts: DraftStore | None = None

    @classmethod
    def open(
        cls,
        data_dir: str | os.PathLike[str],
        *,
        server_url: str | None = None,
        platform: Platform | None = None,
        scrypt_n: int = SCRYPT_N,
        tablet: Tablet | None = None,
    ) -> AppContext:
        folder = Path(data_dir)
        folder.mkdir(parents=True, exist_ok=True)
        _clear_camera_folder(folder / CAMERA_DIR)
        prefs = Prefs.load(folder / PREFS_NAME)
        if server_url and not prefs.server_url:
            prefs.server_url = server_url.rstrip("/")
        return cls(
            data_dir=folder,
            tablet=tablet or Tablet(folder / STORE_NAME),
            vault=Vault(folder / VAULT_NAME, scrypt_n=scrypt_n),
            prefs=prefs,
            tr=Translator(prefs.language),
            platform=platform or Platform(),
            default_server=(server_url or "").rstrip("/"),
        )

    # -- state -------------------------------------------------------------------------------

    @property
    def registered(self) -> bool:
        return self.tablet.registered

    @property
    def unlocked(self) -> bool:
        return self.cipher is not None

    def unlock_with(self, cipher: FieldCipher, *, seal_existing: bool = False) -> None:
        """Open the store with the PIN's key (``VaultError`` if it is not this store's key).

        ``seal_existing`` right after the first PIN: what was stored before it (the
        registration's device token) is sealed too (``SQLiteDeviceStore.encrypt_existing``).
        At every other unlock, photos still stored plain (kept before photos were sealed)
        are sealed (``seal_plain_blobs``; nothing to do, and quick, once they are).
        """
        self.tablet.store.cipher = cipher
        self.cipher = cipher
        self.recovery_due = True
        if seal_existing:
            self.tablet.store.encrypt_existing()
        else:
            with contextlib.suppress(OSError):  # a full disk: tried again at the next unlock
                self.tablet.store.seal_plain_blobs()

    def lock(self) -> None:
        """Forget the key: sealed data can no longer be read or written until the PIN."""
        self.tablet.store.cipher = None
        self.cipher = None
        self.recovery_due = False

    @property
    def drafts(self) -> DraftStore:
        """Work being typed, kept encrypted in the store (``mobile.drafts``)."""
        if self._drafts is None:
            self._drafts = DraftStore(self.tablet.store)
        return self._drafts

    def save_prefs(self) -> None:
        self.prefs.save(self.data_dir / PREFS_NAME)

    def server_url(self) -> str:
        """Where the tablet talks to: the settings, else its registration, else the default."""
        if self.prefs.server_url:
            return self.prefs.server_url.rstrip("/")
        if self.tablet.registered:
            return self.tablet.registration.server_url
        return self.default_server

    def make_transport(self) -> Transport:
        if self.transport_factory is not None:
            return self.transport_factory()
        return self.tablet.transport(self.server_url())

    def camera_dir(self) -> Path:
        """Where the camera saves photos until the intake seals them in the store."""
        return self.data_dir / CAMERA_DIR

    def is_camera_file(self, path: Path) -> bool:
        return path.resolve().parent == self.camera_dir().resolve()

    def receipts_dir(self) -> Path:
        folder = self.data_dir / "receipts"
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def call_on_close(self, closer: Callable[[], None]) -> None:
        self._closers.append(closer)

    def close(self) -> None:
        for closer in reversed(self._closers):
            closer()
        self._closers.clear()
        self.tablet.close()

    def describe(self) -> dict[str, Any]:
        """A summary for logs and the settings screen."""
        if not self.tablet.registered:
            return {"registered": False}
        registration = self.tablet.registration
        return {
            "registered": True,
            "device_no": registration.device_no,
            "commune": f"{registration.commune_kind} {registration.commune_name}".strip(),
            "officer": registration.officer_name,
            "version": self.tablet.app_version,
        }
