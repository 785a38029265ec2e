"""Cold start of the tablet app (QUALITY.md: "cold start ≤ 2 s with the bootstrap data;
lists stay smooth (RecycleView)").

    .venv/bin/python -m bench.cold_start --runs 5            # builds the tablet once, cached
    .venv/bin/python -m bench.cold_start --runs 1 --profile  # + where the time goes (cProfile)

1. **The tablet** (built once, then reused; ``--data-dir``, default
   ``$TMPDIR/motcua-cold-start/data``): the server database of ``bench.bootstrap`` (the
   demo province plus, in xã Tả Van, 20,000 dossiers, 5,000 feedback items and 50,000
   survey responses) is served by gunicorn on loopback; a new tablet goes through the
   app's real first run (``FirstRunModel``: registration, then the PIN, which seals
   what is stored), and pulls everything with its key attached, so personal fields are
   sealed exactly as on an officer's tablet. The server address is then pointed at a
   closed port: the measured app starts offline, as in the field.
2. **Cold start**, a fresh process per run: ``python -m bench.cold_start _app`` calls
   ``mobile.app.__main__.main`` (what ``python -m mobile.app`` runs) offscreen
   (``SDL_VIDEODRIVER=offscreen``, Kivy's own defaults otherwise, except ``maxfps = 0``
   so that frame times measure work and not the 60 fps cap). A Kivy clock callback
   watches the app: the time from just before the process is spawned to the first frame
   drawn with the PIN keypad (the first usable screen), then the PIN is typed on the
   keypad's own buttons (``trigger_action``), and from the sixth digit to the first frame
   drawn with the home screen's list filled (the officer's real wait after the PIN).
   One unrecorded warm-up run first (Kivy's home folder, the OS file cache).
3. **Smoothness**, in the same process after the home screen: frame times of the full
   window redrawn with nothing changed (the renderer's floor), then while the home list
   (the largest bucket if the shown one is short) scrolls ``--step`` screens per frame
   (0.25: a fast fling) through ``--screens`` screens. Python's garbage collector
   pauses are recorded in every phase.
4. Screenshots of the PIN and home screens (last run) in ``bench/results/plots/``.

Results: ``bench/results/cold-start.json`` (medians and every run, load averages before
and after each run). The machine's load is recorded, not controlled.
"""

from __future__ import annotations

import time

_IMPORTED = time.monotonic()  # the child's first moment in our code (see cmd_app)

import argparse  # noqa: E402
import contextlib  # noqa: E402
import gc  # noqa: E402
import itertools  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import shutil  # noqa: E402
import socket  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PLOTS = RESULTS / "plots"
PY = sys.executable
PIN = "246810"
#: Nothing listens there: the app starts offline, its probe refused at once.
OFFLINE_URL = "http://127.0.0.1:9"
PULL_BUDGET = 4 * 1024 * 1024  # same records as the default pages, ~15x fewer round trips
GOAL_S = 2.0
BUILT = "bench-cold-start.json"


