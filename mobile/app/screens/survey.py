"""Village survey mode: choose form and village, then respondent after respondent."""

from __future__ import annotations

from typing import Any

from kivy.factory import Factory
from kivy.properties import BooleanProperty, StringProperty

from mobile.app.screens.base import BaseScreen, load_kv
from mobile.app.viewmodels.base import UserError
from mobile.app.viewmodels.survey import AGE_BANDS, ETHNIC_GROUPS, GENDERS, SurveyModel
from mobile.app.widgets import FormPopup

__all__ = ["SurveyScreen"]


class SurveyScreen(BaseScreen):
    running = BooleanProperty(False)
    respondent = StringProperty("")
    count_text = StringProperty("")
    location = StringProperty("")
    note = StringProperty("")
    header = StringProperty("")
    draft_key = "survey"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(name="survey", **kwargs)
        self._model: SurveyModel | None = None
        self._forms: dict[str, int] = {}
        self._villages: dict[str, int | None] = {}
        self._buttons: dict[str, list[Any]] = {}
        self.confirm: FormPopup | None = None

    @property
    def model(self) -> SurveyModel:
        if self._model is None:
            self._model = SurveyModel(self.ctx)
        return self._model

    def prepare(self, **_options: Any) -> None:
        self.restore_draft_if_blank()

    def draft_model(self) -> SurveyModel:
        return self.model

    def render(self) -> None:
        self.running = self.model.started
        self.header = self.model.header_text()
        self.location = self.model.location_text()
        if self.running:
            self._render_questions()
        else:
            self._render_setup()

    def on_running(self, _screen: Any, running: bool) -> None:
        self.ids.modes.current = "run" if running else "choose"

    def _render_setup(self) -> None:
        self._forms = {title: form_id for form_id, title in self.model.forms()}
        forms = self.ids.form
        forms.values = list(self._forms)
        if forms.text not in self._forms:
            forms.text = next(iter(self._forms), "")
        # No "none": a survey is always of one village (``SurveyModel.start``).
        self._villages = {name: vid for vid, name in self.model.villages()}
        villages = self.ids.village
        villages.values = list(self._villages)
        if villages.text not in self._villages:
            villages.text = self.t("survey.choose_village")
        self.note = "" if self._forms else self.t("survey.no_forms")

    def _render_questions(self) -> None:
        self.respondent = self.model.respondent_text()
        self.count_text = self.model.count_text()
        box = self.ids.questions
        box.clear_widgets()
        self._buttons = {}
        for question in self.model.questions():
            card = Factory.QuestionCard()
            card.ids.text.text = f"{question.number}. {question.text}" + (
                " *" if question.required else ""
            )
            card.missing = question.missing
            choices = card.ids.choices
            if question.type in ("text", "number"):
                field = Factory.BigInput(
                    hint_text=self.t("survey.text" if question.type == "text" else "survey.number"),
                    text="" if question.answer is None else str(question.answer),
                )
                if question.type == "number":
                    field.input_filter = "float"
                field.qid = question.id
                field.bind(text=lambda w, value: self.model.answer(w.qid, value))
                choices.cols = 1
                choices.add_widget(field)
            else:
                choices.cols = max(1, min(len(question.options), 5))
                buttons = []
                for value, label in question.options:
                    button = Factory.ChoiceButton(text=label)
                    button.qid, button.value = question.id, value
                    chosen = question.answer
                    if isinstance(chosen, list):
                        button.state = "down" if value in chosen else "normal"
                    else:
                        same = chosen == value and type(chosen) is type(value)
                        button.state = "down" if same else "normal"
                    button.bind(on_release=self._tapped)
                    buttons.append(button)
                    choices.add_widget(button)
                self._buttons[question.id] = buttons
                if question.type == "likert5":
                    card.ids.scale.text = f"1 = {self.t('likert.1')}   ·   5 = {self.t('likert.5')}"
            box.add_widget(card)
        box.add_widget(self._profile_card())

    def _profile_card(self) -> Any:
        card = Factory.QuestionCard()
        card.ids.text.text = self.t("survey.profile")
        grid = card.ids.choices
        grid.cols = 4
        for key, label, values in (
            ("age_band", self.t("survey.age"), [(v, v) for v in AGE_BANDS]),
            ("gender", self.t("survey.gender"), [(g, self.t(f"gender.{g}")) for g in GENDERS]),
            ("ethnic_group", self.t("survey.ethnic"), [(e, e) for e in ETHNIC_GROUPS]),
        ):
            grid.add_widget(Factory.Muted(text=label, bold=True))
            for value, text in values:
                button = Factory.ChoiceButton(text=text)
                button.state = "down" if self.model.profile.get(key) == value else "normal"
                button.profile_key, button.value = key, value
                button.bind(on_release=self._profile_tapped)
                grid.add_widget(button)
            while len(grid.children) % 4:
                grid.add_widget(Factory.Widget())
        return card

    def _tapped(self, button: Any) -> None:
        self.model.answer(button.qid, button.value)
        chosen = self.model.answers.get(button.qid)
        for other in self._buttons.get(button.qid, []):
            if isinstance(chosen, list):
                other.state = "down" if other.value in chosen else "normal"
            else:
                same = chosen == other.value and type(chosen) is type(other.value)
                other.state = "down" if same else "normal"

    def _profile_tapped(self, button: Any) -> None:
        self.model.set_profile(button.profile_key, button.value)
        chosen = self.model.profile.get(button.profile_key)
        for other in button.parent.children:
            if getattr(other, "profile_key", None) == button.profile_key:
                other.state = "down" if other.value == chosen else "normal"

    # -- actions -------------------------------------------------------------------------------

    def start(self) -> None:
        form_id = self._forms.get(self.ids.form.text)
        if form_id is None:
            self.fail(UserError(self.t("survey.no_forms")))
            return
        try:
            self.model.start(form_id, self._villages.get(self.ids.village.text))
        except UserError as error:
            self.fail(error)
            return
        self.render()

    def save_next(self) -> None:
        try:
            self.model.save_and_next()
        except UserError as error:
            self.fail(error)
            self._render_questions()
            return
        self.keep_draft()
        self.ok(self.t("survey.saved", number=self.model.saved_count))
        self._render_questions()
        self.ids.scroller.scroll_y = 1
        self.app.runner.poke()
        self.app.refresh_status()

    def finish(self) -> None:
        """ "Kết thúc khảo sát": asks first when this respondent has unsaved answers."""
        if not self.model.half_answered:
            self._finish()
            return
        self.confirm = FormPopup(
            title=self.t("survey.finish"),
            fields=[],
            on_submit=lambda _values: self._finish(),
            ok_text=self.t("survey.finish_drop"),
            cancel_text=self.t("common.cancel"),
            danger=True,
        )
        self.confirm.ids.fields.add_widget(Factory.Txt(text=self.t("survey.finish_confirm")))
        self.confirm.open()

    def _finish(self) -> None:
        count = self.model.finish()
        self.keep_draft()  # finished: the draft goes
        self.ok(self.t("survey.count", count=count))
        self.render()


load_kv(__file__)
