"""The QUALITY.md field day over emulated links, ours against Kinto on the same link.

    .venv/bin/python -m bench.field_day_net run --profile lan --runs 3
    .venv/bin/python -m bench.field_day_net run --profile mountain-2g --runs 3 --jobs 3
    .venv/bin/python -m bench.field_day_net run --profile flapping --runs 3 --jobs 3 \\
        --chunk-size 32768

One *run* builds one network lab (``bench.netlab``: server and client namespaces, a
veth pair, tc/nftables, the delay relay) and, on the same link, one after the other:

1. *set-up, unshaped* (the link at ``lan``): our server (gunicorn on a fresh SQLite
   seeded with the demo province) and a Kinto server (memory backend, kinto-attachment
   on local files) start in the server namespace; from the client namespace tablets A
   and B register and bootstrap, B makes the colleague's 20 edits and syncs them, and A
   records the field day offline (``mobile.simulator.record_field_day``). The same
   records go to Kinto: A's bootstrap state is loaded, the colleague's 20 edits made.
2. *the profile is applied*; **ours**: tablet A syncs (push, pull, then photos) with the
   real engine and HTTP transport; the app's own retry (sync again after a failed
   sync) is looped until the sync succeeds or ``--deadline`` passes.
3. the profile is applied again (the flapping clock restarts); **Kinto**: the same
   records (one per record, its final state) go up with kinto-http's batch API in
   batches of the server's ``batch_max_requests`` (25), each photo as a kinto-attachment
   upload on its attachment record, then one batch of ``GET …/records?_since=`` pulls
   the colleague's edits back. A cut request is retried (PUTs are idempotent).

Every figure is measured three ways: HTTP bodies (what each client sent and received),
HTTP bytes through the relay (headers included) and IP bytes on the client's veth end
(TCP/IP headers, ACKs and retransmissions included). Round trips are HTTP requests.
Results go to ``bench/results/field-day-net-<profile>.json`` (raw runs and medians).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.netlab.lab import NetLab, _install_handlers  # noqa: E402
from bench.netlab.profiles import PROFILES, Profile, get_profile, physical_limit  # noqa: E402
from bench.netlab.proxy import (  # noqa: E402
    ProxiedSite,
    make_certificate,
    nginx_command,
    nginx_conf,
)

RESULTS = ROOT / "bench" / "results"
PY = sys.executable
OUR_PORT = 9000
KINTO_PORT = 9100
KINTO_USER = ("agent-a", "bench-password")
KINTO_COLLEAGUE = ("agent-b", "bench-password")
KINTO_BUCKET = "commune"
POUCH_PORT = 9200
#: nginx listens on each server's port + this (``--direct`` leaves nginx out).
PROXY_OFFSET = 1
#: Where ``npm install pouchdb-server pouchdb pouchdb-adapter-memory`` was run (not the repo).
POUCH_DIR = Path(os.environ.get("MOTCUA_POUCH_DIR") or Path(tempfile.gettempdir()) / "pouchlab")
#: Minimal round trips of a sync: one exchange up (everything), one down (the changes);
#: a connection costs one more (the TCP handshake) and TLS 1.3 one more again.
MIN_ROUND_TRIPS = 2


def floor_round_trips(tls: bool) -> int:
    return MIN_ROUND_TRIPS + 1 + (1 if tls else 0)


def _json_out(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1, default=str) + "\n")


# == inside the server namespace ===============================================================


def cmd_server(args: argparse.Namespace) -> int:
    """Seed a fresh SQLite database and exec gunicorn on 127.0.0.1:port (server ns)."""
    from bench.field_day import _seed

    workdir = Path(args.workdir)
    database_url = f"sqlite:///{workdir / 'server.sqlite3'}"
    if not (workdir / "server.sqlite3").exists():
        _seed(database_url)
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "MOTCUA_SECRET_KEY": "bench-secret",
        "MOTCUA_LOGIN_RATE_LIMIT": "1000 per minute",
        # the run's own photo store (not the repository's instance folder)
        "MOTCUA_BLOB_DIR": str(workdir / "blobs"),
    }
    gunicorn = str(Path(PY).with_name("gunicorn"))
    argv = [
        gunicorn,
        "-w",
        str(args.workers),
        "-b",
        f"127.0.0.1:{args.port}",
        "--timeout",
        "600",
    ]
    if args.keepalive:
        # gunicorn's default sync worker closes every connection after one response;
        # gthread keeps it open, as a reverse proxy in front of gunicorn would.
        argv += ["-k", "gthread", "--threads", "4", "--keep-alive", "75"]
    argv.append("server:create_app()")
    os.chdir(ROOT)
    os.execve(gunicorn, argv, env)  # noqa: S606 - our own gunicorn
    return 1  # pragma: no cover


def kinto_ini(workdir: Path, port: int) -> Path:
    (workdir / "kinto-attachments").mkdir(exist_ok=True)
    ini = workdir / "kinto.ini"
    ini.write_text(
        f"""[app:main]
use = egg:kinto
kinto.storage_backend = kinto.core.storage.memory
kinto.storage_url =
kinto.cache_backend = kinto.core.cache.memory
kinto.cache_url =
kinto.permission_backend = kinto.core.permission.memory
kinto.permission_url =
kinto.includes = kinto_attachment
kinto.attachment.base_path = {workdir / "kinto-attachments"}
kinto.attachment.base_url = http://127.0.0.1:{port}/attachments
kinto.userid_hmac_secret = bench-secret
multiauth.policies = basicauth
kinto.bucket_create_principals = system.Authenticated
kinto.bucket_write_principals = system.Authenticated

