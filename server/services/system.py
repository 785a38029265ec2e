"""What the province's administrator watches: the fleet of tablets, the job queue, the
notices, the conflicts waiting for a person, and the disk the photos take.

Used by the admin web's system page, ``/metrics`` and the health check.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.extensions import db
from server.jobs.queue import FAILED, QUEUED, REGISTRY
from server.models import Device, JobRun, Notice, SyncConflict, utcnow
from server.scoping import Scope, restrict

#: A queued job older than this means no worker is running: the health check says so.
QUEUE_STUCK_AFTER = timedelta(minutes=15)
#: Tablets not synced for this many days are listed as silent (device health job too).
SILENT_DAYS = int(os.environ.get("MOTCUA_DEVICE_SILENT_DAYS", 3))


@dataclass(frozen=True)
class JobLine:
    name: str
    title_vi: str
    title_en: str
    last: JobRun | None
    last_done: JobRun | None
    failures: list[JobRun]


def photo_disk_bytes(blob_dir: Path) -> int:
    """Bytes of the files under the photo folder (complete and partial uploads)."""
    total = 0
    if not blob_dir.exists():
        return 0
    for root, _dirs, files in os.walk(blob_dir):
        for name in files:
            try:
                total += (Path(root) / name).stat().st_size
            except OSError:  # removed meanwhile
                continue
    return total


def tablets(session: Session, scope: Scope) -> list[Device]:
    """Tablets of the scope, the longest silent first (never synced first of all)."""
    query = restrict(select(Device), Device.commune_id, scope).where(Device.revoked_at.is_(None))
    devices = list(session.scalars(query))
    epoch = datetime.min.replace(tzinfo=utcnow().tzinfo)
    return sorted(devices, key=lambda d: (d.last_sync_at or epoch, d.id))


def app_versions(devices: list[Device]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for device in devices:
        version = device.app_version or "—"
        counts[version] = counts.get(version, 0) + 1
    return dict(sorted(counts.items()))


def open_conflicts(session: Session, scope: Scope) -> int:
    query = restrict(
        select(func.count()).select_from(SyncConflict), SyncConflict.commune_id, scope
    ).where(SyncConflict.status == "open")
    return int(session.scalar(query) or 0)


def job_lines(session: Session, failures: int = 5) -> list[JobLine]:
    """Each known job with its last run, its last success and its latest failures."""
    lines = []
    for name, spec in sorted(REGISTRY.items()):
        runs = select(JobRun).where(JobRun.name == name)
        last = session.scalar(runs.order_by(JobRun.created_at.desc(), JobRun.id.desc()).limit(1))
        last_done = session.scalar(
            runs.where(JobRun.state == "done").order_by(JobRun.finished_at.desc()).limit(1)
        )
        failed = list(
            session.scalars(
                runs.where(JobRun.state == FAILED)
                .order_by(JobRun.finished_at.desc())
                .limit(failures)
            )
        )
        lines.append(JobLine(name, spec.title_vi, spec.title_en, last, last_done, failed))
    return lines


def count_jobs(session: Session, state: str) -> int:
    return int(
        session.scalar(select(func.count()).select_from(JobRun).where(JobRun.state == state)) or 0
    )


def oldest_queued_age(session: Session, now: datetime | None = None) -> timedelta | None:
    now = now or utcnow()
    oldest = session.scalar(select(func.min(JobRun.run_after)).where(JobRun.state == QUEUED))
    if oldest is None:
        return None
    if oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=now.tzinfo)
    return max(now - oldest, timedelta(0))


def notices_by_state(session: Session) -> dict[str, int]:
    rows = session.execute(select(Notice.state, func.count()).group_by(Notice.state))
    return {state: int(count) for state, count in rows}


def silent_tablets(session: Session, now: datetime | None = None, days: int = SILENT_DAYS) -> int:
    limit = (now or utcnow()) - timedelta(days=days)
    query = (
        select(func.count())
        .select_from(Device)
        .where(
            Device.revoked_at.is_(None),
            func.coalesce(Device.last_sync_at, Device.created_at) < limit,
        )
    )
    return int(session.scalar(query) or 0)


def facts_for_metrics() -> dict[str, tuple[str, float]]:
    session = db.session()
    try:
        notices = notices_by_state(session)
        age = oldest_queued_age(session)
        return {
            "job_queue_depth": ("Jobs waiting on the queue", count_jobs(session, QUEUED)),
            "job_queue_oldest_seconds": (
                "Age of the oldest job waiting",
                age.total_seconds() if age else 0.0,
            ),
            "jobs_failed": ("Jobs that failed after all retries", count_jobs(session, FAILED)),
            "notices_queued": ("Notices to citizens waiting", notices.get("queued", 0)),
            "notices_failed": ("Notices that could not be delivered", notices.get("failed", 0)),
            "conflicts_open": (
                "Conflicts waiting for a person",
                open_conflicts(session, Scope(None)),
            ),
            "tablets_silent": (
                f"Tablets not synced for {SILENT_DAYS} days",
                silent_tablets(session),
            ),
            "photo_disk_bytes": (
                "Disk used by photos",
                photo_disk_bytes(Path(current_app.config["MOTCUA_BLOB_DIR"])),
            ),
        }
    finally:
        session.rollback()


def health(session: Session) -> dict[str, Any]:
    """The database answers, and the queue moves (no job waits longer than it should)."""
    age = oldest_queued_age(session)
    stuck = age is not None and age > QUEUE_STUCK_AFTER
    return {
        "queue": "stuck" if stuck else "ok",
        "queue_depth": count_jobs(session, QUEUED),
        "oldest_queued_seconds": int(age.total_seconds()) if age else 0,
        "jobs_failed": count_jobs(session, FAILED),
    }
