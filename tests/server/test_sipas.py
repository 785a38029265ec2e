"""Satisfaction per Decision 1001/QĐ-BNV: the five elements, their index, the default
form, the dashboard table and the link from a response to a completed dossier."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import FormStatus, SurveyForm, SurveyResponse
from server.scoping import scope_for_officer
from server.services import reports, sipas
from server.services.changes import stamp
from sync.domain import DossierStatus
from sync.ids import new_id
from tests.server.conftest import World, add_dossier
from tests.server.web.helpers import log_in

QUESTIONS = sipas.default_form_questions()
INDEX = sipas.index_questions(QUESTIONS)


def test_the_default_form_asks_the_five_elements() -> None:
    """Decision 1001/QĐ-BNV: access, procedure, officer, result, handling of feedback."""
    assert list(INDEX) == ["access", "procedure", "officer", "result", "feedback"]
    assert INDEX == {
        "access": "access",
        "procedure": "procedure",
        "officer": "officer",
        "result": "result",
        "feedback": "feedback",
    }
    links = {q["link"]: q["id"] for q in QUESTIONS if q.get("link")}
    assert links == {"receipt_number": "receipt_number", "check_code": "check_code"}
    # The feedback element is asked only of those who gave feedback: not required.
    by_id = {q["id"]: q for q in QUESTIONS}
    assert by_id["feedback"]["required"] is False
    assert all(by_id[e]["required"] for e in ("access", "procedure", "officer", "result"))


def test_worked_example_of_the_index() -> None:
    """Four respondents. Access: 5, 4, 3, 2 → 2 of 4 satisfied = 50 %. Procedure: 5, 5,
    4, 1 → 75 %. Officer: 5, 5, 5, 5 → 100 %. Result: 4, 3, 3 (one blank) → 1 of 3.
    Feedback: only two gave feedback, 4 and 2 → 50 %. Criteria questions (access_1…)
    do not count. Overall: (50 + 75 + 100 + 33.3 + 50) / 5 = 61.67 %."""
    rows: list[dict[str, Any]] = [
        {"access": 5, "procedure": 5, "officer": 5, "result": 4, "feedback": 4, "access_1": 1},
        {"access": 4, "procedure": 5, "officer": 5, "result": 3, "access_1": 1},
        {"access": 3, "procedure": 4, "officer": 5, "result": 3, "feedback": 2},
        {"access": 2, "procedure": 1, "officer": 5, "result": "4", "access_1": 1},
    ]
    index = sipas.sipas_index((row, QUESTIONS) for row in rows)
    got = {key: rate.index for key, rate in index.elements.items()}
    assert got == pytest.approx(
        {"access": 0.5, "procedure": 0.75, "officer": 1.0, "result": 1 / 3, "feedback": 0.5}
    )
    assert index.overall == pytest.approx((0.5 + 0.75 + 1.0 + 1 / 3 + 0.5) / 5)
    assert index.responses == 4
    assert sipas.sipas_index([({"comment": "tốt"}, QUESTIONS)]).overall is None


def _response(session: Session, form: SurveyForm, commune_id: int, answers: dict[str, Any]) -> None:
    response = SurveyResponse(
        id=new_id(),
        commune_id=commune_id,
        form_id=form.id,
        collected_at=datetime.now(UTC) - timedelta(hours=2),
        answers=answers,
    )
    session.add(response)
    stamp(session, response)


def test_seeded_once_and_shown_per_element_and_commune(
    client: FlaskClient, world: World, session: Session
) -> None:
    form, created = sipas.ensure_default_form(session)
    assert created and form.status == FormStatus.PUBLISHED
    assert {c.id for c in form.communes} >= {world.a.commune.id, world.b.commune.id}
    again, created_again = sipas.ensure_default_form(session)
    assert again.id == form.id and not created_again
    a, b = world.a.commune.id, world.b.commune.id
    _response(session, form, a, {"access": 5, "procedure": 4, "officer": 5, "result": 2})
    _response(session, form, a, {"access": 3, "procedure": 4, "officer": 5, "result": 5})
    _response(session, form, b, {"access": 1, "procedure": 1, "officer": 1, "result": 1})
    session.commit()

    scope = scope_for_officer(session, world.province_admin)
    now = datetime.now(UTC)
    period = reports.resolve_period(None, None, None, today=reports.office_today(now))
    data = reports.dashboard(session, scope, period, now=now)
    per_commune = {c.commune_id: c.sipas for c in data.satisfaction.by_commune}
    assert per_commune[a].elements["access"].index == 0.5
    assert per_commune[a].elements["officer"].index == 1.0
    assert per_commune[a].elements["feedback"].index is None
    assert per_commune[a].overall == pytest.approx((0.5 + 1.0 + 1.0 + 0.5) / 4)
    assert per_commune[b].overall == 0.0
    assert data.satisfaction.sipas.elements["procedure"].index == pytest.approx(2 / 3)

    log_in(client, world.province_admin)
    html = client.get("/dashboard").get_data(as_text=True)
    assert 'id="sipas-table"' in html
    assert "Quyết định 1001/QĐ-BNV" in html
    assert "Tiếp cận dịch vụ" in html and "Tiếp nhận, xử lý góp ý, phản ánh, kiến nghị" in html


def test_a_response_is_tied_to_a_completed_dossier(world: World, session: Session) -> None:
    done = add_dossier(session, world.a, world.procedure)
    done.status = DossierStatus.RESULT_RETURNED
    still_open = add_dossier(session, world.a, world.procedure)
    session.commit()
    a = world.a.commune.id

    def link(answers: dict[str, Any], commune_id: int = a) -> Any:
        return sipas.linked_dossier(session, commune_id, answers, QUESTIONS)

    done.check_code = "K7M2Q9"
    session.commit()
    number = done.receipt_number
    # The receipt number with its check code, typed as printed (dash, lower case).
    assert link({"receipt_number": f" {number} ", "check_code": "k7m-2q9"}) is done
    assert link({"receipt_number": number, "check_code": "K7M2Q9"}) is done
    # A receipt number alone is printed on papers others see: not enough.
    assert link({"receipt_number": number}) is None
    assert link({"receipt_number": number, "check_code": "XXXXXX"}) is None
    open_code = still_open.check_code
    assert link({"receipt_number": still_open.receipt_number, "check_code": open_code}) is None
    assert link({"receipt_number": number, "check_code": "K7M2Q9"}, world.b.commune.id) is None
    assert link({"receipt_number": "08305-2699-99999", "check_code": "K7M2Q9"}) is None
    assert link({}) is None


def test_editing_keeps_the_element_markers(world: World, session: Session) -> None:
    from server.services.survey_forms import QuestionInput, editor_rows, save_form

    form, _ = sipas.ensure_default_form(session)
    session.commit()
    rows = editor_rows(form.questions)
    rows[3] = QuestionInput(
        id=rows[3].id, type="likert5", text_vi="Tiếp cận dịch vụ có thuận tiện không?"
    )
    draft = save_form(
        session,
        form.id,
        title_vi=form.title_vi,
        title_en=form.title_en,
        rows=rows,
        by=world.system_admin,
    )
    assert sipas.index_questions(draft.questions) == INDEX
    assert draft.questions[3]["text_vi"] == "Tiếp cận dịch vụ có thuận tiện không?"
    assert session.scalars(select(SurveyForm).where(SurveyForm.key == form.key)).all()
