"""Push applies operations, pull returns changes: the basic round trip and its rules."""

from __future__ import annotations

import gzip
import json
import re
import time
from datetime import UTC, date, datetime
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.models import AppliedOperation, AuditEntry, Dossier, DossierEvent, Feedback
from server.services.changes import commune_scope, current_seq
from server.sync.clock import is_server_node
from sync.hlc import Timestamp
from sync.ids import new_id
from sync.ops import Cursor
from tests import factories
from tests.server.conftest import World
from tests.server.sync.conftest import (
    FlaskHttp,
    LiveHttp,
    Tablet,
    commune_cursor,
    latest,
    make_tablet,
    second_tablet,
)


def test_g10_push_applies_and_a_colleague_pulls_it_over_http_with_gzip(
    live_server: Any, world: World, session: Session
) -> None:
    tablet = make_tablet(world.a.device, world.a.token, LiveHttp(live_server.url))
    dossier_id, create = tablet.new_dossier(world.procedure)
    event_id, event = tablet.new_event(dossier_id)
    results = tablet.push([create, event])["results"]
    assert [r["o"] for r in results] == ["applied", "applied"], results
    assert results[0]["s"] < results[1]["s"]

    # A colleague's tablet pulls them (a device is not sent back its own writes).
    colleague = second_tablet(session, world.a, LiveHttp(live_server.url))
    reply = colleague.post("/api/v1/sync/pull", {"cursor": ""})
    assert reply.status == 200
    assert reply.headers["Content-Encoding"] == "gzip"
    page = reply.json()
    assert page["more"] is False
    dossier = latest(page["changes"], "dossier", dossier_id)
    assert dossier["f"]["applicant_name"] == "Vàng Thị Mỷ"
    assert dossier["f"]["receipt_number"] == create["f"]["receipt_number"]
    assert dossier["k"]["applicant_name"] == create["t"]
    assert latest(page["changes"], "dossier_event", event_id)["f"]["dossier_id"] == dossier_id
    # Reference data comes first: province, commune, village, procedure.
    kinds = [c["c"] for c in page["changes"]]
    assert kinds.index("procedure") < kinds.index("dossier")
    assert {"admin_unit", "procedure"} <= set(kinds)

    stored = session.get(Dossier, dossier_id)
    assert stored is not None
    assert stored.commune_id == world.a.commune.id
    assert stored.origin_device_id == world.a.device.id
    assert stored.field_clocks["applicant_name"] == [create["t"], stored.seq]
    device = session.get(type(world.a.device), world.a.device.id)
    assert device is not None
    session.refresh(device)
    assert device.last_sync_at is not None
    assert device.app_version == "0.1.0"


def test_g10_plain_json_both_ways(tablet_a: Tablet, world: World) -> None:
    _dossier_id, create = tablet_a.new_dossier(world.procedure)
    reply = tablet_a.post(
        "/api/v1/sync/push", {"now": 1, "ops": [create]}, gzip_body=False, accept_gzip=False
    )
    assert reply.status == 200
    assert "Content-Encoding" not in reply.headers
    assert json.loads(reply.content)["results"][0]["o"] == "applied"


def test_g10_pull_sends_records_changed_since_the_cursor_whole(
    tablet_a: Tablet, world: World, session: Session, client: FlaskClient
) -> None:
    colleague = second_tablet(session, world.a, FlaskHttp(client))
    dossier_id, create = tablet_a.new_dossier(world.procedure)
    tablet_a.push([create])
    _changes, cursor = colleague.pull_all()
    edit = tablet_a.op("dossier", dossier_id, {"note": "Thiếu bản sao"}, base={"note": ""})
    assert tablet_a.push_one(edit)["o"] == "applied"
    page = colleague.pull(cursor)
    assert [c["c"] for c in page["changes"]] == ["dossier"]
    # The whole record goes (a device between two pages may never have had the rest).
    assert page["changes"][0]["f"]["note"] == "Thiếu bản sao"
    assert page["changes"][0]["f"]["receipt_number"] == create["f"]["receipt_number"]
    assert page["changes"][0]["k"]["note"] == edit["t"]
    # Nothing new: an empty page with the same cursor.
    again = colleague.pull(page["cursor"])
    assert again == {**again, "changes": [], "more": False, "cursor": page["cursor"]}


