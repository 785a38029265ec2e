"""What an outside client written from PROTOCOL.md alone found (issue 10, items 2–7, 9).

Each test sends what that client sent and checks the answer the protocol now gives.
"""

from __future__ import annotations

import gzip
import json
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import AppliedOperation, Dossier
from tests.server.conftest import World
from tests.server.sync.conftest import Tablet

DEPTH = 100_000  # far beyond Python's recursion limit


def _deep(depth: int = DEPTH) -> bytes:
    return b"[" * depth + b"]" * depth


def _raw_push(tablet: Tablet, body: bytes, *, gzip_body: bool = False) -> Any:
    headers = tablet.headers(**{"Content-Type": "application/json"})
    if gzip_body:
        body = gzip.compress(body)
        headers["Content-Encoding"] = "gzip"
    return tablet.http.request("POST", "/api/v1/sync/push", body, headers)


# -- item 3: deeply nested JSON is a 400, never a 500 ------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "auth"),
    [
        ("POST", "/api/v1/devices", False),
        ("POST", "/api/v1/sync/push", True),
        ("POST", "/api/v1/sync/pull", True),
        ("POST", "/api/v1/blobs", True),
        ("POST", "/api/v1/blobs/announce", True),
        ("POST", "/api/v1/dossiers", True),
        ("POST", "/api/v1/feedback", True),
    ],
)
def test_deeply_nested_json_is_a_400_on_every_json_endpoint(
    tablet_a: Tablet, method: str, path: str, auth: bool
) -> None:
    headers = (
        tablet_a.headers(**{"Content-Type": "application/json"})
        if auth
        else {"Content-Type": "application/json"}
    )
    body = b'{"now": 1, "ops": ' + _deep() + b"}"
    reply = tablet_a.http.request(method, path, body, headers)
    assert reply.status == 400, (path, reply.status, reply.content[:300])
    assert "nested" in reply.json()["message"]


def test_deeply_nested_gzip_push_is_a_400(tablet_a: Tablet) -> None:
    reply = _raw_push(tablet_a, b'{"now": 1, "ops": ' + _deep() + b"}", gzip_body=True)
    assert reply.status == 400
    assert "nested" in reply.json()["message"]


def test_brackets_inside_strings_do_not_count(tablet_a: Tablet, world: World) -> None:
    _id, create = tablet_a.new_dossier(world.procedure, note="[" * 1000 + '"\\{' * 300)
    assert tablet_a.push_one(create)["o"] == "applied"


# -- item 4: one bad record is rejected on its own (G12) --------------------------------


@pytest.mark.parametrize("bad_text", ["\x00", "\ud800"], ids=["nul", "lone_surrogate"])
@pytest.mark.parametrize("gzip_body", [False, True], ids=["plain", "gzip"])
def test_g12_a_record_with_nul_or_lone_surrogate_blocks_nothing(
    tablet_a: Tablet, world: World, session: Session, bad_text: str, gzip_body: bool
) -> None:
    good_1, create_1 = tablet_a.new_dossier(world.procedure)
    bad_id, bad = tablet_a.new_dossier(world.procedure, applicant_name=f"Giàng{bad_text}A Páo")
    good_2, create_2 = tablet_a.new_dossier(world.procedure)
    body = json.dumps({"now": tablet_a.clock.physical_ms(), "ops": [create_1, bad, create_2]})
    reply = _raw_push(tablet_a, body.encode(), gzip_body=gzip_body)
    assert reply.status == 200, reply.json()
    results = reply.json()["results"]
    assert [r["o"] for r in results] == ["applied", "rejected", "applied"]
    assert results[1]["r"] == "invalid"
    assert "applicant_name" in results[1]["e"]
    assert session.get(Dossier, good_1) is not None
    assert session.get(Dossier, good_2) is not None
    assert session.get(Dossier, bad_id) is None
    # Exactly once: the rejection is stored like any other outcome.
    assert session.get(AppliedOperation, bad["i"]) is not None


def test_nul_in_a_field_name_is_rejected_naming_the_fields(tablet_a: Tablet, world: World) -> None:
    _id, bad = tablet_a.new_dossier(world.procedure)
    bad["f"]["note\x00"] = "x"
    result = tablet_a.push_one(bad)
    assert (result["o"], result["r"]) == ("rejected", "invalid")
    assert list(result["e"]) == ["f"]


# -- item 2: receipt numbers have one spelling ------------------------------------------


