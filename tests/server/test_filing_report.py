"""The province's per-commune table of filing anywhere (server/services/filing_report.py):
every cell of a seeded dataset whose answer is known, commune by commune.

Filing "không phụ thuộc vào địa giới hành chính" (Decree 118/2025/NĐ-CP): Tả Van (A)
receives for Y Tý (B), Y Tý for Tả Van, and one dossier goes on from Y Tý to a third
commune (C) after a wrong pick.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from server.models import (
    AdminUnit,
    Dossier,
    DossierEvent,
    FormStatus,
    Officer,
    SurveyForm,
    SurveyResponse,
)
from server.scoping import scope_for_officer
from server.services import filing_report, reports
from server.services.changes import stamp, stamp_global
from sync.domain import DossierStatus
from sync.ids import new_id
from tests import factories
from tests.server.conftest import World, add_dossier
from tests.server.web.helpers import overdue_dossier, working_days_ago


def _event(
    session: Session, dossier: Dossier, kind: str, officer: Officer, **data: Any
) -> DossierEvent:
    event = DossierEvent(
        id=new_id(),
        commune_id=dossier.commune_id,
        dossier_id=dossier.id,
        kind=kind,
        occurred_at=datetime.now(UTC) - timedelta(minutes=30 - len(dossier.events)),
        officer_id=officer.id,
        data=data,
    )
    session.add(event)
    stamp(session, event)
    session.flush()
    session.refresh(dossier)
    return event


def _for(dossier: Dossier, commune: AdminUnit) -> Dossier:
    dossier.settling_commune_id = commune.id
    return dossier


@dataclass
class Seeded:
    c: AdminUnit
    c_officer: Officer


@pytest.fixture
def seeded(world: World, session: Session) -> Seeded:
    a, b = world.a, world.b
    c = factories.commune(session, world.province, name="Bản Hồ")
    c_officer = factories.officer(session, c)
    p = world.procedure
    # 1. A's own, returned on time.
    own = add_dossier(session, a, p, received_at=working_days_ago(6))
    own.status = DossierStatus.RESULT_RETURNED
    own.result_returned_at = own.received_at + timedelta(days=1)
    # 2. A for B, open, B has done nothing yet: waiting.
    _for(add_dossier(session, a, p), b.commune)
    # 3. A for B, B's officer took it up (in progress): not waiting.
    taken = _for(add_dossier(session, a, p), b.commune)
    _event(session, taken, "status_changed", b.officer, to_status="in_progress")
    # 4. A for B, overdue, handed over by A's officer, nothing from B: waiting, B overdue.
    late = _for(overdue_dossier(session, a, p), b.commune)
    _event(
        session,
        late,
        filing_report.HANDED_OVER,
        a.officer,
        from_commune_id=a.commune.id,
        to_commune_id=b.commune.id,
        reason="",
    )
    # 5. B's own, overdue.
    overdue_dossier(session, b, p)
    # 6. B for A, result returned late: A overdue, not waiting.
    back = _for(add_dossier(session, b, p, received_at=working_days_ago(10)), a.commune)
    back.status = DossierStatus.RESULT_RETURNED
    back.result_returned_at = datetime.now(UTC) - timedelta(hours=1)
    # 7. A for B; B took it up, then handed it on to C (a wrong pick); C has done nothing.
    moved = _for(add_dossier(session, a, p), b.commune)
    _event(session, moved, "note", b.officer)
    _event(
        session,
        moved,
        filing_report.HANDED_OVER,
        b.officer,
        from_commune_id=b.commune.id,
        to_commune_id=c.id,
        reason="Chọn nhầm xã giải quyết",
    )
    moved.settling_commune_id = c.id
    # A withdrawn dossier for B is never waiting; a deleted one counts nowhere.
    gone = _for(add_dossier(session, a, p), b.commune)
    gone.status = DossierStatus.WITHDRAWN
    deleted = _for(add_dossier(session, a, p), b.commune)
    deleted.deleted = True

    form = SurveyForm(
        key="hai-long",
        title_vi="Khảo sát",
        title_en="Survey",
        status=FormStatus.PUBLISHED,
        questions=[{"id": "q1", "type": "likert5"}, {"id": "q2", "type": "likert5"}],
    )
    session.add(form)
    session.flush()
    stamp_global(session, form)
    response = SurveyResponse(
        id=new_id(),
        commune_id=a.commune.id,
        form_id=form.id,
        collected_at=datetime.now(UTC) - timedelta(hours=2),
        answers={"q1": 5, "q2": 3},
    )
    session.add(response)
    stamp(session, response)
    session.commit()
    return Seeded(c, c_officer)


def _table(session: Session, officer: Officer) -> dict[str, tuple[object, ...]]:
    now = datetime.now(UTC)
    today = reports.office_today(now)
    period = reports.resolve_period(None, None, None, today=today)
    table = filing_report.filing_table(
        session, scope_for_officer(session, officer), period, today=today
    )
    return {
        (row.commune.name if row.commune else "total"): (
            row.received,
            row.for_others,
            row.settled_for_others,
            row.on_time,
            row.overdue,
            row.waiting,
            row.satisfaction.rate,
        )
        for row in [*table.rows, table.total]
    }


def test_every_cell_of_the_province_table(world: World, session: Session, seeded: Seeded) -> None:
    # received, for others, settled for others, on time, overdue, waiting, satisfaction
    assert _table(session, world.province_admin) == {
        "Tả Van": (6, 5, 1, 1, 1, 3, 0.5),
        "Y Tý": (2, 1, 4, 0, 2, 0, None),
        "Bản Hồ": (0, 0, 1, 0, 0, 0, None),
        "total": (8, 6, 6, 1, 3, 3, 0.5),
    }


def test_a_commune_leader_sees_only_the_own_row(
    world: World, session: Session, seeded: Seeded
) -> None:
    assert _table(session, world.b.leader) == {
        "Y Tý": (2, 1, 4, 0, 2, 0, None),
        "total": (2, 1, 4, 0, 2, 0, None),
    }


def test_the_settling_commune_taking_it_up_ends_the_wait(
    world: World, session: Session, seeded: Seeded
) -> None:
    moved = session.query(Dossier).filter_by(settling_commune_id=seeded.c.id).one()
    assert _table(session, world.province_admin)["Tả Van"][5] == 3
    # An event by the receiving commune's officer does not count as taking it up…
    _event(session, moved, "note", world.a.officer)
    assert _table(session, world.province_admin)["Tả Van"][5] == 3
    # …one by the settling commune's officer does.
    _event(session, moved, "status_changed", seeded.c_officer, to_status="in_progress")
    session.commit()
    assert _table(session, world.province_admin)["Tả Van"][5] == 2


def test_taken_up_counts_only_since_the_latest_handover() -> None:
    at = datetime(2026, 3, 2, 9, tzinfo=UTC)
    b, c = 2, 3
    to_c = (filing_report.HANDED_OVER, at, {"to_commune_id": c}, b)
    assert not filing_report.taken_up([], b)
    assert filing_report.taken_up([("note", at, {}, b)], b)
    assert not filing_report.taken_up([("note", at, {}, b), to_c], c)
    assert filing_report.taken_up([("note", at, {}, b), to_c, ("note", at, {}, c)], c)
    # handed back to B: B's earlier events do not count
    back = (filing_report.HANDED_OVER, at, {"to_commune_id": b}, c)
    assert not filing_report.taken_up([("note", at, {}, b), to_c, back], b)
