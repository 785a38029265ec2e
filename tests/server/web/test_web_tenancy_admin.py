"""Roles and communes on the feedback, survey, conflict and management pages.

Every route of those blueprints is a case below, tried by each role on a record of
commune A and one of commune B (fresh records for each try, so that a write that
succeeds does not change what the next role sees). ``COVERED`` feeds the route check
of ``test_web_tenancy``: a new route fails it until it is placed here.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.models import AuditEntry, DayOffDecision, FormStatus, Officer, SyncConflict
from server.services.changes import stamp
from sync.domain import FeedbackStatus
from sync.ids import new_id
from sync.workdays import is_working_day
from tests import factories
from tests.server.conftest import CommuneKit, World, add_dossier
from tests.server.web.admin_helpers import feedback, survey_form
from tests.server.web.helpers import csrf_token, log_in

ROLES = ("anonymous", "officer_a", "leader_a", "province_admin", "system_admin")
BLUEPRINTS = ("web_feedback", "web_surveys", "web_conflicts", "web_admin")
_unique = itertools.count(1)


def who(world: World, role: str) -> Officer | None:
    return {
        "anonymous": None,
        "officer_a": world.a.officer,
        "leader_a": world.a.leader,
        "province_admin": world.province_admin,
        "system_admin": world.system_admin,
    }[role]


Make = Callable[[Session, World, CommuneKit], tuple[str, dict[str, Any]]]


@dataclass(frozen=True)
class Case:
    method: str
    rule: str
    make: Make
    #: Expected status per role, for a record of commune A then of commune B.
    expected: dict[str, tuple[int, int]]  # role → (commune A, commune B)


Codes = tuple[int, int]


def per_role(
    anonymous: int, officer: Codes, leader: Codes, province: Codes, system: Codes
) -> dict[str, Codes]:
    return {
        "anonymous": (anonymous, anonymous),
        "officer_a": officer,
        "leader_a": leader,
        "province_admin": province,
        "system_admin": system,
    }


def everyone(code: int) -> dict[str, Codes]:
    return per_role(302, (code, code), (code, code), (code, code), (code, code))


def leaders(code: int) -> dict[str, Codes]:
    """Leaders and administrators; a commune leader only in commune A (404 in B)."""
    return per_role(302, (403, 403), (code, 404), (code, code), (code, code))


def admins(code: int) -> dict[str, Codes]:
    return per_role(302, (403, 403), (403, 403), (code, code), (code, code))


# --- record makers: (url, form data) for a fresh record of the kit's commune -------------


def url(path: str, data: dict[str, Any] | None = None) -> Make:
    return lambda _s, _w, _k: (path, data or {})


def a_feedback(suffix: str = "", data: dict[str, Any] | None = None, **kw: Any) -> Make:
    def make(session: Session, world: World, kit: CommuneKit) -> tuple[str, dict[str, Any]]:
        item = feedback(session, kit, **kw)
        values = dict(data or {})
        if values.get("assignee_id") == "kit":
            values["assignee_id"] = str(kit.officer.id)
        return f"/feedback/{item.id}{suffix}", values

    return make


def a_form(suffix: str, status: FormStatus, data: dict[str, Any] | None = None) -> Make:
    def make(session: Session, world: World, kit: CommuneKit) -> tuple[str, dict[str, Any]]:
        communes = [] if status == FormStatus.DRAFT else [kit.commune]
        form = survey_form(session, communes, key=f"form-{next(_unique)}", status=status)
        values = dict(data or {})
        if "communes" in values:
            values["communes"] = str(kit.commune.id)
        return f"/surveys/{form.id}{suffix}", values

    return make


FORM_ROWS = {"rows": "1", "q-0-type": "likert5", "q-0-text_vi": "Hài lòng?"}


def new_form(session: Session, world: World, kit: CommuneKit) -> tuple[str, dict[str, Any]]:
    return "/surveys/new", {"title_vi": f"Phiếu {next(_unique)}", **FORM_ROWS}


def a_conflict(session: Session, world: World, kit: CommuneKit) -> tuple[str, dict[str, Any]]:
    dossier = add_dossier(session, kit, world.procedure)
    conflict = SyncConflict(
        id=new_id(),
        commune_id=kit.commune.id,
        collection="dossier",
        record_id=dossier.id,
        field="note",
        reason="concurrent_edit",
        kept_value="giữ",
        kept_clock="",
        lost_value="mất",
        lost_clock="",
        status="open",
    )
    session.add(conflict)
    stamp(session, conflict)
    return f"/conflicts/{conflict.id}/resolve", {"choice": "kept"}


def a_village(suffix: str = "", data: dict[str, Any] | None = None) -> Make:
    def make(session: Session, world: World, kit: CommuneKit) -> tuple[str, dict[str, Any]]:
        village = factories.village(session, kit.commune)
        return f"/admin/units/{village.id}{suffix}", {"name": "Tên mới", **(data or {})}

    return make


def new_village(session: Session, world: World, kit: CommuneKit) -> tuple[str, dict[str, Any]]:
    return "/admin/units", {"level": "village", "parent_id": kit.commune.id, "name": "Bản mới"}


def an_officer(suffix: str = "", data: dict[str, Any] | None = None) -> Make:
    def make(session: Session, world: World, kit: CommuneKit) -> tuple[str, dict[str, Any]]:
        officer = factories.officer(session, kit.commune)
        values = dict(data or {})
        if values.get("unit_id") == "kit":
            values["unit_id"] = str(kit.commune.id)
        return f"/admin/officers/{officer.id}{suffix}", values

    return make


def new_officer(session: Session, world: World, kit: CommuneKit) -> tuple[str, dict[str, Any]]:
    return "/admin/officers/new", {
        "full_name": "Cán bộ mới",
        "username": f"moi{next(_unique)}",
        "password": "mat-khau-dai",
        "role": "officer",
        "unit_id": str(kit.commune.id),
    }


def a_device(suffix: str) -> Make:
    def make(session: Session, world: World, kit: CommuneKit) -> tuple[str, dict[str, Any]]:
        device, _token = factories.device(session, kit.officer)
        return f"/admin/devices/{device.id}{suffix}", {}

    return make


def the_procedure(session: Session, world: World, kit: CommuneKit) -> tuple[str, dict[str, Any]]:
    return f"/admin/procedures/{world.procedure.id}", {}


def a_procedure(session: Session, world: World, kit: CommuneKit) -> tuple[str, dict[str, Any]]:
    return f"/admin/procedures/{world.procedure.id}", {
        "name_vi": "Thủ tục",
        "name_en": "Procedure",
        "processing_days": "3",
        "active": "1",
    }


def a_day_off(session: Session, world: World, kit: CommuneKit) -> tuple[str, dict[str, Any]]:
    # Day-off decisions are the province's, not a commune's: a fresh day for every case.
    decision = DayOffDecision(day=date(2030, 1, 1) + timedelta(days=next(_unique)), note="Nghỉ")
    session.add(decision)
    session.flush()
    return f"/admin/days-off/{decision.id}/withdraw", {}


def new_day_off(session: Session, world: World, kit: CommuneKit) -> tuple[str, dict[str, Any]]:
    # A working day to give off (a Tuesday, or the next working day): one per case.
    day = date(2031, 3, 4) + timedelta(weeks=next(_unique))
    while not is_working_day(day):
        day += timedelta(days=1)
    return "/admin/days-off", {"day": day.isoformat(), "working": "0", "note": "Nghỉ bù"}


ASSIGN = {"assignee_id": "kit"}
FEEDBACK_HANDLER = per_role(302, (403, 403), (302, 404), (403, 403), (403, 403))
FEEDBACK_READ = per_role(302, (200, 404), (200, 404), (200, 200), (200, 200))
PASSWORD = {"password": "mat-khau-moi", "password_again": "mat-khau-moi"}

CASES = [
    # Feedback
    Case("GET", "/feedback", url("/feedback"), everyone(200)),
    Case("GET", "/feedback/<feedback_id>", a_feedback(), FEEDBACK_READ),
    Case("POST", "/feedback/<feedback_id>/assign", a_feedback("/assign", ASSIGN), FEEDBACK_HANDLER),
    Case(
        "POST",
        "/feedback/<feedback_id>/forward",
        a_feedback("/forward", {"forwarded_to": "Phòng Tư pháp"}),
        FEEDBACK_HANDLER,
    ),
    Case(
        "POST",
        "/feedback/<feedback_id>/answer",
        a_feedback("/answer", {"response": "Đã xử lý"}),
        per_role(302, (403, 404), (302, 404), (403, 403), (403, 403)),
    ),
    Case(
        "POST",
        "/feedback/<feedback_id>/close",
        a_feedback("/close", status=FeedbackStatus.ANSWERED),
        FEEDBACK_HANDLER,
    ),
    # Surveys
    Case("GET", "/surveys", url("/surveys"), leaders(200) | {"leader_a": (200, 200)}),
    Case("GET", "/surveys/new", url("/surveys/new"), admins(200)),
    Case("POST", "/surveys/new", new_form, admins(302)),
    Case("GET", "/surveys/<int:form_id>", a_form("", FormStatus.PUBLISHED), leaders(200)),
    Case("GET", "/surveys/<int:form_id>/edit", a_form("/edit", FormStatus.DRAFT), admins(200)),
    Case(
        "POST",
        "/surveys/<int:form_id>/edit",
        a_form("/edit", FormStatus.PUBLISHED, {"title_vi": "Sửa", **FORM_ROWS}),
        admins(302),
    ),
    Case(
        "POST",
        "/surveys/<int:form_id>/publish",
        a_form("/publish", FormStatus.DRAFT, {"communes": "kit"}),
        admins(302),
    ),
    Case(
        "POST",
        "/surveys/<int:form_id>/retire",
        a_form("/retire", FormStatus.PUBLISHED),
        admins(302),
    ),
    Case(
        "GET",
        "/surveys/<int:form_id>/results",
        a_form("/results", FormStatus.PUBLISHED),
        leaders(200),
    ),
    Case(
        "GET",
        "/surveys/<int:form_id>/responses.csv",
        a_form("/responses.csv", FormStatus.PUBLISHED),
        leaders(200),
    ),
    Case(
        "GET",
        "/surveys/<int:form_id>/responses.xlsx",
        a_form("/responses.xlsx", FormStatus.RETIRED),
        leaders(200),
    ),
    # Conflicts
    Case("GET", "/conflicts", url("/conflicts"), leaders(200) | {"leader_a": (200, 200)}),
    Case("POST", "/conflicts/<conflict_id>/resolve", a_conflict, leaders(302)),
    # Management
    Case("GET", "/admin", url("/admin"), leaders(200) | {"leader_a": (200, 200)}),
    Case("GET", "/admin/units", url("/admin/units"), leaders(200) | {"leader_a": (200, 200)}),
    Case("POST", "/admin/units", new_village, leaders(302)),
    Case("POST", "/admin/units/<int:unit_id>", a_village(), leaders(302)),
    Case("GET", "/admin/officers", url("/admin/officers"), leaders(200) | {"leader_a": (200, 200)}),
    Case(
        "GET",
        "/admin/officers/new",
        url("/admin/officers/new"),
        leaders(200) | {"leader_a": (200, 200)},
    ),
    Case(
        "POST",
        "/admin/officers/new",
        new_officer,
        leaders(302) | {"leader_a": (302, 403)},
    ),
    Case("GET", "/admin/officers/<int:officer_id>", an_officer(), leaders(200)),
    Case(
        "POST",
        "/admin/officers/<int:officer_id>/role",
        an_officer("/role", {"role": "officer", "unit_id": "kit"}),
        leaders(302),
    ),
    Case(
        "POST",
        "/admin/officers/<int:officer_id>/active",
        an_officer("/active", {"active": "0"}),
        leaders(302),
    ),
    Case(
        "POST",
        "/admin/officers/<int:officer_id>/password",
        an_officer("/password", PASSWORD),
        leaders(302),
    ),
    Case("GET", "/admin/devices", url("/admin/devices"), leaders(200) | {"leader_a": (200, 200)}),
    Case("GET", "/admin/devices/<device_id>/revoke", a_device("/revoke"), leaders(200)),
    Case("POST", "/admin/devices/<device_id>/revoke", a_device("/revoke"), leaders(302)),
    Case("POST", "/admin/devices/<device_id>/reinstate", a_device("/reinstate"), leaders(302)),
    Case("GET", "/admin/procedures", url("/admin/procedures"), admins(200)),
    Case("GET", "/admin/procedures/<int:procedure_id>", the_procedure, admins(200)),
    Case("POST", "/admin/procedures/<int:procedure_id>", a_procedure, admins(302)),
    Case("GET", "/admin/days-off", url("/admin/days-off"), admins(200)),
    Case("POST", "/admin/days-off", new_day_off, admins(302)),
    Case("POST", "/admin/days-off/<int:decision_id>/withdraw", a_day_off, admins(302)),
    Case("GET", "/admin/audit", url("/admin/audit"), leaders(200) | {"leader_a": (200, 200)}),
    Case("GET", "/admin/system", url("/admin/system"), admins(200)),
]

COVERED = {(case.method, case.rule) for case in CASES}


def test_every_route_of_these_blueprints_is_a_case(app: Flask) -> None:
    routes = {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.split(".")[0] in BLUEPRINTS
        for method in rule.methods or ()
        if method not in ("HEAD", "OPTIONS")
    }
    assert routes == COVERED


GROUPS = {
    "feedback": "/feedback",
    "surveys": "/surveys",
    "conflicts": "/conflicts",
    "admin": "/admin",
}


@pytest.mark.parametrize("group", sorted(GROUPS))
def test_roles_and_communes(
    client: FlaskClient, world: World, session: Session, group: str
) -> None:
    token = csrf_token(client, "/login")
    failures = []
    for case in CASES:
        if not case.rule.startswith(GROUPS[group]):
            continue
        for role in ROLES:
            for index, kit in enumerate((world.a, world.b)):
                path, data = case.make(session, world, kit)
                session.commit()
                log_in(client, who(world, role))
                if case.method == "GET":
                    response = client.get(path)
                else:
                    response = client.post(path, data={"csrf_token": token, **data})
                expected = case.expected[role][index]
                if response.status_code != expected:
                    failures.append((case.method, path, role, "ab"[index], response.status_code))
                if expected == 302 and role == "anonymous":
                    assert "/login" in response.headers["Location"]
                session.rollback()
    assert failures == [], failures


def test_every_form_needs_the_csrf_token(
    client: FlaskClient, world: World, session: Session
) -> None:
    """Each POST is refused (400) without the token or with a forged one, changing nothing."""
    # What the pages would record (the test's own setup registers tablets).
    recorded = select(func.count()).where(AuditEntry.action != "device.register")
    before = session.scalar(recorded)
    posts = [case for case in CASES if case.method == "POST"]
    assert len(posts) == 20
    for case in posts:
        # Someone who may do it: the leader for feedback, an administrator otherwise.
        allowed = "leader_a" if case.rule.startswith("/feedback") else "system_admin"
        path, data = case.make(session, world, world.a)
        session.commit()
        log_in(client, who(world, allowed))
        assert client.post(path, data=data).status_code == 400, path
        assert client.post(path, data={**data, "csrf_token": "forged"}).status_code == 400, path
    session.expire_all()
    assert session.scalar(recorded) == before
