"""Pull cost of shared dossiers (filing anywhere in the province, Decree 118/2025/NĐ-CP).

    .venv/bin/python -m bench.scope_pull                       # 20,000 dossiers, N = 10 100 1000
    .venv/bin/python -m bench.scope_pull --dossiers 2000 --handovers 10 50   # quick

1. The database of ``bench.bootstrap``: the demo province, and in xã Tả Van (the
   receiving commune, R) ``--dossiers`` dossiers bulk-inserted (SQLite file).
2. Three pullers, each a device of its commune calling ``server.sync.pull.pull`` in
   process (the server's own cost; the bytes are those of the JSON pages it would send):
   R; the settling commune S (another demo commune); and a third commune T that is never
   involved. Each first pulls everything, so its cursor is at the top.
3. Rounds: ``N`` open dossiers of R are handed over to S with
   ``server.services.handover.hand_over`` (each numbers the dossier and all its records
   in S's scope), then every puller pulls from its cursor to the end. The handovers of
   every round add up (N is the round's own count).

Reported per round: seconds per handover; for each puller the changes, pages, bytes and
seconds of its incremental pull. Expected: S receives every record of the N dossiers
(they are far behind its cursor in R's numbering, and arrive anyway); R receives the N
dossiers again (their ``settling_commune_id`` changed) and the N handover events; T
receives nothing and its pull costs what an empty pull costs. The bench marks every
procedure receivable anywhere and picks dossiers still open, so that any of them may
be handed over.

Results: ``bench/results/scope-pull.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "bench" / "results"
RECEIVING_CODE = "02965"  # xã Tả Van in the demo province


def pull_to_end(session: Any, device: Any, cursor: Any) -> tuple[Any, dict[str, Any]]:
    """Pull every page after ``cursor``: (the new cursor, what it cost)."""
    from server.sync.pull import pull
    from sync import wire

    changes = pages = size = 0
    started = time.perf_counter()
    while True:
        page = pull(session, device, cursor, None)
        body = page.to_wire()
        size += len(wire.dumps(body))
        changes += len(page.changes)
        pages += 1
        cursor = page.cursor
        if not page.more:
            break
    session.rollback()  # a pull writes nothing that matters here (last_sync_at)
    seconds = time.perf_counter() - started
    return cursor, {
        "changes": changes,
        "pages": pages,
        "bytes": size,
        "seconds": round(seconds, 4),
    }


def run(dossiers: int, rounds: list[int], workdir: Path) -> dict[str, Any]:
    from sqlalchemy import select, update

    from bench.bootstrap import build_database
    from bench.field_day import _server_config
    from server import create_app
    from server.extensions import db
    from server.models import AdminUnit, Device, Dossier, Officer, Procedure, UnitLevel
    from server.services.handover import hand_over
    from sync.domain import OPEN_STATUSES
    from sync.ids import new_id
    from sync.ops import Cursor

    path = workdir / "scope.db"
    made = build_database(path, {"dossier": dossiers, "feedback": 0, "survey_response": 0})
    app = create_app(_server_config(f"sqlite:///{path}"))
    result: dict[str, Any] = {"dossiers": dossiers, "built": made, "rounds": []}
    with app.app_context():
        session = db.session()
        session.execute(update(Procedure).values(receivable_anywhere=True))
        receiving = session.scalars(select(AdminUnit).where(AdminUnit.code == RECEIVING_CODE)).one()
        others = session.scalars(
            select(AdminUnit)
            .where(
                AdminUnit.level == UnitLevel.COMMUNE,
                AdminUnit.parent_id == receiving.parent_id,
                AdminUnit.id != receiving.id,
            )
            .order_by(AdminUnit.id)
        ).all()
        settling, third = others[0], others[1]
        officer = session.scalars(select(Officer).where(Officer.unit_id == receiving.id)).first()
        session.commit()
        devices = {
            name: Device(id=new_id(), commune_id=unit.id, device_no=90 + n)
            for n, (name, unit) in enumerate(
                (("receiving", receiving), ("settling", settling), ("third", third))
            )
        }
        cursors: dict[str, Any] = {}
        cold: dict[str, Any] = {}
        for name, device in devices.items():
            cursors[name], cold[name] = pull_to_end(session, device, Cursor())
        result["cold"] = cold
        result["communes"] = {
            "receiving": receiving.full_name,
            "settling": settling.full_name,
            "third": third.full_name,
        }
        open_ids = list(
            session.scalars(
                select(Dossier.id)
                .where(
                    Dossier.commune_id == receiving.id,
                    Dossier.settling_commune_id == receiving.id,
                    Dossier.status.in_(list(OPEN_STATUSES)),
                )
                .order_by(Dossier.id)
            )
        )
        empty: dict[str, Any] = {}
        for name, device in devices.items():
            cursors[name], empty[name] = pull_to_end(session, device, cursors[name])
        result["empty"] = empty
        taken = 0
        for count in rounds:
            chosen = open_ids[taken : taken + count]
            taken += count
            if len(chosen) < count:
                raise SystemExit(f"only {len(open_ids)} open dossiers; ask for fewer handovers")
            started = time.perf_counter()
            for dossier_id in chosen:
                dossier = session.get(Dossier, dossier_id)
                assert dossier is not None
                hand_over(session, dossier, settling.id, "", officer=officer)
                session.commit()
            per = (time.perf_counter() - started) / count
            pulls: dict[str, Any] = {}
            for name, device in devices.items():
                cursors[name], pulls[name] = pull_to_end(session, device, cursors[name])
            result["rounds"].append(
                {"handovers": count, "seconds_per_handover": round(per, 4), "pulls": pulls}
            )
            print(format_round(result["rounds"][-1]), flush=True)
        db.session.remove()
        db.engine.dispose()
    return result


def format_round(item: dict[str, Any]) -> str:
    pulls = item["pulls"]
    parts = [
        f"{name}: {p['changes']} changes, {p['bytes'] / 1024:.1f} KiB, {p['seconds'] * 1000:.0f} ms"
        for name, p in pulls.items()
    ]
    return (
        f"N={item['handovers']}: {item['seconds_per_handover'] * 1000:.1f} ms/handover; "
        + "; ".join(parts)
    )


def format_table(result: dict[str, Any]) -> str:
    """The Markdown table of BENCHMARKS.md."""
    lines = [
        "| Handovers (N) | ms per handover | settling S: changes / KiB / ms "
        "| receiving R: changes / KiB / ms | third T: changes / KiB / ms |",
        "| --- | --- | --- | --- | --- |",
    ]
    empty = result["empty"]
    lines.append(
        "| 0 (empty pull) | – | "
        + " | ".join(
            f"{empty[n]['changes']} / {empty[n]['bytes'] / 1024:.1f} / "
            f"{empty[n]['seconds'] * 1000:.0f}"
            for n in ("settling", "receiving", "third")
        )
        + " |"
    )
    for item in result["rounds"]:
        pulls = item["pulls"]
        lines.append(
            f"| {item['handovers']} | {item['seconds_per_handover'] * 1000:.1f} | "
            + " | ".join(
                f"{pulls[n]['changes']} / {pulls[n]['bytes'] / 1024:.1f} / "
                f"{pulls[n]['seconds'] * 1000:.0f}"
                for n in ("settling", "receiving", "third")
            )
            + " |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dossiers", type=int, default=20_000)
    parser.add_argument("--handovers", type=int, nargs="+", default=[10, 100, 1000])
    parser.add_argument("--out", type=Path, default=RESULTS / "scope-pull.json")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="motcua-scope-") as workdir:
        result = run(args.dossiers, args.handovers, Path(workdir))
    result["command"] = "python -m bench.scope_pull " + " ".join(argv or sys.argv[1:])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(format_table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
