"""Feedback: the list, a form for new feedback, and the answer to the selected one."""

from __future__ import annotations

from typing import Any

from kivy.factory import Factory
from kivy.properties import BooleanProperty, StringProperty

from mobile.app.screens.base import BaseScreen, load_kv
from mobile.app.viewmodels.base import UserError
from mobile.app.viewmodels.feedback import FeedbackModel
from sync.domain import Channel, FeedbackKind
from sync.engine import SyncReport

__all__ = ["FeedbackScreen"]


class FeedbackScreen(BaseScreen):
    mode = StringProperty("new")  # "new" or "detail"
    kind = StringProperty(FeedbackKind.REPORT.value)
    anonymous = BooleanProperty(False)
    detail_title = StringProperty("")
    detail_text = StringProperty("")
    detail_server = StringProperty("")
    can_answer = BooleanProperty(False)
    draft_key = "feedback"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(name="feedback", **kwargs)
        self._model: FeedbackModel | None = None
        self._channels: dict[str, str] = {}

    @property
    def model(self) -> FeedbackModel:
        if self._model is None:
            self._model = FeedbackModel(self.ctx)
        return self._model

    def prepare(self, feedback_id: str | None = None, **_options: Any) -> None:
        if feedback_id is not None:
            self.model.select(feedback_id)
            self.mode = "detail"
        if self.restore_draft_if_blank():
            self.mode = "new"

    # -- the draft -----------------------------------------------------------------------------

    def draft_model(self) -> FeedbackModel:
        """The new feedback's fields, copied into the model (kept as they are typed)."""
        ids, form = self.ids, self.model.form
        form.kind, form.anonymous = self.kind, self.anonymous
        form.content, form.citizen_name = ids.content.text, ids.citizen_name.text
        form.citizen_phone, form.receipt_number = ids.citizen_phone.text, ids.receipt.text
        form.channel = self._channels.get(ids.channel.text, form.channel)
        return self.model

    def draft_restored(self) -> None:
        ids, form = self.ids, self.model.form
        self.kind, self.anonymous = form.kind, form.anonymous
        ids.content.text, ids.citizen_name.text = form.content, form.citizen_name
        ids.citizen_phone.text, ids.receipt.text = form.citizen_phone, form.receipt_number
        ids.channel.text = self.ctx.tr.enum("channel", form.channel)

    def on_mode(self, _screen: Any, mode: str) -> None:
        self.ids.panels.current = mode

    def on_sync_finished(self, report: SyncReport) -> None:
        if self.manager is not None and self.manager.current == self.name:
            self._render_list()

    def render(self) -> None:
        self._render_list()
        self._render_form()
        self._render_detail()

    def _render_list(self) -> None:
        self.ids.rows.data = self.model.rows()

    def _render_form(self) -> None:
        box = self.ids.kinds
        box.clear_widgets()
        for value, label in self.model.kinds():
            button = Factory.ChoiceButton(
                text=label,
                group="feedback_kind",
                allow_no_selection=False,
                state="down" if value == self.kind else "normal",
            )
            button.kind = value
            button.bind(on_release=lambda b: setattr(self, "kind", b.kind))
            box.add_widget(button)
        self._channels = {label: value for value, label in self.model.channels()}
        spinner = self.ids.channel
        spinner.values = list(self._channels)
        if spinner.text not in self._channels:
            spinner.text = self.ctx.tr.enum("channel", Channel.COUNTER.value)

    def _render_detail(self) -> None:
        detail = self.model.detail()
        if detail is None:
            self.detail_title = ""
            self.detail_text = self.t("feedback.select")
            self.detail_server = ""
            self.can_answer = False
            return
        self.detail_title = detail.title
        self.detail_text = "\n".join(detail.lines)
        self.detail_server = detail.on_server_label
        self.can_answer = detail.can_answer
        self.ids.response.text = detail.response

    # -- actions -------------------------------------------------------------------------------

    def new(self) -> None:
        self.model.select(None)
        self.mode = "new"
        self._render_list()

    def open(self, feedback_id: str) -> None:
        self.model.select(feedback_id)
        self.mode = "detail"
        self._render_list()
        self._render_detail()

    def save(self) -> None:
        ids = self.ids
        for field in (ids.content, ids.citizen_name, ids.citizen_phone, ids.receipt):
            field.error = ""
        try:
            feedback_id = self.model.record(
                self.kind,
                ids.content.text,
                anonymous=self.anonymous,
                citizen_name=ids.citizen_name.text,
                citizen_phone=ids.citizen_phone.text,
                receipt_number=ids.receipt.text,
                channel=self._channels.get(ids.channel.text, Channel.COUNTER.value),
            )
        except UserError as error:
            ids.content.error = error.errors.get("content", "")
            ids.citizen_phone.error = error.errors.get("phone", "")
            ids.receipt.error = error.errors.get("dossier", "")
            self.refuse(error, self._problems_now)
            return
        self.ok(self.model.saved_text(feedback_id))
        for field in (ids.content, ids.citizen_name, ids.citizen_phone, ids.receipt):
            field.text = ""
        self.anonymous = False
        self.keep_draft()  # saved: the draft goes at once
        self.mode = "detail"
        self.render()
        self.app.runner.poke()
        self.app.refresh_status()

    def _problems_now(self) -> dict[str, str]:
        ids = self.ids
        return self.model.problems(
            self.kind,
            ids.content.text,
            anonymous=self.anonymous,
            citizen_phone=ids.citizen_phone.text,
            receipt_number=ids.receipt.text,
        )

    def on_kv_post(self, base_widget: Any) -> None:
        super().on_kv_post(base_widget)
        for field in (self.ids.content, self.ids.citizen_phone, self.ids.receipt):
            field.bind(text=self.recheck)
        self.bind(anonymous=self.recheck, kind=self.recheck)

    def answer(self) -> None:
        try:
            self.model.answer(self.ids.response.text)
        except UserError as error:
            self.fail(error)
            return
        self.ok(self.t("common.saved"))
        self.render()
        self.app.runner.poke()
        self.app.refresh_status()


load_kv(__file__)
