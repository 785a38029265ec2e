"""The client engine driving the tablet's SQLite store and an in-process fake server.

Failures are injected in the transport: a request lost before it reaches the server,
or a response lost after the server applied it. Sleeps are recorded, never slept.
"""

from __future__ import annotations

import hashlib
import itertools
import random
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mobile.store import SQLiteDeviceStore
from mobile.tablet import Tablet
from sync.engine import Adaptive, RetryPolicy, SyncEngine
from sync.errors import ServerRefused
from sync.hlc import HybridClock, ManualClock, Timestamp
from sync.ids import new_id
from sync.ops import Cursor, Operation
from sync.storage import BlobRef, BlobStatus, PullPage, PushResult
from sync.workdays import OFFICE_TZ
from tests.sync.fake_server import COMMUNE_ID, FakeServer, FakeTransport, Fault


@pytest.fixture
def server() -> FakeServer:
    fake = FakeServer()
    fake.seed_reference()
    return fake


@pytest.fixture
def tablet(tmp_path: Path, server: FakeServer) -> Iterator[Tablet]:
    device = Tablet(tmp_path / "tablet.db")
    device.adopt_registration("fake://", server.registration())
    assert device.sync(FakeTransport(server, 1)).ok  # the catalog, villages, the form
    yield device
    device.close()


def engine(
    tablet: Tablet, transport: FakeTransport, sleeps: list[float], **options: object
) -> SyncEngine:
    made = SyncEngine(
        tablet.store, transport, tablet.clock, sleep=sleeps.append, rng=random.Random(7)
    )
    for key, value in options.items():
        setattr(made, key, value)
    return made


def make_dossiers(tablet: Tablet, count: int) -> list[str]:
    return [tablet.create_dossier(1, f"Giàng A Páo {n}") for n in range(count)]


def fill_commune(tmp_path: Path, server: FakeServer, dossiers: int) -> None:
    """Another tablet fills the commune with ``dossiers`` dossiers."""
    other = Tablet(tmp_path / "other.db")
    other.adopt_registration("fake://", server.registration())
    assert other.sync(FakeTransport(server, 2)).ok
    make_dossiers(other, dossiers)
    assert other.sync(FakeTransport(server, 2)).ok
    other.close()


def test_retries_transport_errors_with_backoff(tablet: Tablet, server: FakeServer) -> None:
    make_dossiers(tablet, 2)
    transport = FakeTransport(server, 1, faults=[Fault("push", "before", times=2)])
    sleeps: list[float] = []
    report = engine(tablet, transport, sleeps).sync()
    assert report.ok, report.error
    assert report.pushed == 4
    assert transport.count("push") == 3
    assert report.requests == 4  # three push attempts, one pull
    # Exponential back-off with jitter: attempt n waits between base·2ⁿ/2 and base·2ⁿ.
    policy = RetryPolicy()
    assert len(sleeps) == 2
    for attempt, delay in enumerate(sleeps):
        ceiling = policy.base_delay * 2**attempt
        assert ceiling / 2 <= delay <= ceiling
    assert sleeps[1] > sleeps[0]
    assert tablet.store.pending_count() == 0


def test_gives_up_after_the_last_attempt_and_loses_nothing(
    tablet: Tablet, server: FakeServer
) -> None:
    ids = make_dossiers(tablet, 3)
    transport = FakeTransport(server, 1, faults=[Fault("push", "before", times=100)])
    sleeps: list[float] = []
    report = engine(tablet, transport, sleeps).sync()
    assert not report.ok
    assert report.error is not None and "injected" in report.error
    assert transport.count("push") == RetryPolicy().attempts
    assert len(sleeps) == RetryPolicy().attempts - 1
    assert tablet.store.pending_count() == 6
    assert all(tablet.dossier(i) is not None for i in ids)
    assert tablet.status().last_sync_at is not None  # from the first sync only
    again = engine(tablet, FakeTransport(server, 1), []).sync()
    assert again.ok and again.pushed == 6
    assert server.count("dossier") == 3