# == the tablet ==================================================================================


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def _server(database: Path, workdir: Path) -> Iterator[str]:
    """gunicorn (2 workers) on an existing server database; yields its URL."""
    from bench.field_day import _wait_ready

    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        "MOTCUA_SECRET_KEY": "bench-secret",
        "MOTCUA_LOGIN_RATE_LIMIT": "1000 per minute",
        "MOTCUA_BLOB_DIR": str(workdir / "blobs"),
    }
    gunicorn = Path(PY).with_name("gunicorn")
    log = (workdir / "server.log").open("ab")
    process = subprocess.Popen(  # noqa: S603 - our own server, fixed arguments
        [
            str(gunicorn),
            "-w",
            "2",
            "--timeout",
            "600",
            "-b",
            f"127.0.0.1:{port}",
            "server:create_app()",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_ready(url, timeout=120)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.close()


def build_tablet(data_dir: Path) -> dict[str, Any]:
    """A registered, PIN-protected tablet that pulled the bootstrap commune."""
    from bench.bootstrap import COUNTS, build_database
    from mobile.app.context import PREFS_NAME, AppContext, Prefs
    from mobile.app.viewmodels.setup import FirstRunModel
    from server.demo import DEMO_PASSWORD

    if data_dir.exists():
        if any(data_dir.iterdir()) and not (data_dir / BUILT).exists():
            raise SystemExit(f"{data_dir} holds files this benchmark did not make: not removed")
        shutil.rmtree(data_dir)
    work = Path(tempfile.mkdtemp(prefix="motcua-cold-start-server-"))
    built: dict[str, Any] = {}
    try:
        started = time.perf_counter()
        built["server_database"] = build_database(work / "server.sqlite3", COUNTS)
        built["server_database_s"] = round(time.perf_counter() - started, 1)
        print(f"server database: {built['server_database']}", flush=True)
        with _server(work / "server.sqlite3", work) as url:
            ctx = AppContext.open(data_dir, server_url=url)
            try:
                first_run = FirstRunModel(ctx)
                first_run.register(url, "hotich.tavan", DEMO_PASSWORD)
                first_run.choose_pin(PIN, PIN)  # the key is attached: the pull is sealed
                started = time.perf_counter()
                transport = ctx.make_transport()
                try:
                    report = ctx.tablet.sync(transport, pull_budget=PULL_BUDGET)
                finally:
                    close = getattr(transport, "close", None)
                    if callable(close):
                        close()
                built["pull_s"] = round(time.perf_counter() - started, 1)
                if not report.ok:
                    raise RuntimeError(f"the bootstrap pull failed: {report.error}")
                built["pulled"] = report.pulled
                built["records"] = ctx.tablet.store.collections()
                ctx.lock()
            finally:
                ctx.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    prefs = Prefs.load(data_dir / PREFS_NAME)
    prefs.server_url = OFFLINE_URL
    prefs.save(data_dir / PREFS_NAME)
    built["pin"] = PIN
    built["tablet_db_bytes"] = (data_dir / "tablet.db").stat().st_size
    built["built_at"] = time.strftime("%Y-%m-%d %H:%M:%S %z")
    (data_dir / BUILT).write_text(json.dumps(built, indent=1, ensure_ascii=False))
    print(f"tablet: {built}", flush=True)
    return built


# == inside the measured process =================================================================


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _frames(flips: list[float], draws: list[float]) -> dict[str, Any]:
    """Frame times (ms) between consecutive flips; ``draw`` is on_draw → on_flip."""
    frames = [(b - a) * 1000 for a, b in itertools.pairwise(flips)]
    drawing = [(f - d) * 1000 for d, f in zip(draws[1:], flips[1:], strict=False)]
    if not frames:
        return {"frames": 0}
    return {
        "frames": len(frames),
        "median_ms": round(statistics.median(frames), 1),
        "p95_ms": round(_quantile(frames, 0.95), 1),
        "max_ms": round(max(frames), 1),
        "fps": round(1000 / statistics.mean(frames), 1),
        "draw_median_ms": round(statistics.median(drawing), 1) if drawing else None,
        # the rest of a frame: clock, layout, the RecycleView placing its rows, the swap
        "rest_median_ms": (
            round(statistics.median(f - d for f, d in zip(frames, drawing, strict=False)), 1)
            if drawing
            else None
        ),
        "over_33ms": sum(1 for f in frames if f > 1000 / 30),
        "frame_ms": [round(f, 1) for f in frames],
        "draw_ms": [round(d, 1) for d in drawing],
    }


class Probe:
    """A Kivy clock callback (every frame) that drives and times the running app."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.state = "start"
        self.marks: dict[str, float] = {"imported": _IMPORTED}
        #: CPU seconds of the process (all its threads) at some marks: less sensitive
        #: than wall time to the other programs sharing the machine.
        self.cpu: dict[str, float] = {}
        self.flips: list[float] = []
        self.draws: list[float] = []
        self.wait_flip: str | None = None
        self.frames_in_state = 0
        self.typed = 0
        self.result: dict[str, Any] = {}
        self.phase_start = 0
        self.step = 0.0
        self.profiler: Any = None
        #: Python's garbage collector pauses: (start, seconds, generation).
        self.gc_pauses: list[tuple[float, float, int]] = []
        self._gc_started = 0.0

    def on_gc(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._gc_started = time.monotonic()
        else:
            pause = time.monotonic() - self._gc_started
            self.gc_pauses.append((self._gc_started, pause, int(info["generation"])))

    def gc_between(self, start: float, end: float) -> dict[str, Any]:
        """The collector's pauses in a time span: how many, total and longest (ms)."""
        pauses = [(p, g) for t, p, g in self.gc_pauses if start <= t < end]
        return {
            "pauses": len(pauses),
            "total_ms": round(1000 * sum(p for p, _ in pauses), 1),
            "max_ms": round(1000 * max((p for p, _ in pauses), default=0.0), 1),
            "full": sum(1 for _, g in pauses if g == 2),
        }

    # -- frames --------------------------------------------------------------------------------

    def _draw(self, *_args: Any) -> None:
        self.draws.append(time.monotonic())

    def _flip(self, *_args: Any) -> None:
        now = time.monotonic()
        self.flips.append(now)
        self.marks.setdefault("first_frame", now)
        if self.wait_flip is not None:
            self.marks[self.wait_flip] = now
            self.cpu[self.wait_flip] = time.process_time()
            self.wait_flip = None

    def _go(self, state: str) -> None:
        self.state = state
        self.frames_in_state = 0

    # -- the callback --------------------------------------------------------------------------

    def tick(self, _dt: float) -> None:
        from kivy.app import App

        app = App.get_running_app()
        if app is None or getattr(app, "screens", None) is None:
            return
        self.frames_in_state += 1
        handler = getattr(self, f"_{self.state}")
        handler(app)

    def _start(self, app: Any) -> None:
        from kivy.core.window import Window

        self.marks["app_built"] = time.monotonic()
        Window.bind(on_draw=self._draw, on_flip=self._flip)
        self._go("wait_unlock")
        self._wait_unlock(app)

    def _wait_unlock(self, app: Any) -> None:
        if app.screens.current == "unlock" and "unlock_ready" not in self.marks:
            self.marks["unlock_ready"] = time.monotonic()
            self.wait_flip = "unlock_shown"
        if "unlock_shown" in self.marks:
            self._go("type_pin")
        elif self.frames_in_state > 300:
            self.fail(f"the PIN screen did not open (screen {app.screens.current!r})")

    def _keys(self, app: Any) -> dict[str, Any]:
        keypad = app.screens.get_screen("unlock").ids.keypad
        return {w.text: w for w in keypad.children if getattr(w, "text", "")}

    def _type_pin(self, app: Any) -> None:
        if self.frames_in_state < 3:
            return
        if self.frames_in_state == 3 and self.args.screenshots:
            self._screenshot("cold-start-unlock")
        digit = PIN[self.typed]
        self.typed += 1
        key = self._keys(app)[digit]
        if self.typed < len(PIN):
            key.trigger_action(0)
            return
        self.marks["pin_typed"] = time.monotonic()  # the officer lifts the finger
        self.cpu["pin_typed"] = time.process_time()
        key.trigger_action(0)  # unlocks, opens the store, builds the home screen
        self.marks["pin_handled"] = time.monotonic()
        self._go("wait_home")

    def _wait_home(self, app: Any) -> None:
        if app.screens.current != "home":
            if self.frames_in_state > 200:
                self.fail(f"the home screen did not open (screen {app.screens.current!r})")
            return
        rows = app.screens.get_screen("home").ids.rows
        if "home_ready" not in self.marks:
            if rows.data and rows.layout_manager is not None and rows.layout_manager.children:
                self.marks["home_ready"] = time.monotonic()
                self.wait_flip = "home_shown"
            elif self.frames_in_state > 300:
                self.fail("the home list stayed empty")
            return
        if "home_shown" not in self.marks:
            return
        if self.profiler is not None:
            self.profiler.disable()
            self.profiler.dump_stats(self.args.profile_out)
            self.profiler = None
        self._go("settle")

    def _settle(self, app: Any) -> None:
        if self.frames_in_state < 5:
            return
        home = app.screens.get_screen("home")
        self.result["home"] = {
            "bucket": home.model.bucket,
            "rows": len(home.ids.rows.data),
            "buckets": {b.key: b.count for b in home.model.buckets()},
        }
        if self.args.screenshots:
            self._screenshot("cold-start-home")
        if self.args.scroll_screens <= 0:
            self.finish(app)
            return
        if len(home.ids.rows.data) < 20 * self.args.scroll_screens:
            largest = max(home.model.buckets(), key=lambda b: b.count)
            home.choose(largest.key)
        self._go("static")
        self.phase_start = len(self.flips)

    def _static(self, app: Any) -> None:
        """The window redrawn with nothing changed: what the renderer costs a frame."""
        from kivy.core.window import Window

        if self.frames_in_state <= 3:  # let the bucket switch settle
            self.phase_start = len(self.flips)
            Window.canvas.ask_update()
            return
        if len(self.flips) - self.phase_start < 30:
            Window.canvas.ask_update()
            return
        self.result["static"] = _frames(
            self.flips[self.phase_start :], self.draws[-(len(self.flips) - self.phase_start) :]
        )
        self.result["static"]["gc"] = self.gc_between(self.flips[self.phase_start], self.flips[-1])
        rows = app.screens.get_screen("home").ids.rows
        rows.scroll_y = 1
        content = rows.layout_manager.height
        self.step = self.args.step * rows.height / max(1.0, content - rows.height)
        self.result["scroll_list"] = {
            "bucket": app.screens.get_screen("home").model.bucket,
            "rows": len(rows.data),
            "screens_in_list": round(content / max(1.0, rows.height), 1),
        }
        self._go("scroll")
        self.phase_start = len(self.flips)
        self.marks["scroll_start"] = time.monotonic()

    def _scroll(self, app: Any) -> None:
        rows = app.screens.get_screen("home").ids.rows
        frames = len(self.flips) - self.phase_start
        if frames < self.args.scroll_screens / self.args.step and rows.scroll_y > 0:
            rows.scroll_y = max(0.0, rows.scroll_y - self.step)
            return
        seconds = time.monotonic() - self.marks["scroll_start"]
        flips = self.flips[self.phase_start :]
        stats = _frames(flips, self.draws[-len(flips) :])
        screens = len(flips) * self.args.step
        stats["screens"] = round(screens, 1)
        stats["seconds"] = round(seconds, 3)
        stats["ms_per_screen"] = round(1000 * seconds / max(1.0, screens), 1)
        stats["views"] = len(rows.layout_manager.children)
        stats["gc"] = self.gc_between(self.marks["scroll_start"], time.monotonic())
        self.result["scroll"] = stats
        self.finish(app)

    def _done(self, app: Any) -> None:
        return None

    # -- the end -------------------------------------------------------------------------------

    def _screenshot(self, name: str) -> None:
        from kivy.core.window import Window

        PLOTS.mkdir(parents=True, exist_ok=True)
        made = Window.screenshot(name=str(PLOTS / f".{name}.png"))
        if made:
            os.replace(made, PLOTS / f"{name}.png")

    def fail(self, reason: str) -> None:
        from kivy.app import App

        self.result["error"] = reason
        self.finish(App.get_running_app())

    def finish(self, app: Any) -> None:
        from kivy.core.window import Window

        self.marks["finished"] = time.monotonic()
        self.result["marks"] = self.marks
        self.result["cpu_s"] = {k: round(v, 3) for k, v in self.cpu.items()}
        if "home_shown" in self.marks:
            self.result["gc_start_to_unlock"] = self.gc_between(0, self.marks["unlock_shown"])
            self.result["gc_pin_to_home"] = self.gc_between(
                self.marks["pin_typed"], self.marks["home_shown"]
            )
        self.result["window"] = list(Window.size)
        with contextlib.suppress(Exception):
            from kivy.graphics.opengl import GL_RENDERER, GL_VERSION, glGetString

            self.result["gl"] = f"{glGetString(GL_RENDERER)!r} {glGetString(GL_VERSION)!r}"
        Path(self.args.out).write_text(json.dumps(self.result, indent=1, ensure_ascii=False))
        self._go("done")
        app.stop()


def cmd_app(args: argparse.Namespace) -> int:
    """The measured process: the app's real entry point, watched by a clock callback."""
    profiler = None
    if args.profile_out:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    from kivy.config import Config

    Config.set("graphics", "maxfps", "0")
    from kivy.clock import Clock

    probe = Probe(args)
    probe.profiler = profiler
    gc.callbacks.append(probe.on_gc)
    Clock.schedule_interval(probe.tick, 0)
    from mobile.app.__main__ import main as app_main

    code = app_main(["--data-dir", str(args.data_dir)])
    if "error" in probe.result or not Path(args.out).exists():
        return 1
    return code


# == the orchestrator ============================================================================


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def one_run(
    data_dir: Path,
    kivy_home: Path,
    work: Path,
    n: int,
    *,
    screens: int,
    step: float = 0.25,
    screenshots: bool = False,
    profile_out: Path | None = None,
    timeout: float = 300,
) -> dict[str, Any]:
    out = work / f"run-{n}.json"
    out.unlink(missing_ok=True)
    env = {
        **os.environ,
        "SDL_VIDEODRIVER": "offscreen",
        "KIVY_HOME": str(kivy_home),
        "KIVY_NO_ARGS": "1",
        "KIVY_GL_BACKEND": os.environ.get("KIVY_GL_BACKEND", "sdl2"),
    }
    argv = [PY, "-m", "bench.cold_start", "_app", "--data-dir", str(data_dir), "--out", str(out)]
    argv += ["--scroll-screens", str(screens), "--step", str(step)]
    if screenshots:
        argv.append("--screenshots")
    if profile_out is not None:
        argv += ["--profile-out", str(profile_out)]
    load_before = _load()
    with (work / f"run-{n}.log").open("wb") as log:
        t0 = time.monotonic()
        process = subprocess.Popen(  # noqa: S603 - our own module
            argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            code = process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            code = process.wait(10)
        ended = time.monotonic()
    run: dict[str, Any] = {"exit_code": code, "load_before": load_before, "load_after": _load()}
    if not out.exists():
        run["error"] = (work / f"run-{n}.log").read_text(errors="replace")[-3000:]
        return run
    data = json.loads(out.read_text())
    marks = {k: round(v - t0, 3) for k, v in data.pop("marks").items()}
    run.update(data)
    run["marks_s"] = marks
    run["python_started_s"] = marks.get("imported")
    run["first_frame_s"] = marks.get("first_frame")
    run["unlock_screen_s"] = marks.get("unlock_shown")
    if "home_shown" in marks and "pin_typed" in marks:
        run["pin_handler_s"] = round(marks["pin_handled"] - marks["pin_typed"], 3)
        run["pin_to_home_s"] = round(marks["home_shown"] - marks["pin_typed"], 3)
        run["start_to_home_s"] = round(marks["unlock_shown"] + run["pin_to_home_s"], 3)
    cpu = run.get("cpu_s", {})
    if "unlock_shown" in cpu:
        run["cpu_unlock_screen_s"] = cpu["unlock_shown"]
    if "home_shown" in cpu and "pin_typed" in cpu:
        run["cpu_pin_to_home_s"] = round(cpu["home_shown"] - cpu["pin_typed"], 3)
    run["process_s"] = round(ended - t0, 3)
    return run


def _summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    def pick(*path: str) -> dict[str, Any]:
        values: list[Any] = []
        for run in runs:
            value: Any = run
            for key in path:
                value = value.get(key) if isinstance(value, dict) else None
            values.append(value)
        clean = [v for v in values if isinstance(v, int | float)]
        return {"median": statistics.median(clean) if clean else None, "raw": values}

    return {
        "python_started_s": pick("python_started_s"),
        "first_frame_s": pick("first_frame_s"),
        "unlock_screen_s": pick("unlock_screen_s"),
        "pin_handler_s": pick("pin_handler_s"),
        "pin_to_home_s": pick("pin_to_home_s"),
        "start_to_home_s": pick("start_to_home_s"),
        "cpu_unlock_screen_s": pick("cpu_unlock_screen_s"),
        "cpu_pin_to_home_s": pick("cpu_pin_to_home_s"),
        "static_frame_ms": pick("static", "median_ms"),
        "scroll_frame_ms": pick("scroll", "median_ms"),
        "scroll_frame_p95_ms": pick("scroll", "p95_ms"),
        "scroll_frame_max_ms": pick("scroll", "max_ms"),
        "scroll_fps": pick("scroll", "fps"),
        "scroll_draw_ms": pick("scroll", "draw_median_ms"),
        "scroll_rest_ms": pick("scroll", "rest_median_ms"),
        "scroll_ms_per_screen": pick("scroll", "ms_per_screen"),
        "load_1min_before": {
            "median": statistics.median(r["load_before"][0] for r in runs) if runs else None,
            "raw": [r["load_before"][0] for r in runs],
        },
    }


def _profile_table(path: Path, limit: int = 30) -> list[dict[str, Any]]:
    import pstats

    stats = pstats.Stats(str(path))
    table: list[dict[str, Any]] = []
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    for (file, line, name), (_cc, calls, tottime, cumtime, _callers) in raw.items():
        table.append(
            {
                "function": f"{Path(file).name}:{line}({name})",
                "file": file.replace(str(ROOT) + "/", ""),
                "calls": calls,
                "tottime_s": round(tottime, 3),
                "cumtime_s": round(cumtime, 3),
            }
        )
    ours = [
        r
        for r in table
        if r["file"].startswith(("mobile/", "sync/")) or "sqlite" in r["function"].lower()
    ]
    by_cum = sorted(ours, key=lambda r: r["cumtime_s"], reverse=True)[:limit]
    by_self = sorted(table, key=lambda r: r["tottime_s"], reverse=True)[:limit]
    return [{"ours_by_cumulative": by_cum}, {"all_by_self_time": by_self}]


def _machine() -> dict[str, Any]:
    cpu = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "kernel": platform.release(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.cold_start", description=__doc__)
    sub = parser.add_subparsers(dest="command")
    p = sub.add_parser("_app")
    p.add_argument("--data-dir", type=Path, required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--scroll-screens", type=int, default=40)
    p.add_argument("--step", type=float, default=0.25)
    p.add_argument("--screenshots", action="store_true")
    p.add_argument("--profile-out", default="")
    p.set_defaults(handler=cmd_app)
    default_dir = Path(tempfile.gettempdir()) / "motcua-cold-start"
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=default_dir / "data",
        help="the tablet's data folder (built there once, then reused)",
    )
    parser.add_argument("--rebuild", action="store_true", help="build the tablet again")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--screens", type=int, default=40, help="screens to scroll per run")
    parser.add_argument(
        "--step", type=float, default=0.25, help="screens scrolled per frame (0.25: a fast fling)"
    )
    parser.add_argument("--profile", action="store_true", help="one more run under cProfile")
    parser.add_argument("--output", type=Path, default=RESULTS / "cold-start.json")
    args = parser.parse_args(argv)
    if args.command:
        code: int = args.handler(args)
        return code
    from bench.report import save  # not before: the timed child (``_app``) imports no more

    data_dir: Path = args.data_dir.resolve()
    if args.rebuild or not (data_dir / BUILT).exists():
        build_tablet(data_dir)
    built = json.loads((data_dir / BUILT).read_text())
    work = Path(tempfile.mkdtemp(prefix="motcua-cold-start-runs-"))
    kivy_home = data_dir.parent / "kivy-home"
    try:
        warm = one_run(data_dir, kivy_home, work, 0, screens=0)
        print(f"warm-up: {warm.get('start_to_home_s')} s {warm.get('error', '')}", flush=True)
        runs = []
        for n in range(1, args.runs + 1):
            run = one_run(
                data_dir,
                kivy_home,
                work,
                n,
                screens=args.screens,
                step=args.step,
                screenshots=n == args.runs,
            )
            runs.append(run)
            print(
                f"run {n}: PIN screen {run.get('unlock_screen_s')} s, PIN to home "
                f"{run.get('pin_to_home_s')} s, scroll "
                f"{run.get('scroll', {}).get('median_ms')} ms/frame, "
                f"load {run['load_before']} {run.get('error', '')}",
                flush=True,
            )
        data: dict[str, Any] = {
            "benchmark": "cold start of the tablet app with the bootstrap data",
            "command": "python -m bench.cold_start " + " ".join(sys.argv[1:]),
            "when": time.strftime("%Y-%m-%d %H:%M:%S %z"),
            "machine": _machine(),
            "goal_s": GOAL_S,
            "scroll": {"screens": args.screens, "screens_per_frame": args.step},
            "tablet": {k: v for k, v in built.items() if k != "pin"},
            "summary": _summary([r for r in runs if "error" not in r]),
            "runs": runs,
            "warm_up": warm,
        }
        if args.profile:
            profile_path = work / "cold-start.prof"
            profiled = one_run(data_dir, kivy_home, work, 99, screens=0, profile_out=profile_path)
            data["profiled_run"] = {
                "note": "under cProfile (slower); profile from process start to the home frame",
                "unlock_screen_s": profiled.get("unlock_screen_s"),
                "pin_to_home_s": profiled.get("pin_to_home_s"),
                "top": _profile_table(profile_path) if profile_path.exists() else [],
            }
        save(args.output, data)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