[server:main]
use = egg:waitress#main
host = 127.0.0.1
port = {port}
threads = 4

[loggers]
keys = root
[handlers]
keys = console
[formatters]
keys = generic
[logger_root]
level = WARNING
handlers = console
[handler_console]
class = StreamHandler
args = (sys.stderr,)
level = WARNING
formatter = generic
[formatter_generic]
format = %(message)s
"""
    )
    return ini


# == inside the client namespace: our tablets ==================================================


def cmd_setup(args: argparse.Namespace) -> int:
    """Tablets A and B register and bootstrap, B edits 20 dossiers, A records its day."""
    from bench.field_day import COMMUNE_USERS
    from mobile.simulator import record_field_day
    from mobile.tablet import Tablet
    from server.demo import DEMO_PASSWORD

    workdir, url, seed = Path(args.workdir), args.url, args.seed
    a = Tablet(workdir / "tablet-A.db")
    b = Tablet(workdir / "tablet-B.db")
    a.register(url, COMMUNE_USERS["A"], DEMO_PASSWORD, "Máy A")
    b.register(url, COMMUNE_USERS["B"], DEMO_PASSWORD, "Máy B")
    for tablet in (a, b):
        report = tablet.sync(tablet.transport(url))
        if not report.ok:
            raise SystemExit(f"bootstrap failed: {report.error}")
    # A's bootstrap state, for Kinto to start from the same point.
    existing = {c: a.store.list_records(c) for c in sorted(a.store.collections())}

    camera_files: dict[str, dict[str, Any]] = {}
    source = _camera_source(workdir, seed, camera_files) if args.camera else None
    summary = record_field_day(a, seed=seed, photo_source=source)
    rng = random.Random(seed)  # noqa: S311 - workload, not secrets
    edits: dict[str, dict[str, Any]] = {}
    for n, dossier in enumerate(rng.sample(b.dossiers(), 20)):
        fields = {
            "note": f"Đồng nghiệp bổ sung ghi chú {n + 1}",
            "applicant_phone": f"09{rng.randrange(10**8):08d}",
        }
        b.edit("dossier", dossier["id"], **fields)
        edits[dossier["id"]] = fields
    report = b.sync(b.transport(url))
    if not report.ok:
        raise SystemExit(f"colleague's sync failed: {report.error}")

    # The field day as records (final state of each), for Kinto.
    records: dict[tuple[str, str], dict[str, Any]] = {}
    for op in a.store.pending_operations():
        records.setdefault((op.collection, op.record_id), {}).update(op.fields)
    photos = {}
    for blob in a.store.pending_blobs():
        path = a.store.blob_path(blob.sha256)
        photos[blob.sha256] = camera_files.get(blob.sha256) or {
            "path": str(path),
            "size": blob.size,
            "type": blob.content_type,
        }
    _json_out(
        workdir / "workload.json",
        {
            "summary": asdict(summary),
            "existing": existing,
            "records": [{"c": c, "r": r, "f": f} for (c, r), f in records.items()],
            "photos": photos,
            "colleague_edits": edits,
            "operations": a.store.pending_count(),
            "camera": bool(args.camera),
            "camera_bytes": sum(p["size"] for p in camera_files.values()),
        },
    )
    a.close()
    b.close()
    return 0


def _camera_source(
    workdir: Path, seed: int, files: dict[str, dict[str, Any]]
) -> Callable[[int], tuple[bytes, str, str]]:
    """Camera-sized photos (``bench.camera_photos``), made light as the app does on capture
    (``mobile.photo_resize`` with the options of the photo's kind). The camera's own file
    is kept for Kinto, which uploads it as it is (``files``: kept photo's sha256 → file).
    """
    import hashlib

    from bench.camera_photos import camera_photo
    from mobile.photo_resize import options_for, prepare_photo

    folder = workdir / "camera"
    folder.mkdir(exist_ok=True)

    def make(index: int) -> tuple[bytes, str, str]:
        photo = camera_photo(index, seed)
        original = folder / photo.filename
        original.write_bytes(photo.data)
        kept = prepare_photo(photo.data, photo.filename, options_for(photo.kind))
        files[hashlib.sha256(kept.data).hexdigest()] = {
            "path": str(original),
            "size": len(photo.data),
            "type": "image/jpeg",
            "filename": photo.filename,
            "kept_size": len(kept.data),
        }
        return kept.data, kept.content_type, kept.filename

    return make


def cmd_sync(args: argparse.Namespace) -> int:
    """Tablet A's field-day sync, retried as the app would until it succeeds (or deadline)."""
    from mobile.tablet import Tablet

    workdir = Path(args.workdir)
    workload = json.loads((workdir / "workload.json").read_text())
    a = Tablet(workdir / "tablet-A.db")
    transport = a.transport(args.url)
    options: dict[str, Any] = {}
    if args.chunk_size:
        options["chunk_size"] = args.chunk_size
    if args.photo_streams:
        options["photo_streams"] = args.photo_streams
    if args.push_batch:
        options["push_batch"] = args.push_batch
    attempts: list[dict[str, Any]] = []
    started = time.perf_counter()
    deadline = started + args.deadline
    ok = False
    # When the last record was acknowledged: the push phase ends with nothing pending
    # (records go before photo bytes, PROTOCOL.md §8).
    records_s: list[float] = []

    def progress(phase: str, done: int, total: int) -> None:
        if phase == "push" and done == total and not records_s and not a.store.pending_count():
            records_s.append(round(time.perf_counter() - started, 3))

    while True:
        t0 = time.perf_counter()
        report = a.sync(transport, progress, **options)
        attempts.append(
            {
                "ok": report.ok,
                "error": report.error,
                "seconds": round(time.perf_counter() - t0, 3),
                "photos": report.photos_uploaded,
                "pushed": report.pushed,
                "pulled": report.pulled,
                "requests": report.requests,
            }
        )
        if report.ok:
            ok = True
            break
        if time.perf_counter() > deadline:
            break
        time.sleep(1.0)  # the app's "sync again" after a failed sync
    wall = time.perf_counter() - started
    stats = transport.stats
    seen = sum(
        1
        for rid, fields in workload["colleague_edits"].items()
        if (a.dossier(rid) or {}).get("note") == fields["note"]
    )
    by_endpoint = {k: asdict(v) for k, v in stats.by_endpoint.items()}
    idle: dict[str, Any] = {}
    if ok and not args.no_idle:
        before = stats.snapshot()
        t0 = time.perf_counter()
        a.sync(transport)
        idle = {
            "seconds": round(time.perf_counter() - t0, 3),
            "requests": stats.requests - before.requests,
            "bytes_up": stats.bytes_sent - before.bytes_sent,
            "bytes_down": stats.bytes_received - before.bytes_received,
        }
    result = {
        "ok": ok,
        "wall_s": round(wall, 3),
        "records_s": records_s[0] if records_s else None,
        "sync_attempts": len(attempts),
        "attempts": attempts,
        "requests": stats.requests - idle.get("requests", 0),
        "failures": stats.failures,
        "body_up": stats.bytes_sent - idle.get("bytes_up", 0),
        "body_down": stats.bytes_received - idle.get("bytes_down", 0),
        "by_endpoint": by_endpoint,
        "operations": workload["operations"],
        "colleague_edits_seen": seen,
        "pending_after": a.store.pending_count(),
        "idle_sync": idle,
        "options": options,
    }
    _json_out(Path(args.out), result)
    transport.close()
    a.close()
    return 0 if ok else 1


# == inside the client namespace: Kinto ========================================================


class _Counter:
    """Counts what ``requests`` sends and receives (bodies), in this process."""

    def __init__(self) -> None:
        self.requests = 0
        self.failures = 0
        self.body_up = 0
        self.body_down = 0
        self.by_phase: dict[str, dict[str, int]] = {}
        self.phase = "setup"

    def install(self) -> None:
        import requests

        original = requests.Session.send
        counter = self

        def send(session: Any, request: Any, **kwargs: Any) -> Any:
            body = request.body or b""
            size = len(body.encode() if isinstance(body, str) else body)
            phase = counter.by_phase.setdefault(
                counter.phase, {"requests": 0, "body_up": 0, "body_down": 0, "failures": 0}
            )
            counter.requests += 1
            counter.body_up += size
            phase["requests"] += 1
            phase["body_up"] += size
            try:
                response = original(session, request, **kwargs)
                received = len(response.content)
            except Exception:
                counter.failures += 1
                phase["failures"] += 1
                raise
            counter.body_down += received
            phase["body_down"] += received
            return response

        requests.Session.send = send  # type: ignore[method-assign]


def _retrying(call: Callable[[], Any], deadline: float, counter: _Counter) -> Any:
    """Run ``call``; on a cut connection or timeout wait a moment and run it again."""
    import requests
    from kinto_http.exceptions import KintoException

    delay = 0.5
    while True:
        try:
            return call()
        except (requests.RequestException, KintoException) as error:
            # RequestException: refused, reset, timed out, or a response cut mid-body
            if isinstance(error, KintoException) and not _is_transport(error):
                raise
            if time.perf_counter() > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 8.0)


def _is_transport(error: Any) -> bool:
    response = getattr(error, "response", None)
    return response is None or getattr(response, "status_code", 500) >= 500


def _kinto_client(url: str, auth: tuple[str, str]) -> Any:
    from kinto_http import Client

    return Client(server_url=url + "/v1", auth=auth, bucket=KINTO_BUCKET, timeout=(10, 120))


def _kinto_batches(
    client: Any,
    items: list[tuple[str, str, dict[str, Any]]],
    deadline: float,
    counter: _Counter,
    size: int = 25,
    *,
    patch: bool = False,
) -> int:
    sent = 0
    for start in range(0, len(items), size):
        group = items[start : start + size]

        def send(group: list[tuple[str, str, dict[str, Any]]] = group) -> None:
            with client.batch() as batch:
                for collection, rid, data in group:
                    if patch:
                        batch.patch_record(id=rid, collection=collection, data=data)
                    else:
                        batch.update_record(id=rid, collection=collection, data=data)

        _retrying(send, deadline, counter)
        sent += 1
    return sent


def cmd_kinto_setup(args: argparse.Namespace) -> int:
    """Kinto starts where our server is: A's bootstrap data, then the colleague's edits."""
    workdir = Path(args.workdir)
    workload = json.loads((workdir / "workload.json").read_text())
    counter = _Counter()
    counter.install()
    deadline = time.perf_counter() + 600
    admin = _kinto_client(args.url, KINTO_USER)
    admin.create_bucket(
        id=KINTO_BUCKET, if_not_exists=True, permissions={"write": ["system.Authenticated"]}
    )
    collections = sorted(set(workload["existing"]) | {r["c"] for r in workload["records"]})
    for collection in collections:
        admin.create_collection(id=collection, if_not_exists=True)
    items = [
        (collection, str(record["id"]), {k: v for k, v in record.items() if k != "id"})
        for collection, records in workload["existing"].items()
        for record in records
    ]
    _kinto_batches(admin, items, deadline, counter)
    # Tablet A's bootstrap: what it has seen, per collection (an ETag timestamp).
    seen = {c: admin.get_records_timestamp(collection=c) for c in collections}
    colleague = _kinto_client(args.url, KINTO_COLLEAGUE)
    edits = [("dossier", rid, fields) for rid, fields in workload["colleague_edits"].items()]
    _kinto_batches(colleague, edits, deadline, counter, patch=True)
    _json_out(workdir / "kinto-state.json", {"since": seen, "collections": collections})
    return 0


def cmd_kinto_sync(args: argparse.Namespace) -> int:
    """Tablet A's field day through kinto-http: one batch down (kinto.js pulls first), then
    batches up, then attachments up."""
    workdir = Path(args.workdir)
    workload = json.loads((workdir / "workload.json").read_text())
    state = json.loads((workdir / "kinto-state.json").read_text())
    counter = _Counter()
    counter.install()
    started = time.perf_counter()
    deadline = started + args.deadline
    client = _kinto_client(args.url, KINTO_USER)
    result: dict[str, Any] = {"ok": False, "phases": {}}
    try:
        # Pull first, then push, as kinto.js does: the tablet's own records are not
        # downloaded back.
        counter.phase = "pull"
        t0 = time.perf_counter()
        requests_ = [
            {
                "method": "GET",
                "path": f"/buckets/{KINTO_BUCKET}/collections/{c}/records?_since={since}",
            }
            for c, since in state["since"].items()
        ]

        def pull() -> Any:
            body, _ = client.session.request("post", "/batch", payload={"requests": requests_})
            return body

        body = _retrying(pull, deadline, counter)
        changes = sum(len(r["body"].get("data", [])) for r in body["responses"])
        pulled = {
            r["id"]: r for response in body["responses"] for r in response["body"].get("data", [])
        }
        seen = sum(
            1
            for rid, fields in workload["colleague_edits"].items()
            if pulled.get(rid, {}).get("note") == fields["note"]
        )
        result["phases"]["pull"] = {
            "seconds": round(time.perf_counter() - t0, 3),
            "changes": changes,
        }
        result["colleague_edits_seen"] = seen
        counter.phase = "records"
        t0 = time.perf_counter()
        items = [(r["c"], r["r"], r["f"]) for r in workload["records"] if r["c"] != "attachment"]
        batches = _kinto_batches(client, items, deadline, counter)
        result["records_done"] = len(items)
        # its attachment records go with the photos; the others are in now
        result["records_s"] = round(time.perf_counter() - started, 3)
        result["phases"]["records"] = {
            "seconds": round(time.perf_counter() - t0, 3),
            "records": len(items),
            "batches": batches,
        }
        counter.phase = "photos"
        t0 = time.perf_counter()
        done = 0
        for record in workload["records"]:
            if record["c"] != "attachment":
                continue
            photo = workload["photos"][record["f"]["sha256"]]

            def upload(record: dict[str, Any] = record, photo: dict[str, Any] = photo) -> None:
                client.add_attachment(
                    id=record["r"],
                    filepath=photo["path"],
                    collection="attachment",
                    data=record["f"],
                    mimetype=photo["type"],
                    filename=photo.get("filename") or record["f"].get("filename") or "photo.jpg",
                )

            _retrying(upload, deadline, counter)
            done += 1
            result["photos_done"] = done
        result["phases"]["photos"] = {"seconds": round(time.perf_counter() - t0, 3), "photos": done}
        result["ok"] = True
    except Exception as error:
        result["error"] = f"{type(error).__name__}: {error}"
    result.update(
        wall_s=round(time.perf_counter() - started, 3),
        requests=counter.requests,
        failures=counter.failures,
        body_up=counter.body_up,
        body_down=counter.body_down,
        by_phase=counter.by_phase,
    )
    _json_out(Path(args.out), result)
    return 0 if result["ok"] else 1


# == the orchestrator (root namespace) =========================================================


def _client(lab: NetLab, argv: list[str], timeout: float, log: Path) -> int:
    cmd = lab.client_cmd([PY, "-m", "bench.field_day_net", *argv])
    with log.open("ab") as out:
        done = subprocess.run(  # noqa: S603 - our own module
            cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, timeout=timeout, check=False
        )
    return done.returncode


def _measure(
    lab: NetLab,
    profile: Profile,
    argv: list[str],
    timeout: float,
    log: Path,
    out: Path,
    round_trips: int = MIN_ROUND_TRIPS + 1,
) -> dict[str, Any]:
    lab.apply(profile)
    relay0, link0 = lab.relay_stats(), lab.counters()
    t0 = time.perf_counter()
    code = _client(lab, [*argv, "--out", str(out)], timeout, log)
    outer = time.perf_counter() - t0
    relay, link = lab.relay_stats().minus(relay0), lab.counters().minus(link0)
    lab.apply(PROFILES["lan"])
    data: dict[str, Any] = json.loads(out.read_text()) if out.exists() else {"ok": False}
    data.update(
        exit_code=code,
        process_wall_s=round(outer, 3),
        http_up=relay.bytes_up,
        http_down=relay.bytes_down,
        relay_requests=relay.requests,
        connections=relay.connections,
        connections_reset=relay.resets,
        connections_refused=relay.refused,
        outages=relay.outages,
        link_up=link.tx_bytes,
        link_down=link.rx_bytes,
        link_packets_up=link.tx_packets,
        link_packets_down=link.rx_packets,
    )
    if data.get("body_up") is not None:
        limit = physical_limit(profile, data["body_up"], data["body_down"], round_trips)
        data["physical_limit_s"] = round(limit, 3)
        data["ratio_to_limit"] = round(data["wall_s"] / limit, 3) if limit > 0 else None
    return data


def _pouch_requests(log: Path) -> int:
    import re

    if not log.exists():
        return 0
    text = re.sub(r"\x1b\[[0-9;]*m", "", log.read_text(errors="replace"))
    return len(re.findall(r"\[info\] (?:GET|POST|PUT|DELETE|HEAD|COPY) ", text))


def _measure_pouch(
    lab: NetLab, profile: Profile, workdir: Path, url: str, deadline: float, server_log: Path
) -> dict[str, Any]:
    """Set-up unshaped, then (after READY) the profile and one PouchDB sync (see the JS)."""
    import select

    env = {**os.environ, "NODE_PATH": str(POUCH_DIR / "node_modules")}
    cmd = lab.client_cmd(
        ["node", str(ROOT / "bench" / "pouch_client.js"), url, str(workdir), str(deadline)]
    )
    proc = subprocess.Popen(  # noqa: S603 - node with our own script
        cmd,
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=(workdir / "pouch-client.log").open("ab"),
        text=True,
    )
    assert proc.stdin is not None and proc.stdout is not None

    def line(timeout: float) -> str:
        ready, _, _ = select.select([proc.stdout], [], [], timeout)
        if not ready:
            raise TimeoutError("PouchDB client is silent")
        return proc.stdout.readline().strip()  # type: ignore[union-attr]

    try:
        first = line(600)
        if first != "READY":
            return {"ok": False, "error": f"PouchDB set-up failed: {first[:2000]}"}
        lab.apply(profile)
        relay0, link0 = lab.relay_stats(), lab.counters()
        requests0 = _pouch_requests(server_log)  # the server's log: a cross-check only
        t0 = time.perf_counter()
        proc.stdin.write("GO\n")
        proc.stdin.flush()
        data: dict[str, Any] = json.loads(line(deadline + 600) or "{}")
        outer = time.perf_counter() - t0
        time.sleep(0.5)
        relay, link = lab.relay_stats().minus(relay0), lab.counters().minus(link0)
        data.update(
            process_wall_s=round(outer, 3),
            requests=relay.requests,
            requests_in_server_log=_pouch_requests(server_log) - requests0,
            http_up=relay.bytes_up,
            http_down=relay.bytes_down,
            body_up=None,
            body_down=None,
            connections=relay.connections,
            connections_reset=relay.resets,
            link_up=link.tx_bytes,
            link_down=link.rx_bytes,
        )
        limit = physical_limit(profile, relay.bytes_up, relay.bytes_down, MIN_ROUND_TRIPS + 1)
        data["physical_limit_s"] = round(limit, 3)
        data["physical_limit_basis"] = "HTTP bytes through the relay (bodies not counted apart)"
        data["ratio_to_limit"] = round(data["wall_s"] / limit, 3) if limit > 0 else None
        return data
    finally:
        lab.apply(PROFILES["lan"])
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)