def test_g6_server_computes_due_dates(tablet_a: Tablet, world: World, session: Session) -> None:
    # Worked example: received Thursday 12/02/2026 09:00 office time (02:00 UTC). The day
    # of receipt is not counted (Civil Code 2015 art. 147); Friday 13/02 is working day 1;
    # the Tết Bính Ngọ break runs from Saturday 14/02 to Sunday 22/02/2026; Monday 23/02
    # is day 2 and Tuesday 24/02 day 3: a 3-working-day procedure is due 24/02/2026.
    received = datetime(2026, 2, 12, 2, 0, tzinfo=UTC)
    assert world.procedure.processing_days == 3
    dossier_id, create = tablet_a.new_dossier(world.procedure, received=received)
    # A complaint received Monday 02/03/2026 10:00 is answered within 30 working days
    # (sync.domain.FEEDBACK_RESPONSE_DAYS): 3rd to 31st March are 21 working days, 1st to
    # 10th April 8 more, Monday 13/04 is the 30th: due 13/04/2026.
    feedback_id, feedback = tablet_a.new_feedback(
        kind="complaint", received_at=datetime(2026, 3, 2, 3, 0, tzinfo=UTC).isoformat()
    )
    before_ms = int(time.time() * 1000)
    results = tablet_a.push([create, feedback])["results"]
    assert [r["o"] for r in results] == ["applied", "applied"]

    dossier = session.get(Dossier, dossier_id)
    assert dossier is not None
    assert dossier.due_date == date(2026, 2, 24)
    # The due date is the server's write: its stamp has the server's node, made now.
    due_stamp = Timestamp.decode(dossier.field_clocks["due_date"][0])
    assert is_server_node(due_stamp.node)
    assert due_stamp.node != tablet_a.node
    assert before_ms - 60_000 <= due_stamp.wall_ms <= int(time.time() * 1000) + 60_000
    item = session.get(Feedback, feedback_id)
    assert item is not None
    assert item.response_due_date == date(2026, 4, 13)


def test_g6_a_different_proposed_due_date_becomes_a_server_value_conflict(
    tablet_a: Tablet, world: World, session: Session
) -> None:
    dossier_id, create = tablet_a.new_dossier(world.procedure, due_date="2030-01-02")
    result = tablet_a.push_one(create)
    assert result["o"] == "conflict"
    [conflict_id] = result["x"]
    changes, _cursor = tablet_a.pull_all()
    conflict = latest(changes, "sync_conflict", conflict_id)["f"]
    assert conflict["reason"] == "server_value"
    assert conflict["lost_value"] == "2030-01-02"
    assert conflict["lost_device_id"] == world.a.device.id
    assert conflict["kept_device_id"] is None
    assert latest(changes, "dossier", dossier_id)["f"]["due_date"] == conflict["kept_value"]
    # Later device writes to the server's field are refused.
    edit = tablet_a.op("dossier", dossier_id, {"due_date": "2030-01-03"})
    refused = tablet_a.push_one(edit)
    assert (refused["o"], refused["r"]) == ("rejected", "server_owned_field")


def test_immutable_fields_are_refused(tablet_a: Tablet, world: World) -> None:
    dossier_id, create = tablet_a.new_dossier(world.procedure)
    tablet_a.push([create])
    edit = tablet_a.op("dossier", dossier_id, {"receipt_number": tablet_a.receipt_number()})
    result = tablet_a.push_one(edit)
    assert (result["o"], result["r"]) == ("rejected", "immutable_field")
    assert "receipt_number" in result["e"]
    event_id, event = tablet_a.new_event(dossier_id)
    tablet_a.push([event])
    change = tablet_a.op("dossier_event", event_id, {"note": "sửa"})
    assert tablet_a.push_one(change)["r"] == "immutable_field"


def test_g12_one_invalid_record_among_valid_ones(
    tablet_a: Tablet, world: World, session: Session
) -> None:
    good_1, op_1 = tablet_a.new_dossier(world.procedure)
    bad, op_bad = tablet_a.new_dossier(world.procedure, applicant_cccd="12345")
    _missing, op_missing = tablet_a.new_dossier(world.procedure)
    del op_missing["f"]["applicant_name"]
    good_2, op_2 = tablet_a.new_dossier(world.procedure)
    results = tablet_a.push([op_1, op_bad, op_missing, op_2])["results"]
    assert [r["o"] for r in results] == ["applied", "rejected", "rejected", "applied"]
    assert results[1]["r"] == "invalid"
    assert "applicant_cccd" in results[1]["e"]
    assert "12 chữ số" in results[1]["e"]["applicant_cccd"]
    assert "applicant_name" in results[2]["m"]
    assert session.get(Dossier, bad) is None
    assert set(session.scalars(select(Dossier.id))) == {good_1, good_2}
    # The rejection is remembered like any outcome.
    stored = session.get(AppliedOperation, op_bad["i"])
    assert stored is not None
    assert stored.outcome["r"] == "invalid"


