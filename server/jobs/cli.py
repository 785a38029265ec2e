"""``motcua jobs …``: the worker, the scheduler, and running or listing jobs by hand."""

from __future__ import annotations

import signal
import time
from datetime import datetime
from typing import Any

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from server.extensions import db
from server.jobs import queue, schedule
from server.messages import for_cli
from server.models import JobRun
from server.translatable import msg
from sync.workdays import OFFICE_TZ

jobs_cli = AppGroup("jobs", help="Background jobs: worker, scheduler, run, list.")


@jobs_cli.command("worker")
@click.option("--poll", default=5.0, show_default=True, help="Seconds between looks at the queue.")
@click.option("--once", is_flag=True, help="Run what is due, then stop.")
def worker(poll: float, once: bool) -> None:
    """Run queued jobs, with retries, until stopped (SIGTERM ends after the current job)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    stopping = False

    def stop(*_: Any) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    while True:
        ran = schedule.work(app)
        if once or stopping:
            click.echo(for_cli(msg("Đã chạy %(ran)s việc", ran=ran)))
            return
        if not ran:
            time.sleep(poll)


@jobs_cli.command("scheduler")
def scheduler() -> None:
    """Put the periodic jobs on the queue at their times (run exactly one per province)."""
    from apscheduler.schedulers.blocking import BlockingScheduler

    blocking = BlockingScheduler(timezone=OFFICE_TZ)
    schedule.install(blocking, current_app._get_current_object())  # type: ignore[attr-defined]
    for job in blocking.get_jobs():
        at = job.trigger.get_next_fire_time(None, datetime.now(OFFICE_TZ))
        click.echo(for_cli(msg("%(job)s: lần chạy tới %(at)s", job=job.id, at=str(at))))
    blocking.start()


@jobs_cli.command("run")
@click.argument("name", type=click.Choice(sorted(queue.REGISTRY)))
@click.option("--key", help="Run key (default: now); the same key never runs twice.")
@click.option("--arg", "args", multiple=True, help="KEY=VALUE passed to the job.")
def run(name: str, key: str | None, args: tuple[str, ...]) -> None:
    """Enqueue a job now and run the queue until it is empty."""
    values = dict(a.split("=", 1) for a in args)
    run_key = key or datetime.now(OFFICE_TZ).strftime("manual-%Y-%m-%dT%H:%M:%S")
    job = queue.enqueue(db.session(), name, run_key, values)
    queue.work_until_empty(db.session())
    db.session.refresh(job)
    click.echo(f"{job.name} [{job.key}]: {job.state} {job.result or job.error}")
    if job.state != queue.DONE:
        raise SystemExit(1)


@jobs_cli.command("list")
@click.option("--limit", default=20, show_default=True)
def list_runs(limit: int) -> None:
    """The latest job runs."""
    for job in db.session.scalars(select(JobRun).order_by(JobRun.id.desc()).limit(limit)):
        click.echo(
            f"{job.id:>6} {job.name:<16} {job.key:<24} {job.state:<8} "
            f"attempts={job.attempts} {job.error[:80]}"
        )
