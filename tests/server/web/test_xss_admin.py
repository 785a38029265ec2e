"""Hostile text typed on tablets (or by administrators) is shown escaped on the new pages."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from server.models import SyncConflict
from server.services import audit
from server.services.changes import stamp
from sync.ids import new_id
from tests import factories
from tests.server.conftest import World, add_dossier
from tests.server.web.admin_helpers import QUESTIONS, feedback, survey_form, survey_response
from tests.server.web.helpers import HOSTILE_IMG, HOSTILE_SCRIPT, log_in
from tests.server.web.test_xss import ESCAPED_IMG, ESCAPED_SCRIPT, assert_escaped


def _get(client: FlaskClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def test_feedback_pages_escape_citizen_text(
    client: FlaskClient, world: World, session: Session
) -> None:
    item = feedback(
        session,
        world.a,
        content=HOSTILE_SCRIPT,
        citizen_name=HOSTILE_IMG,
        forwarded_to=HOSTILE_SCRIPT,
        response=HOSTILE_IMG,
    )
    session.commit()
    log_in(client, world.a.leader)
    listing = _get(client, "/feedback")
    assert_escaped(listing)
    assert_escaped(listing, raw=HOSTILE_IMG, escaped=ESCAPED_IMG)
    detail = _get(client, f"/feedback/{item.id}")
    assert_escaped(detail)
    assert_escaped(detail, raw=HOSTILE_IMG, escaped=ESCAPED_IMG)


def test_survey_pages_escape_answers_and_question_texts(
    client: FlaskClient, world: World, session: Session
) -> None:
    questions = [*QUESTIONS, {"id": "q7", "type": "likert5", "text_vi": HOSTILE_SCRIPT}]
    form = survey_form(session, [world.a.commune], questions=questions)
    survey_response(session, form, world.a, {"q1": 5, "q6": HOSTILE_IMG, "q7": 4})
    survey_response(session, form, world.a, {"q3": HOSTILE_SCRIPT})  # not an option
    session.commit()
    log_in(client, world.province_admin)
    for url in (f"/surveys/{form.id}/results", f"/surveys/{form.id}", f"/surveys/{form.id}/edit"):
        html = _get(client, url)
        assert_escaped(html)
        assert "<img src=x" not in html
    results = _get(client, f"/surveys/{form.id}/results")
    assert_escaped(results, raw=HOSTILE_IMG, escaped=ESCAPED_IMG)


def test_conflict_queue_escapes_both_values(
    client: FlaskClient, world: World, session: Session
) -> None:
    dossier = add_dossier(session, world.a, world.procedure, name=HOSTILE_IMG)
    for kept, lost in ((HOSTILE_SCRIPT, HOSTILE_IMG), ({"x": HOSTILE_SCRIPT}, [HOSTILE_IMG])):
        conflict = SyncConflict(
            id=new_id(),
            commune_id=world.a.commune.id,
            collection="dossier",
            record_id=dossier.id,
            field="note",
            reason="concurrent_edit",
            kept_value=kept,
            kept_clock="",
            lost_value=lost,
            lost_clock="",
            status="open",
        )
        session.add(conflict)
        stamp(session, conflict)
    session.commit()
    log_in(client, world.a.leader)
    html = _get(client, "/conflicts")
    assert_escaped(html)  # the text values, and in the edit box
    assert_escaped(html, raw=HOSTILE_IMG, escaped=ESCAPED_IMG)
    assert html.count(ESCAPED_SCRIPT) >= 3  # text values, the edit box, the JSON value


def test_management_pages_escape_names_and_audit_details(
    client: FlaskClient, world: World, session: Session
) -> None:
    factories.officer(session, world.a.commune, full_name=HOSTILE_SCRIPT, title=HOSTILE_IMG)
    factories.device(session, world.a.officer, name=HOSTILE_SCRIPT)
    factories.village(session, world.a.commune, name=HOSTILE_SCRIPT)
    audit.record(
        session,
        "feedback.forward",
        officer_id=world.a.leader.id,
        commune_id=world.a.commune.id,
        detail={"forwarded_to": HOSTILE_SCRIPT},
        remote_addr=HOSTILE_IMG,
    )
    session.commit()
    log_in(client, world.a.leader)
    for url in ("/admin/officers", "/admin/devices", "/admin/units", "/admin/audit"):
        html = _get(client, url)
        assert HOSTILE_SCRIPT not in html and "<img src=x" not in html, url
    assert ESCAPED_SCRIPT in _get(client, "/admin/officers")
    assert ESCAPED_SCRIPT in _get(client, "/admin/units")
    audit_html = _get(client, "/admin/audit")
    assert "Chuyển đến: " + ESCAPED_SCRIPT in audit_html  # the detail, in words
    assert ESCAPED_IMG in audit_html  # the address
