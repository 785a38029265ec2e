"""Home: today's work in buckets (overdue in red) and the search box."""

from __future__ import annotations

from typing import Any

from kivy.clock import Clock
from kivy.factory import Factory
from kivy.metrics import sp
from kivy.properties import StringProperty
from kivy.utils import escape_markup

from mobile.app import style as C
from mobile.app.screens.base import BaseScreen, load_kv
from mobile.app.viewmodels.home import HomeModel
from sync.engine import SyncReport

__all__ = ["HomeScreen"]


class HomeScreen(BaseScreen):
    heading = StringProperty("")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(name="home", **kwargs)
        self._model: HomeModel | None = None
        self._search = Clock.create_trigger(lambda _dt: self._apply_search(), 0.25)

    @property
    def model(self) -> HomeModel:
        if self._model is None:
            self._model = HomeModel(self.ctx)
        return self._model

    def on_pre_enter(self, *args: Any) -> None:
        self.model.refresh()
        self.render()

    def on_sync_finished(self, report: SyncReport) -> None:
        if self.manager is not None and self.manager.current == self.name:
            self.model.refresh()
            self.render()

    def render(self) -> None:
        self.heading = self.model.heading()
        box = self.ids.buckets
        box.clear_widgets()
        for bucket in self.model.buckets():
            size = int(sp(C.text_title) * self.app.font_scale)
            button = Factory.BucketButton(
                text=f"{escape_markup(bucket.label)}\n[size={size}]{bucket.count}[/size]",
                state="down" if bucket.selected else "normal",
            )
            button.danger = bucket.danger
            button.bucket = bucket.key
            button.bind(on_release=lambda b: self.choose(b.bucket))
            box.add_widget(button)
        self.ids.rows.data = self.model.rows()
        self.ids.rows.scroll_y = 1

    def choose(self, bucket: str) -> None:
        self.model.select(bucket)
        self.ids.search.text = ""
        self.render()

    def search_changed(self, text: str) -> None:
        if text != self.model.query:
            self._search()

    def _apply_search(self) -> None:
        self.model.search(self.ids.search.text)
        self.render()


load_kv(__file__)
