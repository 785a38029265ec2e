"""Field work on the real screens, offscreen: a draft survives a SIGKILL; paper for the
citizen (preview, ESC/POS thermal receipt checked with python-escpos, print later)."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from PIL import Image

from tests.mobile.app.test_gui import HERE, ROOT, TIME_LIMIT, run_gui

ARTIFACTS = ROOT / "test-artifacts" / "tablet"


def test_a_draft_survives_a_kill_and_the_citizen_gets_paper(tmp_path: Path) -> None:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    environment.update(MOTCUA_GUI_TMP=str(tmp_path), MOTCUA_DRAFT_PHASE="type")
    command = [sys.executable, "-m", "pytest", "-q", "--noconftest", "-p", "no:xdist"]
    command += ["--basetemp", str(tmp_path / "basetemp-1"), str(HERE / "gui_drafts.py")]
    log = tmp_path / "phase-1.log"
    with log.open("wb") as output:
        typing = subprocess.Popen(
            command, cwd=ROOT, env=environment, stdout=output, stderr=subprocess.STDOUT
        )
    deadline = time.monotonic() + TIME_LIMIT
    try:
        while not (tmp_path / "ready").exists():
            if typing.poll() is not None:
                raise AssertionError(log.read_text(errors="replace")[-8000:])
            assert time.monotonic() < deadline, "phase 1 took too long"
            time.sleep(0.2)
    finally:
        typing.send_signal(signal.SIGKILL)  # no on_stop, no on_pause: killed
        typing.wait(timeout=10)
    assert typing.returncode == -signal.SIGKILL

    run_gui("gui_drafts.py", tmp_path, MOTCUA_DRAFT_PHASE="resume")

    # The stream the thermal printer got: a raster image 384 dots (48 mm of a 58 mm roll)
    # wide, decoded back and kept to be looked at.
    stream = (tmp_path / "thermal-printed.bin").read_bytes()
    assert stream[:2] == b"\x1b@" and stream[2:5] == b"\x1dv0"
    width_bytes = stream[6] + 256 * stream[7]
    height = stream[8] + 256 * stream[9]
    assert width_bytes * 8 == 384 and 500 < height < 1200
    bits = stream[10 : 10 + width_bytes * height]
    image = Image.frombytes("1", (384, height), bits).point(lambda v: 255 - v)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    image.convert("L").save(ARTIFACTS / "25-thermal-receipt.png")
    assert stream.rstrip().endswith(b"\x1dV\x00") or b"\x1dV" in stream[-16:]  # the cut
    assert io.BytesIO(stream).read(2) == b"\x1b@"
