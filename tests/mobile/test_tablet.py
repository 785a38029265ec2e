"""The Tablet facade: offline work, validation, merges seen from two tablets, live sync."""

from __future__ import annotations

import hashlib
import random
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from mobile.tablet import InvalidInput, NotRegistered, Tablet
from server.models import Attachment, Blob, Device, Dossier, DossierEvent
from server.services.devices import revoke_device
from sync.checkcode import CHECK_CODE_RE
from sync.hlc import ManualClock
from sync.receipts import parse_receipt_number
from tests import factories
from tests.conftest import LiveServer
from tests.sync.fake_server import COMMUNE_CODE, OTHER_VILLAGE_ID, FakeServer, FakeTransport

MakeTablet = Callable[[], Tablet]


def sync(tablet: Tablet, server: FakeServer) -> None:
    report = tablet.sync(FakeTransport(server, tablet.registration.device_no))
    assert report.ok, report.error


def last_op(tablet: Tablet) -> Any:
    return tablet.store.pending_operations()[-1]


# -- offline work ----------------------------------------------------------------------------


def test_g1_dossier_received_offline_with_a_final_receipt_number(
    make_tablet: MakeTablet, fake_server: FakeServer
) -> None:
    first, second = make_tablet(), make_tablet()
    received = datetime(2026, 2, 12, 2, 0, tzinfo=UTC)  # 09:00 in the office
    a1 = first.create_dossier(
        3,
        " Giàng A Páo ",
        applicant_cccd="010090123456",
        applicant_dob="1990-05-17",
        village_id=71,
        provided_documents=[1],
        received_at=received,
    )
    a2 = first.create_dossier(1, "Sùng Thị Mai", received_at=received)
    b1 = second.create_dossier(1, "Lò Văn Thắng", received_at=received)
    # Record ids are UUIDv7 (version digit 7, RFC 9562 variant), told by the standard
    # library, not by the code under test.
    for record_id in (a1, a2, b1):
        parsed = uuid.UUID(record_id)
        assert (str(parsed), parsed.version, parsed.variant) == (record_id, 7, uuid.RFC_4122)
    dossier = first.dossier(a1)
    assert dossier is not None
    assert dossier["receipt_number"] == f"{COMMUNE_CODE}-2601-00001"
    assert first.dossier(a2)["receipt_number"] == f"{COMMUNE_CODE}-2601-00002"  # type: ignore[index]
    assert second.dossier(b1)["receipt_number"] == f"{COMMUNE_CODE}-2602-00001"  # type: ignore[index]
    assert parse_receipt_number(dossier["receipt_number"]) == (COMMUNE_CODE, 26, 1, 1)
    assert dossier["applicant_name"] == "Giàng A Páo"
    assert dossier["status"] == "received"
    assert dossier["received_at"] == "2026-02-12T02:00:00+00:00"
    # Worked example: procedure 3 takes 5 working days. Received Thursday 12/02/2026 09:00;
    # the day of receipt is not counted (Civil Code 2015 art. 147); Friday 13/02 is day 1,
    # the Tết Bính Ngọ break runs 14/02 to 22/02/2026, then Monday 23/02 is day 2 ... and
    # Thursday 26/02 day 5.
    assert dossier["due_date"] == "2026-02-26"
    assert [d["provided"] for d in dossier["documents"]] == [False, True]
    assert dossier["handler_id"] == first.registration.officer_id
    [event] = first.timeline(a1)
    assert event["kind"] == "received" and event["to_status"] == "received"
    assert event["occurred_at"] == dossier["received_at"]
    creation = first.store.pending_operations()[0]
    assert creation.create and "note" not in creation.fields  # no empty fields sent
    # The citizen's check code is made here, offline, and differs per dossier (§11).
    codes = {first.dossier(i)["check_code"] for i in (a1, a2)} | {second.dossier(b1)["check_code"]}  # type: ignore[index]
    assert len(codes) == 3 and all(CHECK_CODE_RE.fullmatch(c) for c in codes)
    assert creation.fields["check_code"] == dossier["check_code"]
    # After sync the numbers stay what they were (G1).
    sync(first, fake_server)
    assert fake_server.get("dossier", a1)["receipt_number"] == dossier["receipt_number"]  # type: ignore[index]
    assert first.dossier(a1)["receipt_number"] == dossier["receipt_number"]  # type: ignore[index]


