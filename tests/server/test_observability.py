"""Request ids and JSON logs; the demo's in-process jobs."""

from __future__ import annotations

import json
import logging
import re
import time

import pytest
from flask import Flask, g
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from server.extensions import db
from server.jobs import queue, schedule
from server.models import JobRun
from server.observability import JsonFormatter
from tests.server.conftest import World


def test_the_proxys_request_id_is_kept_and_answered(client: FlaskClient) -> None:
    given = client.get(
        "/api/v1/health", headers={"X-Request-Id": "0af7651916cd43dd8448eb211c80319c"}
    )
    assert given.headers["X-Request-Id"] == "0af7651916cd43dd8448eb211c80319c"
    # No id, or one that could inject into logs: a fresh one.
    for headers in ({}, {"X-Request-Id": 'x" {"level":"fake"}'}):
        answer = client.get("/api/v1/health", headers=headers)
        assert re.fullmatch(r"[0-9a-f]{32}", answer.headers["X-Request-Id"])


def test_json_log_lines_carry_the_request(app: Flask) -> None:
    with app.test_request_context("/api/v1/sync/push", method="POST"):
        g.request_id = "req-0001-abcd"
        record = logging.LogRecord("motcua.sync", logging.WARNING, __file__, 1,
                                   "push refused: %s", ("too large",), None)  # fmt: skip
        record.device = "01a2"
        line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "push refused: too large"
    assert line["level"] == "warning" and line["logger"] == "motcua.sync"
    assert line["request_id"] == "req-0001-abcd"
    assert (line["method"], line["path"]) == ("POST", "/api/v1/sync/push")
    assert line["device"] == "01a2" and line["ts"].endswith("+00:00")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_demo_runs_the_jobs_in_process(app: Flask, session: Session, world: World) -> None:
    run = queue.enqueue(session, "nightly_report", "demo", {"day": "2026-12-07"})
    run_id = run.id
    session.commit()
    scheduler = schedule.start_in_process(app, every_seconds=1)
    try:
        # The schedule is installed (office time), and the worker loop empties the queue.
        assert {j.id for j in scheduler.get_jobs()} >= {"overdue_scan", "backup", "worker"}
        deadline = time.monotonic() + 20
        state = "queued"
        while time.monotonic() < deadline and state != "done":
            time.sleep(0.2)
            db.session.expire_all()
            state = db.session.get(JobRun, run_id).state  # type: ignore[union-attr]
        assert state == "done"
    finally:
        scheduler.shutdown(wait=True)