def test_g3_lost_response_is_applied_once(tablet: Tablet, server: FakeServer) -> None:
    make_dossiers(tablet, 3)
    ops = [op.op_id for op in tablet.store.pending_operations()]
    transport = FakeTransport(server, 1, faults=[Fault("push", "after")])
    report = engine(tablet, transport, []).sync()
    assert report.ok, report.error
    # The same batch went twice; the server applied each operation once and answered
    # the repeat with the stored outcomes.
    assert sorted(server.received) == sorted(ops * 2)
    assert sorted(server.applied) == sorted(ops)
    assert report.applied == 6 and report.conflicts == 0
    assert tablet.store.pending_count() == 0


def test_g10_resume_mid_push_without_resending_acknowledged_ops(
    tablet: Tablet, server: FakeServer
) -> None:
    make_dossiers(tablet, 13)  # 26 operations: batches of 10, 10, 6
    all_ops = [op.op_id for op in tablet.store.pending_operations()]
    transport = FakeTransport(server, 1, faults=[Fault("push", "before", skip=2, times=99)])
    report = engine(tablet, transport, [], push_batch=10).sync()
    assert not report.ok
    assert tablet.store.pending_count() == 6
    assert [op.op_id for op in tablet.store.pending_operations()] == all_ops[20:]
    assert sorted(server.received) == sorted(all_ops[:20])

    resumed = FakeTransport(server, 1)
    report = engine(tablet, resumed, [], push_batch=10).sync()
    assert report.ok, report.error
    assert resumed.calls[0] == ("push", all_ops[20:])  # only what was not acknowledged
    assert sorted(server.received) == sorted(all_ops)  # nothing sent twice
    assert server.count("dossier") == 13


def test_g10_resume_after_a_lost_push_response(tablet: Tablet, server: FakeServer) -> None:
    make_dossiers(tablet, 8)  # 16 operations: batches of 10 and 6
    all_ops = [op.op_id for op in tablet.store.pending_operations()]
    # The second batch is applied but every answer is lost: the sync gives up.
    transport = FakeTransport(server, 1, faults=[Fault("push", "after", skip=1, times=99)])
    assert not engine(tablet, transport, [], push_batch=10).sync().ok
    assert tablet.store.pending_count() == 6
    report = engine(tablet, FakeTransport(server, 1), [], push_batch=10).sync()
    assert report.ok
    assert sorted(server.applied) == sorted(all_ops)  # applied exactly once each
    assert server.count("dossier") == 8 and server.count("dossier_event") == 8


def test_g10_resume_mid_pull_from_the_stored_cursor(
    tmp_path: Path, tablet: Tablet, server: FakeServer
) -> None:
    fill_commune(tmp_path, server, 30)

    transport = FakeTransport(server, 1, faults=[Fault("pull", "before", skip=3, times=99)])
    report = engine(tablet, transport, [], pull_budget=2000, max_pull_budget=2000).sync()
    assert not report.ok
    stopped_at = tablet.store.cursor()
    assert stopped_at.commune > 0
    applied = tablet.store.count_records("dossier") + tablet.store.count_records("dossier_event")
    assert 0 < applied < 60

    resumed = FakeTransport(server, 1)
    report = engine(tablet, resumed, [], pull_budget=2000, max_pull_budget=2000).sync()
    assert report.ok, report.error
    cursors = [Cursor.decode(detail) for name, detail in resumed.calls if name == "pull"]
    assert cursors[0] == stopped_at  # resumes where the last applied page ended
    assert all(a.commune < b.commune for a, b in itertools.pairwise(cursors))
    assert report.pulled == 60 - applied  # nothing pulled twice
    assert tablet.store.count_records("dossier") == 30
    assert tablet.store.count_records("dossier_event") == 30


def test_g9_device_revoked_is_reported_and_local_data_kept(
    tablet: Tablet, server: FakeServer
) -> None:
    ids = make_dossiers(tablet, 2)
    server.revoked.add(1)
    sleeps: list[float] = []
    report = engine(tablet, FakeTransport(server, 1), sleeps).sync()
    assert report.revoked and not report.ok
    assert report.error is not None and "thu hồi" in report.error
    assert sleeps == []  # a refusal is not retried
    assert tablet.store.pending_count() == 4
    assert all(tablet.dossier(i) is not None for i in ids)


