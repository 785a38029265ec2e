"""First run (register the tablet online once, then choose a PIN) and the PIN unlock."""

from __future__ import annotations

import math
import platform as _platform
import time
from collections.abc import Callable

from mobile import recovery
from mobile.app.context import AppContext
from mobile.app.viewmodels.base import UserError, from_invalid_input
from mobile.security import FieldCipher, LockedOut, VaultError, WeakPin, WrongPin
from mobile.tablet import InvalidInput, Registration
from mobile.transport import claim_recovery
from sync.errors import DeviceRevoked, ServerRefused, SyncError, TransportError, Unauthorized

__all__ = ["PIN_LENGTH", "FirstRunModel", "RecoverModel", "UnlockModel"]

PIN_LENGTH = 6


def _check_pin_shape(pin: str, tr_text: str) -> None:
    if len(pin) != PIN_LENGTH or not pin.isdigit():
        raise UserError(tr_text, {"pin": tr_text})


class FirstRunModel:
    """``step`` is ``"register"``, then ``"pin"``, then ``"done"``.

    The order matters: the tablet registers first (it needs the server once), then the
    officer chooses the PIN that protects the data it will hold. An app killed between
    the two resumes at the PIN step.
    """

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    @property
    def step(self) -> str:
        if not self.ctx.tablet.registered:
            return "register"
        if not self.ctx.vault.is_set_up:
            return "pin"
        return "done"

    def default_server(self) -> str:
        return self.ctx.server_url()

    def validate(self, server_url: str, username: str, password: str) -> dict[str, str]:
        tr = self.ctx.tr
        errors: dict[str, str] = {}
        url = server_url.strip()
        if not url:
            errors["server_url"] = tr("common.required")
        elif not url.startswith(("http://", "https://")):
            errors["server_url"] = tr("setup.bad_url")
        if not username.strip():
            errors["username"] = tr("common.required")
        if not password:
            errors["password"] = tr("common.required")
        return errors

    def register(self, server_url: str, username: str, password: str) -> Registration:
        """Register online (blocking: screens call it from a background thread)."""
        tr = self.ctx.tr
        errors = self.validate(server_url, username, password)
        if errors:
            raise UserError(next(iter(errors.values())), errors)
        url = server_url.strip().rstrip("/")
        device_name = f"Máy tính bảng {_platform.node() or ''}".strip()[:80]
        try:
            registration = self.ctx.tablet.register(url, username.strip(), password, device_name)
        except Unauthorized as error:
            raise UserError(tr("setup.wrong_login"), {"password": tr("setup.wrong_login")}) from (
                error
            )
        except TransportError as error:
            raise UserError(tr("setup.unreachable")) from error
        except ServerRefused as error:
            raise UserError(tr.message(error.message)) from error
        except InvalidInput as error:
            raise from_invalid_input(error, tr.message) from error
        except SyncError as error:
            raise UserError(tr.message(str(error))) from error
        self.ctx.prefs.server_url = url
        self.ctx.prefs.revoked = False
        self.ctx.save_prefs()
        return registration

    def registered_text(self) -> str:
        registration = self.ctx.tablet.registration
        return self.ctx.tr(
            "setup.registered",
            commune=f"{registration.commune_kind} {registration.commune_name}".strip(),
            device_no=registration.device_no,
            officer=registration.officer_name,
        )

    def choose_pin(self, pin: str, again: str) -> None:
        tr = self.ctx.tr
        _check_pin_shape(pin, tr("setup.pin_length"))
        if pin != again:
            raise UserError(tr("setup.pin_mismatch"), {"again": tr("setup.pin_mismatch")})
        try:
            self.ctx.unlock_with(self.ctx.vault.set_up(pin), seal_existing=True)
        except WeakPin as error:
            raise UserError(tr.message(str(error)), {"pin": tr.message(str(error))}) from error
        except VaultError as error:
            raise UserError(tr.message(str(error))) from error