def test_a_refused_dossier_consumes_no_receipt_serial(tablet: Tablet) -> None:
    with pytest.raises(InvalidInput) as refused:
        tablet.create_dossier(1, "Vàng A Sử", applicant_cccd="12345")
    assert "applicant_cccd" in refused.value.errors
    assert tablet.store.pending_count() == 0
    made = tablet.create_dossier(1, "Vàng A Sử")
    assert tablet.dossier(made)["receipt_number"].endswith("-00001")  # type: ignore[index]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"applicant_phone": "12345"}, "applicant_phone"),
        ({"received_at": datetime.now(UTC) + timedelta(hours=1)}, "received_at"),
        ({"applicant_dob": date.today() + timedelta(days=3)}, "applicant_dob"),
        ({"village_id": OTHER_VILLAGE_ID}, "village_id"),
        ({"channel": "fax"}, "channel"),
    ],
)
def test_the_tablet_refuses_what_the_server_would(
    tablet: Tablet, kwargs: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        tablet.create_dossier(1, "Thào A Lử", **kwargs)
    assert field in refused.value.errors
    assert tablet.store.pending_count() == 0


def test_unknown_procedure_and_empty_name(tablet: Tablet) -> None:
    with pytest.raises(InvalidInput, match="Thủ tục 999"):
        tablet.create_dossier(999, "Thào A Lử")
    with pytest.raises(InvalidInput) as refused:
        tablet.create_dossier(1, "   ")
    assert "applicant_name" in refused.value.errors


def test_status_follows_the_state_machine(tablet: Tablet) -> None:
    dossier_id = tablet.create_dossier(1, "Lý Láo Tả")
    clock_before = tablet.store.read_record("dossier", dossier_id).clocks["status"]  # type: ignore[union-attr]
    tablet.change_status(dossier_id, "in_progress", "Đã xác minh")
    status_op = tablet.store.pending_operations()[-2]
    assert status_op.fields == {"status": "in_progress"}
    assert status_op.base == {"status": clock_before}
    events = tablet.timeline(dossier_id)
    assert [(e["kind"], e.get("from_status"), e.get("to_status")) for e in events] == [
        ("received", None, "received"),
        ("status_changed", "received", "in_progress"),
    ]
    with pytest.raises(InvalidInput, match="in_progress"):
        tablet.change_status(dossier_id, "received")
    tablet.change_status(dossier_id, "approved")
    tablet.change_status(dossier_id, "result_returned")
    dossier = tablet.dossier(dossier_id)
    assert dossier is not None and dossier["status"] == "result_returned"
    assert dossier["result_returned_at"] is not None
    with pytest.raises(InvalidInput):
        tablet.change_status(dossier_id, "withdrawn")  # final


def test_g10_edits_carry_only_changed_fields_and_their_base(
    tablet: Tablet, fake_server: FakeServer
) -> None:
    dossier_id = tablet.create_dossier(1, "Hầu A Dình", applicant_phone="0912345678")
    sync(tablet, fake_server)
    clocks = tablet.store.read_record("dossier", dossier_id).clocks  # type: ignore[union-attr]
    assert tablet.edit("dossier", dossier_id, applicant_phone="0912345678") is None
    tablet.edit("dossier", dossier_id, applicant_phone="0987654321", note="Gọi lại sau")
    edit = last_op(tablet)
    assert edit.fields == {"applicant_phone": "0987654321", "note": "Gọi lại sau"}
    assert edit.base == {"applicant_phone": clocks["applicant_phone"]}  # note was never set
    with pytest.raises(InvalidInput) as immutable:
        tablet.edit("dossier", dossier_id, receipt_number="02965-2601-99999")
    assert "receipt_number" in immutable.value.errors
    with pytest.raises(InvalidInput) as server_owned:
        tablet.edit("dossier", dossier_id, due_date="2030-01-01")
    assert "due_date" in server_owned.value.errors
    with pytest.raises(InvalidInput):
        tablet.edit("dossier", dossier_id, status="approved")
    with pytest.raises(InvalidInput):
        tablet.edit("procedure", "1", processing_days=1)


def test_apology_feedback_and_survey(tablet: Tablet) -> None:
    dossier_id = tablet.create_dossier(1, "Mùa Thị Dua")
    apology_id = tablet.add_apology(dossier_id, "Chờ xác minh tại thôn", date(2026, 3, 2))
    apology = tablet.store.get("dossier_apology", apology_id)
    assert apology is not None and apology["new_due_date"] == "2026-03-02"
    assert tablet.timeline(dossier_id)[-1]["kind"] == "apology"
    feedback_id = tablet.add_feedback(
        "complaint", "Quá hẹn", citizen_name="Lầu A Chư", anonymous=True
    )
    feedback = tablet.store.get("feedback", feedback_id)
    assert feedback is not None
    assert feedback["citizen_name"] is None  # anonymous: the name is not kept
    assert feedback["status"] == "new"
    answers: dict[str, Any] = {f"q{n}": 5 for n in range(1, 9)}
    answers |= {"q9": False, "q10": False, "q11": "hmn"}
    response_id = tablet.add_survey_response(1, answers, 72, gender="female")
    response = tablet.store.get("survey_response", response_id)
    assert response is not None and response["answers"] == answers
    for bad, question in (
        ({**answers, "q1": 6}, "q1"),
        ({k: v for k, v in answers.items() if k != "q9"}, "q9"),
        ({**answers, "q11": "fr"}, "q11"),
        ({**answers, "q99": 1}, "q99"),
    ):
        with pytest.raises(InvalidInput) as refused:
            tablet.add_survey_response(1, bad, 72)
        assert question in refused.value.errors


def test_g11_photos_are_kept_by_content(tablet: Tablet, tmp_path: Any) -> None:
    dossier_id = tablet.create_dossier(1, "Lù Thị Lan")
    data = random.Random(3).randbytes(10_000)
    picture = tmp_path / "giay-khai-sinh.jpg"
    picture.write_bytes(data)
    first = tablet.attach_photo("dossier", dossier_id, picture)
    second = tablet.attach_photo("dossier", dossier_id, data, "image/jpeg", filename="lai.jpg")
    photos = tablet.photos("dossier", dossier_id)
    assert {p["id"] for p in photos} == {first, second}
    sha = hashlib.sha256(data).hexdigest()
    assert {p["sha256"] for p in photos} == {sha}
    assert photos[0]["content_type"] == "image/jpeg" and photos[0]["size"] == 10_000
    assert len(tablet.store.pending_blobs()) == 1  # one file for both
    path = tablet.store.blob_path(sha)
    assert path is not None and path.read_bytes() == data
    with pytest.raises(InvalidInput):
        tablet.attach_photo("dossier", "0190a0b0-0000-7000-8000-000000000000", data)


# -- merges seen from two tablets --------------------------------------------------------------


def test_g5_concurrent_edits_merge_and_the_loser_is_kept(
    make_tablet: MakeTablet, fake_server: FakeServer
) -> None:
    a, b = make_tablet(), make_tablet()
    dossier_id = a.create_dossier(1, "Giàng Seo Chứ")
    sync(a, fake_server)
    sync(b, fake_server)
    # Offline on both: different fields, and the same field.
    a.edit("dossier", dossier_id, applicant_phone="0911111111", note="Ghi chú của máy 1")
    b.edit("dossier", dossier_id, applicant_address="Thôn Lao Chải", note="Ghi chú của máy 2")
    b_wins = last_op(b).stamp > last_op(a).stamp
    winner, loser = ("Ghi chú của máy 2", "Ghi chú của máy 1")[:: 1 if b_wins else -1]
    sync(a, fake_server)
    sync(b, fake_server)
    sync(a, fake_server)
    for tablet in (a, b):
        dossier = tablet.dossier(dossier_id)
        assert dossier is not None
        assert dossier["applicant_phone"] == "0911111111"
        assert dossier["applicant_address"] == "Thôn Lao Chải"
        assert dossier["note"] == winner  # the greater stamp wins
    assert (
        a.dossier(dossier_id)
        == b.dossier(dossier_id)
        == {
            "id": dossier_id,
            **fake_server.get("dossier", dossier_id),  # type: ignore[dict-item]
        }
    )
    [conflict] = a.conflicts()
    assert b.conflicts() == [conflict]
    assert conflict["field"] == "note" and conflict["lost_value"] == loser
    # A person overturns it from tablet A: the lost value comes back everywhere.
    a.resolve_conflict(conflict["id"], "overturned")
    sync(a, fake_server)
    sync(b, fake_server)
    assert b.dossier(dossier_id)["note"] == loser  # type: ignore[index]
    assert a.conflicts() == b.conflicts() == []


def test_g5_a_lost_write_pulled_back_is_corrected(
    make_tablet: MakeTablet, fake_server: FakeServer
) -> None:
    a, b = make_tablet(), make_tablet()
    dossier_id = a.create_dossier(1, "Vàng Thị Mỷ")
    sync(a, fake_server)
    sync(b, fake_server)
    a.edit("dossier", dossier_id, note="máy 1, sửa trước")
    time.sleep(0.005)  # B's write is later by its wall clock too
    b.edit("dossier", dossier_id, note="máy 2, sửa sau")
    assert last_op(b).stamp > last_op(a).stamp
    sync(b, fake_server)  # B's later write lands first
    sync(a, fake_server)  # A's earlier write loses; the record itself does not change
    assert a.dossier(dossier_id)["note"] == "máy 2, sửa sau"  # type: ignore[index]
    assert len(a.conflicts()) == 1


def test_g6_a_returned_result_is_not_undone_by_a_stale_offline_edit(
    make_tablet: MakeTablet, fake_server: FakeServer
) -> None:
    a, b = make_tablet(), make_tablet()
    dossier_id = a.create_dossier(1, "Sình A Pó")
    sync(a, fake_server)
    sync(b, fake_server)
    for status in ("approved", "result_returned"):
        a.change_status(dossier_id, status)
    sync(a, fake_server)
    b.change_status(dossier_id, "in_progress", "Máy 2 không biết đã trả kết quả")
    sync(b, fake_server)
    assert fake_server.get("dossier", dossier_id)["status"] == "result_returned"  # type: ignore[index]
    assert b.dossier(dossier_id)["status"] == "result_returned"  # type: ignore[index]
    [conflict] = b.conflicts()
    assert conflict["reason"] == "stale_status" and conflict["lost_value"] == "in_progress"
    # The stale transition's timeline event is kept: append-only union.
    assert [e["kind"] for e in b.timeline(dossier_id)].count("status_changed") == 3
    with pytest.raises(InvalidInput):
        b.resolve_conflict(conflict["id"], "overturned")


def test_g12_refused_by_the_server_is_shown_and_corrected(
    tmp_path: Any, fake_server: FakeServer
) -> None:
    # A tablet whose clock runs an hour ahead, before its first contact.
    ahead = ManualClock(int(datetime.now(UTC).timestamp() * 1000) + 3_600_000)
    tablet = Tablet(tmp_path / "ahead.db", physical=ahead)
    tablet.adopt_registration("fake://", fake_server.registration())
    feedback_id = tablet.add_feedback("praise", "Cán bộ nhiệt tình")
    other = tablet.add_feedback("recommendation", "Thêm ghế chờ", received_at=datetime.now(UTC))
    report = tablet.sync(FakeTransport(fake_server, 1))
    assert report.ok and report.rejected == 1 and report.applied == 1
    status = tablet.status()
    assert status.clock_warning is not None and "nhanh" in status.clock_warning
    [rejected] = status.rejected
    assert rejected.reason == "date_in_future" and rejected.op.record_id == feedback_id
    assert not tablet.on_server("feedback", feedback_id)
    assert tablet.on_server("feedback", other)
    # The officer corrects the time; the correction goes out as a new creation.
    tablet.edit("feedback", feedback_id, received_at=tablet.now() - timedelta(minutes=1))
    assert last_op(tablet).create
    assert tablet.sync(FakeTransport(fake_server, 1)).ok
    assert tablet.status().rejected == []
    assert tablet.on_server("feedback", feedback_id)
    assert fake_server.get("feedback", feedback_id) is not None
    tablet.close()


def test_not_registered(tmp_path: Any) -> None:
    with Tablet(tmp_path / "new.db") as tablet:
        assert not tablet.status().registered
        with pytest.raises(NotRegistered):
            tablet.create_dossier(1, "Ma Văn Bình")
        with pytest.raises(NotRegistered):
            tablet.sync()


# -- against the real server over HTTP ---------------------------------------------------------


def _registered(tmp_path: Any, live_server: LiveServer, username: str, name: str) -> Tablet:
    tablet = Tablet(tmp_path / f"{name}.db")
    tablet.register(live_server.url, username, factories.PASSWORD, name)
    report = tablet.sync()
    assert report.ok, report.error
    return tablet


def test_live_g1_register_receive_offline_and_sync(
    tmp_path: Any, live_server: LiveServer, world: Any, session: Session
) -> None:
    tablet = _registered(tmp_path, live_server, world.a.officer.username, "live")
    assert tablet.registration.commune_id == world.a.commune.id
    assert tablet.procedure(world.procedure.id) is not None
    dossier_id = tablet.create_dossier(
        world.procedure.id,
        "Giàng A Páo",
        applicant_cccd=factories.valid_cccd(),
        village_id=world.a.village.id,
        provided_documents=[0, 1],
    )
    tablet.change_status(dossier_id, "in_progress")
    report = tablet.sync()
    assert report.ok, report.error
    assert report.rejected == 0 and tablet.status().pending == 0
    assert tablet.on_server("dossier", dossier_id)
    session.rollback()
    stored = session.get(Dossier, dossier_id)
    assert stored is not None and stored.commune_id == world.a.commune.id
    assert stored.receipt_number == tablet.dossier(dossier_id)["receipt_number"]  # type: ignore[index]
    assert stored.status == "in_progress"
    events = session.scalars(select(DossierEvent).where(DossierEvent.dossier_id == dossier_id))
    assert len(list(events)) == 2
    tablet.close()


def test_live_g5_two_tablets_converge(tmp_path: Any, live_server: LiveServer, world: Any) -> None:
    a = _registered(tmp_path, live_server, world.a.officer.username, "a")
    b = _registered(tmp_path, live_server, world.a.leader.username, "b")
    dossier_id = a.create_dossier(world.procedure.id, "Sùng Thị Mai")
    assert a.sync().ok
    assert b.sync().ok
    a.edit("dossier", dossier_id, applicant_phone="0911111111", note="máy 1")
    b.edit("dossier", dossier_id, applicant_address="Thôn 2", note="máy 2")
    winner, loser = (
        ("máy 2", "máy 1") if last_op(b).stamp > last_op(a).stamp else ("máy 1", "máy 2")
    )
    for tablet in (a, b, a):
        report = tablet.sync()
        assert report.ok, report.error
    assert a.dossier(dossier_id) == b.dossier(dossier_id)
    merged = a.dossier(dossier_id)
    assert merged is not None
    assert (merged["applicant_phone"], merged["applicant_address"]) == ("0911111111", "Thôn 2")
    assert merged["note"] == winner  # the greater stamp wins
    assert [c["lost_value"] for c in a.conflicts()] == [loser]
    assert b.conflicts() == a.conflicts()
    a.close()
    b.close()


def test_live_g11_photo_uploaded_and_linked(
    tmp_path: Any, live_server: LiveServer, world: Any, session: Session
) -> None:
    tablet = _registered(tmp_path, live_server, world.a.officer.username, "photo")
    dossier_id = tablet.create_dossier(world.procedure.id, "Lò Văn Thắng")
    data = b"\xff\xd8\xff\xe0" + random.Random(5).randbytes(150_000)
    attachment_id = tablet.attach_photo("dossier", dossier_id, data, "image/jpeg")
    report = tablet.sync()
    assert report.ok, report.error
    assert report.photos_uploaded == 1
    session.rollback()
    sha = hashlib.sha256(data).hexdigest()
    blob = session.get(Blob, sha)
    assert blob is not None and blob.verified and blob.size == len(data)
    assert session.get(Attachment, attachment_id) is not None
    tablet.close()


def test_live_g9_revoked_tablet_keeps_its_data(
    tmp_path: Any, live_server: LiveServer, world: Any, session: Session
) -> None:
    tablet = _registered(tmp_path, live_server, world.a.officer.username, "revoked")
    dossier_id = tablet.create_dossier(world.procedure.id, "Thào A Tủa")
    session.rollback()
    device = session.get(Device, tablet.registration.device_id)
    assert device is not None
    revoke_device(session, device, by=None)
    session.commit()
    report = tablet.sync()
    assert report.revoked and not report.ok
    assert tablet.dossier(dossier_id) is not None
    assert tablet.status().pending == 2
    tablet.close()