@pytest.mark.parametrize(
    ("variant", "why"),
    [
        ("␣{n}", "spaces or line breaks"),
        ("{n}\n", "spaces or line breaks"),
        ("{c}-26{d:02d}-000001", "leading zeros"),
        ("{c}-260{d:02d}-00001", "leading zeros"),
        ("{c}-2600{d:02d}-00001", "leading zeros"),
        ("{fw}-26{d:02d}-00001", "fullwidth"),
    ],
)
def test_variants_of_a_receipt_number_are_refused_with_a_reason(
    tablet_a: Tablet, world: World, variant: str, why: str
) -> None:
    """Next to an existing ``02965-2653-00001`` the variants must not become new numbers."""
    _id, first = tablet_a.new_dossier(world.procedure)
    assert tablet_a.push_one(first)["o"] == "applied"
    existing = first["f"]["receipt_number"]
    code = tablet_a.commune_code
    fullwidth = "".join(chr(ord(ch) + 0xFEE0) for ch in code)
    number = (
        variant.replace("␣", " ")
        .replace("{n}", existing)
        .format(c=code, d=tablet_a.device_no, fw=fullwidth)
    )
    assert number.strip().endswith("00001") or "0001" in number
    _id, op = tablet_a.new_dossier(world.procedure, receipt_number=number)
    result = tablet_a.push_one(op)
    assert (result["o"], result["r"]) == ("rejected", "invalid"), number
    assert why in result["e"]["receipt_number"], result["e"]


# -- item 7: loose types are a 422 naming the field --------------------------------------