def test_g12_bad_receipt_numbers_are_refused(tablet_a: Tablet, world: World) -> None:
    _id, first = tablet_a.new_dossier(world.procedure)
    assert tablet_a.push_one(first)["o"] == "applied"
    cases = {
        "duplicate": first["f"]["receipt_number"],
        "garbage": "ABC",
        "other commune": f"{world.b.commune.code}-2601-00077",
        "other device": f"{world.a.commune.code}-2699-00077",
    }
    for label, number in cases.items():
        _id, op = tablet_a.new_dossier(world.procedure, receipt_number=number)
        result = tablet_a.push_one(op)
        assert (result["o"], result["r"]) == ("rejected", "invalid"), label
        assert "receipt_number" in result["e"], label


def test_g3_retry_returns_identical_outcomes_and_changes_nothing(
    tablet_a: Tablet, world: World, session: Session
) -> None:
    dossier_id, create = tablet_a.new_dossier(world.procedure)
    _bad_id, bad = tablet_a.new_dossier(world.procedure, channel="pigeon")
    edit = tablet_a.op("dossier", dossier_id, {"note": "một"}, base={"note": ""})
    ops = [create, bad, edit]
    first = tablet_a.push(ops)["results"]
    seq_before = current_seq(session, commune_scope(world.a.commune.id))
    audits_before = session.scalar(select(func.count()).select_from(AuditEntry))
    second = tablet_a.push(ops)["results"]
    assert second == first
    session.expire_all()
    assert current_seq(session, commune_scope(world.a.commune.id)) == seq_before
    assert session.scalar(select(func.count()).select_from(AuditEntry)) == audits_before
    assert session.scalar(select(func.count()).select_from(Dossier)) == 1
    # The same operation twice in one push is applied once.
    again = tablet_a.op("dossier", dossier_id, {"note": "hai"}, base={"note": edit["t"]})
    results = tablet_a.push([again, again])["results"]
    assert results[0] == results[1]
    assert (
        session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.entity_id == dossier_id)
        )
        == 3
    )


def test_g3_retryable_rejections_are_not_remembered(
    tablet_a: Tablet, world: World, session: Session
) -> None:
    dossier_id, create = tablet_a.new_dossier(world.procedure)
    _event_id, event = tablet_a.new_event(dossier_id)
    # The child arrives before its parent (another push order): retry later.
    result = tablet_a.push_one(event)
    assert (result["o"], result["r"]) == ("rejected", "missing_parent")
    assert session.get(AppliedOperation, event["i"]) is None
    # An update to a record the server has not seen yet is the same.
    early = tablet_a.op("dossier", dossier_id, {"note": "sớm"})
    assert tablet_a.push_one(early)["r"] == "missing_parent"
    results = tablet_a.push([create, event, early])["results"]
    assert [r["o"] for r in results] == ["applied", "applied", "applied"]
    assert session.scalar(select(func.count()).select_from(DossierEvent)) == 1