def _url(lab: NetLab, name: str, args: argparse.Namespace) -> str:
    url = lab.url(name)
    return "https://" + url.removeprefix("http://") if args.tls and not args.direct else url


def cmd_one(args: argparse.Namespace) -> int:
    """One run on one lab: set-up, ours, Kinto (see the module doc)."""
    profile = get_profile(args.profile)
    workdir = Path(tempfile.mkdtemp(prefix=f"motcua-fdnet-{args.index}-"))
    log = workdir / "run.log"
    result: dict[str, Any] = {"profile": profile.name, "index": args.index, "seed": args.seed}
    try:
        with NetLab(args.index, emulate=args.emulate) as lab:
            servers = [("motcua", OUR_PORT), ("kinto", KINTO_PORT), ("pouchdb", POUCH_PORT)]
            if args.direct:
                lab.start_relay(servers)
            else:
                # The fair lab: every system behind the same nginx (keep-alive, gzip,
                # unbuffered uploads; TLS with --tls), as each would be deployed.
                sites = [ProxiedSite(port + PROXY_OFFSET, port) for _, port in servers]
                lab.start_relay([(name, port + PROXY_OFFSET) for name, port in servers])
                tls = make_certificate(workdir, lab.relay_host) if args.tls else None
                if tls is not None:
                    # the clients (requests, node) trust the lab's certificate
                    os.environ["REQUESTS_CA_BUNDLE"] = str(tls[0])
                    os.environ["NODE_EXTRA_CA_CERTS"] = str(tls[0])
                conf = nginx_conf(workdir / "nginx", sites, tls)
                nginx_log = (workdir / "nginx.log").open("ab")
                lab.spawn_server(nginx_command(workdir / "nginx", conf), log=nginx_log)
            lab.apply(PROFILES["lan"])
            result["fair"] = {"proxy": not args.direct, "tls": bool(args.tls)}
            result["lab"] = {"emulated": lab.emulated, "fallback_reason": lab.fallback_reason}
            server_log = (workdir / "server.log").open("ab")
            lab.spawn_server(
                [
                    PY,
                    "-m",
                    "bench.field_day_net",
                    "_server",
                    "--workdir",
                    str(workdir),
                    "--port",
                    str(OUR_PORT),
                    *(["--keepalive"] if args.keepalive else []),
                ],
                log=server_log,
            )
            systems = args.systems.split(",")
            if "kinto" in systems:
                ini = kinto_ini(workdir, KINTO_PORT)
                lab.spawn_server(
                    [str(Path(PY).with_name("pserve")), str(ini)],
                    log=(workdir / "kinto.log").open("ab"),
                )
            pouch_log = workdir / "pouch-server.log"
            if "pouchdb" in systems:
                server_js = POUCH_DIR / "node_modules" / ".bin" / "pouchdb-server"
                if not server_js.exists():
                    result["pouchdb"] = {
                        "ok": False,
                        "skipped": f"{server_js} is missing "
                        "(npm install pouchdb-server there first)",
                    }
                    systems.remove("pouchdb")
                else:
                    lab.spawn_server(
                        [
                            "node",
                            str(server_js),
                            "--in-memory",
                            "--host",
                            "127.0.0.1",
                            "--port",
                            str(POUCH_PORT),
                        ],
                        log=pouch_log.open("ab"),
                    )
            lab.wait_port(OUR_PORT, 120)
            our_url, kinto_url = _url(lab, "motcua", args), _url(lab, "kinto", args)
            t0 = time.perf_counter()
            if _client(
                lab,
                [
                    "_setup",
                    "--workdir",
                    str(workdir),
                    "--url",
                    our_url,
                    "--seed",
                    str(args.seed),
                    *(["--camera"] if args.camera else []),
                ],
                1800 if args.camera else 600,  # 30 photos of 12 MP to make and resize
                log,
            ):
                raise RuntimeError("set-up failed; see " + str(log))
            if "kinto" in systems:
                lab.wait_port(KINTO_PORT, 60)
                if _client(
                    lab, ["_kinto_setup", "--workdir", str(workdir), "--url", kinto_url], 600, log
                ):
                    raise RuntimeError("Kinto set-up failed; see " + str(log))
            result["setup_s"] = round(time.perf_counter() - t0, 1)
            workload = json.loads((workdir / "workload.json").read_text())
            result["workload"] = workload["summary"] | {
                "operations": workload["operations"],
                "kinto_records": len(workload["records"]),
                "camera": workload.get("camera", False),
                "camera_bytes": workload.get("camera_bytes", 0),
            }
            sync_argv = [
                "_sync",
                "--workdir",
                str(workdir),
                "--url",
                our_url,
                "--deadline",
                str(args.deadline),
            ]
            if args.chunk_size:
                sync_argv += ["--chunk-size", str(args.chunk_size)]
            if args.photo_streams:
                sync_argv += ["--photo-streams", str(args.photo_streams)]
            if args.push_batch:
                sync_argv += ["--push-batch", str(args.push_batch)]
            if "motcua" in systems:
                result["motcua"] = _measure(
                    lab,
                    profile,
                    sync_argv,
                    args.deadline + 600,
                    log,
                    workdir / "motcua.json",
                    floor_round_trips(args.tls),
                )
            if "kinto" in systems:
                result["kinto"] = _measure(
                    lab,
                    profile,
                    [
                        "_kinto_sync",
                        "--workdir",
                        str(workdir),
                        "--url",
                        kinto_url,
                        "--deadline",
                        str(args.kinto_deadline or args.deadline),
                    ],
                    (args.kinto_deadline or args.deadline) + 600,
                    log,
                    workdir / "kinto.json",
                    floor_round_trips(args.tls),
                )
            if "pouchdb" in systems:
                lab.wait_port(POUCH_PORT, 60)
                result["pouchdb"] = _measure_pouch(
                    lab,
                    profile,
                    workdir,
                    _url(lab, "pouchdb", args),
                    args.kinto_deadline or args.deadline,
                    pouch_log,
                )
            result["lab"] = {
                "emulated": lab.emulated,
                "fallback_reason": lab.fallback_reason,
                "qdisc": lab.describe().get("qdisc"),
            }
    except Exception as error:
        result["error"] = f"{type(error).__name__}: {error}"
        tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
        result["log_tail"] = tail
    finally:
        if args.keep:
            shutil.copytree(workdir, Path(args.keep) / workdir.name, dirs_exist_ok=True)
        shutil.rmtree(workdir, ignore_errors=True)
    _json_out(Path(args.out), result)
    return 0 if "error" not in result else 1


