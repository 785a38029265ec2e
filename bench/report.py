"""Markdown tables for docs/BENCHMARKS.md from bench/results/*.json.

.venv/bin/python -m bench.report > /tmp/tables.md
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
PROFILES = ("lan", "3g-poor", "mountain-2g", "flapping")
NAMES = {"motcua": "ours", "kinto": "Kinto", "pouchdb": "PouchDB"}


def _load(name: str) -> dict[str, Any] | None:
    path = RESULTS / name
    return json.loads(path.read_text()) if path.exists() else None


def save(path: Path, data: dict[str, Any]) -> None:
    """Write a benchmark's results to ``path`` (its folder made if need be); print the summary."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n")
    print(json.dumps(data["summary"], indent=1), flush=True)


def fmt(value: Any, digits: int = 1) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer() and value > 99):
        return f"{int(value):,}"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return str(value)


def _med(values: list[Any]) -> Any:
    clean = [v for v in values if isinstance(v, int | float)]
    return statistics.median(clean) if clean else None


def _cell(values: list[Any], digits: int = 1) -> str:
    middle = _med(values)
    raw = ", ".join(fmt(v, digits) for v in values)
    return f"**{fmt(middle, digits)}** ({raw})" if len(values) > 1 else fmt(middle, digits)


def checks() -> str:
    lines = [
        "| profile | measure | theory s | measured s | ratio | verdict |",
        "|---|---|---|---|---|---|",
    ]
    for profile in PROFILES:
        data = _load(f"netlab-check-{profile}.json")
        if not data:
            continue
        for m in data["measures"]:
            ratio = "–" if m["ratio"] is None else f"{m['ratio']:.2f}"
            lines.append(
                f"| {profile} | {m['name']} | {m['theory_s']:.3f} | {m['measured_s']:.3f} | "
                f"{ratio} | {'ok' if m['ok'] else 'FAIL'} |"
            )
    return "\n".join(lines)


def _sides(profile: str, files: list[str] | None = None) -> dict[str, list[dict[str, Any]]]:
    sides: dict[str, list[dict[str, Any]]] = {k: [] for k in NAMES}
    names = files or [f"field-day-net-{profile}.json", f"field-day-net-{profile}-pouchdb.json"]
    for name in names:
        data = _load(name)
        if not data:
            continue
        for run in data["runs"]:
            for system in NAMES:
                if system in run and "skipped" not in run[system]:
                    side = dict(run[system])
                    side["_file"] = name
                    sides[system].append(side)
    return sides


ROWS = (
    ("completed", None),
    ("wall_s", "wall time, s"),
    ("physical_limit_s", "physical limit, s"),
    ("ratio_to_limit", "wall ÷ limit"),
    ("requests", "round trips"),
    ("body_up", "body bytes up"),
    ("body_down", "body bytes down"),
    ("http_up", "HTTP bytes up"),
    ("http_down", "HTTP bytes down"),
    ("link_up", "IP bytes up"),
    ("link_down", "IP bytes down"),
    ("sync_attempts", "sync attempts"),
    ("connections_reset", "connections cut"),
)


