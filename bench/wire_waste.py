"""Where our protocol spends bytes and round trips: measured what-ifs, in process.

    .venv/bin/python -m bench.wire_waste            # ~1 min; JSON to bench/results/

No network: a Flask test client on a scaled-down copy of the bootstrap database
(``bench.bootstrap.build_database``, 20 % of the QUALITY counts) and a field day
recorded by the simulator against it. For each what-if the same pages are re-encoded
and gzip-compressed as the server would send them, so the figures are byte-exact for
the current data and the proposed encoding:

- pull pages at the default budget (256 KiB of JSON) and at 4 MiB: pages, server time;
- per-field clocks ``k`` sent once when every field of a change has the same stamp;
- a dossier's ``documents`` (catalog names copied into every dossier) sent as the
  indices of the provided documents, the catalog being on the tablet already;
- push results without the operation id (results are in the order of the operations).
"""

from __future__ import annotations

import gzip
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "bench" / "results"


def _gz(data: Any) -> int:
    raw = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    return len(gzip.compress(raw, 6))


def _collapse_clocks(change: dict[str, Any]) -> dict[str, Any]:
    clocks = change.get("k") or {}
    if clocks and len(set(clocks.values())) == 1 and set(clocks) >= set(change.get("f", {})):
        change = dict(change)
        change["k"] = next(iter(clocks.values()))
    return change


def _compact_documents(change: dict[str, Any]) -> dict[str, Any]:
    docs = change.get("f", {}).get("documents")
    if change.get("c") != "dossier" or not isinstance(docs, list):
        return change
    change = dict(change)
    fields = dict(change["f"])
    fields["documents"] = [
        i for i, d in enumerate(docs) if isinstance(d, dict) and d.get("provided")
    ]
    change["f"] = fields
    return change


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="motcua-waste-"))
    try:
        return measure(work)
    finally:
        # the bootstrap-sized database is tens of MB: nothing stays behind in /tmp
        shutil.rmtree(work, ignore_errors=True)


def measure(work: Path) -> int:
    from bench.bootstrap import COUNTS, build_database
    from bench.field_day import _server_config
    from server import create_app
    from server.demo import DEMO_PASSWORD
    from sync.ops import PROTOCOL_VERSION
    from sync.schema import SCHEMA_VERSION

    counts = {k: v // 5 for k, v in COUNTS.items()}
    db_path = work / "server.sqlite3"
    build_database(db_path, counts)
    app = create_app(_server_config(f"sqlite:///{db_path}"))
    client = app.test_client()
    reply = client.post(
        "/api/v1/devices",
        json={
            "username": "hotich.tavan",
            "password": DEMO_PASSWORD,
            "device_name": "waste",
            "app_version": "0.1.0",
        },
    )
    token = reply.json["token"]  # type: ignore[index]
    headers = {
        "Authorization": f"Bearer {token}",
        "X-Motcua-Protocol": str(PROTOCOL_VERSION),
        "X-Motcua-App": "0.1.0",
        "X-Motcua-Schema": str(SCHEMA_VERSION),
        "Accept-Encoding": "gzip",
    }

    def pull_all(budget: int) -> dict[str, Any]:
        cursor, pages, wire, seconds = "", [], 0, 0.0
        while True:
            started = time.perf_counter()
            r = client.post(
                "/api/v1/sync/pull", json={"cursor": cursor, "budget": budget}, headers=headers
            )
            seconds += time.perf_counter() - started
            wire += len(r.data)
            body = (
                json.loads(gzip.decompress(r.data))
                if r.headers.get("Content-Encoding") == "gzip"
                else r.json
            )
            pages.append(body)
            cursor = body["cursor"]
            if not body["more"]:
                break
        return {"pages": pages, "wire": wire, "seconds": seconds}

    result: dict[str, Any] = {"database": counts}
    default = pull_all(262_144)
    big = pull_all(4 * 1024 * 1024)
    changes = sum(len(p["changes"]) for p in default["pages"])
    result["pull_default_budget"] = {
        "pages": len(default["pages"]),
        "wire_bytes": default["wire"],
        "server_s": round(default["seconds"], 2),
        "changes": changes,
    }
    result["pull_4mib_budget"] = {
        "pages": len(big["pages"]),
        "wire_bytes": big["wire"],
        "server_s": round(big["seconds"], 2),
    }

    def reencode(transform: Any) -> int:
        return sum(
            _gz({**p, "changes": [transform(c) for c in p["changes"]]}) for p in big["pages"]
        )

    baseline = reencode(lambda c: c)
    result["pull_encodings_4mib_pages"] = {
        "as_is": baseline,
        "clocks_once": reencode(_collapse_clocks),
        "documents_as_indices": reencode(_compact_documents),
        "both": reencode(lambda c: _collapse_clocks(_compact_documents(c))),
        "per_change_as_is": round(baseline / changes, 1),
    }

    # Push results: 561 operations of a field day, as the server answers them.
    from sync.ids import new_id

    results = [{"i": new_id(), "o": "applied", "s": 1000 + n} for n in range(561)]
    result["push_response_561_ops"] = {
        "as_is": _gz({"now": 1764000000123, "skew": 0, "results": results}),
        "without_op_ids": _gz(
            {
                "now": 1764000000123,
                "skew": 0,
                "results": [{k: v for k, v in r.items() if k != "i"} for r in results],
            }
        ),
        "only_exceptions": _gz(
            {"now": 1764000000123, "skew": 0, "applied_seq": [1000, 1560], "exceptions": []}
        ),
    }
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / "wire-waste.json"
    out.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
