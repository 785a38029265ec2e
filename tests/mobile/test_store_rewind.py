"""After the server went back in time (PROTOCOL.md §12): the device's own writes are
queued again with their own clocks, the cursor restarts, photos are announced again."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mobile.store import SQLiteDeviceStore
from sync.ids import new_id
from sync.ops import Change, Cursor, Operation, Outcome, OutcomeKind

K1 = "0midc1z40000" + "1"  # stamps of device 1, increasing
K2 = "0midc1z40001" + "1"
K3 = "0midc1z40002" + "1"
OTHER = "0midc1z3zzzz" + "2"  # a colleague's tablet (device 2)
S1 = "0midc1z40000s1"  # the server

CREATED = {
    "receipt_number": "90001-HT-01-0001",
    "procedure_id": 1,
    "applicant_name": "Giàng A Páo",
    "channel": "counter",
    "received_at": "2026-12-07T02:00:00+00:00",
    "status": "received",
}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteDeviceStore]:
    opened = SQLiteDeviceStore(tmp_path / "tablet.db")
    yield opened
    opened.close()


def _acked(store: SQLiteDeviceStore, op: Operation) -> None:
    store.record_local(op)
    store.apply_outcomes([Outcome(op.op_id, OutcomeKind.APPLIED, 1)])


def test_own_writes_are_queued_again_with_their_clocks(store: SQLiteDeviceStore) -> None:
    mine, theirs = new_id(), new_id()
    _acked(store, Operation(new_id(), "dossier", mine, K1, dict(CREATED), {}, True))
    _acked(store, Operation(new_id(), "dossier", mine, K2, {"note": "đủ giấy"}, {}, False))
    # The server's due date (server-owned) and a colleague's dossier, then my edit of it.
    store.apply_changes(
        [
            Change("dossier", mine, 3, {"due_date": "2026-12-10"}, {"due_date": S1}),
            Change("dossier", theirs, 4, {**CREATED, "receipt_number": "90001-HT-02-0001"},
                   dict.fromkeys(CREATED, OTHER)),
        ],
        Cursor(2, 4),
    )  # fmt: skip
    _acked(store, Operation(new_id(), "dossier", theirs, K3, {"note": "gọi lại"}, {}, False))
    photo = store.add_blob(b"\xff\xd8 photo", "image/jpeg", uploaded=True)
    attachment = {
        "owner_collection": "dossier",
        "owner_id": mine,
        "sha256": photo.sha256,
        "filename": "giay-to.jpg",
        "content_type": "image/jpeg",
        "size": photo.size,
    }
    _acked(store, Operation(new_id(), "attachment", new_id(), K2, attachment, {}, True))
    clocks_before = {rid: store.read_record("dossier", rid).clocks for rid in (mine, theirs)}  # type: ignore[union-attr]
    assert store.pending_count() == 0 and store.pending_blobs() == []

    assert store.resend_after_rewind("1") == 4
    # In clock order, so a parent comes before what refers to it.
    first, photo_record, second, third = store.pending_operations()
    # My dossier is created again at its creation clock, with its required fields …
    assert (first.record_id, first.stamp, first.create) == (mine, K1, True)
    assert first.fields == CREATED and first.base == dict.fromkeys(CREATED, K1)
    # … then my later edit at its own clock; the server's due date is not sent.
    assert (second.record_id, second.stamp, second.create, second.fields) == (
        mine, K2, False, {"note": "đủ giấy"}
    )  # fmt: skip
    # The colleague's dossier: only my edit, never a creation (theirs re-creates it).
    assert (third.record_id, third.stamp, third.create, third.fields) == (
        theirs, K3, False, {"note": "gọi lại"}
    )  # fmt: skip
    assert (photo_record.collection, photo_record.create) == ("attachment", True)
    assert store.cursor() == Cursor()
    # Its photo is announced again (the server says whether it still has the bytes).
    assert [b.sha256 for b in store.pending_blobs()] == [photo.sha256]
    for rid, clocks in clocks_before.items():  # nothing dated back
        assert store.read_record("dossier", rid).clocks == clocks  # type: ignore[union-attr]
