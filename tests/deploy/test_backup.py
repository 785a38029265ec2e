"""Backups that restore: ``motcua backup`` while tablets sync, ``motcua restore`` into an
emptied database under a running gunicorn, and tablets that converge afterwards —
including writes the server acknowledged after the backup and lost in the restore
(PROTOCOL.md §12: the server's epoch changes, tablets re-send and re-pull)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.orm import Session

from server.models import Blob, Dossier
from tests.deploy.conftest import only_postgres, stack_env
from tests.deploy.stack import ROOT, Gunicorn
from tests.faults.conftest import assert_tablet_matches_server, field_day, register
from tests.server.conftest import World

pytestmark = [pytest.mark.slow, only_postgres()]


def motcua(env: dict[str, str], *args: str) -> str:
    """The ``motcua`` command of this checkout, as an administrator runs it."""
    done = subprocess.run(
        [sys.executable, "-c", "from server.cli import main; main()", *args],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT), **env},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _dossiers(session: Session, commune_id: int) -> int:
    session.expire_all()
    return int(
        session.scalar(
            select(func.count()).select_from(Dossier).where(Dossier.commune_id == commune_id)
        )
        or 0
    )


def _schema(database_url: str) -> str:
    return database_url.split("search_path%3D", 1)[1]


def test_backup_restore_and_tablets_converge(
    field_world: World, session: Session, app: Flask, database_url: str, tmp_path: Path
) -> None:
    commune = field_world.a.commune.id
    env = stack_env(database_url, tmp_path, MOTCUA_BACKUP_DIR=str(tmp_path / "backups"))
    blob_dir = Path(env["MOTCUA_BLOB_DIR"])
    server = Gunicorn(env, tmp_path / "gunicorn.log", workers=2).start()
    try:
        officer = field_world.a.officer.username
        tablet = register(tmp_path / "a.db", server.url, officer)
        colleague = register(tmp_path / "b.db", server.url, officer, "B")
        before = field_day(tablet, 41, dossiers=5, feedback=2, surveys=3, photos=2)
        assert tablet.sync().ok and colleague.sync().ok
        assert _dossiers(session, commune) == before.dossiers

        out = motcua(env, "backup")
        backup = Path(out.split("Bản sao lưu: ", 1)[1].split()[0])
        manifest = json.loads((backup / "manifest.json").read_text())
        assert manifest["database"] == "postgresql" and manifest["photos"] == 2

        # After the backup: more work, acknowledged by the server, then lost with it.
        after = field_day(tablet, 42, dossiers=4, feedback=1, surveys=2, photos=1)
        assert tablet.sync().ok and colleague.sync().ok
        assert tablet.status().pending == 0
        assert _dossiers(session, commune) == before.dossiers + after.dossiers
        old_epoch = tablet.store.get_setting("server_epoch")
        assert old_epoch

        # Disaster: the database is emptied and the photos are gone; the web keeps running.
        session.close()
        engine = create_engine(database_url)
        with engine.begin() as connection:
            schema = _schema(database_url)
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        engine.dispose()
        for photo in blob_dir.rglob("*"):
            if photo.is_file():
                photo.unlink()

        restored = motcua(env, "restore", str(backup), "--yes")
        assert "2 ảnh" in restored
        assert _dossiers(session, commune) == before.dossiers  # back in time

        # The colleague syncs first: its cursor was past the restored counters; with the
        # new epoch it pulls from the start (and has nothing of its own to re-send).
        report = colleague.sync()
        assert report.ok and report.resent == 0, report
        # The tablet sees the new epoch, re-sends its writes and photos, pulls again.
        report = tablet.sync()
        assert report.ok, report
        assert report.resent > 0
        assert tablet.store.get_setting("server_epoch") not in (None, old_epoch)
        assert _dossiers(session, commune) == before.dossiers + after.dossiers
        verified = session.scalars(select(Blob).where(Blob.verified.is_(True))).all()
        assert len(verified) == 3
        assert colleague.sync().ok  # the re-sent writes got new sequence numbers: pulled
        for device in (tablet, colleague):
            assert_tablet_matches_server(device, app, commune)
        tablet.close()
        colleague.close()
    finally:
        server.stop()
