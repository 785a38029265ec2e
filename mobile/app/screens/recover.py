"""A forgotten PIN: the officer's password, checked by the server, then a new PIN.

The data on the tablet is kept (``mobile.recovery``): the key that encrypts it is opened
with the server's recovery secret and wrapped under the new PIN.
"""

from __future__ import annotations

from typing import Any

from kivy.properties import BooleanProperty, StringProperty

from mobile.app.screens.base import BaseScreen, in_background, load_kv
from mobile.app.viewmodels.base import UserError
from mobile.app.viewmodels.setup import RecoverModel
from mobile.security import FieldCipher

__all__ = ["RecoverScreen"]


class RecoverScreen(BaseScreen):
    busy = BooleanProperty(False)
    message = StringProperty("")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(name="recover", **kwargs)
        self.model = RecoverModel(self.ctx)

    def render(self) -> None:
        if not self.ids.username.text:
            self.ids.username.text = self.model.username()

    def _fields(self) -> dict[str, Any]:
        ids = self.ids
        return {
            "username": ids.username,
            "password": ids.password,
            "pin": ids.pin,
            "again": ids.pin_again,
        }

    def _show_errors(self, error: UserError) -> None:
        # Said once: under its field, or (not about a field) above the button.
        said = error.message in error.errors.values()
        self.message = "" if said else error.message
        for name, field in self._fields().items():
            field.error = error.errors.get(name, "")

    def submit(self) -> None:
        if self.busy:
            return
        values = [field.text for field in self._fields().values()]
        errors = self.model.validate(*values)
        if errors:
            self._show_errors(UserError(next(iter(errors.values())), errors))
            return
        self._show_errors(UserError(""))
        self.busy = True
        self.message = self.t("recover.working")
        in_background(lambda: self.model.recover(*values), self._done)

    def _done(self, cipher: FieldCipher | None, error: BaseException | None) -> None:
        self.busy = False
        if error is not None or cipher is None:
            failure = error if isinstance(error, UserError) else UserError(str(error))
            self._show_errors(failure)
            return
        for field in self._fields().values():
            if field is not self.ids.username:
                field.text = ""
        self.message = ""
        self.model.finish(cipher)
        self.app.unlocked_now()
        self.app.notify(self.t("recover.done"))

    def back(self) -> None:
        self._show_errors(UserError(""))
        self.app.go("unlock")


load_kv(__file__)
