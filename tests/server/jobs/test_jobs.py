"""Background jobs on the queue in the application's database (SQLite and PostgreSQL):
idempotent, retried with backoff, failed for good after their attempts, and the
periodic jobs' effects on worked examples."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import create_engine, func, select, update
from sqlalchemy.orm import Session

from server.jobs import queue, schedule
from server.models import BlobHolder, DailyReport, JobRun, OfficerAlert, utcnow
from server.services import system
from server.sync.blobs import BlobFiles
from sync.domain import DossierStatus
from tests.server.conftest import World, add_dossier

MONDAY = date(2026, 12, 7)  # Monday 7 December 2026, an ordinary working week


def _alerts(session: Session) -> set[tuple[int, str, str]]:
    return {
        (a.officer_id, a.subject.split(":")[0], a.kind)
        for a in session.scalars(select(OfficerAlert))
    }


def test_overdue_scan_alerts_handler_and_leader_once_per_day(
    session: Session, world: World
) -> None:
    late = add_dossier(session, world.a, world.procedure)
    soon = add_dossier(session, world.a, world.procedure)
    later = add_dossier(session, world.a, world.procedure)
    done = add_dossier(session, world.a, world.procedure)
    late.due_date = date(2026, 12, 4)  # Friday before: overdue
    soon.due_date = date(2026, 12, 8)  # Tuesday, the next working day: due soon
    later.due_date = date(2026, 12, 9)  # Wednesday: nothing yet
    done.due_date = date(2026, 12, 1)
    done.status = DossierStatus.RESULT_RETURNED  # closed: never alerted
    late.handler_id = soon.handler_id = world.a.officer.id
    session.commit()

    for key in ("first", "second"):  # the same day twice: the second adds nothing
        run = queue.enqueue(session, "overdue_scan", key, {"day": MONDAY.isoformat()})
        assert queue.run_next(session) is not None
        session.refresh(run)
        assert run.state == queue.DONE, run.error
    officer, leader = world.a.officer.id, world.a.leader.id
    assert _alerts(session) == {
        (officer, "dossier", "overdue"),
        (leader, "dossier", "overdue"),
        (officer, "dossier", "due_soon"),
        (leader, "dossier", "due_soon"),
    }
    assert session.scalar(select(func.count()).select_from(OfficerAlert)) == 4
    assert run.result == {"day": "2026-12-07", "alerts": {"overdue": 0, "due_soon": 0}}


_calls: dict[str, int] = {}


@queue.job("test_flaky", max_attempts=3)
def _flaky(session: Session, args: dict[str, Any]) -> dict[str, Any]:
    _calls[args["id"]] = _calls.get(args["id"], 0) + 1
    if _calls[args["id"]] <= int(args["fail"]):
        raise RuntimeError(f"provider down (call {_calls[args['id']]})")
    return {"calls": _calls[args["id"]]}


def _later(minutes: int) -> datetime:
    return utcnow() + timedelta(minutes=minutes)


def test_a_failing_job_is_retried_with_backoff_then_succeeds(
    session: Session, world: World
) -> None:
    run = queue.enqueue(session, "test_flaky", "k1", {"id": "a", "fail": 2})
    assert queue.run_next(session).state == queue.QUEUED  # type: ignore[union-attr]
    session.refresh(run)
    assert "provider down (call 1)" in run.error
    # Not run again before its backoff (30 s after the first failure).
    assert queue.run_next(session) is None
    assert queue.run_next(session, now=_later(1)).state == queue.QUEUED  # type: ignore[union-attr]
    session.refresh(run)
    assert run.attempts == 2
    assert run.run_after > utcnow() + timedelta(seconds=50)  # 60 s after the second failure
    finished = queue.run_next(session, now=_later(5))
    assert finished is not None and finished.state == queue.DONE
    assert finished.result == {"calls": 3} and finished.error == ""


def test_a_job_that_keeps_failing_fails_for_good_and_shows(session: Session, world: World) -> None:
    from server import metrics

    _calls.clear()
    before = metrics.JOB_FAILURES.labels("test_flaky")._value.get()
    queue.enqueue(session, "test_flaky", "k2", {"id": "b", "fail": 99})
    for minutes in (0, 5, 15):
        queue.run_next(session, now=_later(minutes))
    run = session.scalar(select(JobRun).where(JobRun.key == "k2"))
    assert run is not None and run.state == queue.FAILED and run.attempts == 3
    assert queue.run_next(session, now=_later(120)) is None  # never again
    line = next(line for line in system.job_lines(session) if line.name == "test_flaky")
    assert [f.key for f in line.failures] == ["k2"]
    assert metrics.JOB_FAILURES.labels("test_flaky")._value.get() == before + 1


def test_enqueue_is_idempotent_per_slot(app: Flask, session: Session, world: World) -> None:
    moment = datetime(2026, 12, 7, 6, 30, tzinfo=UTC)
    for _ in range(3):  # a scheduler restarted in the same slot
        schedule.enqueue_slot(app, "nightly_report", "%Y-%m-%d", moment)
    assert session.scalar(select(func.count()).select_from(JobRun)) == 1
    assert schedule.work(app) == 1
    assert schedule.work(app) == 0


def test_nightly_report_counts_the_day_and_upserts(session: Session, world: World) -> None:
    on_day = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)  # 10:00 in the office
    for _ in range(3):
        add_dossier(session, world.a, world.procedure, received_at=on_day)
    add_dossier(session, world.a, world.procedure, received_at=on_day - timedelta(days=1))
    session.commit()
    for key in ("a", "b"):
        queue.enqueue(session, "nightly_report", key, {"day": "2026-12-07"})
        queue.work_until_empty(session)
    rows = list(session.scalars(select(DailyReport).where(DailyReport.day == MONDAY)))
    assert len(rows) == 2  # the two communes, once each
    by_commune = {row.commune_id: row.figures for row in rows}
    assert by_commune[world.a.commune.id]["received"] == 3
    assert by_commune[world.b.commune.id]["received"] == 0


def test_cleanup_removes_abandoned_partial_uploads_only(
    app: Flask, session: Session, world: World, tmp_path: Path
) -> None:
    app.config["MOTCUA_BLOB_DIR"] = str(tmp_path / "blobs")
    files = BlobFiles(Path(app.config["MOTCUA_BLOB_DIR"]))
    commune = world.a.commune.id
    for sha, verified in (("a" * 64, False), ("b" * 64, False), ("c" * 64, True)):
        session.add(BlobHolder(sha256=sha, commune_id=commune, size=100,
                               content_type="image/jpeg", received=10,
                               verified=verified))  # fmt: skip
        files.part(sha, commune).parent.mkdir(parents=True, exist_ok=True)
        files.part(sha, commune).write_bytes(b"x" * 10)
    session.commit()
    session.execute(
        update(BlobHolder).where(BlobHolder.sha256.in_(["a" * 64, "c" * 64]))
        .values(updated_at=utcnow() - timedelta(days=8))
    )  # fmt: skip
    session.commit()
    queue.enqueue(session, "cleanup_uploads", "k")
    run = queue.run_next(session)
    assert run is not None and run.result == {"removed": 1, "bytes_freed": 10}
    assert {b.sha256[0] for b in session.scalars(select(BlobHolder))} == {"b", "c"}
    assert not files.part("a" * 64, commune).exists()
    assert files.part("b" * 64, commune).exists()


def test_device_health_alerts_leaders_of_silent_tablets(session: Session, world: World) -> None:
    world.a.device.last_sync_at = utcnow() - timedelta(days=5)
    world.b.device.last_sync_at = utcnow() - timedelta(hours=2)
    session.commit()
    queue.enqueue(session, "device_health", "k", {"days": 3})
    run = queue.run_next(session)
    assert run is not None and run.result == {"silent": [world.a.device.id]}
    assert _alerts(session) == {(world.a.leader.id, "device", "silent")}
    assert system.silent_tablets(session, days=3) == 1


def test_schedule_times_are_office_time(app: Flask) -> None:
    from apscheduler.schedulers.background import BackgroundScheduler

    from sync.workdays import OFFICE_TZ

    scheduler = BackgroundScheduler(timezone=OFFICE_TZ)
    schedule.install(scheduler, app)
    after = datetime(2026, 12, 7, 7, 0, tzinfo=OFFICE_TZ)
    fire = {job.id: job.trigger.get_next_fire_time(None, after) for job in scheduler.get_jobs()}
    assert fire["overdue_scan"] == datetime(2026, 12, 7, 13, 30, tzinfo=OFFICE_TZ)
    assert fire["backup"] == datetime(2026, 12, 8, 2, 0, tzinfo=OFFICE_TZ)
    assert fire["send_notices"] == datetime(2026, 12, 7, 8, 0, tzinfo=OFFICE_TZ)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_two_workers_never_take_the_same_job(
    app: Flask, session: Session, world: World, database_url: str
) -> None:
    first = queue.enqueue(session, "nightly_report", "one", {"day": "2026-12-07"})
    second = queue.enqueue(session, "nightly_report", "two", {"day": "2026-12-07"})
    engine = create_engine(database_url)
    try:
        with Session(engine) as other:
            # Another worker holds the first job's row (it is claiming it right now).
            other.scalar(select(JobRun).where(JobRun.id == first.id).with_for_update())
            taken = queue.run_next(session)
            assert taken is not None and taken.id == second.id
            other.rollback()
    finally:
        engine.dispose()


def test_overdue_scan_tells_the_settling_commune_of_a_shared_dossier(
    session: Session, world: World
) -> None:
    """Received in Tả Van (A), settled by Y Tý (B): Y Tý decides and apologises for a late
    dossier (Decree 118/2025/NĐ-CP art. 19), so Y Tý's leader is told; Tả Van's leader,
    who can do neither, is not; a third commune never is."""
    world.procedure.receivable_anywhere = True
    late = add_dossier(session, world.a, world.procedure, settling_commune_id=world.b.commune.id)
    late.due_date = date(2026, 12, 4)  # Friday before: overdue
    late.handler_id = world.b.officer.id
    session.commit()

    run = queue.enqueue(session, "overdue_scan", "shared", {"day": MONDAY.isoformat()})
    assert queue.run_next(session) is not None
    session.refresh(run)
    assert run.state == queue.DONE, run.error
    assert _alerts(session) == {
        (world.b.officer.id, "dossier", "overdue"),
        (world.b.leader.id, "dossier", "overdue"),
    }
    alert = session.scalars(select(OfficerAlert)).first()
    assert alert is not None and alert.commune_id == world.b.commune.id