def _push_status(tablet: Tablet, payload: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    reply = tablet.post("/api/v1/sync/push", payload)
    return reply.status, reply.json()


def test_n_true_is_not_a_creation(tablet_a: Tablet, world: World, session: Session) -> None:
    dossier_id, create = tablet_a.new_dossier(world.procedure)
    create["n"] = True
    status, body = _push_status(tablet_a, {"now": tablet_a.clock.physical_ms(), "ops": [create]})
    assert status == 422
    assert "ops.0" in body["message"] and "n:" in body["message"]
    assert session.get(Dossier, dossier_id) is None


@pytest.mark.parametrize("now", [10**30, 2**63, True, 1.5, "1764000000000", -1])
def test_now_must_be_a_bounded_integer(tablet_a: Tablet, now: Any) -> None:
    status, body = _push_status(tablet_a, {"now": now, "ops": []})
    assert status == 422, body
    assert "now" in json.dumps(body["errors"])


@pytest.mark.parametrize("cursor", ["１.２", "1.٢", "1.2\n", " 1.2", "+1.2", "1.2.3"])
def test_cursor_digits_are_ascii(tablet_a: Tablet, cursor: str) -> None:
    reply = tablet_a.post("/api/v1/sync/pull", {"cursor": cursor})
    assert reply.status == 422, reply.json()
    assert "cursor" in json.dumps(reply.json()["errors"])


@pytest.mark.parametrize("budget", [True, 10**30, "4096"])
def test_budget_must_be_a_bounded_integer(tablet_a: Tablet, budget: Any) -> None:
    reply = tablet_a.post("/api/v1/sync/pull", {"cursor": "", "budget": budget})
    assert reply.status == 422
    assert "budget" in json.dumps(reply.json()["errors"])


@pytest.mark.parametrize("pad", ["0", "000"])
def test_stamp_nodes_are_canonical(
    tablet_a: Tablet, world: World, session: Session, pad: str
) -> None:
    dossier_id, create = tablet_a.new_dossier(world.procedure)
    create["t"] = create["t"][:12] + pad + create["t"][12:]
    status, body = _push_status(tablet_a, {"now": tablet_a.clock.physical_ms(), "ops": [create]})
    assert status == 422
    assert "ops.0" in body["message"] and "t:" in body["message"]
    assert session.get(Dossier, dossier_id) is None


def test_another_devices_node_is_rejected(tablet_a: Tablet, world: World) -> None:
    _id, create = tablet_a.new_dossier(world.procedure)
    create["t"] = create["t"][:12] + str(tablet_a.device_no + 1)
    result = tablet_a.push_one(create)
    assert (result["o"], result["r"]) == ("rejected", "invalid")


def test_a_creation_cannot_carry_the_tombstone(
    tablet_a: Tablet, world: World, session: Session
) -> None:
    dossier_id, create = tablet_a.new_dossier(world.procedure)
    create["f"]["deleted"] = True
    status, body = _push_status(tablet_a, {"now": tablet_a.clock.physical_ms(), "ops": [create]})
    assert status == 422
    assert "f.deleted" in body["message"]
    assert session.scalar(select(Dossier).where(Dossier.id == dossier_id)) is None


def test_booleans_are_not_integer_fields(tablet_a: Tablet, world: World) -> None:
    _id, create = tablet_a.new_dossier(world.procedure, procedure_id=True)
    result = tablet_a.push_one(create)
    assert (result["o"], result["r"]) == ("rejected", "invalid")
    assert "procedure_id" in result["e"]


def test_registration_refuses_deep_json_before_any_token(client: FlaskClient) -> None:
    """The unauthenticated registration endpoint refuses deep JSON before any token."""
    reply = client.post(
        "/api/v1/devices", data=_deep(5000), headers={"Content-Type": "application/json"}
    )
    assert reply.status_code == 400


# -- item 5: who decided comes from the authenticated device -----------------------------


def test_a_device_cannot_forge_who_resolved_a_conflict(
    tablet_a: Tablet, world: World, session: Session, client: FlaskClient
) -> None:
    from server.models import AuditEntry, SyncConflict
    from tests.server.sync.test_conflicts_api import make_conflict

    _dossier_id, conflict_id, _other = make_conflict(tablet_a, world, session, client)
    pulled, _cursor = tablet_a.pull_all()
    clocks = next(c for c in pulled if c["r"] == conflict_id)["k"]
    decided = ("status", "resolution", "resolved_by_id", "resolved_at")
    forged = tablet_a.op(
        "sync_conflict",
        conflict_id,
        {
            "status": "resolved",
            "resolution": "kept",
            "resolved_by_id": world.a.leader.id,
            "resolved_at": "2020-01-01T00:00:00+00:00",
        },
        base={name: clocks[name] for name in decided},
    )
    result = tablet_a.push_one(forged)
    assert result["o"] == "applied", result
    session.expire_all()
    conflict = session.get(SyncConflict, conflict_id)
    assert conflict is not None
    assert conflict.status == "resolved"
    assert conflict.resolved_by_id == world.a.device.officer_id != world.a.leader.id
    assert conflict.resolved_at is not None and conflict.resolved_at.year >= 2026
    entry = session.scalars(
        select(AuditEntry).where(
            AuditEntry.entity == "sync_conflict", AuditEntry.entity_id == conflict_id
        )
    ).one()
    assert entry.device_id == world.a.device.id
    # The server's values reach the tablet that sent the forged ones.
    changes, _cursor = tablet_a.pull_all(_cursor)
    mine = [c for c in changes if c["c"] == "sync_conflict" and c["r"] == conflict_id]
    assert mine[-1]["f"]["resolved_by_id"] == world.a.device.officer_id


def test_timeline_officer_is_the_devices_officer(
    tablet_a: Tablet, world: World, session: Session
) -> None:
    from server.models import DossierEvent

    dossier_id, create = tablet_a.new_dossier(world.procedure)
    event_id, event = tablet_a.new_event(dossier_id, officer_id=world.a.leader.id)
    assert [r["o"] for r in tablet_a.push([create, event])["results"]] == ["applied"] * 2
    stored = session.get(DossierEvent, event_id)
    assert stored is not None
    assert stored.officer_id == world.a.device.officer_id != world.a.leader.id


# -- item 6: a returned result is never undone by a stale offline edit -------------------


@pytest.mark.parametrize("stale", ["withdrawn", "refused"])
@pytest.mark.parametrize("returned_first", [True, False], ids=["returned_first", "stale_first"])
def test_g6_a_returned_result_is_not_undone_by_a_stale_offline_edit(
    tablet_a: Tablet,
    world: World,
    session: Session,
    client: FlaskClient,
    stale: str,
    returned_first: bool,
) -> None:
    from tests.server.sync.conftest import FlaskHttp, second_tablet

    offline = second_tablet(session, world.a, FlaskHttp(client))
    dossier_id, create = tablet_a.new_dossier(world.procedure)
    assert tablet_a.push_one(create)["o"] == "applied"
    seen = create["t"]  # both tablets saw ``received`` with this clock
    approve = tablet_a.op("dossier", dossier_id, {"status": "approved"}, base={"status": seen})
    returned = tablet_a.op(
        "dossier", dossier_id, {"status": "result_returned"}, base={"status": approve["t"]}
    )
    assert tablet_a.push_one(approve)["o"] == "applied"
    # The offline tablet closes the dossier later by its clock, never having seen the
    # approval or the returned result.
    offline.clock.now()
    late = offline.op("dossier", dossier_id, {"status": stale}, base={"status": seen})
    assert late["t"] > returned["t"]
    order = [returned, late] if returned_first else [late, returned]
    results = (
        [tablet_a.push_one(order[0]), offline.push_one(order[1])]
        if returned_first
        else [
            offline.push_one(order[0]),
            tablet_a.push_one(order[1]),
        ]
    )
    session.expire_all()
    dossier = session.get(Dossier, dossier_id)
    assert dossier is not None
    assert dossier.status == "result_returned"
    assert results[1]["o"] == "conflict"
    from server.models import SyncConflict

    conflict = session.get(SyncConflict, results[1]["x"][0])
    assert conflict is not None
    assert (conflict.reason, conflict.kept_value, conflict.lost_value) == (
        "stale_status",
        "result_returned",
        stale,
    )


def test_g6_a_tablet_that_saw_the_returned_result_cannot_withdraw(
    tablet_a: Tablet, world: World
) -> None:
    dossier_id, create = tablet_a.new_dossier(world.procedure)
    approve = tablet_a.op(
        "dossier", dossier_id, {"status": "approved"}, base={"status": create["t"]}
    )
    returned = tablet_a.op(
        "dossier", dossier_id, {"status": "result_returned"}, base={"status": approve["t"]}
    )
    assert [r["o"] for r in tablet_a.push([create, approve, returned])["results"]] == [
        "applied"
    ] * 3
    withdraw = tablet_a.op(
        "dossier", dossier_id, {"status": "withdrawn"}, base={"status": returned["t"]}
    )
    assert tablet_a.push_one(withdraw)["r"] == "invalid_transition"


# -- item 9: legal dates from a clock more than a day behind are held --------------------


def test_g8_legal_dates_from_a_clock_two_years_behind_are_held_for_the_officer(
    world: World, client: FlaskClient, session: Session
) -> None:
    from datetime import timedelta

    from sync.ids import new_id
    from tests.server.sync.conftest import FlaskHttp, iso, make_tablet, skewed_clock

    behind = make_tablet(
        world.a.device,
        world.a.token,
        FlaskHttp(client),
        clock=skewed_clock(str(world.a.device.device_no), -timedelta(days=2 * 365)),
    )
    device_now = behind.clock.physical_ms()
    received = datetime_from_ms(device_now)
    dossier_id, create = behind.new_dossier(world.procedure, received=received)
    reply = behind.push([create], now_ms=device_now)
    result = reply["results"][0]
    assert (result["o"], result["r"]) == ("rejected", "clock_confirm"), result
    assert "received_at" in result["e"]
    assert "730 ngày" in result["m"] and "730 days" in result["m"]
    assert session.get(Dossier, dossier_id) is None
    # The tablet corrects its clock from the answer; the officer confirms the date
    # and it goes out again as a new operation.
    behind.clock.offset_ms = -reply["skew"]
    again = behind.op("dossier", dossier_id, create["f"], create=True)
    again["i"] = new_id()
    assert behind.push_one(again, now_ms=device_now)["o"] == "applied"
    stored = session.get(Dossier, dossier_id)
    assert stored is not None
    assert iso(stored.received_at) == create["f"]["received_at"]


def test_g8_a_clock_less_than_a_day_behind_is_not_held(world: World, client: FlaskClient) -> None:
    from datetime import timedelta

    from tests.server.sync.conftest import FlaskHttp, make_tablet, skewed_clock

    behind = make_tablet(
        world.a.device,
        world.a.token,
        FlaskHttp(client),
        clock=skewed_clock(str(world.a.device.device_no), -timedelta(hours=20)),
    )
    device_now = behind.clock.physical_ms()
    _id, create = behind.new_dossier(world.procedure, received=datetime_from_ms(device_now))
    assert behind.push_one(create, now_ms=device_now)["o"] == "applied"


def datetime_from_ms(ms: int) -> Any:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(ms / 1000, UTC).replace(microsecond=0)


@pytest.mark.parametrize("collection", ["dossier\x00", "d\ud800", "DOSSIER", "x" * 41])
def test_a_collection_name_that_is_not_one_is_a_422(
    tablet_a: Tablet, world: World, collection: str
) -> None:
    _id, create = tablet_a.new_dossier(world.procedure)
    create["c"] = collection
    body = json.dumps({"now": tablet_a.clock.physical_ms(), "ops": [create]}).encode()
    reply = _raw_push(tablet_a, body)
    assert reply.status == 422, reply.content[:300]
    assert "c: bad collection" in reply.json()["message"]