def test_g8_clock_years_ahead_is_clamped_and_legal_dates_refused(
    world: World, client: Any, session: Session
) -> None:
    from datetime import timedelta

    from tests.server.sync.conftest import skewed_clock, stamp_wall

    ahead = timedelta(days=3 * 365)
    tablet = make_tablet(
        world.a.device,
        world.a.token,
        FlaskHttp(client),
        clock=skewed_clock(str(world.a.device.device_no), ahead),
    )
    from datetime import UTC, datetime

    true_now = datetime.now(UTC)
    # The officer typed the right receipt time; the stamp is three years ahead.
    ok_id, ok = tablet.new_dossier(world.procedure, received=true_now - timedelta(minutes=2))
    # Here the receipt time came from the wrong clock.
    _bad_id, bad = tablet.new_dossier(world.procedure, received=true_now + ahead)
    device_now = tablet.clock.physical_ms()
    body = tablet.push([ok, bad], now_ms=device_now)
    assert body["skew"] > ahead.total_seconds() * 1000 - 60_000
    assert abs(body["now"] - true_now.timestamp() * 1000) < 60_000
    applied, refused = body["results"]
    assert applied["o"] == "applied"
    assert stamp_wall(applied["t"]) < true_now.timestamp() * 1000 + 60_000
    assert refused["r"] == "date_in_future"
    assert "received_at" in refused["e"]
    assert re.search(r"109[45] ngày", refused["m"]) and re.search(r"109[45] days", refused["m"])
    assert "tablet's clock" in refused["m"]
    dossier = session.get(Dossier, ok_id)
    assert dossier is not None
    assert dossier.field_clocks["applicant_name"][0] == applied["t"]
    # The re-stamped write does not win against a later correct edit.
    tablet.clock.offset_ms = -body["skew"]
    edit = tablet.op(
        "dossier", ok_id, {"applicant_name": "Vàng Thị Mai"}, base={"applicant_name": applied["t"]}
    )
    assert tablet.push_one(edit)["o"] == "applied"


def test_g10_malformed_bodies_are_4xx_json(tablet_a: Tablet, app: Any) -> None:
    def send(body: bytes, **headers: str) -> Any:
        return tablet_a.request("POST", "/api/v1/sync/push", body, **headers)

    bad_gzip = send(b"\x1f\x8b\x08\x00garbage", **{"Content-Encoding": "gzip"})
    assert bad_gzip.status == 400
    assert "gzip" in bad_gzip.json()["message"]
    truncated = send(gzip.compress(b'{"now": 1, "ops": []}')[:-6], **{"Content-Encoding": "gzip"})
    assert truncated.status == 400
    bad_json = send(b'{"now": 1, "ops": [', **{"Content-Type": "application/json"})
    assert bad_json.status == 400
    assert "JSON" in bad_json.json()["message"]
    unknown = send(b"{}", **{"Content-Encoding": "br"})
    assert unknown.status == 400
    wrong_shape = send(json.dumps({"now": "soon", "ops": {}}).encode())
    assert wrong_shape.status == 422
    body = wrong_shape.json()
    assert "now" in body["message"] and "ops" in body["message"]
    bad_op = send(json.dumps({"now": 1, "ops": [{"i": "x"}]}).encode())
    assert bad_op.status == 422
    assert "ops.0" in bad_op.json()["message"]
    not_object = send(b"[1, 2]")
    assert not_object.status == 422
    app.config["SYNC_MAX_INFLATED_BYTES"] = 10_000
    bomb = gzip.compress(json.dumps({"now": 1, "ops": [], "pad": "x" * 50_000}).encode())
    too_big = send(bomb, **{"Content-Encoding": "gzip"})
    assert too_big.status == 413
    assert too_big.json()["status"] == "payload_too_large"
    app.config["MAX_CONTENT_LENGTH"] = 1000
    oversized = send(b" " * 5000 + b"{}")
    assert oversized.status == 413
    assert oversized.json()["code"] == 413


def test_pull_rejects_a_bad_cursor(tablet_a: Tablet) -> None:
    reply = tablet_a.post("/api/v1/sync/pull", {"cursor": "yesterday"})
    assert reply.status == 422
    assert "cursor" in reply.json()["message"]


def test_a_cursor_ahead_of_the_server_after_a_restore_starts_again(
    tablet_a: Tablet, world: World
) -> None:
    dossier_id, create = tablet_a.new_dossier(world.procedure)
    tablet_a.push([create])
    page = tablet_a.pull(Cursor(10**9, 10**9).encode())
    assert any(c["r"] == dossier_id for c in page["changes"])
    assert commune_cursor(page["cursor"]) < 10**9


def test_unknown_reference_and_server_only_collections_are_refused(
    tablet_a: Tablet, world: World
) -> None:
    record_id = new_id()
    unknown = tablet_a.op("spaceship", record_id, {"x": 1}, create=True)
    reference = tablet_a.op("procedure", record_id, {"name_vi": "x"})
    conflict = tablet_a.op("sync_conflict", record_id, {"status": "open"}, create=True)
    results = tablet_a.push([unknown, reference, conflict])["results"]
    assert [r["r"] for r in results] == ["unknown_collection", "forbidden", "forbidden"]


