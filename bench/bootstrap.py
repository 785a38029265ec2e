"""Bootstrap of a new tablet in a large commune (QUALITY.md), over the network lab.

    .venv/bin/python -m bench.bootstrap --profiles lan 3g-poor --runs 3

The server database is the demo province plus, in xã Tả Van, 20,000 dossiers, 5,000
feedback items and 50,000 survey responses, made by bulk inserts (templates are the
demo's own records of the commune, given new ids, receipt numbers, sequence numbers of
the commune scope and per-field clocks, as records pushed by tablets have). Then, per
profile and run:

1. a new tablet registers (link unshaped) and pulls everything (the profile applied):
   time, pull pages, wire bytes (bodies, HTTP through the relay, IP on the veth);
2. another new tablet starts the same pull; when half the bytes of (1) went down, the
   link is cut (every connection reset and the link down for ``--cut-seconds``); the
   engine's retries fail and the sync ends with an error; the link comes back and the
   tablet syncs again: it must continue from the stored cursor. We report the pages
   already applied at the cut, the resume time, the bytes of the resumed sync and that
   the tablet ends with every record.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.netlab.lab import NetLab, _install_handlers  # noqa: E402
from bench.netlab.profiles import PROFILES, get_profile, physical_limit  # noqa: E402
from bench.report import save  # noqa: E402

RESULTS = ROOT / "bench" / "results"
PY = sys.executable
PORT = 9000
COMMUNE_CODE = "02965"  # xã Tả Van in the demo province
COUNTS = {"dossier": 20_000, "feedback": 5_000, "survey_response": 50_000}


# == the database ==============================================================================


def build_database(path: Path, counts: dict[str, int], seed: int = 7) -> dict[str, Any]:
    """Seed the demo province, then bulk-insert the large commune. Returns what it made."""
    from sqlalchemy import insert, select, update

    from bench.field_day import _seed, _server_config
    from server import create_app
    from server.extensions import db
    from server.models import AdminUnit, Dossier, Feedback, SurveyResponse, SyncCounter
    from server.services.changes import commune_scope
    from sync.hlc import Timestamp
    from sync.ids import new_id
    from sync.schema import COLLECTIONS

    url = f"sqlite:///{path}"
    _seed(url)
    app = create_app(_server_config(url))
    rng = random.Random(seed)  # noqa: S311 - workload
    made: dict[str, Any] = {}
    started = time.perf_counter()
    with app.app_context():
        session = db.session()
        commune = session.scalars(select(AdminUnit).where(AdminUnit.code == COMMUNE_CODE)).one()
        scope = commune_scope(commune.id)
        last = session.scalars(select(SyncCounter.last_seq).where(SyncCounter.scope == scope)).one()
        seq = int(last)
        wall = int(time.time() * 1000) - 400 * 86_400_000
        for collection, model in (
            ("dossier", Dossier),
            ("feedback", Feedback),
            ("survey_response", SurveyResponse),
        ):
            table = model.__table__
            templates = [
                dict(row)
                for row in session.execute(
                    select(table).where(table.c.commune_id == commune.id)
                ).mappings()
            ]
            fields = [n for n in COLLECTIONS[collection].fields if n in table.c]
            rows = []
            for n in range(counts[collection]):
                row = dict(templates[n % len(templates)])
                seq += 1
                wall += rng.randint(1_000, 400_000)
                # Nodes 50-59: devices that made the records, none of them the new tablet.
                stamp = Timestamp(wall, 0, str(rng.randint(50, 59))).encode()
                row.update(
                    id=new_id(),
                    seq=seq,
                    deleted=False,
                    field_clocks={name: [stamp, seq] for name in fields},
                )
                if collection == "dossier":
                    old = row["receipt_number"]
                    row["receipt_number"] = f"{COMMUNE_CODE}-2699-{n + 1:05d}"
                    row["search_key"] = str(row["search_key"]).replace(old, row["receipt_number"])
                rows.append(row)
                if len(rows) == 5000:
                    session.execute(insert(table), rows)
                    rows = []
            if rows:
                session.execute(insert(table), rows)
            made[collection] = counts[collection]
        session.execute(update(SyncCounter).where(SyncCounter.scope == scope).values(last_seq=seq))
        session.commit()
        db.engine.dispose()
    made["seconds"] = round(time.perf_counter() - started, 1)
    made["commune_seq"] = seq
    return made


# == inside the client namespace ===============================================================


def cmd_register(args: argparse.Namespace) -> int:
    from mobile.tablet import Tablet
    from server.demo import DEMO_PASSWORD

    tablet = Tablet(args.db)
    tablet.register(args.url, "hotich.tavan", DEMO_PASSWORD, "Máy mới")
    tablet.close()
    return 0


def cmd_pull(args: argparse.Namespace) -> int:
    """One sync of a (new) tablet; per-page progress to ``--progress``; result to ``--out``."""
    from mobile.tablet import Tablet

    tablet = Tablet(args.db)
    transport = tablet.transport(args.url)
    pages: list[dict[str, Any]] = []
    started = time.perf_counter()
    progress_path = Path(args.progress)

    def progress(phase: str, done: int, total: int) -> None:
        if phase == "pull":
            pages.append(
                {
                    "t": round(time.perf_counter() - started, 3),
                    "records": done,
                    "bytes": transport.bytes_received,
                }
            )
            progress_path.write_text(json.dumps(pages[-1]))

    before = tablet.store.collections()
    options = {"pull_budget": args.pull_budget} if args.pull_budget else {}
    report = tablet.sync(transport, progress, **options)
    wall = time.perf_counter() - started
    stats = transport.stats
    pull = stats.by_endpoint.get("pull")
    result = {
        "ok": report.ok,
        "error": report.error,
        "wall_s": round(wall, 3),
        "requests": stats.requests,
        "failures": stats.failures,
        "pages": len(pages),
        "pull_requests": pull.requests if pull else 0,
        # waiting for the network and the server; the rest of wall_s is the tablet applying
        "pull_wait_s": round(pull.seconds, 3) if pull else 0.0,
        "pull_budget": args.pull_budget or "engine default",
        "body_up": stats.bytes_sent,
        "body_down": stats.bytes_received,
        "pulled": report.pulled,
        "records_before": sum(before.values()),
        "records_after": sum(tablet.store.collections().values()),
        "by_collection": tablet.store.collections(),
        "cursor": tablet.store.cursor().encode(),
        "progress": pages,
    }
    Path(args.out).write_text(json.dumps(result, indent=1))
    transport.close()
    tablet.close()
    return 0 if report.ok else 1


# == the orchestrator ==========================================================================


def _client(
    lab: NetLab, argv: list[str], log: Path, timeout: float = 3600
) -> subprocess.Popen[bytes]:
    cmd = lab.client_cmd([PY, "-m", "bench.bootstrap", *argv])
    return subprocess.Popen(  # noqa: S603 - our own module
        cmd,
        cwd=ROOT,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


def _wait(proc: subprocess.Popen[bytes], timeout: float) -> int:
    try:
        return proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)
        return -9


def _measured_pull(
    lab: NetLab,
    db: Path,
    url: str,
    work: Path,
    name: str,
    cut_at_bytes: int | None = None,
    cut_seconds: float = 20.0,
    pull_budget: int = 0,
) -> dict[str, Any]:
    out, progress, log = work / f"{name}.json", work / f"{name}.progress", work / "client.log"
    relay0, link0 = lab.relay_stats(), lab.counters()
    proc = _client(
        lab,
        [
            *("_pull", "--db", str(db), "--url", url, "--out", str(out)),
            *("--progress", str(progress), "--pull-budget", str(pull_budget)),
        ],
        log,
    )
    cut_info: dict[str, Any] = {}
    if cut_at_bytes is not None:
        assert lab.relay is not None
        while proc.poll() is None:
            if lab.relay_stats().bytes_down - relay0.bytes_down >= cut_at_bytes:
                lab.relay.cut(cut_seconds)
                seen = json.loads(progress.read_text()) if progress.exists() else {}
                cut_info = {
                    "cut_after_http_bytes": lab.relay_stats().bytes_down - relay0.bytes_down,
                    "applied_before_cut": seen,
                }
                break
            time.sleep(0.05)
    code = _wait(proc, 3600)
    relay, link = lab.relay_stats().minus(relay0), lab.counters().minus(link0)
    data: dict[str, Any] = json.loads(out.read_text()) if out.exists() else {"ok": False}
    data.update(
        exit_code=code,
        http_up=relay.bytes_up,
        http_down=relay.bytes_down,
        link_up=link.tx_bytes,
        link_down=link.rx_bytes,
        connections_reset=relay.resets,
        **cut_info,
    )
    return data


def one_run(
    profile_name: str,
    index: int,
    work: Path,
    template_db: Path,
    cut_seconds: float,
    emulate: bool,
    pull_budget: int = 0,
    cut_test: bool = True,
) -> dict[str, Any]:
    profile = get_profile(profile_name)
    run_dir = Path(tempfile.mkdtemp(prefix="run-", dir=work))
    shutil.copy(template_db, run_dir / "server.sqlite3")
    result: dict[str, Any] = {"profile": profile.name}
    with NetLab(index, emulate=emulate) as lab:
        lab.start_relay([("motcua", PORT)])
        lab.apply(PROFILES["lan"])
        lab.spawn_server(
            [
                PY,
                "-m",
                "bench.field_day_net",
                "_server",
                "--workdir",
                str(run_dir),
                "--port",
                str(PORT),
            ],
            log=(run_dir / "server.log").open("ab"),
        )
        lab.wait_port(PORT, 120)
        url = lab.url("motcua")
        log = run_dir / "client.log"
        for name in ("full", "cut"):
            if _wait(
                _client(lab, ["_register", "--db", str(run_dir / f"{name}.db"), "--url", url], log),
                120,
            ):
                raise RuntimeError(f"registration failed: {log.read_text()[-2000:]}")
        result["lab"] = {"emulated": lab.emulated, "fallback_reason": lab.fallback_reason}
        lab.apply(profile)
        full = _measured_pull(
            lab, run_dir / "full.db", url, run_dir, "full", pull_budget=pull_budget
        )
        full["physical_limit_s"] = round(
            physical_limit(
                profile,
                full.get("body_up", 0),
                full.get("body_down", 0),
                full.get("pull_requests", 1),
            ),
            3,
        )
        result["full"] = full
        if not cut_test:
            shutil.rmtree(run_dir, ignore_errors=True)
            return result
        lab.apply(profile)
        half = int(full["http_down"] / 2)
        first = _measured_pull(
            lab,
            run_dir / "cut.db",
            url,
            run_dir,
            "cut-1",
            cut_at_bytes=half,
            cut_seconds=cut_seconds,
            pull_budget=pull_budget,
        )
        while lab.relay is not None and not lab.relay.link_is_up():
            time.sleep(0.2)
        lab.apply(profile)
        resumed = _measured_pull(
            lab, run_dir / "cut.db", url, run_dir, "cut-2", pull_budget=pull_budget
        )
        result["cut"] = {
            "first": first,
            "resume": resumed,
            "resumed_from_cursor": resumed.get("records_before", 0) > 0,
            "complete": resumed.get("records_after") == full.get("records_after"),
            "resume_fraction_of_full_bytes": round(
                resumed.get("http_down", 0) / max(1, full["http_down"]), 3
            ),
            "wasted_http_bytes": first.get("http_down", 0)
            + resumed.get("http_down", 0)
            - full["http_down"],
        }
    shutil.rmtree(run_dir, ignore_errors=True)
    return result


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    def med(path: tuple[str, ...]) -> dict[str, Any]:
        values = []
        for run in runs:
            value: Any = run
            for key in path:
                value = value.get(key, {}) if isinstance(value, dict) else None
            values.append(value if isinstance(value, int | float) else None)
        clean = [v for v in values if v is not None]
        return {"median": statistics.median(clean) if clean else None, "raw": values}

    return {
        "bootstrap_s": med(("full", "wall_s")),
        "pages": med(("full", "pages")),
        "requests": med(("full", "requests")),
        "body_down": med(("full", "body_down")),
        "http_down": med(("full", "http_down")),
        "link_down": med(("full", "link_down")),
        "link_up": med(("full", "link_up")),
        "physical_limit_s": med(("full", "physical_limit_s")),
        "pull_wait_s": med(("full", "pull_wait_s")),
        "records": med(("full", "records_after")),
        "resume_s": med(("cut", "resume", "wall_s")),
        "resume_pages": med(("cut", "resume", "pages")),
        "resume_fraction_of_full_bytes": med(("cut", "resume_fraction_of_full_bytes")),
        "wasted_http_bytes": med(("cut", "wasted_http_bytes")),
        "complete_after_resume": [r.get("cut", {}).get("complete") for r in runs],
        "resumed_from_cursor": [r.get("cut", {}).get("resumed_from_cursor") for r in runs],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bootstrap", description=__doc__)
    sub = parser.add_subparsers(dest="command")
    p = sub.add_parser("_register")
    p.add_argument("--db", required=True)
    p.add_argument("--url", required=True)
    p.set_defaults(handler=cmd_register)
    p = sub.add_parser("_pull")
    for flag in ("--db", "--url", "--out", "--progress"):
        p.add_argument(flag, required=True)
    p.add_argument("--pull-budget", type=int, default=0)
    p.set_defaults(handler=cmd_pull)
    parser.add_argument("--profiles", nargs="+", default=["lan", "3g-poor"])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--index", type=int, default=60)
    parser.add_argument("--cut-seconds", type=float, default=20.0)
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the QUALITY counts")
    parser.add_argument("--emulate", action="store_true")
    parser.add_argument(
        "--pull-budget",
        type=int,
        default=0,
        help="the engine's pull budget (bytes of JSON per page); 0: default",
    )
    parser.add_argument("--no-cut", action="store_true", help="skip the cut-and-resume test")
    parser.add_argument("--tag", default="", help="suffix of the results file name")
    args = parser.parse_args(argv)
    if args.command:
        code: int = args.handler(args)
        return code

    _install_handlers()
    work = Path(tempfile.mkdtemp(prefix="motcua-bootstrap-"))
    try:
        counts = {k: int(v * args.scale) for k, v in COUNTS.items()}
        template = work / "template.sqlite3"
        made = build_database(template, counts)
        print(f"database: {made}", flush=True)
        for profile in args.profiles:
            runs = []
            for n in range(args.runs):
                started = time.perf_counter()
                try:
                    run = one_run(
                        profile,
                        args.index + n,
                        work,
                        template,
                        args.cut_seconds,
                        args.emulate,
                        args.pull_budget,
                        not args.no_cut,
                    )
                except Exception as error:
                    run = {"profile": profile, "error": f"{type(error).__name__}: {error}"}
                run["outer_s"] = round(time.perf_counter() - started, 1)
                runs.append(run)
                full, cut = run.get("full", {}), run.get("cut", {})
                print(
                    f"{profile} run {n + 1}: bootstrap {full.get('wall_s')} s, "
                    f"{full.get('pages')} pages, {full.get('body_down')} B; resume "
                    f"{cut.get('resume', {}).get('wall_s')} s, complete "
                    f"{cut.get('complete')} {run.get('error', '')}",
                    flush=True,
                )
            data = {
                "benchmark": "bootstrap of a new tablet",
                "profile": profile,
                "command": "python -m bench.bootstrap " + " ".join(sys.argv[1:]),
                "when": time.strftime("%Y-%m-%d %H:%M:%S %z"),
                "database": made,
                "summary": summarise([r for r in runs if "full" in r]),
                "runs": runs,
            }
            save(RESULTS / f"bootstrap-{profile}{args.tag}.json", data)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
