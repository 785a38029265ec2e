"""First run (register the tablet online once, then choose a PIN) and the PIN unlock."""

from __future__ import annotations

import math
import platform as _platform
import time
from collections.abc import Callable

from mobile.app.context import AppContext
from mobile.app.viewmodels.base import UserError, from_invalid_input
from mobile.security import LockedOut, VaultError, WeakPin, WrongPin
from mobile.tablet import InvalidInput, Registration
from sync.errors import ServerRefused, SyncError, TransportError, Unauthorized

__all__ = ["PIN_LENGTH", "FirstRunModel", "UnlockModel"]

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