def test_null_for_a_field_the_server_keeps_non_empty_is_stored_and_pulled_as_its_empty(
    tablet_a: Tablet, world: World, session: Session, client: FlaskClient
) -> None:
    dossier_id, create = tablet_a.new_dossier(world.procedure, note=None, documents=None)
    assert tablet_a.push_one(create)["o"] == "applied"
    dossier = session.get(Dossier, dossier_id)
    assert dossier is not None
    assert (dossier.note, dossier.documents) == ("", [])
    changes, _cursor = second_tablet(session, world.a, FlaskHttp(client)).pull_all()
    pulled = latest(changes, "dossier", dossier_id)["f"]
    assert (pulled["note"], pulled["documents"]) == ("", [])


def test_g12_a_database_error_rejects_only_its_operation(
    tablet_a: Tablet, world: World, session: Session, monkeypatch: Any
) -> None:
    from server.sync.push import Pusher

    # Without the friendly check, the unique index refuses the duplicate number.
    monkeypatch.setattr(Pusher, "_check_receipt_number", lambda self, op, number: None)
    first_id, first = tablet_a.new_dossier(world.procedure)
    _dup_id, duplicate = tablet_a.new_dossier(
        world.procedure, receipt_number=first["f"]["receipt_number"]
    )
    later_id, later = tablet_a.new_dossier(world.procedure)
    results = tablet_a.push([first, duplicate, later])["results"]
    assert [r["o"] for r in results] == ["applied", "rejected", "applied"]
    assert results[1]["r"] == "invalid"
    assert "database" in results[1]["m"]
    assert set(session.scalars(select(Dossier.id))) == {first_id, later_id}
    assert session.get(AppliedOperation, duplicate["i"]) is not None


def test_g10_a_device_is_not_sent_back_its_own_writes(
    tablet_a: Tablet, world: World, session: Session, client: FlaskClient
) -> None:
    dossier_id, create = tablet_a.new_dossier(world.procedure)
    # The event names the device's officer, as the app does (PROTOCOL.md §6 "Identity").
    event_id, event = tablet_a.new_event(dossier_id, officer_id=world.a.device.officer_id)
    results = tablet_a.push([create, event])["results"]
    assert [r["o"] for r in results] == ["applied", "applied"]
    changes, cursor = tablet_a.pull_all()
    # The pull went past both records...
    assert commune_cursor(cursor) >= max(r["s"] for r in results)
    own = [c for c in changes if c["r"] in (dossier_id, event_id)]
    # ...and sent back only what the server itself wrote: the due dates it computed, the
    # official code (none yet: the province's system issues it) and
    # the check code this creation did not carry.
    server_made = {"due_date", "verification_due_date", "official_code"}
    if "check_code" not in create["f"]:
        server_made.add("check_code")
    # ...and the settling and return communes a creation without them gets (its own).
    server_made |= {"settling_commune_id", "return_commune_id"} - set(create["f"])
    assert [c["r"] for c in own] == [dossier_id], own
    assert set(own[0]["f"]) == server_made
    assert set(own[0]["k"]) == server_made
    # A colleague's tablet gets both records whole.
    colleague, _ = second_tablet(session, world.a, FlaskHttp(client)).pull_all()
    assert latest(colleague, "dossier", dossier_id)["f"]["applicant_name"] == "Vàng Thị Mỷ"
    assert latest(colleague, "dossier_event", event_id)["f"]["dossier_id"] == dossier_id


def test_verification_and_day_off_decisions_over_sync(
    tablet_a: Tablet, world: World, session: Session
) -> None:
    """A tablet records verification (at intake or later); the server computes the
    longer date; the day-off decisions are pulled as reference data."""
    from datetime import date, datetime

    from server.services import day_offs
    from sync.workdays import OFFICE_TZ

    day_offs.save(
        session,
        day_offs.DecisionInput(date(2026, 1, 2), False, "Văn bản 12729/VPCP-KGVX"),
        by=world.province_admin,
    )
    marriage = factories.procedure(session, processing_days=0, extension_days=5)
    session.commit()
    # Received Wed 31/12/2025 10:00: due the same day; with verification 5 working days
    # from Thu 01/01 (holiday), Fri 02/01 (off by the notice): Mon 05 ... Fri 09/01/2026.
    received = datetime(2025, 12, 31, 10, 0, tzinfo=OFFICE_TZ)
    dossier_id, create = tablet_a.new_dossier(marriage, received=received)
    assert tablet_a.push_one(create)["o"] == "applied"
    dossier = session.get(Dossier, dossier_id)
    assert dossier is not None
    assert (dossier.due_date, dossier.verification_due_date) == (
        date(2025, 12, 31),
        date(2026, 1, 9),
    )
    assert dossier.verification_needed is False
    later = tablet_a.op("dossier", dossier_id, {"verification_needed": True})
    assert tablet_a.push_one(later)["o"] == "applied"
    session.refresh(dossier)
    assert dossier.verification_needed is True
    assert dossier.effective_due_date == date(2026, 1, 9)
    changes, _cursor = tablet_a.pull_all()
    days_off = [c for c in changes if c["c"] == "day_off"]
    assert [c["f"] for c in days_off] == [
        {"day": "2026-01-02", "working": False, "note": "Văn bản 12729/VPCP-KGVX", "active": True}
    ]


