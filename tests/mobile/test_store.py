"""The tablet's SQLite store: the DeviceStore contract, transactions, outbox, pulls, photos."""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from mobile.store import SQLiteDeviceStore, StoreError
from sync.ids import new_id
from sync.ops import Change, Cursor, Operation, Outcome, OutcomeKind, Reason
from sync.storage import BlobRef, DeviceStore

K1 = "0midc1z40000" + "1"  # stamps of device 1, increasing
K2 = "0midc1z40001" + "1"
K3 = "0midc1z40002" + "1"
S1 = "0midc1z40000s1"  # stamps of the server
S2 = "0midc1z50000s1"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteDeviceStore]:
    opened = SQLiteDeviceStore(tmp_path / "tablet.db")
    yield opened
    opened.close()


def op(
    record_id: str,
    fields: dict[str, Any],
    stamp: str,
    *,
    collection: str = "dossier",
    create: bool = False,
    base: dict[str, str] | None = None,
) -> Operation:
    return Operation(new_id(), collection, record_id, stamp, fields, base or {}, create)


def test_it_is_a_device_store(store: SQLiteDeviceStore) -> None:
    device_store: DeviceStore = store  # checked by mypy against the Protocol
    assert device_store.pending_count() == 0
    assert device_store.cursor() == Cursor()


def test_fields_round_trip_with_their_clocks(store: SQLiteDeviceStore) -> None:
    rid = new_id()
    store.write_fields(
        "dossier",
        rid,
        {
            "applicant_dob": (date(1990, 5, 17), K1),
            "received_at": (datetime(2026, 2, 12, 2, 0, tzinfo=UTC), K1),
            "documents": ([{"name_vi": "Tờ khai", "provided": True}], K1),
            "note": (None, K1),
        },
    )
    store.write_fields("dossier", rid, {"applicant_name": ("Giàng A Páo", K2)})
    state = store.read_record("dossier", rid)
    assert state is not None
    assert state.fields == {
        "applicant_dob": "1990-05-17",
        "received_at": "2026-02-12T02:00:00+00:00",
        "documents": [{"name_vi": "Tờ khai", "provided": True}],
        "note": None,
        "applicant_name": "Giàng A Páo",
    }
    assert state.clocks == dict.fromkeys(state.fields, K1) | {"applicant_name": K2}
    assert list(store.record_ids("dossier")) == [rid]
    assert store.read_record("dossier", new_id()) is None


def test_g2_a_local_edit_and_its_outbox_entry_commit_together(store: SQLiteDeviceStore) -> None:
    rid = new_id()
    first = op(rid, {"applicant_name": "Sùng Thị Mai"}, K1, create=True)
    store.record_local(first)
    # The same operation id again fails on the outbox: the record write rolls back too.
    clash = Operation(first.op_id, "dossier", rid, K2, {"applicant_name": "Khác"})
    with pytest.raises(sqlite3.IntegrityError):
        store.record_local(clash)
    state = store.read_record("dossier", rid)
    assert state is not None and state.fields["applicant_name"] == "Sùng Thị Mai"
    assert state.clocks["applicant_name"] == K1
    assert store.pending_operations() == [first]


def test_g2_a_failed_transaction_leaves_no_trace(store: SQLiteDeviceStore) -> None:
    rid = new_id()

    def crash_mid_transaction() -> None:
        with store.transaction():
            assert store.next_counter("receipt_serial:2026") == 1
            store.record_local(op(rid, {"applicant_name": "Lò Văn Thắng"}, K1, create=True))
            raise RuntimeError("the app crashed here")

    with pytest.raises(RuntimeError):
        crash_mid_transaction()
    assert store.read_record("dossier", rid) is None
    assert store.pending_count() == 0
    assert store.counter("receipt_serial:2026") == 0
    with store.transaction():
        assert store.next_counter("receipt_serial:2026") == 1
    assert store.next_counter("receipt_serial:2026") == 2


def test_durable_settings(store: SQLiteDeviceStore, tmp_path: Path) -> None:
    connection = sqlite3.connect(tmp_path / "tablet.db")
    assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    connection.close()
    inner = store._connection()
    assert inner.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_outbox_keeps_insertion_order(store: SQLiteDeviceStore) -> None:
    ops = [op(new_id(), {"note": f"{n}"}, K1, create=True) for n in range(5)]
    for each in ops:
        store.record_local(each)
    assert store.pending_operations() == ops
    assert store.pending_operations(limit=2) == ops[:2]
    assert store.pending_count() == 5
    assert [e.position for e in store.outbox()] == sorted(e.position for e in store.outbox())