class UnlockModel:
    """The PIN keypad: digits in, unlock at the sixth digit, wrong tries counted."""

    def __init__(self, ctx: AppContext, clock: Callable[[], float] = time.monotonic) -> None:
        self.ctx = ctx
        self.pin = ""
        self.message = ""
        self.failed = False
        self.clock = clock
        #: While locked out: when the keypad opens again (``clock`` time), else None.
        self.locked_until: float | None = None

    def tick(self) -> bool:
        """Count the lock-out down (called every second); True while still locked."""
        if self.locked_until is None:
            return False
        left = math.ceil(self.locked_until - self.clock())
        if left <= 0:
            self.locked_until = None
            self.message, self.failed = "", False
            return False
        self.message = self.ctx.tr("unlock.locked", seconds=left)
        return True

    @property
    def masked(self) -> str:
        return " ".join("●" if i < len(self.pin) else "○" for i in range(PIN_LENGTH))

    def press(self, digit: str) -> bool:
        """Add a digit; returns True when that unlocked the app."""
        if not digit.isdigit() or len(digit) != 1 or len(self.pin) >= PIN_LENGTH:
            return False
        self.pin += digit
        if len(self.pin) == PIN_LENGTH:
            return self.submit()
        return False

    def backspace(self) -> None:
        self.pin = self.pin[:-1]

    def submit(self) -> bool:
        tr = self.ctx.tr
        pin, self.pin = self.pin, ""
        try:
            self.ctx.unlock_with(self.ctx.vault.unlock(pin))
        except WrongPin as error:
            self.failed = True
            self.message = tr("unlock.wrong", left=error.attempts_left)
            return False
        except LockedOut as error:
            self.failed = True
            self.locked_until = self.clock() + error.seconds
            self.message = tr("unlock.locked", seconds=error.seconds)
            return False
        except VaultError as error:  # the vault's key does not open this store
            self.failed = True
            self.message = tr.message(str(error))
            return False
        self.failed = False
        self.message = ""
        return True


class RecoverModel:
    """A forgotten PIN: the officer's password (checked by the server) and a new PIN.

    The data key is opened with the server's recovery secret and wrapped under the new
    PIN (``mobile.recovery``): nothing on the tablet is lost, unsent changes included.
    """

    def __init__(self, ctx: AppContext, claim: recovery.Claim = claim_recovery) -> None:
        self.ctx = ctx
        self.claim = claim

    def username(self) -> str:
        return self.ctx.tablet.registration.username if self.ctx.registered else ""

    def validate(self, username: str, password: str, pin: str, again: str) -> dict[str, str]:
        tr = self.ctx.tr
        errors: dict[str, str] = {}
        if not username.strip():
            errors["username"] = tr("common.required")
        if not password:
            errors["password"] = tr("common.required")
        if len(pin) != PIN_LENGTH or not pin.isdigit():
            errors["pin"] = tr("setup.pin_length")
        elif pin != again:
            errors["again"] = tr("setup.pin_mismatch")
        return errors

    def recover(self, username: str, password: str, pin: str, again: str) -> FieldCipher:
        """Blocking (the screen calls it from a background thread); the key, or UserError."""
        tr = self.ctx.tr
        errors = self.validate(username, password, pin, again)
        if errors:
            raise UserError(next(iter(errors.values())), errors)
        registration = self.ctx.tablet.registration
        try:
            return recovery.recover(
                self.ctx.vault,
                server_url=self.ctx.server_url(),
                device_id=registration.device_id,
                username=username.strip(),
                password=password,
                new_pin=pin,
                app_version=self.ctx.tablet.app_version,
                claim=self.claim,
            )
        except WeakPin as error:
            raise UserError(tr.message(str(error)), {"pin": tr.message(str(error))}) from error
        except DeviceRevoked as error:
            raise UserError(tr("recover.revoked")) from error
        except Unauthorized as error:
            text = tr("recover.wrong_login")
            raise UserError(text, {"password": text}) from error
        except TransportError as error:
            raise UserError(tr("setup.unreachable")) from error
        except ServerRefused as error:
            if error.status == 404:
                raise UserError(tr("recover.not_enrolled")) from error
            raise UserError(tr.message(error.message)) from error
        except (SyncError, VaultError) as error:
            raise UserError(tr.message(str(error))) from error

    def finish(self, cipher: FieldCipher) -> None:
        """On the UI thread: open the store with the recovered key (the next sync then
        rotates the server's secret, so the one just used is good for nothing)."""
        self.ctx.unlock_with(cipher)
