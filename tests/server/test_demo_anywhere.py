"""The demo's dossiers filed anywhere in the province (server/demo_anywhere.py): each stage
a leader should see, on the province's table (Decree 118/2025/NĐ-CP)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from server import demo_anywhere
from server.models import AdminUnit, Dossier, Officer, Role
from server.scoping import scope_for_officer
from server.services import filing_report, reports
from sync.domain import DossierStatus
from tests.server.test_demo import TODAY, Seeded, _seed


@pytest.fixture(scope="module")
def seeded() -> Iterator[Seeded]:
    yield from _seed(7, 10)


def _unit(session: Session, name: str) -> AdminUnit:
    return session.scalars(select(AdminUnit).where(AdminUnit.name == name)).one()


def test_the_demo_has_dossiers_received_for_another_commune(seeded: Seeded) -> None:
    s = seeded.session
    ta_van, sa_pa = _unit(s, "Tả Van"), _unit(s, "Sa Pa")
    elsewhere = list(
        s.scalars(select(Dossier).where(Dossier.settling_commune_id != Dossier.commune_id))
    )
    assert len(elsewhere) == demo_anywhere.DOSSIERS
    received_in_ta_van_for_sa_pa = [
        d for d in elsewhere if d.commune_id == ta_van.id and d.settling_commune_id == sa_pa.id
    ]
    assert len(received_in_ta_van_for_sa_pa) == 3
    # One went to a third commune first and was handed on with a reason.
    [moved] = [d for d in elsewhere if sum(e.kind == "handed_over" for e in d.events) == 2]
    last = [e for e in moved.events if e.kind == "handed_over"][-1]
    assert last.data["reason"] == demo_anywhere.WRONG_PICK_REASON
    assert last.data["to_commune_id"] == sa_pa.id
    # One settled by Tả Van for Sa Pa and returned in Tả Van.
    [back] = [d for d in elsewhere if d.commune_id == sa_pa.id]
    assert back.settling_commune_id == back.return_commune_id == ta_van.id
    assert back.status == DossierStatus.RESULT_RETURNED
    # Every one's slip 01 has the receiving commune's receipt number.
    for dossier in elsewhere:
        assert dossier.receipt_number.startswith(dossier.commune.code)


def test_the_province_table_of_the_demo(seeded: Seeded) -> None:
    s = seeded.session
    admin = s.scalars(select(Officer).where(Officer.role == Role.PROVINCE_ADMIN)).one()
    period = reports.resolve_period(None, None, None, today=TODAY)
    table = filing_report.filing_table(s, scope_for_officer(s, admin), period, today=TODAY)
    rows = {row.commune.name: row for row in table.rows if row.commune is not None}
    assert rows["Tả Van"].for_others == 3
    # Sa Pa has not taken up yesterday's dossier, nor the one handed on to it
    assert rows["Tả Van"].waiting == 2
    assert rows["Sa Pa"].for_others == 1
    assert rows["Sa Pa"].settled_for_others == 3
    assert rows["Tả Van"].settled_for_others == 1
