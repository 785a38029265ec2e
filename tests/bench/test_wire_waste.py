"""``bench.wire_waste`` measures on a database it makes in a temporary folder, then removes it."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest

import bench.bootstrap
import bench.wire_waste


@pytest.fixture
def own_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Temporary files of this test go to a folder of its own, to be looked at after."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    monkeypatch.setattr(bench.wire_waste, "RESULTS", tmp_path / "results")
    # A small commune (counts ÷ 5 inside the benchmark): seconds, not a minute.
    monkeypatch.setattr(
        bench.bootstrap, "COUNTS", {"dossier": 100, "feedback": 25, "survey_response": 100}
    )
    return folder


def test_nothing_is_left_in_tmp(own_tmp: Path, tmp_path: Path) -> None:
    assert bench.wire_waste.main() == 0
    assert list(own_tmp.iterdir()) == [], "the bench's database stayed behind"
    result = json.loads((tmp_path / "results" / "wire-waste.json").read_text())
    assert result["database"] == {"dossier": 20, "feedback": 5, "survey_response": 20}
    assert result["pull_default_budget"]["changes"] > 20


def test_nothing_is_left_in_tmp_when_the_measure_fails(
    own_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[Path] = []

    def fails(work: Path) -> int:
        (work / "server.sqlite3").write_bytes(b"\0" * 1024)
        made.append(work)
        raise RuntimeError("the measure broke")

    monkeypatch.setattr(bench.wire_waste, "measure", fails)
    with pytest.raises(RuntimeError, match="the measure broke"):
        bench.wire_waste.main()
    assert made and not made[0].exists()
    assert list(own_tmp.iterdir()) == []
