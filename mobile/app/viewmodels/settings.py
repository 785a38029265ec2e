"""Settings: language, text size, server address and the PIN."""

from __future__ import annotations

from mobile.app.context import FONT_SCALES, AppContext
from mobile.app.i18n import LANGUAGES
from mobile.app.viewmodels.base import UserError
from mobile.app.viewmodels.setup import PIN_LENGTH
from mobile.security import LockedOut, VaultError, WeakPin, WrongPin

__all__ = ["SettingsModel"]


class SettingsModel:
    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def languages(self) -> list[tuple[str, str]]:
        return [("vi", "Tiếng Việt"), ("en", "English")]

    def font_sizes(self) -> list[tuple[str, str, float]]:
        tr = self.ctx.tr
        return [(key, tr(f"settings.font.{key}"), scale) for key, scale in FONT_SCALES.items()]

    def set_language(self, lang: str) -> None:
        if lang not in LANGUAGES:
            raise UserError(lang)
        self.ctx.prefs.language = lang
        self.ctx.save_prefs()
        self.ctx.tr.set_language(lang)

    def set_font_scale(self, scale: float) -> None:
        if not 0.5 <= scale <= 2.0:
            raise UserError(str(scale))
        self.ctx.prefs.font_scale = scale
        self.ctx.save_prefs()

    def set_server_url(self, url: str) -> str:
        tr = self.ctx.tr
        url = url.strip().rstrip("/")
        if not url.startswith(("http://", "https://")):
            raise UserError(tr("setup.bad_url"), {"server_url": tr("setup.bad_url")})
        self.ctx.prefs.server_url = url
        self.ctx.save_prefs()
        return tr("settings.server_saved")

    def change_pin(self, old: str, new: str, again: str) -> str:
        tr = self.ctx.tr
        if len(new) != PIN_LENGTH or not new.isdigit():
            raise UserError(tr("setup.pin_length"), {"new": tr("setup.pin_length")})
        if new != again:
            raise UserError(tr("setup.pin_mismatch"), {"again": tr("setup.pin_mismatch")})
        try:
            self.ctx.vault.change_pin(old, new)
        except WrongPin as error:
            message = tr("unlock.wrong", left=error.attempts_left)
            raise UserError(message, {"old": message}) from error
        except LockedOut as error:
            raise UserError(tr("unlock.locked", seconds=error.seconds)) from error
        except WeakPin as error:
            raise UserError(tr.message(str(error)), {"new": tr.message(str(error))}) from error
        except VaultError as error:
            raise UserError(tr.message(str(error))) from error
        return tr("settings.pin_changed")

    def device_text(self) -> str:
        info = self.ctx.describe()
        if not info.get("registered"):
            return self.ctx.tr("bar.not_registered")
        return self.ctx.tr(
            "settings.device",
            device_no=info["device_no"],
            commune=info["commune"],
            officer=info["officer"],
            version=info["version"],
        )