# -- aggregation and report --------------------------------------------------------------------

FIGURES = (
    ("wall_s", "wall time, s"),
    ("records_s", "link-up → records on server, s"),
    ("requests", "round trips (HTTP requests)"),
    ("body_up", "body bytes up"),
    ("body_down", "body bytes down"),
    ("http_up", "HTTP bytes up (relay)"),
    ("http_down", "HTTP bytes down (relay)"),
    ("link_up", "IP bytes up (veth)"),
    ("link_down", "IP bytes down (veth)"),
    ("physical_limit_s", "physical limit, s"),
    ("ratio_to_limit", "wall ÷ physical limit"),
)


def _median(values: list[float]) -> float | None:
    clean = [v for v in values if v is not None]
    return statistics.median(clean) if clean else None


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    summary: dict[str, Any] = {}
    for system in ("motcua", "kinto", "pouchdb"):
        rows = [r[system] for r in runs if system in r and "skipped" not in r[system]]
        if not rows:
            continue
        ok_rows = [r for r in rows if r.get("ok")]
        entry: dict[str, Any] = {"runs": len(rows), "completed": len(ok_rows)}
        for key, _ in FIGURES:
            values = [r.get(key) for r in ok_rows]
            entry[key] = {"median": _median(values), "raw": [r.get(key) for r in rows]}
        summary[system] = entry
    ours, kinto = summary.get("motcua"), summary.get("kinto")
    pouch = summary.get("pouchdb")
    if ours and pouch and ours["wall_s"]["median"] and pouch["wall_s"]["median"]:
        summary["pouchdb_over_ours"] = {
            "time": round(pouch["wall_s"]["median"] / ours["wall_s"]["median"], 2),
            "link_bytes": round(
                (pouch["link_up"]["median"] + pouch["link_down"]["median"])
                / (ours["link_up"]["median"] + ours["link_down"]["median"]),
                2,
            ),
            "http_bytes": round(
                (pouch["http_up"]["median"] + pouch["http_down"]["median"])
                / (ours["http_up"]["median"] + ours["http_down"]["median"]),
                2,
            ),
            "round_trips": round(pouch["requests"]["median"] / ours["requests"]["median"], 2),
        }
    if ours and kinto and ours["wall_s"]["median"] and kinto["wall_s"]["median"]:
        summary["kinto_over_ours"] = {
            "time": round(kinto["wall_s"]["median"] / ours["wall_s"]["median"], 2),
            "link_bytes": round(
                (kinto["link_up"]["median"] + kinto["link_down"]["median"])
                / (ours["link_up"]["median"] + ours["link_down"]["median"]),
                2,
            ),
            "body_bytes": round(
                (kinto["body_up"]["median"] + kinto["body_down"]["median"])
                / (ours["body_up"]["median"] + ours["body_down"]["median"]),
                2,
            ),
            "http_bytes": round(
                (kinto["http_up"]["median"] + kinto["http_down"]["median"])
                / (ours["http_up"]["median"] + ours["http_down"]["median"]),
                2,
            ),
            "round_trips": round(kinto["requests"]["median"] / ours["requests"]["median"], 2),
        }
    # our round trips without photos (push + pull), per run
    summary["motcua_round_trips_without_photos"] = [
        sum(
            v["requests"]
            for k, v in r["motcua"].get("by_endpoint", {}).items()
            if k in ("push", "pull")
        )
        for r in runs
        if "motcua" in r
    ]
    return summary


