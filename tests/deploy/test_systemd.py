"""The shipped systemd units parse cleanly (``systemd-analyze verify``) and start
commands that exist. (Their services are not started here: this machine's tests never
install system services; tests/deploy/test_nginx.py runs the same gunicorn config.)"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.deploy.stack import DEPLOY, ROOT

UNITS = sorted((DEPLOY / "systemd").glob("*.service"))
VENV_BIN = Path(sys.executable).parent


def test_the_three_units_are_shipped() -> None:
    assert [u.name for u in UNITS] == [
        "motcua-scheduler.service", "motcua-web.service", "motcua-worker.service",
    ]  # fmt: skip


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze")
def test_units_verify_without_warnings(tmp_path: Path) -> None:
    # The units name /opt/motcua; here the code and the virtualenv live elsewhere.
    for unit in UNITS:
        text = unit.read_text().replace("/opt/motcua/.venv/bin/", f"{VENV_BIN}/")
        (tmp_path / unit.name).write_text(text.replace("/opt/motcua", str(ROOT)))
    done = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *(str(tmp_path / u.name) for u in UNITS)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0 and done.stderr.strip() == "", done.stderr


@pytest.mark.parametrize("unit", UNITS, ids=lambda u: u.name)
def test_each_unit_starts_a_real_command(unit: Path, tmp_path: Path) -> None:
    line = next(x for x in unit.read_text().splitlines() if x.startswith("ExecStart="))
    words = shlex.split(line.removeprefix("ExecStart="))
    program = Path(words[0]).name
    if program == "motcua":
        # The same words through this checkout's CLI, asking only for their help.
        done = subprocess.run(
            [sys.executable, "-c", "from server.cli import main; main()", *words[1:], "--help"],
            cwd=ROOT, capture_output=True, text=True, timeout=60,
            env={**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"},
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
    else:
        assert program == "gunicorn"
        assert words[1:3] == ["-c", "/opt/motcua/deploy/gunicorn.conf.py"]
        assert words[3] == "server:create_app()"
