"""G2: a saved edit survives the app being killed at any instant.

A child process records dossiers and edits in a loop and prints each id only after
its transaction committed; the test kills it with SIGKILL at a random moment, several
times over the same database. Every printed id must then be in the records and in the
outbox, and the receipt serials must have no gap and no repeat.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

from mobile.store import SQLiteDeviceStore
from mobile.tablet import Tablet
from sync.ops import Cursor
from sync.receipts import parse_receipt_number
from tests.sync.fake_server import FakeServer, FakeTransport

ROOT = Path(__file__).resolve().parents[2]
ROUNDS = 5

CHILD = """
import sys
from mobile.tablet import Tablet

tablet = Tablet(sys.argv[1])
print("ready", flush=True)
n = 0
while True:
    dossier_id = tablet.create_dossier(1, f"Giàng A Páo {n}")
    print("dossier", dossier_id, flush=True)
    op_id = tablet.edit("dossier", dossier_id, note=f"ghi chú {n}")
    print("edit", dossier_id, op_id, n, flush=True)
    n += 1
"""


def _prepare(path: Path) -> None:
    server = FakeServer()
    server.seed_reference()
    tablet = Tablet(path)
    tablet.adopt_registration("fake://", server.registration())
    assert tablet.sync(FakeTransport(server, 1)).ok
    assert tablet.store.cursor() != Cursor()
    tablet.close()


def _run_and_kill(path: Path, rng: random.Random) -> list[str]:
    """Start the child, kill it at a random moment, return the lines it completed."""
    chunks: list[bytes] = []
    ready = threading.Event()
    errors = path.with_name("child-stderr.txt")
    with (
        open(errors, "wb") as stderr,
        subprocess.Popen(
            [sys.executable, "-c", CHILD, str(path)],
            stdout=subprocess.PIPE,
            stderr=stderr,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        ) as child,
    ):
        assert child.stdout is not None
        stdout = child.stdout

        def read() -> None:
            for line in iter(stdout.readline, b""):
                if line == b"ready\n":
                    ready.set()
                chunks.append(line)

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        try:
            assert ready.wait(30), errors.read_text()
            time.sleep(rng.uniform(0.02, 0.4))
            os.kill(child.pid, signal.SIGKILL)
            child.wait(timeout=30)
        finally:
            if child.poll() is None:  # pragma: no cover - only if an assertion failed
                child.kill()
                child.wait(timeout=30)
        reader.join(timeout=30)
    assert child.returncode == -signal.SIGKILL
    text = b"".join(chunks).decode()
    complete = text.split("\n")[:-1]  # a line cut by the kill has no newline
    return [line for line in complete if line != "ready"]


def test_g2_killed_app_loses_no_saved_edit(tmp_path: Path) -> None:
    path = tmp_path / "tablet.db"
    _prepare(path)
    # Seeded: the kill instants are the same on every run (the child's speed is not).
    rng = random.Random(20260212)
    dossiers: list[str] = []
    edits: list[tuple[str, str, str]] = []  # dossier, operation, the note it wrote
    for _ in range(ROUNDS):
        for line in _run_and_kill(path, rng):
            kind, *ids = line.split()
            if kind == "dossier":
                dossiers.append(ids[0])
            else:
                edits.append((ids[0], ids[1], f"ghi chú {ids[2]}"))
    assert len(dossiers) >= ROUNDS  # the children did get work done
    assert edits

    connection = sqlite3.connect(path)
    assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    connection.close()
    with SQLiteDeviceStore(path) as store:
        outbox = {(e.op.collection, e.op.record_id, e.op.op_id) for e in store.outbox()}
        outbox_records = {(c, r) for c, r, _ in outbox}
        outbox_ops = {op_id for _, _, op_id in outbox}
        for dossier_id in dossiers:
            assert store.get("dossier", dossier_id) is not None, dossier_id
            assert ("dossier", dossier_id) in outbox_records, dossier_id
        for dossier_id, op_id, note in edits:
            assert op_id in outbox_ops, op_id
            # Each dossier is edited once, so its note is the one that edit wrote.
            assert (store.get("dossier", dossier_id) or {}).get("note") == note, dossier_id
            [entry] = [e for e in store.outbox() if e.op.op_id == op_id]
            assert entry.op.fields == {"note": note}
        # No receipt serial lost or issued twice, kills included (G1 with G2).
        serials = sorted(
            parse_receipt_number(d["receipt_number"])[3]  # type: ignore[index]
            for d in store.list_records("dossier")
        )
        assert serials == list(range(1, len(serials) + 1))
        # Each stored dossier has its "received" event: they committed together.
        events = store.list_records("dossier_event", {"kind": "received"})
        assert {e["dossier_id"] for e in events} == set(store.record_ids("dossier"))