def test_g11_photo_upload_resumes_from_the_server_offset(
    tablet: Tablet, server: FakeServer
) -> None:
    dossier = make_dossiers(tablet, 1)[0]
    photo = random.Random(1).randbytes(200_000)
    tablet.attach_photo("dossier", dossier, photo, "image/jpeg")
    sha = hashlib.sha256(photo).hexdigest()
    # Chunk 2 reaches the server but its answer is lost: the engine asks the server where
    # it stands and goes on from there with half-size chunks, doubling again as chunks go
    # through. Then the link dies for good.
    transport = FakeTransport(
        server,
        1,
        faults=[
            Fault("append_blob", "after", skip=1),
            Fault("append_blob", "before", skip=2, times=99),
        ],
    )
    report = engine(tablet, transport, [], chunk_size=50_000).sync()
    assert not report.ok
    appends = [detail[1:] for name, detail in transport.calls if name == "append_blob"]
    assert appends[:5] == [
        (0, 50_000),
        (50_000, 50_000),  # applied, answer lost
        (100_000, 25_000),  # from the server's offset, half the size
        (125_000, 50_000),
        (175_000, 25_000),  # lost from here on; the size halves with each failure
    ]
    names = [
        name for name, _ in transport.calls if name in ("start_blobs", "start_blob", "append_blob")
    ]
    assert names[:4] == ["start_blobs", "append_blob", "append_blob", "start_blob"]
    held = len(server.blob_data[sha])
    assert held == 175_000
    # Records go before photo bytes: the cut during the photo held back no record.
    assert tablet.store.pending_count() == 0
    assert server.count("attachment") == 1 and sha not in server.complete
    assert [b.sha256 for b in tablet.store.pending_blobs()] == [sha]

    resumed = FakeTransport(server, 1)
    report = engine(tablet, resumed, [], chunk_size=50_000).sync()
    assert report.ok, report.error
    offsets = [detail[1] for name, detail in resumed.calls if name == "append_blob"]
    assert offsets == [175_000]  # only the missing bytes
    assert sha in server.complete and bytes(server.blob_data[sha]) == photo
    assert tablet.store.pending_blobs() == []
    assert server.count("attachment") == 1


def test_g11_records_go_before_photo_bytes_newest_dossier_first(
    tablet: Tablet, server: FakeServer
) -> None:
    """Every record (attachments included) is on the server before the first photo
    byte; photos follow newest dossier first, then in the order they were taken."""
    day = datetime(2026, 12, 7, 8, 0, tzinfo=OFFICE_TZ)
    older = tablet.create_dossier(1, "Giàng A Páo", received_at=day)
    newer = tablet.create_dossier(1, "Lù Thị Mai", received_at=day + timedelta(hours=2))
    photos = {name: random.Random(name).randbytes(30_000) for name in ("old-1", "new-1", "old-2")}
    tablet.attach_photo("dossier", older, photos["old-1"], "image/jpeg")
    tablet.attach_photo("dossier", newer, photos["new-1"], "image/jpeg")
    tablet.attach_photo("dossier", older, photos["old-2"], "image/jpeg")
    transport = FakeTransport(server, 1)
    assert tablet.sync(transport, photo_streams=1).ok
    names = [name for name, _ in transport.calls]
    first_byte = names.index("append_blob")
    assert names.index("push") < names.index("pull") < first_byte
    assert "push" not in names[first_byte:]
    sent = [detail[0] for name, detail in transport.calls if name == "append_blob"]
    digest = {name: hashlib.sha256(data).hexdigest() for name, data in photos.items()}
    assert sent == [digest["new-1"], digest["old-1"], digest["old-2"]]


def test_g11_a_sync_cut_during_the_photos_has_sent_every_record(
    tablet: Tablet, server: FakeServer
) -> None:
    dossiers = make_dossiers(tablet, 3)
    for n, dossier in enumerate(dossiers):
        tablet.attach_photo("dossier", dossier, random.Random(n).randbytes(40_000), "image/jpeg")
    # The link dies for good at the first photo byte.
    transport = FakeTransport(server, 1, faults=[Fault("append_blob", "before", times=99)])
    report = engine(tablet, transport, []).sync()
    assert not report.ok and report.photos_uploaded == 0
    assert tablet.store.pending_count() == 0
    assert server.count("dossier") == 3 and server.count("attachment") == 3
    assert len(tablet.store.pending_blobs()) == 3  # they go up at the next sync
    assert tablet.sync(FakeTransport(server, 1)).ok
    assert tablet.store.pending_blobs() == [] and len(server.complete) == 3


