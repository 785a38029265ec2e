"""The PIN keypad that opens the app — it works with no network at all."""

from __future__ import annotations

from typing import Any

from kivy.clock import Clock
from kivy.properties import BooleanProperty, StringProperty

from mobile.app.screens.base import BaseScreen, load_kv
from mobile.app.viewmodels.setup import UnlockModel

__all__ = ["UnlockScreen"]


class UnlockScreen(BaseScreen):
    masked = StringProperty("")
    message = StringProperty("")
    failed = BooleanProperty(False)
    who = StringProperty("")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(name="unlock", **kwargs)
        self._model: UnlockModel | None = None
        self._countdown: Any = None

    @property
    def model(self) -> UnlockModel:
        if self._model is None:
            self._model = UnlockModel(self.ctx)
        return self._model

    def render(self) -> None:
        self.masked = self.model.masked
        self.message = self.model.message
        self.failed = self.model.failed
        if self.ctx.registered:
            registration = self.ctx.tablet.registration
            self.who = (
                f"{registration.officer_name} · "
                f"{registration.commune_kind} {registration.commune_name}"
            )

    def press(self, key: str) -> None:
        if key == "back":
            self.model.backspace()
            self.render()
            return
        if self.model.tick():  # locked out: the keypad waits for the countdown
            self.render()
            return
        unlocked = self.model.press(key)
        self.render()
        if unlocked:
            self.app.unlocked_now()
        elif self.model.locked_until is not None and self._countdown is None:
            self._countdown = Clock.schedule_interval(self._tick, 1.0)

    def _tick(self, _dt: float) -> bool:
        """The lock-out message counts down each second, then the keypad opens again."""
        still = self.model.tick()
        self.render()
        if not still:
            self._countdown = None
        return still


load_kv(__file__)