def format_table(profile: str, runs: list[dict[str, Any]], summary: dict[str, Any]) -> str:
    def show(value: Any) -> str:
        if value is None:
            return "-"
        if isinstance(value, float) and not value.is_integer():
            return f"{value:,.2f}"
        return f"{int(value):,}"

    lines = [f"field day on {profile}: {len(runs)} run(s)"]
    emulated = {r.get("lab", {}).get("emulated") for r in runs}
    lines.append(
        "link: "
        + (
            "EMULATED in user space"
            if True in emulated
            else "namespaces + tc tbf + nftables loss + delay relay"
        )
    )
    names = {"motcua": "ours", "kinto": "Kinto", "pouchdb": "PouchDB"}
    header = f"{'figure':<30} " + " ".join(
        f"{names[s] + ' (median)':>18} {'raw':>26}" for s in names if s in summary
    )
    lines.append(header)
    for key, label in FIGURES:
        row = f"{label:<30} "
        for system in names:
            if system not in summary:
                continue
            cell = summary[system][key]
            raw = ", ".join(show(v) for v in cell["raw"])
            row += f"{show(cell['median']):>18} {raw:>26}"
        lines.append(row)
    for system in names:
        if system in summary:
            entry = summary[system]
            lines.append(f"{system}: completed {entry['completed']}/{entry['runs']}")
    if "kinto_over_ours" in summary:
        lines.append(f"Kinto ÷ ours: {summary['kinto_over_ours']}")
    if "pouchdb_over_ours" in summary:
        lines.append(f"PouchDB ÷ ours: {summary['pouchdb_over_ours']}")
    lines.append(f"our round trips without photos: {summary['motcua_round_trips_without_photos']}")
    return "\n".join(lines)