class _Overlapping(FakeTransport):
    """Holds each chunk a moment and counts how many are in flight at once."""

    def __init__(self, server: FakeServer, device_no: int) -> None:
        super().__init__(server, device_no)
        self.lock = threading.Lock()
        self.in_flight = self.most = 0
        self.started: list[str] = []

    def append_blob(self, sha256: str, offset: int, chunk: bytes) -> BlobStatus:
        with self.lock:
            self.in_flight += 1
            self.most = max(self.most, self.in_flight)
            if offset == 0:
                self.started.append(sha256)
        try:
            time.sleep(0.05)
            return super().append_blob(sha256, offset, chunk)
        finally:
            with self.lock:
                self.in_flight -= 1


def test_photos_go_up_back_to_back_on_two_streams(tablet: Tablet, server: FakeServer) -> None:
    """While one photo's last chunk waits for its answer the next photo's bytes flow:
    two photos are in flight at once, taken newest dossier first; all arrive whole."""
    day = datetime(2026, 12, 7, 8, 0, tzinfo=OFFICE_TZ)
    photos: list[str] = []
    for n in range(5):
        dossier = tablet.create_dossier(1, f"Giàng A Páo {n}", received_at=day + timedelta(hours=n))
        data = random.Random(n).randbytes(20_000)
        tablet.attach_photo("dossier", dossier, data, "image/jpeg")
        photos.append(hashlib.sha256(data).hexdigest())
    transport = _Overlapping(server, 1)
    report = tablet.sync(transport, chunk_size=8 * 1024)
    assert report.ok and report.photos_uploaded == 5, report.error
    assert transport.most == 2
    assert set(transport.started[:2]) == set(photos[-2:])  # the two newest dossiers first
    assert server.complete == set(photos)
    assert all(len(server.blob_data[sha]) == 20_000 for sha in photos)
    assert tablet.store.pending_blobs() == []


def test_a_stream_that_fails_stops_the_others_taking_photos(
    tablet: Tablet, server: FakeServer
) -> None:
    for n in range(6):
        tablet.attach_photo(
            "dossier", make_dossiers(tablet, 1)[0], random.Random(n).randbytes(9_000), "image/jpeg"
        )
    transport = FakeTransport(server, 1, faults=[Fault("append_blob", "before", skip=1, times=99)])
    report = engine(tablet, transport, []).sync()
    assert not report.ok and report.error is not None
    # one photo went through, the failing stream gave up, the other took no more
    assert report.photos_uploaded <= 2
    assert len(tablet.store.pending_blobs()) == 6 - report.photos_uploaded
    assert tablet.sync(FakeTransport(server, 1)).ok
    assert tablet.store.pending_blobs() == [] and len(server.complete) == 6


def test_g11_known_photo_is_not_uploaded_again(
    tmp_path: Path, tablet: Tablet, server: FakeServer
) -> None:
    photo = random.Random(2).randbytes(80_000)
    tablet.attach_photo("dossier", make_dossiers(tablet, 1)[0], photo, "image/jpeg")
    assert tablet.sync(FakeTransport(server, 1)).ok
    other = Tablet(tmp_path / "other.db")
    other.adopt_registration("fake://", server.registration())
    assert other.sync(FakeTransport(server, 2)).ok
    other.attach_photo("dossier", make_dossiers(other, 1)[0], photo, "image/jpeg")
    transport = FakeTransport(server, 2)
    report = other.sync(transport)
    assert report.ok and report.photos_uploaded == 1
    assert transport.count("start_blobs") == 1 and transport.count("append_blob") == 0
    other.close()


