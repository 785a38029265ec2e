"""Dossier intake through the API and the service: due dates, receipt numbers, timeline."""

from __future__ import annotations

from datetime import date, datetime

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from server.models import Dossier
from server.scoping import Scope
from server.services.changes import commune_scope, current_seq
from server.services.dossiers import DossierFilter, dossier_query
from sync.receipts import parse_receipt_number
from sync.workdays import OFFICE_TZ
from tests import factories
from tests.server.conftest import World, add_dossier


def test_online_intake_computes_due_date_and_receipt(
    client: FlaskClient, world: World, session: Session
) -> None:
    response = client.post(
        "/api/v1/dossiers",
        json={
            "procedure_id": world.procedure.id,  # 3 working days
            "applicant": {
                "name": "Vàng Thị Dợ",
                "cccd": factories.valid_cccd(date(1995, 3, 2), sex_female=True),
                "dob": "1995-03-02",
                "phone": "0912345678",
            },
            "channel": "village_visit",
            "village_id": world.a.village.id,
            "received_at": "2026-02-12T09:00:00+07:00",
            "provided_documents": [0],
        },
        headers=world.a.headers,
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    # Thursday before Tết 2026: Fri 13 counts, Tết week is off, then Mon 23 and Tue 24.
    assert body["due_date"] == "2026-02-24"
    assert body["status"] == "received"
    assert body["channel"] == "village_visit"
    assert [d["provided"] for d in body["documents"]] == [True, False]
    assert [e["kind"] for e in body["events"]] == ["received"]
    parsed = parse_receipt_number(body["receipt_number"])
    assert parsed == (world.a.commune.code, 26, 0, 1)
    detail = client.get(f"/api/v1/dossiers/{body['id']}", headers=world.a.headers)
    assert detail.get_json()["receipt_number"] == body["receipt_number"]


def test_receipt_numbers_are_unique_and_sequenced(world: World, session: Session) -> None:
    made = [add_dossier(session, world.a, world.procedure) for _ in range(5)]
    made += [add_dossier(session, world.b, world.procedure) for _ in range(3)]
    numbers = [d.receipt_number for d in made]
    assert len(set(numbers)) == len(numbers)
    serials_a = [parse_receipt_number(d.receipt_number)[3] for d in made[:5]]  # type: ignore[index]
    assert serials_a == [1, 2, 3, 4, 5]


def test_every_write_is_stamped_in_its_commune_scope(world: World, session: Session) -> None:
    first = add_dossier(session, world.a, world.procedure)
    second = add_dossier(session, world.a, world.procedure)
    other = add_dossier(session, world.b, world.procedure)
    assert 0 < first.seq < second.seq
    assert current_seq(session, commune_scope(world.a.commune.id)) >= second.seq
    assert other.seq <= current_seq(session, commune_scope(world.b.commune.id))
    stored = session.get(Dossier, first.id)
    assert stored is not None and stored.received_at.tzinfo is not None


def test_late_afternoon_receipt_counts_from_next_working_day(
    world: World, session: Session
) -> None:
    same_day = factories.procedure(session, processing_days=0)
    at_1600 = datetime(2026, 2, 13, 16, 0, tzinfo=OFFICE_TZ)  # Friday before Tết 2026
    dossier = add_dossier(session, world.a, same_day, received_at=at_1600)
    assert dossier.due_date == date(2026, 2, 23)


def test_overdue_filter(client: FlaskClient, world: World, session: Session) -> None:
    old = add_dossier(
        session, world.a, world.procedure, received_at=datetime(2025, 1, 6, 9, 0, tzinfo=OFFICE_TZ)
    )
    add_dossier(session, world.a, world.procedure)
    session.commit()
    body = client.get("/api/v1/dossiers?overdue=true", headers=world.a.headers).get_json()
    assert [d["id"] for d in body["items"]] == [old.id]


def test_verification_due_date_and_overdue(
    client: FlaskClient, world: World, session: Session
) -> None:
    # A marriage-like procedure: same day, +5 working days when verification is needed
    # (Law on Civil Status 2014 art. 18(2)). Received Thu 12/02/2026 10:00: due the same
    # day; with verification Thu 26/02/2026 (Fri 13, then Tết, Mon 23 - Thu 26).
    marriage = factories.procedure(session, processing_days=0, extension_days=5)
    received = datetime(2026, 2, 12, 10, 0, tzinfo=OFFICE_TZ)
    plain = add_dossier(session, world.a, marriage, received_at=received)
    checked = add_dossier(
        session, world.a, marriage, received_at=received, verification_needed=True
    )
    assert (plain.due_date, plain.verification_due_date) == (date(2026, 2, 12), date(2026, 2, 26))
    assert plain.verification_needed is False and plain.effective_due_date == date(2026, 2, 12)
    assert checked.verification_needed is True
    assert checked.effective_due_date == date(2026, 2, 26)
    session.commit()
    # On Mon 23/02 the plain one is overdue, the one needing verification is not.
    overdue = session.scalars(
        dossier_query(Scope(None), DossierFilter(overdue_on=date(2026, 2, 23)))
    ).all()
    assert plain in overdue
    assert checked not in overdue
    body = client.get(f"/api/v1/dossiers/{checked.id}", headers=world.a.headers).get_json()
    assert body["verification_due_date"] == "2026-02-26"
    assert body["effective_due_date"] == "2026-02-26"


def test_day_off_decisions_apply_to_new_dossiers_only(world: World, session: Session) -> None:
    from server.services import day_offs

    three = factories.procedure(session, processing_days=3)
    received = datetime(2025, 12, 31, 16, 0, tzinfo=OFFICE_TZ)
    before = add_dossier(session, world.a, three, received_at=received)
    # Without the notice: Fri 02/01 (1), Mon 05 (2), Tue 06/01/2026 (3).
    assert before.due_date == date(2026, 1, 6)
    day_offs.save(
        session,
        day_offs.DecisionInput(date(2026, 1, 2), False, "Văn bản 12729/VPCP-KGVX"),
        by=world.province_admin,
    )
    after = add_dossier(session, world.a, three, received_at=received)
    # With Fri 02/01/2026 off: Mon 05, Tue 06, Wed 07/01/2026.
    assert after.due_date == date(2026, 1, 7)
    session.refresh(before)
    assert before.due_date == date(2026, 1, 6)  # a printed date is not silently changed


def test_waiting_for_a_supplement_is_not_overdue(
    client: FlaskClient, world: World, session: Session
) -> None:
    from sync.domain import DossierStatus

    old = add_dossier(
        session, world.a, world.procedure, received_at=datetime(2025, 1, 6, 9, 0, tzinfo=OFFICE_TZ)
    )
    old.status = DossierStatus.NEEDS_SUPPLEMENT
    session.commit()
    body = client.get("/api/v1/dossiers?overdue=true", headers=world.a.headers).get_json()
    assert old.id not in [d["id"] for d in body["items"]]
