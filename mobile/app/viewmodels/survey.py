"""Village survey mode: one published form, one village, many respondents in a row.

Built for speed with no signal: answers are big buttons (Likert 1–5, yes/no, choices),
"save, next respondent" keeps the form, the village and the location and clears only
the answers. Answers are checked with the form's rules before saving
(``Tablet.add_survey_response`` checks them again).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mobile.app.context import AppContext
from mobile.app.viewmodels.base import UserError, from_invalid_input
from mobile.tablet import InvalidInput

__all__ = ["AGE_BANDS", "ETHNIC_GROUPS", "GENDERS", "QuestionView", "SurveyModel"]

AGE_BANDS = ("18-30", "31-45", "46-60", "60+")
GENDERS = ("male", "female")
ETHNIC_GROUPS = ("Kinh", "Mông", "Dao", "Tày", "Giáy", "Hà Nhì", "Thái", "Nùng")


@dataclass(frozen=True)
class QuestionView:
    id: str
    number: int
    type: str
    text: str
    required: bool
    options: list[tuple[Any, str]]  # (value, label) for the buttons
    answer: Any
    missing: bool


class SurveyModel:
    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self.form: dict[str, Any] | None = None
        self.village_id: int | None = None
        self.answers: dict[str, Any] = {}
        self.profile: dict[str, str] = {}
        self.saved_count = 0
        self.show_missing = False

    # -- choosing the form and the village -----------------------------------------------------

    def forms(self) -> list[tuple[int, str]]:
        tr = self.ctx.tr
        return [
            (int(form["id"]), f"{tr.pick(form, 'title')} (v{form.get('version', 1)})")
            for form in self.ctx.tablet.survey_forms()
        ]

    def villages(self) -> list[tuple[int, str]]:
        return [
            (int(v["id"]), f"{v.get('kind') or ''} {v.get('name', '')}".strip())
            for v in self.ctx.tablet.villages()
        ]

    @property
    def started(self) -> bool:
        return self.form is not None

    def start(self, form_id: int, village_id: int | None) -> None:
        form = self.ctx.tablet.store.get("survey_form", str(form_id))
        if form is None:
            raise UserError(self.ctx.tr("survey.no_forms"))
        if village_id is None:  # results are read by village: an answer without one is lost
            message = self.ctx.tr("survey.choose_village")
            raise UserError(message, {"village": message})
        self.form = form
        self.village_id = village_id
        self.saved_count = 0
        self.clear()
        self.ctx.platform.location.start()

    def finish(self) -> int:
        """Leave survey mode; returns how many responses were saved."""
        self.ctx.platform.location.stop()
        count = self.saved_count
        self.form = None
        self.clear()
        return count

    def village_name(self) -> str:
        names = dict(self.villages())
        return names.get(self.village_id, "") if self.village_id is not None else ""

    def header_text(self) -> str:
        """The form and the village being surveyed, for the header."""
        if self.form is None:
            return ""
        title = self.ctx.tr.pick(self.form, "title")
        return self.ctx.tr("survey.header", form=title, village=self.village_name() or "—")

    @property
    def half_answered(self) -> bool:
        """This respondent has answers not saved yet (finishing would drop them)."""
        return bool(self.answers or self.profile)

    # -- the draft (mobile.drafts) ---------------------------------------------------------------

    def draft_state(self) -> dict[str, Any] | None:
        if self.form is None:
            return None
        return {
            "version": 1,
            "form_id": self.form["id"],
            "village_id": self.village_id,
            "answers": dict(self.answers),
            "profile": dict(self.profile),
            "saved_count": self.saved_count,
        }

    def draft_summary(self) -> str:
        return self.header_text()

    def restore_draft(self, state: Mapping[str, Any]) -> None:
        form = self.ctx.tablet.store.get("survey_form", str(state.get("form_id")))
        if form is None:
            return
        self.form = form
        village = state.get("village_id")
        self.village_id = int(village) if village is not None else None
        self.answers = dict(state.get("answers") or {})
        self.profile = {str(k): str(v) for k, v in (state.get("profile") or {}).items()}
        self.saved_count = int(state.get("saved_count") or 0)
        self.show_missing = False
        self.ctx.platform.location.start()

    def location_text(self) -> str:
        tr = self.ctx.tr
        fix = self.ctx.platform.location.last_fix()
        where = f"{fix[0]:.5f}, {fix[1]:.5f}" if fix else tr("survey.no_location")
        return tr("survey.location", where=where)

    # -- answering -----------------------------------------------------------------------------

    def _questions(self) -> list[dict[str, Any]]:
        questions = (self.form or {}).get("questions") or []
        return [q for q in questions if isinstance(q, dict)]

    def questions(self) -> list[QuestionView]:
        tr = self.ctx.tr
        missing = set(self.missing()) if self.show_missing else set()
        views = []
        for number, question in enumerate(self._questions(), start=1):
            kind = str(question.get("type"))
            options: list[tuple[Any, str]]
            if kind == "likert5":
                options = [(n, str(n)) for n in range(1, 6)]
            elif kind == "yes_no":
                options = [(True, tr("common.yes")), (False, tr("common.no"))]
            elif kind in ("single_choice", "multiple_choice"):
                options = [
                    (o.get("value"), tr.pick(o, "label") or str(o.get("value")))
                    for o in question.get("options") or []
                    if isinstance(o, dict)
                ]
            else:
                options = []
            qid = str(question.get("id"))
            views.append(
                QuestionView(
                    id=qid,
                    number=number,
                    type=kind,
                    text=tr.pick(question, "text"),
                    required=bool(question.get("required")),
                    options=options,
                    answer=self.answers.get(qid),
                    missing=qid in missing,
                )
            )
        return views

    def _question(self, qid: str) -> dict[str, Any]:
        for question in self._questions():
            if str(question.get("id")) == qid:
                return question
        raise KeyError(qid)

    def answer(self, qid: str, value: Any) -> None:
        """Record a tap (or typed text). Tapping a chosen choice again clears it."""
        kind = self._question(qid).get("type")
        if kind == "multiple_choice":
            chosen = list(self.answers.get(qid) or [])
            if value in chosen:
                chosen.remove(value)
            else:
                chosen.append(value)
            self._set(qid, chosen or None)
        elif kind in ("text",):
            self._set(qid, str(value).strip() or None)
        elif kind == "number":
            self._set(qid, self._number(value))
        elif self.answers.get(qid) == value and type(self.answers.get(qid)) is type(value):
            self._set(qid, None)
        else:
            self._set(qid, value)

    @staticmethod
    def _number(value: Any) -> Any:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return value
        text = str(value).strip().replace(",", ".")
        if not text:
            return None
        try:
            number = float(text)
        except ValueError:
            return text  # kept as typed; the check below names the question
        return int(number) if number.is_integer() else number

    def _set(self, qid: str, value: Any) -> None:
        if value is None:
            self.answers.pop(qid, None)
        else:
            self.answers[qid] = value

    def set_profile(self, key: str, value: str) -> None:
        if key not in ("age_band", "gender", "ethnic_group"):
            raise KeyError(key)
        if self.profile.get(key) == value:
            del self.profile[key]
        else:
            self.profile[key] = value

    def missing(self) -> list[str]:
        return [
            str(q.get("id"))
            for q in self._questions()
            if q.get("required") and self.answers.get(str(q.get("id"))) in (None, "", [])
        ]

    def clear(self) -> None:
        self.answers = {}
        self.profile = {}
        self.show_missing = False

    def save_and_next(self) -> str:
        """Save this respondent's answers and start a blank one; returns the response id."""
        tr = self.ctx.tr
        if self.form is None:
            raise UserError(tr("survey.no_forms"))
        missing = self.missing()
        if missing:
            self.show_missing = True
            message = tr("survey.missing", count=len(missing))
            raise UserError(message, dict.fromkeys(missing, tr("common.required")))
        fix = self.ctx.platform.location.last_fix()
        try:
            response_id = self.ctx.tablet.add_survey_response(
                int(self.form["id"]),
                dict(self.answers),
                self.village_id,
                latitude=fix[0] if fix else None,
                longitude=fix[1] if fix else None,
                age_band=self.profile.get("age_band"),
                gender=self.profile.get("gender"),
                ethnic_group=self.profile.get("ethnic_group"),
            )
        except InvalidInput as error:
            self.show_missing = True
            raise from_invalid_input(error, tr.message) from error
        self.saved_count += 1
        self.clear()
        return response_id

    def respondent_text(self) -> str:
        return self.ctx.tr("survey.respondent", number=self.saved_count + 1)

    def count_text(self) -> str:
        return self.ctx.tr("survey.count", count=self.saved_count)
