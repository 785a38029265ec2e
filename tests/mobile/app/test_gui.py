"""The real Kivy widgets, offscreen, through the main flows — each module in its own process.

Kivy's window is a process-wide singleton, so ``gui_offline.py`` (unlock, intake with a
photo, follow-up, apology, feedback, survey, sync with a conflict resolved on screen,
English, revocation, lock — on a fake server) and ``gui_live.py`` (first run: register
with the real server on loopback, PIN, intake, "Đồng bộ ngay") each run in a
subprocess with a time limit. That also keeps them safe under ``pytest -n``.
Screenshots land in ``test-artifacts/tablet/``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from server.models import Dossier
from tests import factories
from tests.conftest import LiveServer

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
#: Seconds a GUI module may take (they take about 25 s and 10 s here).
TIME_LIMIT = 150


def run_gui(module: str, tmp_path: Path, **env: str) -> str:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    environment.update(MOTCUA_GUI_TMP=str(tmp_path), **env)
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "--noconftest",  # no Flask, no server fixtures in the Kivy process
        "-p",
        "no:xdist",
        "--basetemp",
        str(tmp_path / "basetemp"),
        str(HERE / module),
    ]
    finished = subprocess.run(
        command,
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=TIME_LIMIT,
        check=False,
    )
    output = finished.stdout + finished.stderr
    assert finished.returncode == 0, output[-8000:]
    assert " passed" in output and "skipped" not in output, output[-2000:]
    return output


def test_offline_flows_on_screen(tmp_path: Path) -> None:
    run_gui("gui_offline.py", tmp_path)


def test_first_run_and_sync_against_the_server(
    tmp_path: Path, live_server: LiveServer, world: Any, session: Session
) -> None:
    result = tmp_path / "result.json"
    run_gui(
        "gui_live.py",
        tmp_path,
        MOTCUA_LIVE_URL=live_server.url,
        MOTCUA_LIVE_USERNAME=world.a.officer.username,
        MOTCUA_LIVE_PASSWORD=factories.PASSWORD,
        MOTCUA_LIVE_PROCEDURE=str(world.procedure.id),
        MOTCUA_LIVE_CCCD=factories.valid_cccd(),
        MOTCUA_LIVE_RESULT=str(result),
    )
    made = json.loads(result.read_text(encoding="utf-8"))
    session.rollback()
    stored = session.get(Dossier, made["dossier_id"])
    assert stored is not None
    assert stored.receipt_number == made["receipt_number"]
    assert stored.commune_id == world.a.commune.id
    assert stored.applicant_name == "Hầu A Dơ"
