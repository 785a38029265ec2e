"""House rules of the tablet app: one .kv per screen, view models without Kivy."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
APP = ROOT / "mobile" / "app"
#: Modules the tests (and the view models) import without a window: no Kivy at import.
HEADLESS = [
    *sorted((APP / "viewmodels").glob("*.py")),
    *(APP / name for name in ("context.py", "fmt.py", "i18n.py", "platform.py", "qr.py")),
    APP / "style.py",
    APP / "sync_runner.py",
]


def _top_level_imports(path: Path) -> set[str]:
    """Modules imported at module level (imports inside functions are lazy on purpose)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", HEADLESS, ids=lambda p: str(p.relative_to(APP)))
def test_headless_modules_do_not_import_kivy(path: Path) -> None:
    imported = _top_level_imports(path)
    assert not {n for n in imported if n == "kivy" or n.startswith("kivy.")}
    assert not {n for n in imported if n.startswith("mobile.app.screens") or n == "mobile.app.main"}


def test_every_screen_has_its_kv_beside_it() -> None:
    screens = APP / "screens"
    modules = {p.stem for p in screens.glob("*.py")} - {"__init__", "base"}
    layouts = {p.stem for p in screens.glob("*.kv")}
    assert modules == layouts
    assert len(modules) == 11
    for name in modules:
        source = (screens / f"{name}.py").read_text(encoding="utf-8")
        assert "load_kv(__file__)" in source, name


def test_view_models_import_without_kivy() -> None:
    code = (
        "import sys\n"
        "import mobile.app.context, mobile.app.sync_runner\n"
        "import mobile.app.viewmodels.home, mobile.app.viewmodels.intake\n"
        "import mobile.app.viewmodels.dossier, mobile.app.viewmodels.feedback\n"
        "import mobile.app.viewmodels.survey, mobile.app.viewmodels.sync\n"
        "import mobile.app.viewmodels.settings, mobile.app.viewmodels.setup\n"
        "import mobile.app.viewmodels.status\n"
        "assert not [m for m in sys.modules if m == 'kivy' or m.startswith('kivy.')]\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=60)


def test_command_line_help() -> None:
    finished = subprocess.run(
        [sys.executable, "-m", "mobile.app", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert "--data-dir" in finished.stdout and "--server" in finished.stdout
