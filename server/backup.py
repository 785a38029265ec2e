"""``motcua backup`` and ``motcua restore``: the database and the photos, consistent.

A backup is one folder ``motcua-<UTC time>/`` with

- ``database.dump``: ``pg_dump --format=custom`` (PostgreSQL; one consistent snapshot),
  or ``database.sqlite3`` (SQLite's online backup API, for the demo);
- ``blobs/``: the photos that the dump knows as complete. Photos are content-addressed
  and never change once complete, so copying them *after* the dump catches every photo
  the dump refers to (a later one is harmless extra). Partial uploads are not kept:
  after a restore the server trusts only the bytes on disk, and tablets resume;
- ``manifest.json``: when, which database, the dump's SHA-256, the photo count.

It is written as ``….partial`` and renamed at the end, so a crash never leaves a folder
that looks complete. ``restore`` checks the manifest, restores the dump (``pg_restore
--clean --single-transaction``: all or nothing), copies back the missing photos and
draws a new server *epoch*, which tells every tablet to re-send and re-pull
(sync/PROTOCOL.md §12): what the tablets pushed after the backup comes back.

Retention (``prune``): the newest ``BACKUP_KEEP_DAILY`` copies, plus the newest of each
of the last ``BACKUP_KEEP_MONTHLY`` months. Copies must also leave the machine: see
docs/OPERATIONS.md.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit, urlunsplit

from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from server.translatable import msg

PREFIX = "motcua-"
MANIFEST = "manifest.json"


class BackupError(Exception):
    pass


@dataclass(frozen=True)
class PgTarget:
    """A libpq URL (without SQLAlchemy's driver suffix) and the schema, if one is set."""

    url: str
    schema: str | None


def _pg_target(database_url: str) -> PgTarget:
    parts = urlsplit(database_url.replace("postgresql+psycopg://", "postgresql://", 1))
    query = parse_qs(parts.query)
    schema = None
    for option in query.get("options", []):
        for word in unquote(option).split():
            if word.startswith("-csearch_path="):
                schema = word.split("=", 1)[1]
    return PgTarget(urlunsplit(parts._replace(query="")), schema)


def _sqlite_path(database_url: str) -> Path:
    return Path(database_url.split(":///", 1)[1])


def _sqlite_copy(source_path: Path, target_path: Path) -> None:
    """SQLite's online backup: a consistent copy even while the demo serves."""
    source = sqlite3.connect(source_path)
    target = sqlite3.connect(target_path)
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _complete_blobs(database_url: str) -> list[str]:
    from server.models import Blob

    engine = create_engine(database_url)
    try:
        with Session(engine) as session:
            return list(session.scalars(select(Blob.sha256).where(Blob.verified.is_(True))))
    finally:
        engine.dispose()


def _run(command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise BackupError(
            msg(
                "%(command)s thất bại: %(error)s",
                command=command[0],
                error=done.stderr.strip()[-2000:],
            )
        )


def make_backup(database_url: str, blob_dir: Path, target_dir: Path) -> Path:
    """A new backup folder under ``target_dir``; returns its path."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    final = target_dir / f"{PREFIX}{stamp}"
    work = final.with_name(final.name + ".partial")
    work.mkdir(parents=True)
    if database_url.startswith("postgresql"):
        target = _pg_target(database_url)
        dump = work / "database.dump"
        command = ["pg_dump", "--format=custom", "--no-owner", f"--file={dump}"]
        if target.schema:
            command.append(f"--schema={target.schema}")
        _run([*command, f"--dbname={target.url}"])
        kind = "postgresql"
    elif database_url.startswith("sqlite"):
        dump = work / "database.sqlite3"
        _sqlite_copy(_sqlite_path(database_url), dump)
        kind = "sqlite"
    else:
        raise BackupError(
            msg(
                "Không sao lưu được loại cơ sở dữ liệu này: %(kind)s",
                kind=database_url.split(":")[0],
            )
        )
    from server.sync.blobs import BlobFiles

    source_files, copied_files = BlobFiles(blob_dir), BlobFiles(work / "blobs")
    photos = 0
    for sha256 in _complete_blobs(database_url):
        origin = source_files.final(sha256)
        if not origin.exists():
            continue  # already lost before this backup; nothing to copy
        destination = copied_files.final(sha256)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(origin, destination)
        photos += 1
    manifest = {
        "format": 1,
        "created_at": datetime.now(UTC).isoformat(),
        "database": kind,
        "dump": dump.name,
        "dump_sha256": _sha256(dump),
        "photos": photos,
    }
    (work / MANIFEST).write_text(json.dumps(manifest, indent=2))
    os.replace(work, final)
    return final


def read_manifest(backup: Path) -> dict[str, Any]:
    try:
        manifest: dict[str, Any] = json.loads((backup / MANIFEST).read_text())
    except (OSError, ValueError) as error:
        raise BackupError(
            msg("%(folder)s không phải bản sao lưu đầy đủ (không đọc được bản kê)", folder=backup)
        ) from error
    dump = backup / manifest["dump"]
    if not dump.exists() or _sha256(dump) != manifest["dump_sha256"]:
        raise BackupError(msg("%(file)s bị thiếu hoặc hỏng (mã kiểm tra khác bản kê)", file=dump))
    return manifest


def restore(database_url: str, blob_dir: Path, backup: Path) -> dict[str, Any]:
    """Put the backup's database and photos back, then draw a new epoch."""
    manifest = read_manifest(backup)
    dump = backup / manifest["dump"]
    if manifest["database"] == "postgresql":
        if not database_url.startswith("postgresql"):
            raise BackupError(msg("Bản sao lưu PostgreSQL chỉ phục hồi vào PostgreSQL"))
        target = _pg_target(database_url)
        _run(
            [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                f"--dbname={target.url}",
                str(dump),
            ]
        )
    else:
        if not database_url.startswith("sqlite"):
            raise BackupError(msg("Bản sao lưu SQLite chỉ phục hồi vào SQLite"))
        _sqlite_copy(dump, _sqlite_path(database_url))
    from server.sync.blobs import BlobFiles

    restored = 0
    saved, files = BlobFiles(backup / "blobs"), BlobFiles(blob_dir)
    root = backup / "blobs"
    for path in root.glob("??/*") if root.exists() else []:
        destination = files.final(path.name)
        if not destination.exists():
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(saved.final(path.name), destination)
            restored += 1
    epoch = _renew_epoch(database_url)
    return {"database": manifest["database"], "photos_restored": restored, "epoch": epoch}


def _renew_epoch(database_url: str) -> str:
    from server.services import epochs

    engine = create_engine(database_url)
    try:
        with Session(engine) as session:
            value = epochs.renew(session)
            session.commit()
            return value
    finally:
        engine.dispose()


@dataclass(frozen=True)
class Retention:
    daily: int
    monthly: int

    @classmethod
    def from_config(cls, config: Any) -> Retention:
        return cls(int(config["BACKUP_KEEP_DAILY"]), int(config["BACKUP_KEEP_MONTHLY"]))


def backups(target_dir: Path) -> list[Path]:
    """Complete backups, newest first."""
    if not target_dir.exists():
        return []
    found = [
        p
        for p in target_dir.iterdir()
        if p.name.startswith(PREFIX)
        and p.is_dir()
        and not p.name.endswith(".partial")
        and (p / MANIFEST).exists()
    ]
    return sorted(found, key=lambda p: p.name, reverse=True)


def prune(target_dir: Path, keep: Retention) -> list[Path]:
    """Remove the backups that the retention no longer keeps; returns them."""
    kept: set[Path] = set()
    every = backups(target_dir)
    kept.update(every[: keep.daily])
    months: list[str] = []
    for backup in every:  # newest first: the first of each month is that month's newest
        month = backup.name[len(PREFIX) : len(PREFIX) + 6]
        if month not in months:
            months.append(month)
            if len(months) <= keep.monthly:
                kept.add(backup)
    removed = [b for b in every if b not in kept]
    for backup in removed:
        shutil.rmtree(backup)
    return removed
