"""A dossier received on a tablet whose clock was two years behind, over real HTTP.

The server holds its legal dates (reason ``clock_confirm``, PROTOCOL.md §4); the
officer checks them and confirms them as they are, and the same values go through
(issue 10 item 9: a date the officer confirms is kept; Decree 61/2018/ND-CP Art. 19
makes the receipt date the start of the legal deadline, so it must not silently
change).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from mobile.tablet import InvalidInput, Tablet
from server.models import Dossier, DossierEvent
from sync.hlc import ManualClock
from tests import factories
from tests.server.conftest import World

TWO_YEARS = timedelta(days=730)


@pytest.fixture
def behind(live_server: Any, world: World, tmp_path: Path) -> Iterator[Tablet]:
    wrong = datetime.now(UTC) - TWO_YEARS
    tablet = Tablet(tmp_path / "behind.db", physical=ManualClock(int(wrong.timestamp() * 1000)))
    tablet.register(live_server.url, world.a.officer.username, factories.PASSWORD, "Máy chậm")
    assert tablet.sync().ok  # the catalog; nothing pushed, so no clock correction yet
    yield tablet
    tablet.close()


def test_held_dates_are_confirmed_as_they_are_and_go_through(
    behind: Tablet, world: World, session: Session
) -> None:
    dossier_id = behind.create_dossier(world.procedure.id, "Thào A Tủa")
    typed = behind.dossier(dossier_id)
    assert typed is not None
    report = behind.sync()
    held = behind.held_for_confirmation()
    assert report.ok and {r.op.collection for r in held} == {"dossier", "dossier_event"}
    assert all("730" in r.message for r in held)
    assert session.get(Dossier, dossier_id) is None
    # Saving the record again unchanged sends nothing: the reason this action exists.
    assert behind.edit("dossier", dossier_id, applicant_name="Thào A Tủa") is None

    sent = behind.confirm_held(held[0].op.op_id)  # the dossier and its "received" event

    assert len(sent) == 2 and behind.held_for_confirmation() == []
    assert behind.store.pending_count() == 2
    report = behind.sync()
    assert report.ok and report.rejected == 0, behind.status().rejected
    session.expire_all()
    stored = session.get(Dossier, dossier_id)
    assert stored is not None
    assert stored.received_at.astimezone(UTC).isoformat() == typed["received_at"].replace(
        "Z", "+00:00"
    )
    assert stored.received_at < datetime.now(UTC) - TWO_YEARS + timedelta(days=1)
    events = session.query(DossierEvent).filter_by(dossier_id=dossier_id).all()
    assert [e.kind for e in events] == ["received"]


def test_only_a_held_operation_can_be_confirmed(behind: Tablet, world: World) -> None:
    with pytest.raises(InvalidInput):
        behind.confirm_held("no-such-operation")