def test_g12_a_rejected_operation_blocks_nothing(tablet: Tablet, server: FakeServer) -> None:
    ids = make_dossiers(tablet, 2)
    future = (datetime.now(UTC) + timedelta(days=1)).replace(microsecond=0).isoformat()
    bad = Operation(
        op_id=new_id(),
        collection="dossier_event",
        record_id=new_id(),
        stamp=tablet.clock.now().encode(),
        fields={"dossier_id": ids[0], "kind": "note", "occurred_at": future},
        create=True,
    )
    tablet.store.record_local(bad)  # as if an old app version had let it through
    make_dossiers(tablet, 1)
    report = tablet.sync(FakeTransport(server, 1))
    assert report.ok and report.rejected == 1 and report.applied == 6
    assert server.count("dossier") == 3
    rejected = tablet.store.rejected_operations()
    assert [r.op.op_id for r in rejected] == [bad.op_id]
    assert rejected[0].reason == "date_in_future"
    assert tablet.store.get("dossier_event", bad.record_id) is not None  # kept to correct
    assert not tablet.on_server("dossier_event", bad.record_id)


def test_g8_a_clock_years_ahead_is_restamped_and_corrected(
    tmp_path: Path, server: FakeServer
) -> None:
    wrong = ManualClock(int(datetime.now(UTC).timestamp() * 1000) + 3 * 365 * 86_400_000)
    device = Tablet(tmp_path / "ahead.db", physical=wrong)
    device.adopt_registration("fake://", server.registration())
    # A record stamped by the wrong clock before the first contact.
    op = Operation(
        op_id=new_id(),
        collection="feedback",
        record_id=new_id(),
        stamp=device.clock.now().encode(),
        fields={
            "kind": "praise",
            "content": "Cán bộ nhiệt tình",
            "channel": "counter",
            "received_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
            "status": "new",
        },
        create=True,
    )
    device.store.record_local(op)
    report = device.sync(FakeTransport(server, 1))
    assert report.ok, report.error
    assert report.skew_ms > 3 * 364 * 86_400_000
    state = device.store.read_record("feedback", op.record_id)
    assert state is not None
    server_stamp = Timestamp.decode(state.clocks["content"])
    assert server_stamp.node == "s1"  # the server's re-stamp replaced the wrong one
    # The offset now corrects the clock: the next stamps are near true time.
    assert device.clock.offset_ms == -report.skew_ms
    assert abs(device.clock.physical_ms() - server.physical.now_ms()) < 60_000
    device.close()


def test_g14_progress_and_acknowledgement(tablet: Tablet, server: FakeServer) -> None:
    dossier = make_dossiers(tablet, 1)[0]
    tablet.attach_photo("dossier", dossier, b"\xff\xd8 photo bytes", "image/jpeg")
    assert not tablet.on_server("dossier", dossier)
    phases: list[tuple[str, int, int]] = []
    report = tablet.sync(FakeTransport(server, 1), lambda *p: phases.append(p))
    assert report.ok
    assert [p[0] for p in phases][:2] == ["push", "push"]
    assert ("push", 3, 3) in phases and phases[-1] == ("photos", 14, 14)
    # records first, the pull next, photo bytes last (G11)
    order = [p[0] for p in phases]
    assert order.index("pull") > max(i for i, p in enumerate(order) if p == "push")
    assert order.index("photos") > max(i for i, p in enumerate(order) if p == "pull")
    assert tablet.on_server("dossier", dossier)
    assert tablet.status().pending == 0 and tablet.status().last_sync_at is not None


def test_hlc_last_stamp_survives_a_restart_with_the_clock_gone_back(
    tmp_path: Path, server: FakeServer
) -> None:
    clock = ManualClock(1_900_000_000_000)
    device = Tablet(tmp_path / "t.db", physical=clock)
    device.adopt_registration("fake://", server.registration())
    server.seed_reference()
    assert device.sync(FakeTransport(server, 1)).ok
    device.create_dossier(1, "Lù Văn Pảo")
    last = device.clock.last
    device.close()
    clock.advance(-3_600_000)  # the clock went back an hour while the app was closed
    again = Tablet(tmp_path / "t.db", physical=clock)
    assert again.clock.now() > last
    again.close()


