"""First run: register the tablet with the server (online, once), then choose the PIN."""

from __future__ import annotations

from typing import Any

from kivy.properties import BooleanProperty, StringProperty

from mobile.app.screens.base import BaseScreen, in_background, load_kv
from mobile.app.sync_runner import ConnState
from mobile.app.viewmodels.base import UserError
from mobile.app.viewmodels.setup import FirstRunModel
from mobile.tablet import Registration

__all__ = ["SetupScreen"]


class SetupScreen(BaseScreen):
    step = StringProperty("register")
    busy = BooleanProperty(False)
    message = StringProperty("")
    registered_text = StringProperty("")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(name="setup", **kwargs)
        self._model: FirstRunModel | None = None

    @property
    def model(self) -> FirstRunModel:
        if self._model is None:
            self._model = FirstRunModel(self.ctx)
        return self._model

    def render(self) -> None:
        self.step = self.model.step
        if self.step == "register" and not self.ids.server.text:
            self.ids.server.text = self.model.default_server()
        if self.step == "pin":
            self.registered_text = self.model.registered_text()

    def on_step(self, _screen: Any, step: str) -> None:
        self.ids.steps.current = "register" if step == "register" else "pin"

    def _show_errors(self, error: UserError) -> None:
        self.message = error.message
        for name, field in (
            ("server_url", self.ids.server),
            ("username", self.ids.username),
            ("password", self.ids.password),
            ("pin", self.ids.pin),
            ("again", self.ids.pin_again),
        ):
            field.error = error.errors.get(name, "")

    def register(self) -> None:
        if self.busy:
            return
        server, username = self.ids.server.text, self.ids.username.text
        password = self.ids.password.text
        errors = self.model.validate(server, username, password)
        if errors:
            self._show_errors(UserError(next(iter(errors.values())), errors))
            return
        self._show_errors(UserError(""))
        self.busy = True
        self.message = self.t("setup.registering")
        in_background(lambda: self.model.register(server, username, password), self._registered)

    def _registered(self, result: Registration | None, error: BaseException | None) -> None:
        self.busy = False
        # The sync runner starts after the PIN; until then the answer tells the state.
        reached = error is None or (isinstance(error, UserError) and error.errors.get("password"))
        self.app.status_model.connection = ConnState.ONLINE if reached else ConnState.OFFLINE
        self.app.refresh_status()
        if error is not None:
            self._show_errors(error if isinstance(error, UserError) else UserError(str(error)))
            return
        self.ids.password.text = ""
        self.message = ""
        self.render()

    def save_pin(self) -> None:
        try:
            self.model.choose_pin(self.ids.pin.text, self.ids.pin_again.text)
        except UserError as error:
            self._show_errors(error)
            return
        self.ids.pin.text = self.ids.pin_again.text = ""
        self.message = ""
        self.app.unlocked_now()


load_kv(__file__)
