"""``motcua backup`` / ``motcua restore`` on the demo's SQLite, and the retention rule.
(PostgreSQL, with a running server and tablets: tests/deploy/test_backup.py.)"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server import backup
from server.models import Blob, Dossier, ServerMeta
from server.services import epochs
from server.sync.blobs import BlobFiles
from tests.server.conftest import World, add_dossier


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_sqlite_backup_then_restore(
    app: Flask, session: Session, world: World, tmp_path: Path
) -> None:
    app.config["MOTCUA_BLOB_DIR"] = str(tmp_path / "blobs")
    files = BlobFiles(tmp_path / "blobs")
    add_dossier(session, world.a, world.procedure)
    for sha, verified in (("a" * 64, True), ("b" * 64, False)):  # complete, partial
        session.add(Blob(sha256=sha, size=3, content_type="image/jpeg", received=3,
                         verified=verified))  # fmt: skip
    files.final("a" * 64).parent.mkdir(parents=True)
    files.final("a" * 64).write_bytes(b"abc")
    first_epoch = epochs.current(session)
    session.commit()
    runner = app.test_cli_runner()
    out = runner.invoke(args=["backup", "--dir", str(tmp_path / "b")])
    assert out.exit_code == 0, out.output
    folder = Path(out.output.split("Bản sao lưu: ", 1)[1].split()[0])
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["database"] == "sqlite" and manifest["dump"] == "database.sqlite3"
    assert manifest["photos"] == 1  # the complete one; a partial upload resumes instead
    files.final("a" * 64).unlink()  # the photo is lost too

    add_dossier(session, world.a, world.procedure)  # after the backup: lost by the restore
    session.commit()
    assert session.scalar(select(func.count()).select_from(Dossier)) == 2
    session.close()
    out = runner.invoke(args=["restore", str(folder), "--yes"])
    assert out.exit_code == 0, out.output
    assert session.scalar(select(func.count()).select_from(Dossier)) == 1
    new_epoch = session.get(ServerMeta, "epoch")
    assert new_epoch is not None and new_epoch.value != first_epoch
    assert files.final("a" * 64).read_bytes() == b"abc"


def test_a_damaged_backup_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "motcua-20261207T000000000000Z"
    folder.mkdir()
    (folder / "database.sqlite3").write_bytes(b"not what was dumped")
    manifest = {"dump": "database.sqlite3", "dump_sha256": "0" * 64, "database": "sqlite"}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(backup.BackupError, match="hỏng"):
        backup.read_manifest(folder)


def test_retention_keeps_recent_days_and_one_per_month(tmp_path: Path) -> None:
    names = [
        "20260915T020000", "20261020T020000", "20261031T020000", "20261130T020000",
        "20261204T020000", "20261205T020000", "20261206T020000", "20261207T020000",
    ]  # fmt: skip
    for name in names:
        folder = tmp_path / f"motcua-{name}000000Z"
        folder.mkdir()
        (folder / "manifest.json").write_text("{}")
    (tmp_path / "motcua-20261208T020000000000Z.partial").mkdir()  # unfinished: not counted
    removed = backup.prune(tmp_path, backup.Retention(daily=3, monthly=3))
    kept = sorted(p.name[7:15] for p in backup.backups(tmp_path))
    # Three newest days, plus the newest of each of the last three months (Dec, Nov, Oct).
    assert kept == ["20261031", "20261130", "20261205", "20261206", "20261207"]
    assert sorted(p.name[7:15] for p in removed) == ["20260915", "20261020", "20261204"]
