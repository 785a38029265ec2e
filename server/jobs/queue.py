"""The job queue on the application's database: PostgreSQL in production, SQLite in the demo.

A job is a row of ``job_run``. ``enqueue`` adds it once per ``(name, key)`` (the key is
the day for a nightly job, so a scheduler that fires twice makes one run). ``run_next``
takes the oldest due job — with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so workers on
several machines never take the same one — commits it as ``running``, runs its handler
in a transaction of its own, and records ``done`` with the result, or the error and a
retry after an exponential backoff; after ``max_attempts`` the job is ``failed`` and
shows in red on the admin web's system page. A job left ``running`` by a worker that
died is put back on the queue after ``STALE_AFTER``.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.models import JobRun, utcnow

log = logging.getLogger("motcua.jobs")

Handler = Callable[[Session, dict[str, Any]], dict[str, Any]]

#: First retry after this, doubling each time (30 s, 1 min, 2 min, 4 min …).
BACKOFF = timedelta(seconds=30)
MAX_BACKOFF = timedelta(hours=1)
STALE_AFTER = timedelta(hours=2)

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"


@dataclass(frozen=True)
class JobSpec:
    name: str
    handler: Handler
    max_attempts: int = 5
    title_vi: str = ""
    title_en: str = ""


REGISTRY: dict[str, JobSpec] = {}


def job(
    name: str, *, max_attempts: int = 5, vi: str = "", en: str = ""
) -> Callable[[Handler], Handler]:
    """Register a job handler under ``name``."""

    def register(handler: Handler) -> Handler:
        REGISTRY[name] = JobSpec(name, handler, max_attempts, vi, en)
        return handler

    return register


def enqueue(
    session: Session,
    name: str,
    key: str,
    args: dict[str, Any] | None = None,
    *,
    run_after: datetime | None = None,
) -> JobRun:
    """The job ``(name, key)``, added to the queue if it was not there already. Commits."""
    if name not in REGISTRY:
        raise KeyError(f"unknown job {name!r}")
    existing = session.scalar(select(JobRun).where(JobRun.name == name, JobRun.key == key))
    if existing is not None:
        return existing
    run = JobRun(
        name=name,
        key=key,
        args=args or {},
        state=QUEUED,
        attempts=0,
        max_attempts=REGISTRY[name].max_attempts,
        run_after=run_after or utcnow(),
        error="",
        result={},
    )
    session.add(run)
    try:
        session.commit()
    except IntegrityError:  # another scheduler added it in the meantime
        session.rollback()
        existing = session.scalar(select(JobRun).where(JobRun.name == name, JobRun.key == key))
        assert existing is not None
        return existing
    return run


def requeue_stale(session: Session, now: datetime | None = None) -> int:
    """Put back jobs left ``running`` by a worker that died. Commits."""
    now = now or utcnow()
    result = session.execute(
        update(JobRun)
        .where(JobRun.state == RUNNING, JobRun.started_at < now - STALE_AFTER)
        .values(state=QUEUED, run_after=now, error="worker stopped during the run")
    )
    session.commit()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _claim(session: Session, now: datetime) -> JobRun | None:
    query = (
        select(JobRun)
        .where(JobRun.state == QUEUED, JobRun.run_after <= now)
        .order_by(JobRun.run_after, JobRun.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    run = session.scalar(query)
    if run is None:
        session.rollback()
        return None
    run.state = RUNNING
    run.attempts += 1
    run.started_at = now
    session.commit()
    return run


def backoff(attempts: int) -> timedelta:
    delay: timedelta = BACKOFF * (2 ** max(attempts - 1, 0))
    return min(delay, MAX_BACKOFF)


def run_next(session: Session, now: datetime | None = None) -> JobRun | None:
    """Run the next due job, if any; returns it as it ended."""
    from server import metrics

    run = _claim(session, now or utcnow())
    if run is None:
        return None
    spec = REGISTRY.get(run.name)
    started = time.perf_counter()
    try:
        if spec is None:
            raise LookupError(f"no handler for job {run.name!r}")
        result = spec.handler(session, dict(run.args))
        session.commit()
    except Exception as error:
        session.rollback()
        fresh = session.get(JobRun, run.id)
        assert fresh is not None
        run = fresh
        run.error = "".join(traceback.format_exception_only(error)).strip()[:4000]
        run.finished_at = utcnow()
        if run.attempts >= run.max_attempts:
            run.state = FAILED
            metrics.JOB_FAILURES.labels(run.name).inc()
            log.error("job failed for good", extra={"job": run.name, "key": run.key})
        else:
            run.state = QUEUED
            run.run_after = utcnow() + backoff(run.attempts)
            log.warning(
                "job failed, will retry",
                extra={"job": run.name, "key": run.key, "attempt": run.attempts},
            )
        session.commit()
        metrics.JOB_RUNS.labels(run.name, "error").inc()
        return run
    run.state = DONE
    run.result = result or {}
    run.error = ""
    run.finished_at = utcnow()
    session.commit()
    metrics.JOB_RUNS.labels(run.name, "ok").inc()
    metrics.JOB_SECONDS.labels(run.name).observe(time.perf_counter() - started)
    log.info("job done", extra={"job": run.name, "key": run.key, "result": run.result})
    return run


def work_until_empty(session: Session, limit: int = 100) -> int:
    """Run due jobs until none is left (or ``limit``); how many ran."""
    count = 0
    while count < limit and run_next(session) is not None:
        count += 1
    return count


def queue_depth(session: Session) -> int:
    from sqlalchemy import func

    return int(
        session.scalar(select(func.count()).select_from(JobRun).where(JobRun.state == QUEUED)) or 0
    )
