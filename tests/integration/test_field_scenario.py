"""The sync engine's acceptance scenario, end to end over real HTTP on loopback.

Two tablets of one commune and one of another work offline against the server, then
sync in a random order. They must end with identical data in their commune, nothing
from the other commune, and every concurrent same-field edit visible as a conflict
with both values (SYNC.md G1, G5, G7, G9).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from mobile.tablet import Tablet
from server.models import FormStatus, SurveyForm, utcnow
from server.services.changes import stamp_global
from tests import factories
from tests.server.conftest import World

COMMUNE_COLLECTIONS = (
    "dossier",
    "dossier_event",
    "dossier_apology",
    "feedback",
    "survey_response",
    "sync_conflict",
)
QUESTIONS = [
    {
        "id": "q1",
        "type": "likert5",
        "text_vi": "Hài lòng?",
        "text_en": "Satisfied?",
        "required": True,
    },
    {
        "id": "q2",
        "type": "yes_no",
        "text_vi": "Đúng hẹn?",
        "text_en": "On time?",
        "required": False,
    },
]


@pytest.fixture
def form(session: Session, world: World) -> SurveyForm:
    survey = SurveyForm(
        key="hai-long",
        version=1,
        title_vi="Khảo sát",
        title_en="Survey",
        questions=QUESTIONS,
        status=FormStatus.PUBLISHED,
        published_at=utcnow(),
        communes=[world.a.commune, world.b.commune],
    )
    session.add(survey)
    session.flush()
    stamp_global(session, survey)
    session.commit()
    return survey


@pytest.fixture
def tablets(live_server: Any, world: World, tmp_path: Path) -> Iterator[dict[str, Tablet]]:
    made = {}
    for name, officer in (("a1", world.a.officer), ("a2", world.a.leader), ("b1", world.b.officer)):
        tablet = Tablet(tmp_path / f"{name}.db")
        tablet.register(live_server.url, officer.username, factories.PASSWORD, f"Máy {name}")
        made[name] = tablet
    yield made
    for tablet in made.values():
        tablet.close()


def _data(tablet: Tablet) -> dict[str, dict[str, dict[str, Any]]]:
    return {
        collection: {r["id"]: r for r in tablet.store.list_records(collection)}
        for collection in COMMUNE_COLLECTIONS
    }


def _sync_ok(tablet: Tablet) -> None:
    report = tablet.sync()
    assert report.ok, report.error
    assert report.rejected == 0, tablet.status().rejected


@pytest.mark.parametrize("seed", [1, 2])
def test_two_tablets_converge_and_a_third_commune_stays_apart(
    tablets: dict[str, Tablet], world: World, form: SurveyForm, seed: int
) -> None:
    rng = random.Random(seed)
    a1, a2, b1 = tablets["a1"], tablets["a2"], tablets["b1"]
    for tablet in (a1, a2, b1):
        _sync_ok(tablet)  # catalog, villages, forms
    procedure_id = world.procedure.id

    # A1 receives two dossiers in a village; both A tablets then hold them.
    shared = a1.create_dossier(procedure_id, "Giàng A Páo", village_id=world.a.village.id)
    other = a1.create_dossier(procedure_id, "Sùng Thị Mai", applicant_phone="0912345678")
    for tablet in (a1, a2):
        _sync_ok(tablet)
    assert a2.dossier(shared) is not None

    # Offline: both edit the same dossier — the same field and different fields.
    a1.edit("dossier", shared, note="Chờ xác minh tại thôn")
    a2.edit("dossier", shared, note="Đã đủ giấy tờ")
    a1.edit("dossier", shared, applicant_phone="0987654321")
    a2.edit("dossier", shared, applicant_address="Thôn Lao Chải")
    a2.change_status(other, "in_progress", "Bắt đầu giải quyết")
    a1.add_feedback("complaint", "Hẹn trả nhưng chưa có", dossier_id=shared)
    for n in range(5):
        a2.add_survey_response(form.id, {"q1": 4 + n % 2, "q2": True}, world.a.village.id)
    b_dossier = b1.create_dossier(procedure_id, "Lý Láo Tả", village_id=world.b.village.id)
    b1.add_feedback("praise", "Cán bộ nhiệt tình")

    # Back in signal, in a random order, a few rounds.
    order = [a1, a2, b1] * 3
    rng.shuffle(order)
    for tablet in order:
        _sync_ok(tablet)
    for tablet in (a1, a2, a1, a2, b1):  # quiesce: everyone has everything
        _sync_ok(tablet)

    data_a1, data_a2, data_b1 = _data(a1), _data(a2), _data(b1)
    assert data_a1 == data_a2  # identical data in their commune (G7)
    merged = data_a1["dossier"][shared]
    assert merged["applicant_phone"] == "0987654321"  # different fields both survive (G5)
    assert merged["applicant_address"] == "Thôn Lao Chải"
    assert merged["note"] in ("Chờ xác minh tại thôn", "Đã đủ giấy tờ")
    assert data_a1["dossier"][other]["status"] == "in_progress"
    assert len(data_a1["survey_response"]) == 5
    assert len(data_a1["feedback"]) == 1

    # The same-field edit is a conflict with both values, on both tablets (G5).
    conflicts = [c for c in data_a1["sync_conflict"].values() if c["record_id"] == shared]
    assert len(conflicts) == 1
    conflict = conflicts[0]
    assert conflict["field"] == "note"
    assert {conflict["kept_value"], conflict["lost_value"]} == {
        "Chờ xác minh tại thôn",
        "Đã đủ giấy tờ",
    }
    assert conflict["kept_value"] == merged["note"]
    assert a1.conflicts() and a2.conflicts()

    # Nothing of commune A on B's tablet, nothing of B on A's (G9).
    assert set(data_b1["dossier"]) == {b_dossier}
    assert b_dossier not in data_a1["dossier"]
    assert not data_b1["sync_conflict"]
    assert all(not tablet.status().pending for tablet in (a1, a2, b1))
    # Receipt numbers issued offline are distinct and unchanged by sync (G1).
    numbers = [
        d["receipt_number"] for d in (*data_a1["dossier"].values(), *data_b1["dossier"].values())
    ]
    assert len(numbers) == len(set(numbers))
