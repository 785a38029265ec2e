"""Figures of docs/BENCHMARKS.md from the raw results in bench/results/*.json.

    .venv/bin/python -m bench.plots        # writes bench/results/plots/*.png
                                           # and bench/results/load-curve.png

Needs matplotlib (``pip install -e ".[bench]"``).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter

RESULTS = Path(__file__).resolve().parent / "results"
PLOTS = RESULTS / "plots"
PROFILE_ORDER = ("lan", "3g-poor", "mountain-2g", "flapping")
SYSTEMS = (
    ("motcua", "ours", "#1f77b4"),
    ("kinto", "Kinto", "#ff7f0e"),
    ("pouchdb", "PouchDB", "#2ca02c"),
)


def _load(name: str) -> dict[str, Any] | None:
    path = RESULTS / name
    return json.loads(path.read_text()) if path.exists() else None


#: (label, result files): bars of one group; each file's systems are pooled.
VARIANTS = (
    ("lan", ("field-day-net-lan.json", "field-day-net-lan-pouchdb.json")),
    ("3g-poor\nbefore", ("field-day-net-3g-poor.json", "field-day-net-3g-poor-pouchdb.json")),
    ("3g-poor\nnow", ("field-day-net-3g-poor-now.json",)),
    (
        "mountain-2g\nbefore\n(ours: not\ndone in 1 h)",
        ("field-day-net-mountain-2g.json",),
    ),
    ("mountain-2g\nresumable\nuploads", ("field-day-net-mountain-2g-resume.json",)),
    ("mountain-2g\nnow", ("field-day-net-mountain-2g-final.json",)),
    ("flapping\nbefore\n(32 KiB,\n200 ops/push)", ("field-day-net-flapping.json",)),
    ("flapping\nnow", ("field-day-net-flapping-resume.json",)),
)


def _variant_runs(files: tuple[str, ...]) -> dict[str, list[dict[str, Any]]]:
    """Completed runs of each system, from the first of ``files`` that has the system."""
    runs: dict[str, list[dict[str, Any]]] = {s: [] for s, _, _ in SYSTEMS}
    for name in files:
        data = _load(name)
        if not data:
            continue
        for system, _, _ in SYSTEMS:
            if runs[system]:
                continue
            runs[system] = [run[system] for run in data["runs"] if run.get(system, {}).get("ok")]
    return runs


def _median(values: list[float]) -> float:
    values = sorted(values)
    n = len(values)
    if not n:
        return float("nan")
    return values[n // 2] if n % 2 else (values[n // 2 - 1] + values[n // 2]) / 2


def plot_field_day() -> Path | None:
    variants = [(label, _variant_runs(files)) for label, files in VARIANTS]
    variants = [(label, runs) for label, runs in variants if any(runs.values())]
    if not variants:
        return None
    fig, (ax_time, ax_bytes) = plt.subplots(1, 2, figsize=(15, 5.6))
    width = 0.26
    for n, (system, label, colour) in enumerate(SYSTEMS):
        xs, times, bytes_, raw_x, raw_t = [], [], [], [], []
        for i, (_, runs) in enumerate(variants):
            sides = runs[system]
            if not sides:
                continue
            x = i + (n - 1) * width
            xs.append(x)
            times.append(_median([s["wall_s"] for s in sides]))
            bytes_.append(_median([(s["link_up"] + s["link_down"]) / 1e6 for s in sides]))
            raw_x += [x] * len(sides)
            raw_t += [s["wall_s"] for s in sides]
        if not xs:
            continue
        ax_time.bar(xs, times, width, label=f"{label} (median)", color=colour)
        ax_time.scatter(raw_x, raw_t, color="black", s=8, zorder=3)
        ax_bytes.bar(xs, bytes_, width, label=label, color=colour)
    drawn = False
    for i, (label, runs) in enumerate(variants):
        if label.startswith("flapping"):  # retries inflate the bytes: no meaningful limit
            continue
        values = [s["physical_limit_s"] for s in runs["motcua"] if s.get("physical_limit_s")]
        if values:
            ax_time.hlines(
                _median(values),
                i - 1.6 * width,
                i + 1.6 * width,
                colors="red",
                linestyles="--",
                label=None if drawn else "physical limit (our bytes)",
            )
            drawn = True
    labels = [label for label, _ in variants]
    ax_time.set_yscale("symlog", linthresh=10)
    ax_time.set_ylabel("wall time of the field-day sync, s (dots: runs)")
    ax_time.set_xticks(range(len(labels)), labels, fontsize=8)
    ax_time.set_title("Field day: time (before: our mountain-2g never finished in 1 h)")
    ax_time.legend(fontsize=8)
    ax_bytes.set_ylabel("IP bytes on the link, up + down (MB)")
    ax_bytes.set_xticks(range(len(labels)), labels, fontsize=8)
    ax_bytes.set_title("Field day: bytes on the wire (TCP/IP, retransmissions included)")
    ax_bytes.legend(fontsize=8)
    fig.suptitle("30 photos = 4.5 MB of the field day; Kinto/PouchDB on the same link, same run")
    fig.tight_layout()
    return _save(fig, "field-day-net.png")


def plot_bootstrap() -> Path | None:
    profiles = [p for p in ("lan", "3g-poor") if _load(f"bootstrap-{p}.json")]
    if not profiles:
        return None
    fig, axes = plt.subplots(1, len(profiles), figsize=(6.5 * len(profiles), 4.8), squeeze=False)
    for ax, profile in zip(axes[0], profiles, strict=True):
        for tag, label, colour in (
            ("", "256 KiB pages (default)", "#1f77b4"),
            ("-budget4m", "4 MiB pages", "#2ca02c"),
        ):
            d = _load(f"bootstrap-{profile}{tag}.json")
            if not d:
                continue
            for run in d["runs"]:
                full = run.get("full")
                if not full or not full.get("progress"):
                    continue
                ts = [0.0] + [p["t"] for p in full["progress"]]
                rs = [0] + [p["records"] for p in full["progress"]]
                ax.plot(
                    ts,
                    rs,
                    color=colour,
                    label=f"{label}: {full['wall_s']:.0f} s, {full['pages']} pages",
                )
                cut = run.get("cut", {})
                first, resume = cut.get("first", {}), cut.get("resume", {})
                if first.get("progress") and resume.get("progress"):
                    t1 = [0.0] + [p["t"] for p in first["progress"]]
                    r1 = [0] + [p["records"] for p in first["progress"]]
                    offset = first["wall_s"]
                    t2 = [offset] + [offset + p["t"] for p in resume["progress"]]
                    r2 = [resume["records_before"]] + [
                        resume["records_before"] + p["records"] for p in resume["progress"]
                    ]
                    ax.plot(t1, r1, ":", color=colour)
                    ax.plot(t2, r2, ":", color=colour)
                    ax.scatter(
                        [offset], [resume["records_before"]], marker="x", color="red", zorder=3
                    )
        ax.plot([], [], ":", color="grey", label="cut run: link cut at x, then a new sync")
        ax.set_title(f"Bootstrap of 75,432 records on {profile}")
        ax.set_xlabel("seconds")
        ax.set_ylabel("records on the tablet")
        ax.legend(fontsize=8)
    fig.tight_layout()
    return _save(fig, "bootstrap.png")


def _short(name: str) -> str:
    for prefix, short in (
        ("RTT", "RTT"),
        ("link down", "outage"),
        ("first outage", "1st outage at"),
    ):
        if name.startswith(prefix):
            return short
    return name.split(" (")[0]


def plot_checks() -> Path | None:
    checks = {p: _load(f"netlab-check-{p}.json") for p in PROFILE_ORDER}
    checks = {p: c for p, c in checks.items() if c}
    if not checks:
        return None
    labels, theory, measured, oks = [], [], [], []
    for profile, check in checks.items():
        for m in check["measures"]:
            if m["theory_s"] <= 0:
                continue
            labels.append(f"{profile}\n{_short(m['name'])}")
            theory.append(m["theory_s"])
            measured.append(m["measured_s"])
            oks.append(m["ok"])
    fig, ax = plt.subplots(figsize=(12, 4.8))
    xs = range(len(labels))
    ax.bar([x - 0.2 for x in xs], theory, 0.4, label="theory", color="#bbbbbb")
    ax.bar(
        [x + 0.2 for x in xs],
        measured,
        0.4,
        label="measured",
        color=["#2ca02c" if ok else "#d62728" for ok in oks],
    )
    for x, t, m in zip(xs, theory, measured, strict=True):
        ax.text(x + 0.2, m, f"{m / t:.2f}×", ha="center", va="bottom", fontsize=7)
    ax.set_yscale("log")
    ax.set_ylabel("seconds (log)")
    ax.set_xticks(list(xs), labels, fontsize=7.5)
    ax.set_title("Network lab self-check: measured vs theory (green: within 20 %)")
    ax.legend()
    fig.tight_layout()
    return _save(fig, "netlab-check.png")


def _plain_log_y(ax: Any) -> None:
    """Log scale labelled 100, 200, 500, 1,000 … instead of powers of ten."""
    ax.yaxis.set_major_locator(FixedLocator([m * 10**e for e in range(1, 6) for m in (1, 2, 5)]))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _pos: f"{value:,.0f}"))
    ax.yaxis.set_minor_formatter(NullFormatter())


def plot_load(
    results: Path = RESULTS / "load.json", target: Path = RESULTS / "load-curve.png"
) -> Path | None:
    """bench/load.py: throughput and push latency against N, before and after the fixes,
    and the push latency against how many devices sync at once (docs/RELIABILITY.md §3)."""
    if not results.exists():
        return None
    after = sorted(json.loads(results.read_text())["runs"], key=lambda r: r["devices"])
    before_file = results.with_name("load-before.json")
    before = (
        sorted(json.loads(before_file.read_text())["runs"], key=lambda r: r["devices"])
        if before_file.exists()
        else []
    )
    sweep_file = results.with_name("load-concurrency.json")
    sweep = (
        sorted(json.loads(sweep_file.read_text())["runs"], key=lambda r: r["concurrency"])
        if sweep_file.exists()
        else []
    )
    panels = 3 if sweep else 2
    fig, axes = plt.subplots(1, panels, figsize=(5.4 * panels, 4.6))
    ax_rate, ax_push = axes[0], axes[1]
    xs = [r["devices"] for r in after]
    ax_rate.plot(xs, [r["ops_per_second"] for r in after], "o-", color="#1f77b4", label="now")
    if before:
        ax_rate.plot(
            [r["devices"] for r in before],
            [r["ops_per_second"] for r in before],
            "s--",
            color="#7f7f7f",
            label="before",
        )
    for r in after:
        ax_rate.annotate(
            f"{r['ops_per_second']:,.0f}",
            (r["devices"], r["ops_per_second"]),
            textcoords="offset points",
            xytext=(0, 6),
            ha="center",
            fontsize=8,
        )
    ax_rate.set_xscale("log")
    ax_rate.set_xticks(xs, [str(x) for x in xs])
    ax_rate.xaxis.set_minor_formatter(NullFormatter())
    ax_rate.set_ylim(bottom=0)
    ax_rate.set_xlabel("devices N")
    ax_rate.set_ylabel("operations applied per second")
    ax_rate.set_title("Throughput")
    ax_rate.legend(fontsize=8)

    for key, colour in (("p50_ms", "#2ca02c"), ("p95_ms", "#ff7f0e"), ("p99_ms", "#d62728")):
        ax_push.plot(xs, [r["push"][key] for r in after], "o-", color=colour, label=key[:3])
    if before:
        ax_push.plot(
            [r["devices"] for r in before],
            [r["push"]["p95_ms"] for r in before],
            "s--",
            color="#7f7f7f",
            label="p95 before",
        )
    ax_push.axhline(500, color="black", linestyle=":", linewidth=1, label="goal p95 ≤ 500 ms")
    ax_push.set_xscale("log")
    ax_push.set_yscale("log")
    ax_push.set_xticks(xs, [str(x) for x in xs])
    ax_push.xaxis.set_minor_formatter(NullFormatter())
    _plain_log_y(ax_push)
    ax_push.set_xlabel("devices N")
    ax_push.set_ylabel("push request latency, ms")
    ax_push.set_title(f"Push latency, {after[0]['concurrency']} devices syncing at once")
    ax_push.legend(fontsize=8)

    if sweep:
        ax_sweep = axes[2]
        cs = [r["concurrency"] for r in sweep]
        for key, colour in (("p50_ms", "#2ca02c"), ("p95_ms", "#ff7f0e")):
            ax_sweep.plot(cs, [r["push"][key] for r in sweep], "o-", color=colour, label=key[:3])
        ax_sweep.axhline(500, color="black", linestyle=":", linewidth=1, label="goal p95")
        ax_sweep.set_xscale("log")
        ax_sweep.set_yscale("log")
        ax_sweep.set_xticks(cs, [str(c) for c in cs])
        ax_sweep.xaxis.set_minor_formatter(NullFormatter())
        for r in sweep:
            ax_sweep.annotate(
                f"{r['ops_per_second']:,.0f} ops/s",
                (r["concurrency"], r["push"]["p95_ms"]),
                textcoords="offset points",
                xytext=(0, 7),
                ha="center",
                fontsize=7,
            )
        _plain_log_y(ax_sweep)
        ax_sweep.margins(x=0.12)
        ax_sweep.set_xlabel("devices syncing at once")
        ax_sweep.set_ylabel("push request latency, ms")
        ax_sweep.set_title(f"Push latency, N = {sweep[0]['devices']}")
        ax_sweep.legend(fontsize=8)
    fig.suptitle(
        "Load: gunicorn (5 sync workers) + PostgreSQL on a shared 2-core VM; "
        "each device pushes a field day (~535 ops) and pulls",
        fontsize=10,
    )
    fig.tight_layout()
    target.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(target, dpi=110)
    plt.close(fig)
    return target


def _save(fig: Any, name: str) -> Path:
    PLOTS.mkdir(parents=True, exist_ok=True)
    path = PLOTS / name
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def main() -> int:
    for make in (plot_checks, plot_field_day, plot_bootstrap, plot_load):
        path = make()
        print(path if path else f"{make.__name__}: no results yet")
    return 0


if __name__ == "__main__":
    sys.exit(main())
