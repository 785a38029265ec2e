"""scripts/setup waits when another process holds the apt lock (issue 10 §17).

Runs the apt helpers of scripts/setup with a stand-in ``apt-get`` on PATH that answers
like the real one while the lock is held; nothing is installed.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LOCKED = (
    "E: Could not get lock /var/lib/apt/lists/lock. It is held by process 4242 (apt-get)\n"
    "E: Unable to lock directory /var/lib/apt/lists/"
)


def _fake_apt(tmp_path: Path, failures: int, message: str = LOCKED) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "apt-get"
    script.write_text(
        "#!/bin/bash\n"
        f'echo "$*" >> "{tmp_path}/calls"\n'
        f'n=$(cat "{tmp_path}/count" 2>/dev/null || echo 0)\n'
        f'echo $((n + 1)) > "{tmp_path}/count"\n'
        'if [ "$1 $2" != "-o DPkg::Lock::Timeout=600" ]; then\n'
        '  echo "no lock timeout" >&2; exit 9\n'
        "fi\n"
        f'if [ "$n" -lt {failures} ]; then echo "{message}" >&2; exit 100; fi\n'
        "exit 0\n"
    )
    script.chmod(0o755)
    return bin_dir


def _run(tmp_path: Path, bin_dir: Path, command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", f"set -euo pipefail; SUDO=''; source scripts/lib/apt.sh; {command}"],
        cwd=ROOT,
        env={
            "PATH": f"{bin_dir}:/usr/bin:/bin",
            "MOTCUA_APT_RETRY_DELAY": "0",
            "MOTCUA_APT_RETRIES": "5",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_update_waits_for_the_lock(tmp_path: Path) -> None:
    bin_dir = _fake_apt(tmp_path, failures=3)
    result = _run(tmp_path, bin_dir, "apt_update")
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("apt is busy") == 3
    assert (tmp_path / "count").read_text().strip() == "4"


def test_update_gives_up_after_the_last_attempt(tmp_path: Path) -> None:
    bin_dir = _fake_apt(tmp_path, failures=99)
    result = _run(tmp_path, bin_dir, "apt_update")
    assert result.returncode == 1
    assert "Could not get lock" in result.stderr
    assert (tmp_path / "count").read_text().strip() == "5"


def test_other_errors_are_not_retried(tmp_path: Path) -> None:
    bin_dir = _fake_apt(tmp_path, failures=99, message="E: The repository is not signed.")
    result = _run(tmp_path, bin_dir, "apt_update")
    assert result.returncode == 1
    assert (tmp_path / "count").read_text().strip() == "1"


def test_install_asks_apt_to_wait_for_the_dpkg_lock(tmp_path: Path) -> None:
    bin_dir = _fake_apt(tmp_path, failures=0)
    result = _run(tmp_path, bin_dir, "apt_install chromium poppler-utils")
    assert result.returncode == 0, result.stderr
    calls = (tmp_path / "calls").read_text()
    assert "-o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends chromium" in calls


def test_setup_uses_the_waiting_helpers() -> None:
    setup = (ROOT / "scripts" / "setup").read_text()
    assert "source scripts/lib/apt.sh" in setup
    assert "apt_update" in setup and "apt_install" in setup
    assert "apt-get update" not in setup.replace("# ", "")