def field_day(profile: str, files: list[str] | None = None) -> str:
    sides = _sides(profile, files)
    systems = [s for s in NAMES if sides[s]]
    if not systems:
        return f"_no results for {profile}_"
    lines = [
        "| figure | " + " | ".join(NAMES[s] for s in systems) + " |",
        "|---|" + "---|" * len(systems),
    ]
    for key, label in ROWS:
        if key == "completed":
            cells = [f"{sum(1 for x in sides[s] if x.get('ok'))}/{len(sides[s])}" for s in systems]
            lines.append("| runs completed | " + " | ".join(cells) + " |")
            continue
        cells = []
        for s in systems:
            values = [x.get(key) if x.get("ok") else None for x in sides[s]]
            if all(v is None for v in values):
                values = [x.get(key) for x in sides[s]]
            digits = 2 if key == "ratio_to_limit" else 1
            cells.append(_cell(values, digits) if any(v is not None for v in values) else "–")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def phases(profile: str, files: list[str] | None = None) -> str:
    """Ours per endpoint group vs Kinto per phase: photos / records up / changes down."""
    sides = _sides(profile, files)
    lines = [
        "| part | ours: requests | ours: bytes up / down | ours: s | "
        "Kinto: requests | Kinto: bytes up / down | Kinto: s |",
        "|---|---|---|---|---|---|---|",
    ]
    groups = (
        ("photos", ("blob_start", "blob_append"), "photos"),
        ("records up", ("push",), "records"),
        ("changes down", ("pull",), "pull"),
    )
    ours = [x for x in sides["motcua"] if x.get("ok")]
    kinto = [x for x in sides["kinto"] if x.get("ok")]
    for label, endpoints, phase in groups:
        o_req = _med(
            [sum(x["by_endpoint"].get(e, {}).get("requests", 0) for e in endpoints) for x in ours]
        )
        o_up = _med(
            [sum(x["by_endpoint"].get(e, {}).get("bytes_sent", 0) for e in endpoints) for x in ours]
        )
        o_down = _med(
            [
                sum(x["by_endpoint"].get(e, {}).get("bytes_received", 0) for e in endpoints)
                for x in ours
            ]
        )
        o_s = _med(
            [sum(x["by_endpoint"].get(e, {}).get("seconds", 0) for e in endpoints) for x in ours]
        )
        k_req = _med([x["by_phase"].get(phase, {}).get("requests") for x in kinto])
        k_up = _med([x["by_phase"].get(phase, {}).get("body_up") for x in kinto])
        k_down = _med([x["by_phase"].get(phase, {}).get("body_down") for x in kinto])
        k_s = _med([x["phases"].get(phase, {}).get("seconds") for x in kinto])
        lines.append(
            f"| {label} | {fmt(o_req)} | {fmt(o_up)} / {fmt(o_down)} | {fmt(o_s)} | "
            f"{fmt(k_req)} | {fmt(k_up)} / {fmt(k_down)} | {fmt(k_s)} |"
        )
    return "\n".join(lines)


def bootstrap() -> str:
    lines = [
        "| profile | pull budget | bootstrap s | of which waiting s | pages | body bytes down | "
        "IP bytes down | limit s | records | cut after | resume s | resume pages | "
        "resumed from cursor | complete |",
        "|---|" + "---|" * 13,
    ]
    for profile in ("lan", "3g-poor"):
        for tag, budget in (("", "256 KiB (default)"), ("-budget4m", "4 MiB")):
            data = _load(f"bootstrap-{profile}{tag}.json")
            if not data:
                continue
            for run in data["runs"]:
                full, cut = run.get("full"), run.get("cut", {})
                if not full:
                    lines.append(f"| {profile} | {budget} | error: {run.get('error')} |")
                    continue
                first, resume = cut.get("first", {}), cut.get("resume", {})
                applied = first.get("applied_before_cut", {}).get("records")
                lines.append(
                    f"| {profile} | {budget} | {fmt(full['wall_s'])} | "
                    f"{fmt(full.get('pull_wait_s'))} | {fmt(full['pages'])} | "
                    f"{fmt(full['body_down'])} | {fmt(full['link_down'])} | "
                    f"{fmt(full.get('physical_limit_s'))} | {fmt(full['records_after'])} | "
                    f"{fmt(applied)} records | {fmt(resume.get('wall_s'))} | "
                    f"{fmt(resume.get('pages'))} | {fmt(cut.get('resumed_from_cursor'))} | "
                    f"{fmt(cut.get('complete'))} |"
                )
    return "\n".join(lines)


def main() -> int:
    print("## Self-check\n")
    print(checks())
    for path in sorted(RESULTS.glob("field-day-net-*.json")):
        data = json.loads(path.read_text())
        profile = data["profile"]["name"] if isinstance(data.get("profile"), dict) else "?"
        print(f"\n### {path.name}\n\n`{data.get('command', '')}`\n")
        print(field_day(profile, [path.name]))
        if any("kinto" in r for r in data.get("runs", [])):
            print()
            print(phases(profile, [path.name]))
    for name in ("field-day-net-flapping-defaults.json",):
        data = _load(name)
        if data:
            print(f"\n## {name}\n")
            for run in data["runs"]:
                side = run.get("motcua", {})
                print(
                    f"ok={side.get('ok')} wall={side.get('wall_s')} attempts="
                    f"{side.get('sync_attempts')} requests={side.get('requests')} "
                    f"last={side.get('attempts', [{}])[-1]}"
                )
    print("\n## Bootstrap\n")
    print(bootstrap())
    waste = _load("wire-waste.json")
    if waste:
        print("\n## Wire waste\n")
        print("```json\n" + json.dumps(waste, indent=1) + "\n```")
    return 0


if __name__ == "__main__":
    sys.exit(main())