def test_pull_keeps_fields_with_pending_local_edits(store: SQLiteDeviceStore) -> None:
    rid = new_id()
    store.apply_changes(
        [
            Change(
                "dossier",
                rid,
                5,
                {"applicant_name": "A", "note": "x"},
                {"applicant_name": S1, "note": S1},
            )
        ],
        Cursor(3, 5),
    )
    store.record_local(op(rid, {"note": "officer's note"}, K2, base={"note": S1}))
    store.apply_changes(
        [
            Change(
                "dossier",
                rid,
                9,
                {"applicant_name": "B", "note": "y"},
                {"applicant_name": S2, "note": S2},
            )
        ],
        Cursor(3, 9),
    )
    state = store.read_record("dossier", rid)
    assert state is not None
    assert state.fields == {"applicant_name": "B", "note": "officer's note"}
    assert state.clocks == {"applicant_name": S2, "note": K2}
    assert store.cursor() == Cursor(3, 9)


def test_g10_a_page_and_its_cursor_are_applied_together(store: SQLiteDeviceStore) -> None:
    good = Change("dossier", new_id(), 1, {"note": "ok"}, {"note": S1})
    bad = Change("dossier", new_id(), 2, {"note": object()}, {"note": S1})
    with pytest.raises(TypeError):
        store.apply_changes([good, bad], Cursor(0, 2))
    assert store.read_record("dossier", good.record_id) is None
    assert store.cursor() == Cursor()


def test_reference_changes_and_tombstones(store: SQLiteDeviceStore) -> None:
    store.apply_changes(
        [
            Change("procedure", "4", 1, {"code": "1.001193", "processing_days": 3}),
            Change("feedback", new_id(), 1, {"content": "gone"}, {"content": S1}, deleted=True),
        ],
        Cursor(1, 1),
    )
    procedure = store.read_record("procedure", "4")
    assert procedure is not None and procedure.clocks == {}
    assert store.count_records("feedback") == 0
    assert store.count_records("feedback", include_deleted=True) == 1
    store.apply_changes([Change("procedure", "4", 2, {"processing_days": 5})], Cursor(2, 1))
    assert store.get("procedure", "4") == {"id": "4", "code": "1.001193", "processing_days": 5}


def test_acknowledged_operations_leave_the_outbox(store: SQLiteDeviceStore) -> None:
    rid = new_id()
    created = op(rid, {"applicant_name": "A"}, K1, create=True)
    edited = op(rid, {"note": "n"}, K2)
    store.record_local(created)
    store.record_local(edited)
    assert not store.is_acknowledged("dossier", rid)
    store.apply_outcomes([Outcome(created.op_id, OutcomeKind.APPLIED, 1)])
    assert not store.is_acknowledged("dossier", rid)
    store.apply_outcomes([Outcome(edited.op_id, OutcomeKind.MERGED, 2)])
    assert store.is_acknowledged("dossier", rid)
    assert store.pending_count() == 0
    # Verdicts are idempotent: a repeated answer changes nothing.
    store.apply_outcomes([Outcome(edited.op_id, OutcomeKind.MERGED, 2)])
    assert store.pending_count() == 0


def test_g12_rejected_edit_is_kept_and_the_record_shows_the_server_value(
    store: SQLiteDeviceStore,
) -> None:
    rid = new_id()
    store.apply_changes(
        [Change("dossier", rid, 1, {"status": "result_returned"}, {"status": S1})], Cursor(0, 1)
    )
    stale = op(rid, {"status": "in_progress"}, K2, base={"status": S1})
    store.record_local(stale)
    store.apply_outcomes(
        [
            Outcome(
                stale.op_id,
                OutcomeKind.REJECTED,
                reason=Reason.INVALID_TRANSITION,
                message="Không thể chuyển hồ sơ (cannot)",
                errors={"status": "result_returned → in_progress"},
            )
        ]
    )
    assert store.pending_count() == 0
    [rejected] = store.rejected_operations()
    assert rejected.op == stale and rejected.reason == "invalid_transition"
    assert rejected.errors == {"status": "result_returned → in_progress"}
    assert store.get("dossier", rid) == {"id": rid, "status": "result_returned"}
    assert not store.is_acknowledged("dossier", rid)
    assert store.dismiss_rejected(stale.op_id)
    assert store.is_acknowledged("dossier", rid)


