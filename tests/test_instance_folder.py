"""No test writes into the checkout's ``instance/`` folder (the demo's data).

``tests/conftest.py`` gives every app the tests make its own temporary photo folder,
and a session fixture fails the run when anything under ``instance/`` changed.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from tests import conftest
from tests.conftest import INSTANCE, TEST_FILES, instance_state, make_app


def test_apps_made_by_the_tests_keep_photos_in_a_temporary_folder(
    app: Flask, database_url: str
) -> None:
    for made in (app, make_app(database_url)):
        blob_dir = Path(made.config["MOTCUA_BLOB_DIR"]).resolve()
        assert blob_dir.is_relative_to(TEST_FILES.resolve()), blob_dir
        assert not blob_dir.is_relative_to(INSTANCE)
    # Two apps never share a folder, so one test's photos cannot leak into another's.
    assert app.config["MOTCUA_BLOB_DIR"] != make_app(database_url).config["MOTCUA_BLOB_DIR"]


def test_the_guard_sees_a_file_written_into_instance(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # On a stand-in folder, so the real guard of this run stays quiet.
    monkeypatch.setattr(conftest, "INSTANCE", tmp_path / "instance")
    assert instance_state() == {}
    (tmp_path / "instance" / "blobs" / "ab").mkdir(parents=True)
    before = instance_state()
    assert {"blobs", "blobs/ab"} <= set(before)
    (tmp_path / "instance" / "blobs" / "ab" / "abcd").write_bytes(b"photo")
    after = instance_state()
    assert after["blobs/ab/abcd"][0] == 5
    assert after != before
