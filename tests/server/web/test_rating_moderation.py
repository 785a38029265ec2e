"""Leaders let citizens' comments through to the dashboard (issue 10 §12)."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import AuditEntry, CommentStatus, ServiceRating
from tests.server.conftest import World, add_dossier
from tests.server.web.helpers import csrf_token, log_in


def _rating(session: Session, world: World, kit_name: str, comment: str) -> ServiceRating:
    kit = world.a if kit_name == "a" else world.b
    dossier = add_dossier(session, kit, world.procedure)
    rating = ServiceRating(
        commune_id=kit.commune.id, dossier_id=dossier.id, stars=2, comment=comment
    )
    session.add(rating)
    session.commit()
    return rating


def test_leader_approves_and_hides_comments_of_their_commune(
    client: FlaskClient, world: World, session: Session
) -> None:
    mine = _rating(session, world, "a", "Phải chờ lâu")
    other = _rating(session, world, "b", "Ở xã khác")
    log_in(client, world.a.leader)
    waiting = client.get("/ratings").get_data(as_text=True)
    assert "Phải chờ lâu" in waiting and "Ở xã khác" not in waiting
    assert "Phải chờ lâu" not in client.get("/dashboard").get_data(as_text=True)

    token = csrf_token(client, "/ratings")
    response = client.post(f"/ratings/{mine.id}", data={"csrf_token": token, "status": "approved"})
    assert response.status_code == 302
    session.refresh(mine)
    assert mine.comment_status == CommentStatus.APPROVED
    assert mine.moderated_by_id == world.a.leader.id
    assert "Phải chờ lâu" in client.get("/dashboard").get_data(as_text=True)
    assert "rating.approved" in session.scalars(select(AuditEntry.action)).all()

    hide = client.post(f"/ratings/{mine.id}", data={"csrf_token": token, "status": "hidden"})
    assert hide.status_code == 302
    assert "Phải chờ lâu" not in client.get("/dashboard").get_data(as_text=True)
    # Another commune's comment is not found, and unchanged.
    assert (
        client.post(
            f"/ratings/{other.id}", data={"csrf_token": token, "status": "approved"}
        ).status_code
        == 404
    )
    session.refresh(other)
    assert other.comment_status == CommentStatus.PENDING


def test_officers_do_not_moderate(client: FlaskClient, world: World, session: Session) -> None:
    _rating(session, world, "a", "Phải chờ lâu")
    log_in(client, world.a.officer)
    assert client.get("/ratings").status_code == 403
