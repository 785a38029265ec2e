"""Everything citizens typed is shown escaped, on every page that shows it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from server.models import CommentStatus, DossierApology, Feedback, ServiceRating
from server.services.changes import stamp
from sync.domain import Channel, FeedbackKind, FeedbackSubject
from sync.ids import new_id
from sync.workdays import add_working_days
from tests.server.conftest import World
from tests.server.web.helpers import HOSTILE_IMG, HOSTILE_SCRIPT, log_in, overdue_dossier

ESCAPED_SCRIPT = "&lt;script&gt;alert(1)&lt;/script&gt;"
ESCAPED_IMG = "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;"
QUOTES = "Bà 'Mý' \"Sử\""


def assert_escaped(html: str, *, raw: str = HOSTILE_SCRIPT, escaped: str = ESCAPED_SCRIPT) -> None:
    assert raw not in html
    assert escaped in html


@pytest.fixture
def hostile(world: World, session: Session) -> dict[str, str]:
    script = overdue_dossier(session, world.a, world.procedure, name=HOSTILE_SCRIPT)
    img = overdue_dossier(session, world.a, world.procedure, name=f"Lò {HOSTILE_IMG}")
    quotes = overdue_dossier(session, world.a, world.procedure, name=QUOTES)
    script.note = HOSTILE_IMG
    for content, dossier in ((HOSTILE_SCRIPT, script), (HOSTILE_IMG, img)):
        feedback = Feedback(
            id=new_id(),
            commune_id=world.a.commune.id,
            kind=FeedbackKind.COMPLAINT,
            subject=FeedbackSubject.DOSSIER,
            dossier_id=dossier.id,
            content=content,
            citizen_name=HOSTILE_SCRIPT,
            channel=Channel.ONLINE,
            received_at=datetime.now(UTC),
            response=HOSTILE_IMG,
        )
        session.add(feedback)
        stamp(session, feedback)
    apology = DossierApology(
        id=new_id(),
        commune_id=world.a.commune.id,
        dossier_id=script.id,
        reason=HOSTILE_SCRIPT,
        new_due_date=add_working_days(script.due_date, 10),
        issued_at=datetime.now(UTC),
    )
    session.add(apology)
    stamp(session, apology)
    session.add_all(
        [
            ServiceRating(
                commune_id=world.a.commune.id,
                dossier_id=dossier.id,
                stars=1,
                comment=c,
                comment_status=CommentStatus.APPROVED,
            )
            for c, dossier in ((HOSTILE_SCRIPT, img), (HOSTILE_IMG, quotes))
        ]
    )
    session.commit()
    return {
        "script": script.id,
        "img": img.id,
        "quotes": quotes.id,
        "script_number": script.receipt_number,
        "img_number": img.receipt_number,
        "script_code": script.check_code,
        "img_code": img.check_code,
    }


def test_lists_escape_applicant_names(
    client: FlaskClient, world: World, hostile: dict[str, str]
) -> None:
    log_in(client, world.a.leader)
    for url in ("/dossiers", "/dossiers/overdue", "/dossiers?q=script", "/dossiers?q=img+src"):
        html = client.get(url).get_data(as_text=True)
        if "q=img" not in url:
            assert_escaped(html)
        if "q=script" not in url:
            assert_escaped(html, raw=HOSTILE_IMG, escaped=ESCAPED_IMG)
    html = client.get("/dossiers").get_data(as_text=True)
    assert "Bà &#39;Mý&#39; &#34;Sử&#34;" in html


def test_detail_escapes_names_notes_feedback_apologies_ratings(
    client: FlaskClient, world: World, hostile: dict[str, str]
) -> None:
    log_in(client, world.a.leader)
    script = client.get(f"/dossiers/{hostile['script']}").get_data(as_text=True)
    assert_escaped(script)  # applicant name, feedback, apology reason
    assert_escaped(script, raw=HOSTILE_IMG, escaped=ESCAPED_IMG)  # note, answer
    img = client.get(f"/dossiers/{hostile['img']}").get_data(as_text=True)
    assert_escaped(img)  # rating comment
    assert_escaped(img, raw=HOSTILE_IMG, escaped=ESCAPED_IMG)  # name, feedback, rating
    form = client.get(f"/dossiers/{hostile['script']}/apology").get_data(as_text=True)
    assert_escaped(form)


def test_dashboard_escapes_feedback_and_rating_comments(
    client: FlaskClient, world: World, hostile: dict[str, str]
) -> None:
    log_in(client, world.a.leader)
    html = client.get("/dashboard").get_data(as_text=True)
    assert_escaped(html)
    assert_escaped(html, raw=HOSTILE_IMG, escaped=ESCAPED_IMG)
    assert "onerror=alert(1)>" not in html


def test_citizens_page_escapes_the_masked_name(
    client: FlaskClient, world: World, hostile: dict[str, str]
) -> None:
    for name in ("script", "img"):
        opened = client.get(f"/tra-cuu/{hostile[name + '_number']}?k={hostile[name + '_code']}")
        assert opened.status_code == 302
    html = client.get(f"/tra-cuu/{hostile['script_number']}").get_data(as_text=True)
    assert_escaped(html)
    html = client.get(f"/tra-cuu/{hostile['img_number']}").get_data(as_text=True)
    assert "<img" not in html
    assert "Lò &#34;** s** o**" in html  # masked, and the quote escaped
    response = client.get("/tra-cuu", query_string={"ma": HOSTILE_SCRIPT, "k": HOSTILE_SCRIPT})
    assert response.status_code == 404
    assert_escaped(response.get_data(as_text=True))
