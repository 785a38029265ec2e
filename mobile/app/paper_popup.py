"""The paper dialog of the receipt and dossier screens: the slip's preview and what to
do with it (share, print, thermal receipt). Work runs off the UI thread
(``screens.base.in_background``); results come back through the Kivy clock."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kivy.app import App
from kivy.lang import Builder
from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.popup import Popup

from mobile.app.viewmodels.base import UserError
from mobile.app.viewmodels.paper import PaperJob
from mobile.app.widgets import texture_from_bytes

__all__ = ["PaperPopup"]

Builder.load_string(
    """
#:import C mobile.app.style
<PaperPopup>:
    size_hint: 0.9, 0.94
    auto_dismiss: False
    title_size: sp(C.text_large) * app.font_scale
    title_color: C.ink
    separator_color: C.primary
    background: ""
    background_color: C.surface
    BoxLayout:
        orientation: "horizontal"
        spacing: dp(16)
        padding: dp(8)
        Image:
            id: preview
            fit_mode: "contain"
        BoxLayout:
            orientation: "vertical"
            size_hint_x: None
            width: dp(320)
            spacing: dp(12)
            Txt:
                id: status
                text: root.status
                color: C.danger if root.failed else C.ink
            BigButton:
                id: share
                text: app.t("paper.share", app.lang)
                disabled: root.busy
                on_release: root.run("share")
            BigButton:
                id: print_slip
                text: app.t("paper.print", app.lang)
                disabled: root.busy
                on_release: root.run("print_slip")
            BigButton:
                id: thermal
                text: app.t("paper.thermal", app.lang)
                disabled: root.busy
                on_release: root.run("print_thermal")
            Widget:
            FlatButton:
                id: close
                text: app.t("paper.close", app.lang)
                on_release: root.dismiss()
"""
)


class PaperPopup(Popup):  # type: ignore[misc]
    status = StringProperty("")
    failed = BooleanProperty(False)
    busy = BooleanProperty(False)

    def __init__(self, job: PaperJob, run_off_ui: Callable[..., Any], **kwargs: Any) -> None:
        self.job = job
        self._off_ui = run_off_ui
        app = App.get_running_app()
        super().__init__(title=app.t("paper.title", number=job.receipt_number), **kwargs)
        self.status = app.t("paper.loading")
        self.preview_ready = False
        self.busy = True
        self._off_ui(lambda: job.preview_png(1000), self._previewed)

    def _previewed(self, png: bytes | None, error: BaseException | None) -> None:
        self.busy = False
        if error is not None or png is None:
            self._say(error)
            return
        texture = texture_from_bytes(png, "png")
        if texture is not None:
            self.ids.preview.texture = texture
        self.preview_ready = True
        self.status = ""

    def run(self, action: str) -> None:
        """ "share", "print_slip" or "print_thermal", off the UI thread."""
        if self.busy:
            return
        self.busy = True
        self.failed = False
        self._off_ui(getattr(self.job, action), self._done)

    def _done(self, message: str | None, error: BaseException | None) -> None:
        self.busy = False
        if error is not None:
            self._say(error)
            return
        self.status = message or ""

    def _say(self, error: BaseException | None) -> None:
        self.failed = True
        self.status = error.message if isinstance(error, UserError) else str(error)