def test_supplement_stops_the_clock_over_sync(
    tablet_a: Tablet, world: World, session: Session
) -> None:
    """Form 02 stops the clock; when the dossier goes back to work the working days left
    count again (Decree 61/2018/NĐ-CP art. 16(3); Decree 118/2025/NĐ-CP's article could
    not be read, docs/LAW.md)."""
    from datetime import date, datetime

    from sync.hlc import Timestamp
    from sync.workdays import OFFICE_TZ

    def stamp(y: int, m: int, d: int, counter: int) -> str:
        wall = int(datetime(y, m, d, 10, 0, tzinfo=OFFICE_TZ).timestamp() * 1000)
        return Timestamp(wall, counter, tablet_a.node).encode()

    ten = factories.procedure(session, processing_days=10)
    session.commit()
    # Received Mon 04/05/2026: 10 working days -> Mon 18/05/2026.
    received = datetime(2026, 5, 4, 9, 0, tzinfo=OFFICE_TZ)
    dossier_id, create = tablet_a.new_dossier(ten, received=received)
    create["t"] = stamp(2026, 5, 4, 0)
    assert tablet_a.push_one(create)["o"] == "applied"
    # Thu 07/05: supplement requested (Tue 5, Wed 6, Thu 7 used; 7 left).
    ask = tablet_a.op(
        "dossier",
        dossier_id,
        {"status": "needs_supplement"},
        stamp=stamp(2026, 5, 7, 0),
        base={"status": create["t"]},
    )
    assert tablet_a.push_one(ask)["o"] == "applied"
    dossier = session.get(Dossier, dossier_id)
    assert dossier is not None and dossier.due_date == date(2026, 5, 18)
    # Mon 25/05: the complete supplement; 7 working days from Tue 26/05 -> Wed 03/06/2026.
    back = tablet_a.op(
        "dossier",
        dossier_id,
        {"status": "in_progress"},
        stamp=stamp(2026, 5, 25, 0),
        base={"status": ask["t"]},
    )
    assert tablet_a.push_one(back)["o"] == "applied"
    session.refresh(dossier)
    assert dossier.due_date == date(2026, 6, 3)
    assert dossier.status == "in_progress"


def test_stopped_travels_both_ways_and_beats_a_concurrent_approval(
    tablet_a: Tablet, world: World, session: Session
) -> None:
    """Processing stopped (form 05, Circular 03/2025/TT-VPCP) over real HTTP: a tablet
    pushes it, it is pulled back as a final status, and a concurrent offline approval
    from the same base loses to it as a ``stale_status`` conflict (PROTOCOL.md §3)."""
    dossier_id, create = tablet_a.new_dossier(world.procedure)
    assert tablet_a.push_one(create)["o"] == "applied"
    base = {"status": create["t"]}
    stop = tablet_a.op("dossier", dossier_id, {"status": "stopped"}, base=base)
    assert tablet_a.push_one(stop)["o"] == "applied"
    approve = tablet_a.op("dossier", dossier_id, {"status": "approved"}, base=base)
    result = tablet_a.push_one(approve)
    assert result["o"] == "conflict"
    session.expire_all()
    dossier = session.get(Dossier, dossier_id)
    assert dossier is not None and dossier.status.value == "stopped"
    changes, _cursor = tablet_a.pull_all()
    [conflict_id] = result["x"]
    conflict = latest(changes, "sync_conflict", conflict_id)["f"]
    assert (conflict["reason"], conflict["kept_value"], conflict["lost_value"]) == (
        "stale_status",
        "stopped",
        "approved",
    )
