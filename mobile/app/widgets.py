"""The app's own widgets (their looks are in ``theme.kv``).

- ``RowList``/``ListRow``: a ``RecycleView`` of rows (title, subtitle, an "on the
  server" mark, red when late) — smooth with tens of thousands of rows; long texts
  wrap and the row grows to hold them (``GrowsWithText``);
- ``Field``: a labelled text input that shows its error under it;
- ``FormPopup``: a small dialog with text fields (a reason, a new date…);
- ``PhotoChooserPopup``: the desktop stand-in for the camera (pick an image file);
- ``texture_from_bytes``: an image decoded from memory (photos are sealed on disk, so
  they are shown from their opened bytes, never from a file).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from io import BytesIO
from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.core.image import Image as CoreImage
from kivy.factory import Factory
from kivy.graphics.texture import Texture
from kivy.logger import Logger
from kivy.properties import (
    BooleanProperty,
    ListProperty,
    NumericProperty,
    ObjectProperty,
    StringProperty,
)
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.popup import Popup
from kivy.uix.recycleview import RecycleView
from kivy.uix.recycleview.views import RecycleDataViewBehavior

from mobile.app import style

__all__ = [
    "Field",
    "FormPopup",
    "ListRow",
    "PhotoChooserPopup",
    "RejectedRow",
    "RowList",
    "texture_from_bytes",
]


def texture_from_bytes(data: bytes, extension: str) -> Texture | None:
    """The image in ``data`` ("jpg", "png"… by ``extension``) as a texture, or None.

    Decoded in memory and kept out of Kivy's cache: nothing reaches the disk.
    """
    if not data or not extension:
        return None
    try:
        texture: Texture | None = CoreImage(BytesIO(data), ext=extension, nocache=True).texture
    except Exception as error:  # no decoder for it, or not an image: shown as missing
        Logger.warning("Photo: cannot decode a .%s image (%s)", extension, error)
        return None
    return texture


class RowList(RecycleView):  # type: ignore[misc]
    """A list of rows; tapping one dispatches ``on_row(kind, record_id)``."""

    __events__ = ("on_row", "on_action")

    def on_row(self, kind: str, record_id: str) -> None:
        return None

    def on_action(self, action: str, key: str) -> None:
        return None


class GrowsWithText:
    """A ``RecycleView`` row as tall as its wrapped texts: nothing is cut.

    The texts (``ids.texts``, a vertical box as tall as its labels) wrap to the row's
    width; when their height changes, the row writes the height it needs into its
    data item, and the ``RecycleBoxLayout`` lays the list out again. Only rows on
    screen are measured, so a list of thousands stays cheap; rows not yet shown keep
    the default height until they are.
    """

    owner: Any
    index: Any
    ids: Any
    padding: Any

    def watch_texts(self) -> None:
        self._fit_later = Clock.create_trigger(self.fit, 0)
        self.ids.texts.bind(height=self._fit_later)

    def fit(self, *_args: Any) -> None:
        rv, index = self.owner, int(self.index)
        if rv is None or not 0 <= index < len(rv.data):
            return
        from kivy.metrics import dp

        scale = float(getattr(App.get_running_app(), "font_scale", 1.0) or 1.0)
        padding = self.padding[1] + self.padding[3] if len(self.padding) == 4 else 0
        needed = max(dp(style.row) * scale, self.ids.texts.height + padding + dp(4))
        item = rv.data[index]
        if abs(float(item.get("height") or 0) - needed) >= 1:
            rv.data[index] = {**item, "height": needed}


class ListRow(GrowsWithText, RecycleDataViewBehavior, ButtonBehavior, BoxLayout):  # type: ignore[misc]
    kind = StringProperty("")
    record_id = StringProperty("")
    title = StringProperty("")
    subtitle = StringProperty("")
    sync_label = StringProperty("")
    danger = BooleanProperty(False)
    synced = BooleanProperty(True)
    selected = BooleanProperty(False)
    index = NumericProperty(0)
    owner = ObjectProperty(None, allownone=True)

    def on_kv_post(self, base_widget: Any) -> None:
        super().on_kv_post(base_widget)
        self.watch_texts()

    def refresh_view_attrs(self, rv: Any, index: int, data: dict[str, Any]) -> Any:
        self.owner = rv
        self.index = index
        data = {"selected": False, "danger": False, "synced": True, "sync_label": "", **data}
        result = super().refresh_view_attrs(rv, index, data)
        self._fit_later()  # another item in this widget: measure it again
        return result

    def on_release(self) -> None:
        if self.owner is not None:
            self.owner.dispatch("on_row", self.kind, self.record_id)


class RejectedRow(GrowsWithText, RecycleDataViewBehavior, BoxLayout):  # type: ignore[misc]
    """A refused record with "open" and "dismiss" buttons (``on_action``), and "confirm
    as is" when the server holds its dates for the officer to confirm. The record and
    the server's reason wrap across the row's width, the buttons under them, and the
    row grows to hold all of it (``ids.texts``)."""

    op_id = StringProperty("")
    title = StringProperty("")
    subtitle = StringProperty("")
    can_open = BooleanProperty(True)
    can_confirm = BooleanProperty(False)
    index = NumericProperty(0)
    owner = ObjectProperty(None, allownone=True)

    def on_kv_post(self, base_widget: Any) -> None:
        super().on_kv_post(base_widget)
        self.watch_texts()

    def refresh_view_attrs(self, rv: Any, index: int, data: dict[str, Any]) -> Any:
        self.owner = rv
        self.index = index
        result = super().refresh_view_attrs(rv, index, data)
        self._fit_later()  # another refused record in this widget: measure it again
        return result

    def act(self, action: str) -> None:
        if self.owner is not None:
            self.owner.dispatch("on_action", action, self.op_id)


class Field(BoxLayout):  # type: ignore[misc]
    """Label, text input and the error under it."""

    label = StringProperty("")
    text = StringProperty("")
    hint = StringProperty("")
    error = StringProperty("")
    password = BooleanProperty(False)
    multiline = BooleanProperty(False)
    input_filter = ObjectProperty(None, allownone=True)
    lines = NumericProperty(1)


class FormPopup(Popup):  # type: ignore[misc]
    """A dialog with fields; ``on_submit(values)`` returns an error text or None to close."""

    message = StringProperty("")
    ok_text = StringProperty("OK")
    cancel_text = StringProperty("")
    danger = BooleanProperty(False)
    fields = ListProperty([])

    def __init__(
        self,
        *,
        title: str,
        fields: Sequence[dict[str, Any]],
        on_submit: Callable[[dict[str, str]], str | None],
        ok_text: str,
        cancel_text: str,
        danger: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(title=title, **kwargs)
        self.ok_text = ok_text
        self.cancel_text = cancel_text
        self.danger = danger
        self._on_submit = on_submit
        self._fields: dict[str, Field] = {}
        box = self.ids.fields
        for spec in fields:
            field = Field(
                label=spec.get("label", ""),
                text=spec.get("text", ""),
                hint=spec.get("hint", ""),
                multiline=bool(spec.get("multiline", False)),
                lines=int(spec.get("lines", 1)),
            )
            self._fields[spec["name"]] = field
            box.add_widget(field)

    def field(self, name: str) -> Field:
        return self._fields[name]

    def submit(self) -> None:
        values = {name: field.text for name, field in self._fields.items()}
        problem = self._on_submit(values)
        if problem:
            # Said once: under its field when a field shows it, else above the buttons.
            shown = any(field.error == problem for field in self._fields.values())
            self.message = "" if shown else problem
            return
        self.dismiss()

    def show_errors(self, errors: dict[str, str]) -> None:
        for name, field in self._fields.items():
            field.error = errors.get(name, "")


class PhotoChooserPopup(Popup):  # type: ignore[misc]
    """Pick a photo file: the desktop fallback of the camera facade, styled like the app.

    One folder at a time as big rows (``mobile.app.viewmodels.files.FileBrowser``): a
    tap on a folder opens it, a tap on a photo previews it, "Chọn ảnh này" uses it.
    ``on_done`` gets the file, or None when the officer cancels.
    """

    heading = StringProperty("")
    empty_text = StringProperty("")
    can_go_up = BooleanProperty(False)
    #: The selected photo's path (shown as the preview), "" when none.
    preview = StringProperty("")
    selected_name = StringProperty("")

    def __init__(
        self, *, start_dir: Path, on_done: Callable[[Path | None], None], **kwargs: Any
    ) -> None:
        from kivy.metrics import dp

        from mobile.app.viewmodels.files import FileBrowser

        self._on_done = on_done
        self._answered = False
        super().__init__(**kwargs)
        self.browser = FileBrowser(App.get_running_app().ctx.tr, start_dir)
        for place in self.browser.places():
            button = Factory.FlatButton(text=place.label, size_hint_x=None, width=dp(180))
            button.bind(on_release=lambda _b, path=place.path: self.open_folder(path))
            self.ids.places.add_widget(button)
        self.render()

    def render(self) -> None:
        browser = self.browser
        rows = browser.rows()
        self.ids.files.data = rows
        self.ids.files.scroll_y = 1
        self.heading = browser.heading()
        self.empty_text = "" if rows else browser.empty_text()
        self.can_go_up = browser.can_go_up
        self._show_selection()

    def _show_selection(self) -> None:
        chosen = self.browser.selected
        self.preview = str(chosen) if chosen else ""
        self.selected_name = chosen.name if chosen else ""
        rows = self.ids.files
        marked = [{**row, "selected": row["record_id"] == self.preview} for row in rows.data]
        if marked != list(rows.data):
            rows.data = marked

    def open_folder(self, folder: Path | str) -> None:
        if self.browser.open(Path(folder)):
            self.render()

    def up(self) -> None:
        if self.browser.up():
            self.render()

    def row_tapped(self, kind: str, path: str) -> None:
        if kind == "folder":
            self.open_folder(path)
        elif self.browser.select(Path(path)):
            self._show_selection()

    def choose(self) -> None:
        chosen = self.browser.selected
        if chosen is None or not chosen.is_file():
            return
        self._answered = True
        self.dismiss()
        self._on_done(chosen)

    def on_dismiss(self) -> None:
        if not self._answered:
            self._answered = True
            self._on_done(None)
