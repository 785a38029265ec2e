"""Village survey mode: many respondents in a row, big-button answers, checked before saving."""

from __future__ import annotations

import pytest

from mobile.app.context import AppContext
from mobile.app.viewmodels.base import UserError
from mobile.app.viewmodels.survey import SurveyModel


def _answer_all(model: SurveyModel, score: int) -> None:
    for question in model.questions():
        if question.type == "likert5":
            model.answer(question.id, score)
        elif question.type == "yes_no":
            model.answer(question.id, False)
        elif question.type == "single_choice":
            model.answer(question.id, question.options[1][0])


def test_several_respondents_one_after_another(ctx: AppContext) -> None:
    model = SurveyModel(ctx)
    [(form_id, title)] = model.forms()
    assert title == "Khảo sát mức độ hài lòng (v1)"
    village_id = model.villages()[0][0]
    model.start(form_id, village_id)
    assert model.location_text() == "Vị trí: không có (máy không có GPS)"
    questions = model.questions()
    assert len(questions) == 12
    assert [o[1] for o in questions[0].options] == ["1", "2", "3", "4", "5"]
    assert [o[1] for o in questions[8].options] == ["Có", "Không"]
    assert questions[11].type == "text" and not questions[11].required
    with pytest.raises(UserError, match="Còn 11 câu bắt buộc chưa trả lời"):
        model.save_and_next()
    assert all(q.missing for q in model.questions() if q.required)
    saved = []
    for number, score in enumerate((5, 4, 5), start=1):
        assert model.respondent_text() == f"Người trả lời số {number}"
        _answer_all(model, score)
        if number == 2:
            model.answer("q12", "  Cần thêm ghế chờ  ")
            model.set_profile("gender", "female")
            model.set_profile("age_band", "31-45")
            model.set_profile("age_band", "31-45")  # tapped again: cleared
        saved.append(model.save_and_next())
        assert model.answers == {} and model.profile == {}
    assert model.count_text() == "Đã thu 3 phiếu trong buổi này"
    responses = [ctx.tablet.store.get("survey_response", i) for i in saved]
    assert [r["answers"]["q1"] for r in responses if r] == [5, 4, 5]
    second = responses[1]
    assert second is not None
    assert second["answers"]["q12"] == "Cần thêm ghế chờ"
    assert second["answers"]["q9"] is False and second["answers"]["q11"] == "hmn"
    assert second["gender"] == "female" and second.get("age_band") is None
    assert all(r is not None and r["village_id"] == village_id for r in responses)
    assert model.finish() == 3 and not model.started
    report = ctx.tablet.sync(ctx.make_transport())
    assert report.ok and report.rejected == 0


def test_taps_toggle(ctx: AppContext) -> None:
    model = SurveyModel(ctx)
    model.start(model.forms()[0][0], model.villages()[0][0])  # a survey needs its village
    model.answer("q1", 4)
    model.answer("q1", 4)
    assert "q1" not in model.answers
    model.answer("q9", True)
    model.answer("q9", 1)  # not the same answer as True
    assert model.answers["q9"] == 1
    model.answer("q9", False)
    assert model.answers["q9"] is False
    with pytest.raises(KeyError):
        model.answer("q99", 1)
    with pytest.raises(KeyError):
        model.set_profile("religion", "x")