def cmd_run(args: argparse.Namespace) -> int:
    """Several runs (``--jobs`` labs side by side), then medians and the JSON file."""
    _install_handlers()
    profile = get_profile(args.profile)
    outdir = Path(tempfile.mkdtemp(prefix="motcua-fdnet-out-"))
    pending = list(range(args.runs))
    running: list[tuple[int, subprocess.Popen[bytes], Path]] = []
    results: list[dict[str, Any]] = []
    base_index = args.index
    try:
        while pending or running:
            while pending and len(running) < args.jobs:
                n = pending.pop(0)
                out = outdir / f"run-{n}.json"
                argv = [
                    PY,
                    "-m",
                    "bench.field_day_net",
                    "_one",
                    "--profile",
                    profile.name,
                    "--index",
                    str(base_index + n),
                    "--seed",
                    str(args.seed + n),
                    "--out",
                    str(out),
                    "--deadline",
                    str(args.deadline),
                    "--systems",
                    args.systems,
                ]
                for flag, value in (
                    ("--chunk-size", args.chunk_size),
                    ("--photo-streams", args.photo_streams),
                    ("--push-batch", args.push_batch),
                    ("--kinto-deadline", args.kinto_deadline),
                    ("--keep", args.keep),
                ):
                    if value:
                        argv += [flag, str(value)]
                if args.emulate:
                    argv.append("--emulate")
                if args.keepalive:
                    argv.append("--keepalive")
                if args.direct:
                    argv.append("--direct")
                if args.tls:
                    argv.append("--tls")
                if args.camera:
                    argv.append("--camera")
                proc = subprocess.Popen(argv, cwd=ROOT)  # noqa: S603
                running.append((n, proc, out))
                time.sleep(args.stagger)
            for item in list(running):
                n, proc, out = item
                if proc.poll() is not None:
                    running.remove(item)
                    results.append(
                        json.loads(out.read_text())
                        if out.exists()
                        else {"error": f"run {n} wrote nothing"}
                    )
            time.sleep(1)
    finally:
        for _, proc, _ in running:
            proc.terminate()
            proc.wait(30)
    results.sort(key=lambda r: r.get("seed", 0))
    summary = summarise([r for r in results if "error" not in r])
    data = {
        "benchmark": "field day over the network lab",
        "profile": asdict(profile),
        "command": " ".join(["python -m bench.field_day_net", *sys.argv[1:]]),
        "when": time.strftime("%Y-%m-%d %H:%M:%S %z"),
        "summary": summary,
        "runs": results,
    }
    RESULTS.mkdir(exist_ok=True)
    path = Path(args.output or RESULTS / f"field-day-net-{profile.name}.json")
    _json_out(path, data)
    print(format_table(profile.name, [r for r in results if "error" not in r], summary))
    for r in results:
        if "error" in r:
            print(f"run seed {r.get('seed')}: ERROR {r['error']}")
    print(f"raw numbers: {path}")
    shutil.rmtree(outdir, ignore_errors=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.field_day_net",
        description=__doc__.split("\n")[0] if __doc__ else None,
    )
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--profile", default="lan", choices=list(PROFILES))
        p.add_argument("--seed", type=int, default=2026)
        p.add_argument(
            "--deadline",
            type=float,
            default=3600.0,
            help="seconds before a sync that keeps failing is given up",
        )
        p.add_argument("--kinto-deadline", type=float, default=0.0)
        p.add_argument("--chunk-size", type=int, default=0, help="engine photo chunk (bytes)")
        p.add_argument(
            "--photo-streams", type=int, default=0, help="photos sent at once (engine default: 2)"
        )
        p.add_argument("--push-batch", type=int, default=0, help="engine operations per push")
        p.add_argument("--systems", default="motcua,kinto")
        p.add_argument("--emulate", action="store_true", help="user-space link emulation")
        p.add_argument("--keep", help="copy each run's work directory here")
        p.add_argument(
            "--keepalive", action="store_true", help="gunicorn gthread workers (keep-alive)"
        )
        p.add_argument(
            "--direct",
            action="store_true",
            help="no nginx in front of the servers (the lab before it was made fair)",
        )
        p.add_argument("--tls", action="store_true", help="TLS at nginx for every system")
        p.add_argument(
            "--camera",
            action="store_true",
            help="12 MP camera photos (ours resized on capture, Kinto's as the camera wrote them)",
        )

    p = sub.add_parser("run", help="runs, medians, results JSON")
    common(p)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--jobs", type=int, default=1, help="labs side by side")
    p.add_argument("--index", type=int, default=10, help="first lab number")
    p.add_argument("--stagger", type=float, default=20.0, help="seconds between lab starts")
    p.add_argument("--output")
    p.set_defaults(handler=cmd_run)

    p = sub.add_parser("_one")
    common(p)
    p.add_argument("--index", type=int, default=10)
    p.add_argument("--out", required=True)
    p.set_defaults(handler=cmd_one)

    p = sub.add_parser("_server")
    p.add_argument("--workdir", required=True)
    p.add_argument("--port", type=int, default=OUR_PORT)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--keepalive", action="store_true")
    p.set_defaults(handler=cmd_server)

    p = sub.add_parser("_setup")
    p.add_argument("--workdir", required=True)
    p.add_argument("--url", required=True)
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--camera", action="store_true")
    p.set_defaults(handler=cmd_setup)

    for name, handler in (("_sync", cmd_sync), ("_kinto_sync", cmd_kinto_sync)):
        p = sub.add_parser(name)
        p.add_argument("--workdir", required=True)
        p.add_argument("--url", required=True)
        p.add_argument("--out", required=True)
        p.add_argument("--deadline", type=float, default=3600.0)
        p.add_argument("--chunk-size", type=int, default=0)
        p.add_argument("--photo-streams", type=int, default=0)
        p.add_argument("--push-batch", type=int, default=0)
        p.add_argument("--no-idle", action="store_true")
        p.set_defaults(handler=handler)

    p = sub.add_parser("_kinto_setup")
    p.add_argument("--workdir", required=True)
    p.add_argument("--url", required=True)
    p.set_defaults(handler=cmd_kinto_setup)

    args = parser.parse_args(argv)
    code: int = args.handler(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