def test_g12_rejected_creation_stays_as_typed(store: SQLiteDeviceStore) -> None:
    rid = new_id()
    created = op(rid, {"applicant_name": "Vàng Seo Chứ"}, K1, create=True)
    store.record_local(created)
    store.apply_outcomes(
        [Outcome(created.op_id, OutcomeKind.REJECTED, reason=Reason.INVALID, message="m")]
    )
    typed = store.get("dossier", rid)
    assert typed is not None
    assert typed["applicant_name"] == "Vàng Seo Chứ"
    assert {k: v for k, v in typed.items() if v not in (None, "", [], {}) and v is not False} == {
        "id": rid,
        "applicant_name": "Vàng Seo Chứ",
    }
    assert store.creation_rejected("dossier", rid)
    fixed = op(rid, {"applicant_name": "Vàng Seo Chứ", "note": "đã sửa"}, K2, create=True)
    store.record_local(fixed)
    assert not store.creation_rejected("dossier", rid)
    store.apply_outcomes([Outcome(fixed.op_id, OutcomeKind.APPLIED, 3)])
    assert store.rejected_operations() == []  # the correction superseded it
    assert store.is_acknowledged("dossier", rid)


def test_retryable_rejections_stay_pending(store: SQLiteDeviceStore) -> None:
    sha = hashlib.sha256(b"photo").hexdigest()
    store.add_blob(b"photo", "image/jpeg")
    attachment = op(
        new_id(),
        {"sha256": sha, "owner_id": new_id(), "size": 5},
        K1,
        collection="attachment",
        create=True,
    )
    event = op(new_id(), {"dossier_id": new_id()}, K2, collection="dossier_event", create=True)
    store.record_local(attachment)
    store.record_local(event)
    store.mark_blob_uploaded(sha)
    assert store.pending_blobs() == []
    store.apply_outcomes(
        [
            Outcome(attachment.op_id, OutcomeKind.REJECTED, reason=Reason.BLOB_MISSING),
            Outcome(event.op_id, OutcomeKind.REJECTED, reason=Reason.MISSING_PARENT),
        ]
    )
    assert store.pending_operations() == [attachment, event]
    assert store.rejected_operations() == []
    assert store.pending_blobs() == [BlobRef(sha, 5, "image/jpeg")]  # upload it again


def test_g8_restamped_write_takes_the_server_stamp(store: SQLiteDeviceStore) -> None:
    rid = new_id()
    ahead = "zzzzzzzzz000" + "1"  # a stamp from a clock centuries ahead
    first = op(rid, {"note": "a", "applicant_name": "B"}, ahead, create=True)
    second = op(rid, {"note": "c"}, ahead[:-4] + "0011", base={"note": ahead})
    store.record_local(first)
    store.record_local(second)
    store.apply_outcomes([Outcome(first.op_id, OutcomeKind.APPLIED, 1, restamped=S2)])
    state = store.read_record("dossier", rid)
    assert state is not None
    assert state.clocks["applicant_name"] == S2  # was the old stamp
    assert state.clocks["note"] == second.stamp  # a later local edit keeps its own
    # The pending edit now names the server's stamp as its base.
    assert store.pending_operations()[0].base == {"note": S2}


def test_g5_a_pulled_conflict_shows_the_value_the_server_kept(store: SQLiteDeviceStore) -> None:
    rid = new_id()
    store.apply_changes(
        [Change("dossier", rid, 1, {"applicant_phone": "0912345678"}, {"applicant_phone": S1})],
        Cursor(0, 1),
    )
    mine = op(rid, {"applicant_phone": "0987654321"}, K1, base={"applicant_phone": S1})
    store.record_local(mine)
    store.apply_outcomes([Outcome(mine.op_id, OutcomeKind.CONFLICT, 1, conflicts=("c",))])
    conflict = {
        "collection": "dossier",
        "record_id": rid,
        "field": "applicant_phone",
        "reason": "concurrent_edit",
        "kept_value": "0911111111",
        "kept_clock": S2,
        "lost_value": "0987654321",
        "lost_clock": K1,
        "status": "open",
    }
    change = Change("sync_conflict", new_id(), 3, conflict, dict.fromkeys(conflict, S2))
    store.apply_changes([change], Cursor(0, 3))
    state = store.read_record("dossier", rid)
    assert state is not None
    assert state.fields["applicant_phone"] == "0911111111"
    assert state.clocks["applicant_phone"] == S2
    # Applying it again (a repeated page) changes nothing.
    store.apply_changes([change], Cursor(0, 3))
    assert store.read_record("dossier", rid) == state


def test_photos_are_files_written_before_commit(store: SQLiteDeviceStore) -> None:
    data = bytes(range(256)) * 100
    ref = store.add_blob(data, "image/jpeg")
    assert ref == BlobRef(hashlib.sha256(data).hexdigest(), len(data), "image/jpeg")
    path = store.blob_path(ref.sha256)
    assert path is not None and path.read_bytes() == data
    assert path.parent.parent == store.blob_dir
    assert store.read_blob(ref.sha256, 1000, 10) == data[1000:1010]
    assert store.read_blob(ref.sha256, len(data) - 5, 100) == data[-5:]
    assert store.add_blob(data, "image/jpeg") == ref  # de-duplicated
    assert store.pending_blobs() == []  # no pending attachment needs it yet
    with pytest.raises(StoreError):
        store.read_blob("0" * 64, 0, 1)


