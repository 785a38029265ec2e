"""Tenant isolation and access in sync (G9), and version checks (G13)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.models import AppliedOperation, Dossier, DossierEvent, SurveyForm, SurveyResponse
from server.models.surveys import FormStatus
from server.services.changes import stamp_global
from server.services.devices import revoke_device
from sync.ids import new_id
from tests import factories
from tests.server.conftest import World
from tests.server.sync.conftest import VERSION_HEADERS, Tablet, iso, now_utc


def test_g9_a_cross_commune_write_is_refused_for_that_op_only(
    tablet_a: Tablet, tablet_b: Tablet, world: World, session: Session
) -> None:
    b_dossier, b_create = tablet_b.new_dossier(world.procedure)
    assert tablet_b.push_one(b_create)["o"] == "applied"

    own_id, own = tablet_a.new_dossier(world.procedure)
    hijack = tablet_a.op("dossier", b_dossier, {"applicant_name": "Kẻ lạ"})
    _event_id, child_of_b = tablet_a.new_event(b_dossier)
    _x, b_village = tablet_a.new_dossier(world.procedure, village_id=world.b.village.id)
    _y, b_officer = tablet_a.new_dossier(world.procedure, handler_id=world.b.officer.id)
    # Creating a record with an id that B already uses is a write to B's record too.
    takeover = tablet_a.op(
        "dossier", b_dossier, tablet_a.dossier_fields(world.procedure), create=True
    )
    own_2, own_later = tablet_a.new_dossier(world.procedure, village_id=world.a.village.id)
    results = tablet_a.push([own, hijack, child_of_b, b_village, b_officer, takeover, own_later])[
        "results"
    ]
    assert [r["o"] for r in results] == [
        "applied",
        "rejected",
        "rejected",
        "rejected",
        "rejected",
        "rejected",
        "applied",
    ]
    assert {r["r"] for r in results[1:6]} == {"forbidden"}
    assert "xã khác" in results[1]["m"] or "commune" in results[1]["m"]
    b_record = session.get(Dossier, b_dossier)
    assert b_record is not None
    session.refresh(b_record)
    assert b_record.applicant_name == "Vàng Thị Mỷ"
    assert session.scalar(select(func.count()).select_from(DossierEvent)) == 0
    assert {d.id for d in session.scalars(select(Dossier))} == {b_dossier, own_id, own_2}


def test_g9_pull_never_shows_another_commune(
    tablet_a: Tablet, tablet_b: Tablet, world: World
) -> None:
    b_dossier, b_create = tablet_b.new_dossier(world.procedure)
    tablet_b.push([b_create])
    a_dossier, a_create = tablet_a.new_dossier(world.procedure)
    tablet_a.push([a_create])
    changes, _cursor = tablet_a.pull_all()
    ids = {(c["c"], c["r"]) for c in changes}
    assert ("dossier", a_dossier) in ids
    assert ("dossier", b_dossier) not in ids
    units = {int(c["r"]) for c in changes if c["c"] == "admin_unit"}
    assert world.a.village.id in units
    assert world.b.village.id not in units  # B's villages are B's business
    assert {world.province.id, world.a.commune.id, world.b.commune.id} <= units


def test_g9_an_operation_id_of_another_commune_is_not_replayed(
    tablet_a: Tablet, tablet_b: Tablet, world: World, session: Session
) -> None:
    _b_dossier, b_create = tablet_b.new_dossier(world.procedure)
    tablet_b.push([b_create])
    _a_dossier, a_create = tablet_a.new_dossier(world.procedure)
    a_create["i"] = b_create["i"]
    result = tablet_a.push_one(a_create)
    assert (result["o"], result["r"]) == ("rejected", "forbidden")
    stored = session.get(AppliedOperation, b_create["i"])
    assert stored is not None
    assert stored.commune_id == world.b.commune.id


def test_g9_survey_forms_must_be_published_to_the_commune(
    tablet_a: Tablet, world: World, session: Session
) -> None:
    def form(key: str, communes: list[Any]) -> SurveyForm:
        made = SurveyForm(
            key=key,
            title_vi="Khảo sát",
            title_en="Survey",
            questions=[{"id": "q1", "type": "likert5", "required": True}],
            status=FormStatus.PUBLISHED,
            published_at=now_utc(),
            communes=communes,
        )
        session.add(made)
        session.flush()
        stamp_global(session, made)
        return made

    mine = form("mine", [world.a.commune])
    theirs = form("theirs", [world.b.commune])
    session.commit()

    def response(form_id: int) -> dict[str, Any]:
        return tablet_a.op(
            "survey_response",
            new_id(),
            {"form_id": form_id, "collected_at": iso(now_utc()), "answers": {"q1": 5}},
            create=True,
        )

    results = tablet_a.push([response(mine.id), response(theirs.id), response(99999)])["results"]
    assert [r.get("r") for r in results] == [None, "forbidden", "invalid"]
    assert session.scalar(select(func.count()).select_from(SurveyResponse)) == 1
    changes, _cursor = tablet_a.pull_all()
    forms = {int(c["r"]) for c in changes if c["c"] == "survey_form"}
    assert forms == {mine.id}


def test_g9_revoked_device_is_refused(tablet_a: Tablet, world: World, session: Session) -> None:
    revoke_device(session, world.a.device, by=world.a.leader)
    session.commit()
    _id, create = tablet_a.new_dossier(world.procedure)
    for path, payload in (
        ("/api/v1/sync/push", {"now": 1, "ops": [create]}),
        ("/api/v1/sync/pull", {"cursor": ""}),
    ):
        reply = tablet_a.post(path, payload)
        assert reply.status == 401
        assert reply.json()["status"] == "device_revoked"
    assert session.scalar(select(func.count()).select_from(Dossier)) == 0


def test_g9_no_token_is_401(tablet_a: Tablet) -> None:
    reply = tablet_a.http.request(
        "POST", "/api/v1/sync/pull", b'{"cursor": ""}', {**VERSION_HEADERS}
    )
    assert reply.status == 401
    assert reply.json()["status"] == "unauthorized"


@pytest.mark.parametrize(
    ("header", "value", "fragment"),
    [
        ("X-Motcua-Protocol", "0", "protocol"),
        ("X-Motcua-Schema", "0", "schema"),
        # Schema 6 added the dossier status "stopped" (form 05, Circular 03/2025/TT-VPCP):
        # an app of schema 5 could not show or merge it, so it must update first.
        ("X-Motcua-Schema", "5", "schema"),
        ("X-Motcua-App", "0.0.9", "0.0.9"),
    ],
)
def test_g13_outdated_protocol_app_or_schema_is_426_and_nothing_applied(
    tablet_a: Tablet, world: World, session: Session, header: str, value: str, fragment: str
) -> None:
    _id, create = tablet_a.new_dossier(world.procedure)
    reply = tablet_a.post("/api/v1/sync/push", {"now": 1, "ops": [create]}, headers={header: value})
    assert reply.status == 426
    body = reply.json()
    assert body["status"] == "upgrade_required"
    assert body["min_app"] == "0.1.0"
    assert "cập nhật" in body["message"] and "update" in body["message"]
    assert fragment in body["message"]
    assert session.scalar(select(func.count()).select_from(Dossier)) == 0
    assert session.get(AppliedOperation, create["i"]) is None


def test_g13_minimum_app_version_comes_from_the_config(
    tablet_a: Tablet, app: Any, world: World
) -> None:
    app.config["MIN_APP_VERSION"] = "0.3.0"
    reply = tablet_a.post("/api/v1/sync/pull", {"cursor": ""}, headers={"X-Motcua-App": "0.2.9"})
    assert reply.status == 426
    assert reply.json()["min_app"] == "0.3.0"
    newer = tablet_a.post("/api/v1/sync/pull", {"cursor": ""}, headers={"X-Motcua-App": "0.10.0"})
    assert newer.status == 200


def test_g13_missing_or_bad_version_header_is_400_naming_it(tablet_a: Tablet) -> None:
    for header in ("X-Motcua-Protocol", "X-Motcua-App", "X-Motcua-Schema"):
        headers = {k: v for k, v in tablet_a.headers().items() if k != header}
        reply = tablet_a.http.request("POST", "/api/v1/sync/pull", b"{}", headers)
        assert reply.status == 400, header
        assert header in reply.json()["message"]
    reply = tablet_a.post("/api/v1/sync/pull", {}, headers={"X-Motcua-App": "latest"})
    assert reply.status == 400
    assert "X-Motcua-App" in reply.json()["message"]


def test_g9_officers_of_other_communes_cannot_be_named(
    tablet_a: Tablet, world: World, session: Session
) -> None:
    outsider = factories.officer(session, world.b.commune)
    session.commit()
    feedback_id, create = tablet_a.new_feedback(assignee_id=world.a.officer.id)
    assert tablet_a.push_one(create)["o"] == "applied"
    reassign = tablet_a.op("feedback", feedback_id, {"assignee_id": outsider.id})
    assert tablet_a.push_one(reassign)["r"] == "forbidden"
