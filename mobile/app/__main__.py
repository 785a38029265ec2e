"""``python -m mobile.app [--data-dir DIR] [--server URL]``: start the tablet app.

Environment: ``MOTCUA_DATA_DIR`` (data folder), ``MOTCUA_LANG`` (``vi``/``en`` on
first start). Kivy's own options go after ``--`` (e.g. ``-- --size=1280x800``).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m mobile.app",
        description="Một Cửa Field — ứng dụng máy tính bảng (tablet app)",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="where the tablet keeps its data (default: $MOTCUA_DATA_DIR or the user data folder)",
    )
    parser.add_argument(
        "--server",
        default=None,
        help="server address proposed at first start, e.g. http://127.0.0.1:5000",
    )
    parser.add_argument("--size", default="1280x800", help="window size on a desktop")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    # Kivy reads its own command line and configuration at import: keep them ours.
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    if os.environ.get("KIVY_HOME"):  # Kivy creates the folder but not its parents
        Path(os.environ["KIVY_HOME"]).mkdir(parents=True, exist_ok=True)
    width, _, height = str(args.size).partition("x")
    from kivy.config import Config

    Config.set("graphics", "width", width or "1280")
    Config.set("graphics", "height", height or "800")
    Config.set("input", "mouse", "mouse,disable_multitouch")
    Config.set("kivy", "exit_on_escape", "0")

    from mobile.app.context import AppContext
    from mobile.app.main import MotCuaApp
    from mobile.app.platform import default_data_dir

    ctx = AppContext.open(args.data_dir or default_data_dir(), server_url=args.server)
    language = os.environ.get("MOTCUA_LANG")
    if language in ("vi", "en") and not (ctx.data_dir / "app-settings.json").exists():
        ctx.tr.set_language(language)
        ctx.prefs.language = language
    try:
        MotCuaApp(ctx).run()
    finally:
        ctx.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
