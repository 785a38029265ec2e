"""Prometheus metrics at ``/metrics`` (prometheus-client).

Under gunicorn every worker is its own process: with ``PROMETHEUS_MULTIPROC_DIR`` set
(the systemd unit sets it; ``deploy/gunicorn.conf.py`` empties it at start and marks dead
workers) the counters are written to files there and ``/metrics`` sums them over all
workers. Without it (the demo) they live in the process. Figures that are facts of the
database (queue depth, failed jobs, notices waiting, tablets silent) are read at scrape
time, so every worker answers the same.

``/metrics`` answers only requests from the machine itself or ``MOTCUA_METRICS_ALLOW``
(the Prometheus host); nginx also keeps it to 127.0.0.1.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

from flask import Flask, Response, abort, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

PUSHES = Counter("motcua_sync_pushes_total", "Push requests answered")
PULLS = Counter("motcua_sync_pulls_total", "Pull pages answered")
OPERATIONS = Counter("motcua_sync_operations_total", "Operations pushed, by outcome", ["outcome"])
CONFLICTS = Counter("motcua_sync_conflicts_total", "Conflict records made by pushes")
REJECTIONS = Counter("motcua_sync_rejections_total", "Operations rejected, by reason", ["reason"])
PHOTO_BYTES = Counter("motcua_photo_bytes_total", "Photo bytes received from tablets")
REQUEST_SECONDS = Histogram(
    "motcua_request_seconds",
    "Time to answer a request, by endpoint",
    ["endpoint"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
JOB_RUNS = Counter("motcua_job_runs_total", "Job runs, by job and outcome", ["job", "outcome"])
JOB_FAILURES = Counter(
    "motcua_job_failures_total", "Jobs that failed after all their retries", ["job"]
)
JOB_SECONDS = Histogram("motcua_job_seconds", "Time a successful job run took", ["job"])
NOTICES = Counter(
    "motcua_notices_total", "Notices to citizens, by channel and result", ["channel", "result"]
)


class DatabaseFacts(Collector):
    """Gauges read from the database at scrape time (same answer from every worker)."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def collect(self) -> Iterator[Any]:
        from server.services import system

        with self.app.app_context():
            facts = system.facts_for_metrics()
        for name, (help_text, value) in facts.items():
            yield GaugeMetricFamily(f"motcua_{name}", help_text, value=value)


def _registry(app: Flask) -> CollectorRegistry:
    from prometheus_client import REGISTRY

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry = REGISTRY
    scrape = CollectorRegistry()
    scrape.register(DatabaseFacts(app))
    return _Both(registry, scrape)


class _Both(CollectorRegistry):
    def __init__(self, *registries: CollectorRegistry) -> None:
        super().__init__()
        self._parts = registries

    def collect(self) -> Iterator[Any]:
        for registry in self._parts:
            yield from registry.collect()


def _allowed(address: str | None) -> bool:
    allowed = {"127.0.0.1", "::1"} | {
        a.strip() for a in str(current_app.config.get("METRICS_ALLOW", "")).split(",") if a.strip()
    }
    return address in allowed


def init_app(app: Flask) -> None:
    @app.get("/metrics")
    def metrics_view() -> Response:
        if not _allowed(request.remote_addr):
            abort(404)
        body = generate_latest(_registry(current_app._get_current_object()))  # type: ignore[attr-defined]
        return Response(body, mimetype=CONTENT_TYPE_LATEST)

    @app.before_request
    def _start_timer() -> None:
        g.metrics_started = time.perf_counter()

    @app.teardown_request
    def _observe(_: BaseException | None) -> None:
        started = g.get("metrics_started")
        rule = request.url_rule
        if started is None or rule is None or rule.rule == "/metrics":
            return
        REQUEST_SECONDS.labels(rule.rule).observe(time.perf_counter() - started)


def count_push(outcomes: list[Any]) -> None:
    """Count one push and its operations' outcomes (``sync.ops.Outcome``)."""
    PUSHES.inc()
    for outcome in outcomes:
        OPERATIONS.labels(outcome.kind.value).inc()
        if outcome.conflicts:
            CONFLICTS.inc(len(outcome.conflicts))
        if outcome.reason is not None:
            REJECTIONS.labels(outcome.reason.value).inc()