def test_queries_for_screens(store: SQLiteDeviceStore) -> None:
    ids = [new_id() for _ in range(4)]
    rows = [
        ("received", "2026-02-12", True),
        ("in_progress", "2026-02-10", False),
        ("received", "2026-02-11", None),
        ("approved", "2026-02-09", True),
    ]
    for rid, (status, due, flag) in zip(ids, rows, strict=True):
        store.record_local(
            op(rid, {"status": status, "due_date": due, "public": flag}, K1, create=True)
        )
    assert [r["id"] for r in store.list_records("dossier", {"status": "received"})] == [
        ids[0],
        ids[2],
    ]
    assert store.count_records("dossier", {"status": ["received", "approved"]}) == 3
    assert store.count_records("dossier", {"public": True}) == 2
    assert store.count_records("dossier", {"public": None}) == 1
    by_due = store.list_records("dossier", order_by="due_date", descending=True, limit=2)
    assert [r["due_date"] for r in by_due] == ["2026-02-12", "2026-02-11"]
    assert store.find(ids[1]) == ("dossier", store.get("dossier", ids[1]))
    assert store.collections() == {"dossier": 4}
    with pytest.raises(StoreError):
        store.list_records("dossier", {"status') OR 1=1 --": "x"})


def test_the_ui_thread_and_the_sync_thread_write_together(store: SQLiteDeviceStore) -> None:
    errors: list[BaseException] = []
    created: list[str] = []

    def officer() -> None:
        try:
            for n in range(150):
                rid = new_id()
                store.record_local(op(rid, {"note": str(n)}, K1, create=True))
                created.append(rid)
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    def sync() -> None:
        try:
            for page in range(50):
                changes = [
                    Change("feedback", new_id(), page * 3 + i, {"content": "x"}, {"content": S1})
                    for i in range(3)
                ]
                store.apply_changes(changes, Cursor(0, page * 3 + 2))
                store.apply_outcomes([])
        except BaseException as error:  # pragma: no cover
            errors.append(error)

    threads = [threading.Thread(target=officer), threading.Thread(target=sync)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert store.pending_count() == 150
    assert store.count_records("dossier") == 150 and store.count_records("feedback") == 150
    assert store.cursor() == Cursor(0, 149)


def test_everything_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "t.db"
    first = SQLiteDeviceStore(path)
    rid = new_id()
    first.record_local(op(rid, {"note": "giữ lại"}, K1, create=True))
    first.set_setting("registration.device_no", "3")
    first.apply_changes([], Cursor(4, 7))
    first.close()
    with pytest.raises(StoreError):
        first.pending_count()
    with SQLiteDeviceStore(path) as again:
        kept = again.get("dossier", rid)
        assert kept is not None
        assert {k: v for k, v in kept.items() if v not in (None, [], {}) and v is not False} == {
            "id": rid,
            "note": "giữ lại",
        }
        assert again.pending_count() == 1
        assert again.get_setting("registration.device_no") == "3"
        assert again.settings("registration.") == {"registration.device_no": "3"}
        assert again.cursor() == Cursor(4, 7)


def test_a_removal_forgets_the_record_and_what_was_to_be_sent(store: SQLiteDeviceStore) -> None:
    """A dossier handed over away from this commune (PROTOCOL.md §14): the tablet keeps
    no personal data of it, nor operations the server would refuse."""
    rid, kept = new_id(), new_id()
    fields = {"applicant_name": "Lý Thị Sử", "note": "x"}
    clocks = {"applicant_name": S1, "note": S1}
    store.apply_changes(
        [Change("dossier", rid, 5, fields, clocks), Change("dossier", kept, 6, fields, clocks)],
        Cursor(3, 6),
    )
    store.record_local(op(rid, {"note": "officer's note"}, K2, base={"note": S1}))
    store.record_local(op(kept, {"note": "stays"}, K3, base={"note": S1}))
    store.apply_changes([Change("dossier", rid, 9, {}, gone=True)], Cursor(3, 9))
    assert store.read_record("dossier", rid) is None
    assert [o.record_id for o in store.pending_operations()] == [kept]
    assert store.read_record("dossier", kept) is not None
    assert store.cursor() == Cursor(3, 9)
    # On the wire a removal is "g": 1 with no fields.
    wire = Change("dossier", rid, 9, {}, gone=True).to_wire()
    assert wire == {"c": "dossier", "r": rid, "s": 9, "f": {}, "g": 1}
    assert Change.from_wire(wire).gone
