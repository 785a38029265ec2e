"""When the periodic jobs run (office time, UTC+7), on APScheduler's cron triggers.

The scheduler only *enqueues*: ``enqueue(name, key)`` with the day (or the slot) as key,
so a scheduler restarted, or started twice by mistake, still makes one run per slot;
workers run them. In production ``motcua jobs scheduler`` runs this on a blocking
scheduler (one per province); in the demo the same schedule runs in a background
thread of the web process, together with a worker loop, on SQLite.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask

from server.extensions import db
from server.jobs import queue
from sync.workdays import OFFICE_TZ

log = logging.getLogger("motcua.jobs")


@dataclass(frozen=True)
class Entry:
    job: str
    trigger: Callable[[], Any]
    slot: str  # strftime of the office-time moment that names one run


SCHEDULE: tuple[Entry, ...] = (
    # Twice a working day: before the office opens and after lunch.
    Entry(
        "overdue_scan",
        lambda: CronTrigger(hour="6,13", minute=30, timezone=OFFICE_TZ),
        "%Y-%m-%dT%H",
    ),
    Entry("nightly_report", lambda: CronTrigger(hour=1, minute=0, timezone=OFFICE_TZ), "%Y-%m-%d"),
    Entry("backup", lambda: CronTrigger(hour=2, minute=0, timezone=OFFICE_TZ), "%Y-%m-%d"),
    Entry("cleanup_uploads", lambda: CronTrigger(hour=3, minute=0, timezone=OFFICE_TZ), "%Y-%m-%d"),
    Entry("device_health", lambda: CronTrigger(hour=7, minute=0, timezone=OFFICE_TZ), "%Y-%m-%d"),
    # Notices go out within minutes of the event (09:00-20:00 only: no SMS at night).
    Entry(
        "send_notices",
        lambda: CronTrigger(hour="8-19", minute="*/5", timezone=OFFICE_TZ),
        "%Y-%m-%dT%H:%M",
    ),
)


def enqueue_slot(app: Flask, name: str, slot_format: str, now: datetime | None = None) -> None:
    """Put job ``name`` on the queue for the current slot (idempotent)."""
    moment = (now or datetime.now(OFFICE_TZ)).astimezone(OFFICE_TZ)
    with app.app_context():
        try:
            queue.enqueue(db.session(), name, moment.strftime(slot_format))
        finally:
            db.session.remove()


def install(scheduler: BaseScheduler, app: Flask) -> None:
    for entry in SCHEDULE:
        scheduler.add_job(
            enqueue_slot,
            entry.trigger(),
            args=(app, entry.job, entry.slot),
            id=entry.job,
            replace_existing=True,
            misfire_grace_time=3600,  # a scheduler down for a while still enqueues the slot
            coalesce=True,
            max_instances=1,
        )


def work(app: Flask) -> int:
    """Run due jobs until the queue is empty (a worker's loop, once)."""
    with app.app_context():
        try:
            queue.requeue_stale(db.session())
            return queue.work_until_empty(db.session())
        finally:
            db.session.remove()


def start_in_process(app: Flask, every_seconds: int = 15) -> BaseScheduler:
    """The demo's jobs: the schedule and a worker loop in a background thread."""
    from apscheduler.schedulers.background import BackgroundScheduler

    scheduler = BackgroundScheduler(timezone=OFFICE_TZ)
    install(scheduler, app)
    scheduler.add_job(
        work,
        IntervalTrigger(seconds=every_seconds),
        args=(app,),
        id="worker",
        max_instances=1,
        coalesce=True,
    )
    scheduler.start()
    return scheduler
