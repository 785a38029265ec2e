"""The official dossier code over sync (schema version 8): the server writes it, tablets
pull it and print it; a tablet can neither invent one nor change it (PROTOCOL.md §9)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from server.models import Dossier
from server.scoping import Scope
from server.services.dossier_admin import record_official_code
from sync.workdays import OFFICE_TZ
from tests.server.conftest import World
from tests.server.sync.conftest import Tablet, latest


def test_the_code_recorded_on_the_web_reaches_the_tablets(
    tablet_a: Tablet, world: World, session: Session
) -> None:
    received = datetime(2026, 3, 12, 9, 0, tzinfo=OFFICE_TZ)
    dossier_id, create = tablet_a.new_dossier(world.procedure, received=received)
    assert tablet_a.push_one(create)["o"] == "applied"
    _changes, cursor = tablet_a.pull_all()
    code = "000.00.21.H37-260312-0007"
    record_official_code(
        session,
        Scope(frozenset({world.a.commune.id})),
        dossier_id,
        code,
        officer=world.a.officer,
        now=datetime.now(UTC),
    )
    session.commit()
    changes, _ = tablet_a.pull_all(cursor)
    assert latest(changes, "dossier", dossier_id)["f"]["official_code"] == code
    # A tablet cannot change it: the field is the server's.
    change = tablet_a.op("dossier", dossier_id, {"official_code": "000.00.21.H37-260312-0008"})
    result = tablet_a.push_one(change)
    assert (result["o"], result["r"]) == ("rejected", "server_owned_field"), result
    session.expire_all()
    assert session.get(Dossier, dossier_id).official_code == code  # type: ignore[union-attr]


def test_a_tablet_cannot_issue_the_code_at_intake(
    tablet_a: Tablet, world: World, session: Session
) -> None:
    received = datetime(2026, 3, 12, 9, 0, tzinfo=OFFICE_TZ)
    dossier_id, create = tablet_a.new_dossier(
        world.procedure, received=received, official_code="000.00.21.H37-260312-0001"
    )
    # Kept as a lost write against the server's value, like a proposed due date.
    assert tablet_a.push_one(create)["o"] == "conflict"
    stored = session.get(Dossier, dossier_id)
    assert stored is not None and stored.official_code is None
    changes, _ = tablet_a.pull_all()
    assert latest(changes, "dossier", dossier_id)["f"]["official_code"] is None
