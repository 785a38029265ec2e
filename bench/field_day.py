"""Field-day benchmark (QUALITY.md): round trips, wire bytes and time of one sync.

    .venv/bin/python bench/field_day.py            # a table
    .venv/bin/python bench/field_day.py --json     # machine-readable
    .venv/bin/python bench/field_day.py --runs 3   # medians of several runs

Each run starts a demo server on loopback (gunicorn, or werkzeug in a thread with
``--server werkzeug``) on a fresh SQLite database seeded with the demo province, then:

1. registers three simulated tablets of xã Tả Van and bootstraps them (first pull);
2. tablet C records 150 survey responses and pushes them alone: bytes per response;
3. tablet A records the whole field day offline (40 dossiers with 6 timeline events
   each, 15 feedback items, 150 survey responses, 30 photos of ~150 KB);
4. tablet B, a colleague, makes 20 edits to existing dossiers and syncs them;
5. tablet A syncs: photos up, operations up, changes down (B's edits included);
6. tablet A syncs again with nothing new (an idle sync).

Bytes are HTTP bodies as they crossed the wire (gzip-compressed); headers are not
counted. Requests are round trips, retries included. The link is loopback: wall times
measure the software, not a mountain link (see the network lab for that).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mobile.simulator import record_field_day  # noqa: E402
from mobile.tablet import Tablet  # noqa: E402
from mobile.transport import HttpTransport, TransportStats  # noqa: E402
from server.demo import DEMO_PASSWORD  # noqa: E402

PHOTO_ENDPOINTS = ("blob_start", "blob_append")
COMMUNE_USERS = {"A": "hotich.tavan", "B": "vanphong.tavan", "C": "lanhdao.tavan"}


@dataclass
class Phase:
    name: str
    requests: int = 0
    bytes_up: int = 0
    bytes_down: int = 0
    seconds: float = 0.0
    items: int = 0
    note: str = ""


@dataclass
class Run:
    phases: list[Phase] = field(default_factory=list)
    survey_bytes_per_response: float = 0.0
    field_day_round_trips_without_photos: int = 0
    field_day_round_trips: int = 0
    field_day_bytes_up: int = 0
    field_day_bytes_down: int = 0
    field_day_seconds: float = 0.0
    operations: int = 0
    colleague_edits_seen: int = 0
    changes_pulled: int = 0
    conflicts: int = 0
    rejected: int = 0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _seed(database_url: str) -> None:
    from server import create_app
    from server.demo import seed_demo_province
    from server.extensions import db
    from server.models import Base

    app = create_app(_server_config(database_url))
    with app.app_context():
        Base.metadata.create_all(db.engine)
        seed_demo_province(db.session())
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


def _server_config(database_url: str) -> dict[str, Any]:
    return {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "bench-secret",
        "RATELIMIT_STORAGE_URI": "memory://",
        "LOGIN_RATE_LIMIT": "1000 per minute",
    }


def _wait_ready(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{url}/api/v1/health", timeout=2).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the server at {url} did not start")


@contextmanager
def demo_server(workdir: Path, kind: str) -> Iterator[str]:
    """A seeded demo server on loopback; yields its URL."""
    database_url = f"sqlite:///{workdir / 'server.sqlite3'}"
    _seed(database_url)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    gunicorn = Path(sys.executable).with_name("gunicorn")
    if kind == "gunicorn" and gunicorn.exists():
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "MOTCUA_SECRET_KEY": "bench-secret",
            "MOTCUA_LOGIN_RATE_LIMIT": "1000 per minute",
        }
        process = subprocess.Popen(  # noqa: S603 - our own gunicorn, fixed arguments
            [str(gunicorn), "-w", "2", "-b", f"127.0.0.1:{port}", "server:create_app()"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            _wait_ready(url)
            yield url
        finally:
            process.terminate()
            process.wait(timeout=30)
        return
    from werkzeug.serving import make_server

    from server import create_app

    app = create_app(_server_config(database_url))
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        _wait_ready(url)
        yield url
    finally:
        server.shutdown()
        server.server_close()


def _delta(before: TransportStats, after: TransportStats, endpoints: tuple[str, ...]) -> Phase:
    phase = Phase("")
    for name in endpoints:
        new = after.by_endpoint.get(name)
        if new is None:
            continue
        old = before.by_endpoint.get(name)
        phase.requests += new.requests - (old.requests if old else 0)
        phase.bytes_up += new.bytes_sent - (old.bytes_sent if old else 0)
        phase.bytes_down += new.bytes_received - (old.bytes_received if old else 0)
        phase.seconds += new.seconds - (old.seconds if old else 0.0)
    return phase


def _sync(tablet: Tablet, transport: HttpTransport, name: str) -> tuple[Phase, Any]:
    before = transport.stats.snapshot()
    started = time.perf_counter()
    report = tablet.sync(transport)
    if not report.ok:
        raise RuntimeError(f"{name}: sync failed: {report.error}")
    after = transport.stats.snapshot()
    phase = _delta(before, after, tuple(after.by_endpoint))
    phase.name = name
    phase.seconds = time.perf_counter() - started
    phase.items = report.pushed + report.pulled
    return phase, report


def one_run(server_kind: str, seed: int, keep: Path | None) -> Run:
    workdir = Path(tempfile.mkdtemp(prefix="motcua-bench-"))
    run = Run()
    try:
        with demo_server(workdir, server_kind) as url:
            tablets: dict[str, Tablet] = {}
            transports: dict[str, HttpTransport] = {}
            for key, username in COMMUNE_USERS.items():
                tablet = Tablet(workdir / f"tablet-{key}.db")
                tablet.register(url, username, DEMO_PASSWORD, f"Máy mô phỏng {key}")
                tablets[key] = tablet
                transports[key] = tablet.transport()
            a, b, c = tablets["A"], tablets["B"], tablets["C"]

            phase, report = _sync(a, transports["A"], "bootstrap (first pull), tablet A")
            phase.note = f"{report.pulled} records"
            run.phases.append(phase)
            _sync(b, transports["B"], "bootstrap B")
            _sync(c, transports["C"], "bootstrap C")

            # Bytes per survey response: a push of nothing but 150 responses.
            record_field_day(c, seed=seed + 1, dossiers=0, feedback=0, surveys=150, photos=0)
            before = transports["C"].stats.snapshot()
            phase, report = _sync(c, transports["C"], "150 survey responses alone, tablet C")
            push = _delta(before, transports["C"].stats.snapshot(), ("push",))
            run.survey_bytes_per_response = push.bytes_up / 150
            phase.note = f"push {push.bytes_up:,} B in {push.requests} request(s)"
            run.phases.append(phase)

            started = time.perf_counter()
            summary = record_field_day(a, seed=seed)
            run.phases.append(
                Phase(
                    "field day recorded offline, tablet A",
                    seconds=time.perf_counter() - started,
                    items=summary.operations,
                    note=f"{summary.operations} operations, {summary.photo_bytes:,} B of photos",
                )
            )
            run.operations = summary.operations

            # The colleague's 20 edits, made on tablet B and synced to the server.
            rng = random.Random(seed)  # noqa: S311 - workload, not secrets
            chosen = rng.sample(b.dossiers(), 20)
            expected: dict[str, str] = {}
            for n, dossier in enumerate(chosen):
                note = f"Đồng nghiệp bổ sung ghi chú {n + 1}"
                phone = f"09{rng.randrange(10**8):08d}"
                b.edit("dossier", dossier["id"], note=note, applicant_phone=phone)
                expected[dossier["id"]] = note
            phase, _ = _sync(b, transports["B"], "colleague's 20 edits pushed, tablet B")
            run.phases.append(phase)

            before = transports["A"].stats.snapshot()
            phase, report = _sync(a, transports["A"], "field day sync, tablet A")
            after = transports["A"].stats.snapshot()
            run.field_day_seconds = phase.seconds
            run.field_day_round_trips = phase.requests
            run.field_day_bytes_up = phase.bytes_up
            run.field_day_bytes_down = phase.bytes_down
            run.changes_pulled = report.pulled
            run.conflicts = report.conflicts
            run.rejected = report.rejected
            phase.note = f"{report.pushed} ops up, {report.pulled} changes down"
            run.phases.append(phase)
            for label, endpoints in (
                ("  of which photos", PHOTO_ENDPOINTS),
                ("  of which push", ("push",)),
                ("  of which pull", ("pull",)),
            ):
                part = _delta(before, after, endpoints)
                part.name = label
                part.note = "network + server time only"
                run.phases.append(part)
            push_pull = _delta(before, after, ("push", "pull"))
            run.field_day_round_trips_without_photos = push_pull.requests
            run.colleague_edits_seen = sum(
                1 for rid, note in expected.items() if (a.dossier(rid) or {}).get("note") == note
            )

            phase, _ = _sync(a, transports["A"], "idle sync, tablet A")
            run.phases.append(phase)
            for key in tablets:
                transports[key].close()
                tablets[key].close()
    finally:
        if keep is not None:
            shutil.copytree(workdir, keep / workdir.name)
        shutil.rmtree(workdir, ignore_errors=True)
    return run


def _print_table(runs: list[Run], out: Callable[[str], None]) -> None:
    run = runs[-1]
    out(f"{'phase':<42} {'requests':>8} {'bytes up':>12} {'bytes down':>12} {'time s':>8}  note")
    for phase in run.phases:
        out(
            f"{phase.name:<42} {phase.requests:>8} {phase.bytes_up:>12,} {phase.bytes_down:>12,} "
            f"{phase.seconds:>8.2f}  {phase.note}"
        )
    out("")

    def median(values: list[float]) -> str:
        def show(value: float) -> str:
            return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"

        middle = statistics.median(values)
        raw = ", ".join(show(v) for v in values)
        return show(middle) + (f"  (runs: {raw})" if len(values) > 1 else "")

    out(
        f"Field day: {run.operations} operations; "
        f"conflicts {run.conflicts}, rejected {run.rejected}"
    )
    out(
        "Round trips, field day without photos (push + pull): "
        + median([r.field_day_round_trips_without_photos for r in runs])
        + "   goal ≤ 4"
    )
    out("Round trips, field day with photos: " + median([r.field_day_round_trips for r in runs]))
    out(
        "Bytes per survey response on the wire (push, gzip): "
        + median([round(r.survey_bytes_per_response, 1) for r in runs])
        + "   goal ≤ 120"
    )
    out("Field day bytes up: " + median([r.field_day_bytes_up for r in runs]))
    out("Field day bytes down: " + median([r.field_day_bytes_down for r in runs]))
    out(
        "Field day sync wall time, s (loopback): "
        + median([round(r.field_day_seconds, 2) for r in runs])
    )
    out(f"Colleague's edits seen by tablet A: {run.colleague_edits_seen}/20")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--server", choices=["gunicorn", "werkzeug"], default="gunicorn")
    parser.add_argument("--keep", type=Path, help="copy each run's databases here")
    args = parser.parse_args(argv)
    runs = [one_run(args.server, args.seed + n, args.keep) for n in range(args.runs)]
    if args.json:
        print(json.dumps([asdict(r) for r in runs], ensure_ascii=False, indent=2))
    else:
        _print_table(runs, print)
    return 0 if all(r.colleague_edits_seen == 20 and r.rejected == 0 for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
