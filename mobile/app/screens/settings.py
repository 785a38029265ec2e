"""Settings: language, text size, server address, PIN."""

from __future__ import annotations

from typing import Any

from kivy.properties import StringProperty

from mobile.app.screens.base import BaseScreen, load_kv
from mobile.app.viewmodels.base import UserError
from mobile.app.viewmodels.settings import SettingsModel

__all__ = ["SettingsScreen"]


class SettingsScreen(BaseScreen):
    device = StringProperty("")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(name="settings", **kwargs)
        self._model: SettingsModel | None = None

    @property
    def model(self) -> SettingsModel:
        if self._model is None:
            self._model = SettingsModel(self.ctx)
        return self._model

    def render(self) -> None:
        self.device = self.model.device_text()
        self.ids.server.text = self.ctx.server_url()
        languages = self.ids.languages
        languages.clear_widgets()
        from kivy.factory import Factory

        for code, label in self.model.languages():
            button = Factory.ChoiceButton(
                text=label,
                group="language",
                allow_no_selection=False,
                state="down" if code == self.ctx.tr.lang else "normal",
            )
            button.code = code
            button.bind(on_release=lambda b: self.set_language(b.code))
            languages.add_widget(button)
        sizes = self.ids.sizes
        sizes.clear_widgets()
        for _key, label, scale in self.model.font_sizes():
            button = Factory.ChoiceButton(
                text=label,
                group="font",
                allow_no_selection=False,
                state="down" if abs(scale - self.ctx.prefs.font_scale) < 0.01 else "normal",
            )
            button.scale = scale
            button.bind(on_release=lambda b: self.set_font_scale(b.scale))
            sizes.add_widget(button)

    def set_language(self, code: str) -> None:
        self.model.set_language(code)  # the app re-renders through the translator

    def set_font_scale(self, scale: float) -> None:
        self.model.set_font_scale(scale)
        self.app.set_font_scale(scale)

    def save_server(self) -> None:
        self.ids.server.error = ""
        try:
            self.ok(self.model.set_server_url(self.ids.server.text))
        except UserError as error:
            self.ids.server.error = error.message
            self.fail(error)
            return
        self.app.runner.poke()

    def change_pin(self) -> None:
        ids = self.ids
        fields = {"old": ids.old_pin, "new": ids.new_pin, "again": ids.new_pin_again}
        for field in fields.values():
            field.error = ""
        try:
            message = self.model.change_pin(
                ids.old_pin.text, ids.new_pin.text, ids.new_pin_again.text
            )
        except UserError as error:
            for name, field in fields.items():
                field.error = error.errors.get(name, "")
            self.fail(error)
            return
        for field in fields.values():
            field.text = ""
        self.ok(message)


load_kv(__file__)