def test_engine_restores_the_saved_clock(tmp_path: Path) -> None:
    store = SQLiteDeviceStore(tmp_path / "s.db")
    store.set_setting("clock_offset_ms", "12345")
    saved = Timestamp(1_700_000_100_000, 4, "3")  # within the 5-minute window
    store.set_setting("hlc_last", saved.encode())
    clock = HybridClock("3", ManualClock(1_700_000_000_000))
    SyncEngine(store, FakeTransport(FakeServer()), clock).restore_clock()
    assert clock.offset_ms == 12345
    assert clock.now() > saved
    store.close()


def test_pull_applies_reference_data_without_clocks(tablet: Tablet) -> None:
    procedure = tablet.procedure(1)
    assert procedure is not None and procedure["processing_days"] == 0
    assert tablet.store.read_record("procedure", "1") is not None
    assert [v["id"] for v in tablet.villages()] == ["71", "72", "73"]
    assert tablet.registration.commune_id == COMMUNE_ID


def test_adaptive_sizes_follow_the_link() -> None:
    size = Adaptive(1000, 25, 1000, target_s=10.0)
    size.took(1.0)  # fast, but already at the top
    assert size.size == 1000
    size.failed()
    assert size.size == 500
    size.took(30.0)  # slower than twice the target
    assert size.size == 250
    size.took(8.0)  # about right: unchanged
    assert size.size == 250
    size.took(2.0)
    assert size.size == 500
    for _ in range(10):
        size.failed()
    assert size.size == 25  # never below the floor
    assert Adaptive(5, 25, 10).size == 10  # bounds win over the start


@dataclass
class BudgetRecorder(FakeTransport):
    """Records the budget of every pull and the size of every push."""

    budgets: list[int] = field(default_factory=list)
    pushes: list[int] = field(default_factory=list)

    def pull(self, cursor: Cursor, budget: int) -> PullPage:
        self.budgets.append(budget)
        return super().pull(cursor, budget)

    def push(self, operations: Sequence[Operation], device_now_ms: int) -> PushResult:
        self.pushes.append(len(operations))
        return super().push(operations, device_now_ms)


def test_pull_pages_grow_on_a_fast_link_and_shrink_after_a_cut(
    tmp_path: Path, tablet: Tablet, server: FakeServer
) -> None:
    fill_commune(tmp_path, server, 40)
    transport = BudgetRecorder(server, 1, faults=[Fault("pull", "before", skip=2)])
    options = {"pull_budget": 1000, "min_pull_budget": 500, "max_pull_budget": 8000}
    report = engine(tablet, transport, [], **options).sync()
    assert report.ok, report.error
    # 1000 and 2000 go through fast and double; the 4000 page is cut: retried at 2000.
    assert transport.budgets[:5] == [1000, 2000, 4000, 2000, 4000]
    assert max(transport.budgets) == 8000
    assert tablet.store.count_records("dossier") == 40


def test_a_failed_push_is_retried_smaller(tablet: Tablet, server: FakeServer) -> None:
    make_dossiers(tablet, 13)  # 26 operations
    transport = BudgetRecorder(server, 1, faults=[Fault("push", "before", skip=1)])
    report = engine(tablet, transport, [], push_batch=10, min_push_batch=2).sync()
    assert report.ok, report.error
    # 10 through; 10 lost, retried as 5; then back up to 10 as pushes succeed.
    assert transport.pushes == [10, 10, 5, 10, 1]
    assert sorted(server.received) == sorted(server.applied)
    assert server.count("dossier") == 13


@dataclass
class RefusesPhotos(FakeTransport):
    def start_blobs(self, blobs: Sequence[BlobRef]) -> list[BlobStatus]:
        raise ServerRefused(422, "blobs.0: size differs", "invalid")


def test_g12_a_refused_photo_blocks_neither_records_nor_pull(
    tablet: Tablet, server: FakeServer
) -> None:
    ids = make_dossiers(tablet, 2)
    tablet.attach_photo("dossier", ids[0], random.Random(3).randbytes(5000), "image/jpeg")
    report = engine(tablet, RefusesPhotos(server, 1), []).sync()
    assert not report.ok
    assert report.error is not None and "size differs" in report.error and "Ảnh" in report.error
    assert server.count("dossier") == 2  # the records went up anyway
    assert tablet.store.pending_blobs() != []  # the photo waits for the next sync
    assert report.pulled >= 0 and tablet.store.cursor() != Cursor()  # and the pull ran
