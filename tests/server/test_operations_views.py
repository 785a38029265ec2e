"""What the administrator watches: the system page, /metrics and the health check."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from server.jobs import queue
from server.models import JobRun, utcnow
from tests.server.conftest import World
from tests.server.web.helpers import log_in


def _failed_job(session: Session) -> None:
    session.add(
        JobRun(name="backup", key="2026-12-07", args={}, state="failed", attempts=3,
               max_attempts=3, run_after=utcnow(), finished_at=utcnow(),
               error="BackupError: pg_dump failed: disk full", result={})
    )  # fmt: skip


def test_system_page_shows_fleet_jobs_and_disk(
    app: Flask, client: FlaskClient, session: Session, world: World, tmp_path: Path
) -> None:
    app.config["MOTCUA_BLOB_DIR"] = str(tmp_path / "blobs")
    world.a.device.last_sync_at = utcnow() - timedelta(days=9)
    world.a.device.app_version = "0.1.0"
    world.b.device.last_sync_at = utcnow() - timedelta(hours=1)
    world.b.device.app_version = "0.2.0"
    _failed_job(session)
    session.commit()
    photo = Path(app.config["MOTCUA_BLOB_DIR"]) / "ab" / ("ab" * 32)
    photo.parent.mkdir(parents=True, exist_ok=True)
    photo.write_bytes(b"x" * 3 * 1048576)

    page = log_in(client, world.province_admin).get("/admin/system")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "pg_dump failed: disk full" in html
    assert re.search(r'id="failed-jobs"><span class="badge warn">1<', html)
    assert 'id="photo-disk">3.0 MiB<' in html
    # Longest silent first; the silent one is flagged.
    first, second = (html.index(f'id="tablet-{k.device.id}"') for k in (world.a, world.b))
    assert first < second
    assert html.count("Lâu chưa đồng bộ") == 1
    assert "0.1.0: 1" in html and "0.2.0: 1" in html
    assert log_in(client, world.a.leader).get("/admin/system").status_code == 403


def test_metrics_from_the_machine_only(
    app: Flask, client: FlaskClient, session: Session, world: World
) -> None:
    _failed_job(session)
    queue.enqueue(session, "nightly_report", "k")
    body = client.get("/metrics").get_data(as_text=True)
    assert "motcua_job_queue_depth 1.0" in body
    assert "motcua_jobs_failed 1.0" in body
    assert "motcua_sync_pushes_total" in body and "motcua_request_seconds_bucket" in body
    outside = client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert outside.status_code == 404


def test_health_looks_at_the_database_and_the_queue(
    client: FlaskClient, session: Session, world: World
) -> None:
    ok = client.get("/api/v1/health").get_json()
    assert ok["status"] == "ok" and ok["queue"] == "ok" and len(ok["epoch"]) == 16
    queue.enqueue(session, "nightly_report", "stuck", run_after=utcnow() - timedelta(hours=1))
    # Tablets probe /health before syncing: they go on; a monitor asks strictly.
    probe = client.get("/api/v1/health")
    assert probe.status_code == 200 and probe.get_json()["status"] == "degraded"
    stuck = client.get("/api/v1/health?strict=1")
    assert stuck.status_code == 503
    body = stuck.get_json()
    assert body["status"] == "queue_stuck" and body["oldest_queued_seconds"] >= 3600
