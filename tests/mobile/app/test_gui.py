"""The real Kivy widgets, offscreen, through the main flows — each module in its own process.

Kivy's window is a process-wide singleton, so ``gui_offline.py`` (unlock, intake with a
photo, follow-up, apology, feedback, survey, sync with a conflict resolved on screen,
English, revocation, lock — on a fake server), ``gui_live.py`` (first run: register
with the real server on loopback, PIN, intake, "Đồng bộ ngay") and ``gui_photos.py``
(a colleague's photos fetched from the real server onto the dossier screen) each run in
a subprocess with a time limit. That also keeps them safe under ``pytest -n``.
Screenshots land in ``test-artifacts/tablet/``.
"""

from __future__ import annotations

import gc
import io
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from mobile.tablet import Tablet
from server.models import Dossier
from tests import factories
from tests.conftest import LiveServer
from tests.mobile.test_photos import SERVER_FILE_LEFT_OPEN

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
#: Seconds a GUI module may take (about 25 s alone; over three minutes on a loaded
#: two-core machine running other suites beside it).
TIME_LIMIT = 400


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


def run_live_gui(
    module: str, tmp_path: Path, live_server: LiveServer, world: Any, **env: str
) -> dict[str, Any]:
    """Run a GUI module against the live server as commune A's officer; its result."""
    result = tmp_path / "result.json"
    run_gui(
        module,
        tmp_path,
        MOTCUA_LIVE_URL=live_server.url,
        MOTCUA_LIVE_USERNAME=world.a.officer.username,
        MOTCUA_LIVE_PASSWORD=factories.PASSWORD,
        MOTCUA_LIVE_PROCEDURE=str(world.procedure.id),
        MOTCUA_LIVE_RESULT=str(result),
        **env,
    )
    made: dict[str, Any] = json.loads(result.read_text(encoding="utf-8"))
    return made


def test_offline_flows_on_screen(tmp_path: Path) -> None:
    run_gui("gui_offline.py", tmp_path)


def test_marriage_intake_correction_and_conflict_card_on_screen(tmp_path: Path) -> None:
    run_gui("gui_parties.py", tmp_path)


def test_long_values_wrap_in_list_rows_on_screen(tmp_path: Path) -> None:
    run_gui("gui_rows.py", tmp_path)


def test_first_run_and_sync_against_the_server(
    tmp_path: Path, live_server: LiveServer, world: Any, session: Session
) -> None:
    made = run_live_gui(
        "gui_live.py", tmp_path, live_server, world, MOTCUA_LIVE_CCCD=factories.valid_cccd()
    )
    session.rollback()
    stored = session.get(Dossier, made["dossier_id"])
    assert stored is not None
    assert stored.receipt_number == made["receipt_number"]
    assert stored.commune_id == world.a.commune.id
    assert stored.applicant_name == "Hầu A Dơ"


def test_held_dates_confirmed_as_they_are_on_screen(
    tmp_path: Path, live_server: LiveServer, world: Any, session: Session
) -> None:
    """A clock two years behind: the server holds the dates, the officer confirms them."""
    made = run_live_gui("gui_held.py", tmp_path, live_server, world)
    session.rollback()
    stored = session.get(Dossier, made["dossier_id"])
    assert stored is not None
    typed = datetime.fromisoformat(made["received_at"].replace("Z", "+00:00"))
    assert stored.received_at.astimezone(UTC) == typed  # as typed, two years ago
    assert typed < datetime.now(UTC) - timedelta(days=729)


def paper_photo(seed: int) -> bytes:
    """A 480 × 640 PNG of a paper (``gui_photos.PHOTO_SIZE``), different for each seed."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (480, 640), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((20, 20, 460, 620), outline="black", width=4)
    draw.rectangle((40, 40, 200, 230), fill=(170, 190, 215), outline="black", width=2)
    for row in range(9 + seed):
        draw.line((220, 60 + row * 40, 440 - seed * 20, 60 + row * 40), fill="gray", width=3)
    draw.text((44, 250), f"CCCD {seed}", fill="black")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


@pytest.mark.filterwarnings(SERVER_FILE_LEFT_OPEN)
def test_a_colleagues_photos_on_the_dossier_screen(
    tmp_path: Path, live_server: LiveServer, world: Any
) -> None:
    live_server.app.config["MOTCUA_BLOB_DIR"] = str(tmp_path / "server-blobs")
    dossiers = []
    with Tablet(tmp_path / "colleague.db") as colleague:
        colleague.register(
            live_server.url, world.a.officer.username, factories.PASSWORD, "Máy đồng nghiệp"
        )
        assert colleague.sync().ok
        for seed, name in enumerate(("Giàng A Páo", "Lò Thị Hoa"), start=1):
            dossier_id = colleague.create_dossier(world.procedure.id, name)
            colleague.attach_photo(
                "dossier", dossier_id, paper_photo(seed), "image/png", filename="cccd.png"
            )
            dossiers.append(dossier_id)
            report = colleague.sync()  # one photo per sync: each announcement stays small
            assert report.ok and report.photos_uploaded == 1, report.error
    run_gui(
        "gui_photos.py",
        tmp_path,
        MOTCUA_LIVE_URL=live_server.url,
        MOTCUA_LIVE_USERNAME=world.a.officer.username,
        MOTCUA_LIVE_PASSWORD=factories.PASSWORD,
        MOTCUA_PHOTO_DOSSIERS=",".join(dossiers),
    )
    gc.collect()  # the server's files left open by reset connections are reported here


def test_filing_anywhere_on_screen(tmp_path: Path) -> None:
    run_gui("gui_anywhere.py", tmp_path)
