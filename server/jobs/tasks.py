"""The periodic jobs. Each is idempotent: running it twice for the same day changes
nothing the first run did (unique keys on what it writes), so a retry after a crash is
safe. Each returns a small summary kept on its ``job_run`` row."""

from __future__ import annotations

import os
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from server.jobs.queue import job
from server.models import (
    AdminUnit,
    Attachment,
    Blob,
    BlobHolder,
    DailyReport,
    Device,
    Dossier,
    Feedback,
    OfficerAlert,
    Role,
    UnitLevel,
    utcnow,
)
from server.models.people import Officer
from server.services.reports import OPEN_FEEDBACK, office_today
from server.sync.blobs import BlobFiles
from sync.domain import OPEN_STATUSES, DossierStatus
from sync.workdays import OFFICE_TZ, next_working_day

#: Partial photo uploads untouched for this long are abandoned: their bytes are removed.
ABANDONED_UPLOAD_DAYS = int(os.environ.get("MOTCUA_ABANDONED_UPLOAD_DAYS", 7))


def _day(args: dict[str, Any]) -> date:
    return date.fromisoformat(args["day"]) if args.get("day") else office_today()


def _leaders(session: Session, commune_id: int) -> list[int]:
    return list(
        session.scalars(
            select(Officer.id).where(
                Officer.unit_id == commune_id,
                Officer.role == Role.COMMUNE_LEADER,
                Officer.active.is_(True),
            )
        )
    )


def _alert(
    session: Session,
    officer_id: int,
    commune_id: int,
    subject: str,
    kind: str,
    day: date,
    message: str,
) -> bool:
    exists = session.scalar(
        select(OfficerAlert.id).where(
            OfficerAlert.officer_id == officer_id,
            OfficerAlert.subject == subject,
            OfficerAlert.kind == kind,
            OfficerAlert.day == day,
        )
    )
    if exists is not None:
        return False
    session.add(
        OfficerAlert(
            officer_id=officer_id,
            commune_id=commune_id,
            subject=subject,
            kind=kind,
            day=day,
            message=message[:300],
        )
    )
    return True


def _lateness(due: date, today: date) -> str | None:
    """``overdue`` past the due date; ``due_soon`` on it or the working day before."""
    if due < today:
        return "overdue"
    if due <= next_working_day(today):
        return "due_soon"
    return None


@job("overdue_scan", vi="Quét hồ sơ sắp/quá hạn", en="Overdue scan")
def overdue_scan(session: Session, args: dict[str, Any]) -> dict[str, Any]:
    """Alert the handler and the commune's leaders of each dossier or feedback that is
    late or due by the next working day (Decree 118/2025/NĐ-CP art. 19: the office
    apologises and sets a new date for a late dossier, so it must know in time). For a
    dossier that commune is the SETTLING one: it decides and apologises (docs/ANYWHERE.md)."""
    today = _day(args)
    made = {"overdue": 0, "due_soon": 0}
    horizon = next_working_day(today)
    dossiers = session.execute(
        select(
            Dossier.id,
            func.coalesce(Dossier.settling_commune_id, Dossier.commune_id),
            Dossier.handler_id,
            Dossier.receipt_number,
            Dossier.due_date,
        ).where(Dossier.status.in_(list(OPEN_STATUSES)), Dossier.due_date <= horizon)
    )
    for dossier_id, commune_id, handler_id, receipt, due in dossiers:
        kind = _lateness(due, today)
        if kind is None:
            continue
        text = (
            f"Hồ sơ {receipt} quá hạn từ {due:%d/%m/%Y}"
            if kind == "overdue"
            else f"Hồ sơ {receipt} đến hạn ngày {due:%d/%m/%Y}"
        )
        for officer_id in {*(_leaders(session, commune_id)), *([handler_id] if handler_id else [])}:
            made[kind] += _alert(
                session, officer_id, commune_id, f"dossier:{dossier_id}", kind, today, text
            )
    feedback = session.execute(
        select(
            Feedback.id, Feedback.commune_id, Feedback.assignee_id, Feedback.response_due_date
        ).where(Feedback.status.in_(list(OPEN_FEEDBACK)), Feedback.response_due_date <= horizon)
    )
    for feedback_id, commune_id, assignee_id, answer_by in feedback:
        kind = _lateness(answer_by, today) if answer_by else None
        if kind is None:
            continue
        text = (
            f"Phản ánh chưa trả lời, quá hạn từ {answer_by:%d/%m/%Y}"
            if kind == "overdue"
            else f"Phản ánh phải trả lời trước ngày {answer_by:%d/%m/%Y}"
        )
        for officer_id in {
            *(_leaders(session, commune_id)),
            *([assignee_id] if assignee_id else []),
        }:
            made[kind] += _alert(
                session, officer_id, commune_id, f"feedback:{feedback_id}", kind, today, text
            )
    return {"day": today.isoformat(), "alerts": made}


def _bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, datetime.min.time(), OFFICE_TZ)
    return start, start + timedelta(days=1)


@job("nightly_report", vi="Tổng hợp số liệu hằng đêm", en="Nightly report")
def nightly_report(session: Session, args: dict[str, Any]) -> dict[str, Any]:
    """Each commune's figures for the day (default: yesterday), upserted."""
    day = date.fromisoformat(args["day"]) if args.get("day") else office_today() - timedelta(1)
    start, end = _bounds(day)
    communes = list(
        session.scalars(select(AdminUnit.id).where(AdminUnit.level == UnitLevel.COMMUNE))
    )
    for commune_id in communes:
        in_commune = Dossier.commune_id == commune_id
        received = session.scalar(
            select(func.count()).where(
                in_commune, Dossier.received_at >= start, Dossier.received_at < end
            )
        )
        returned = session.scalar(
            select(func.count()).where(
                in_commune, Dossier.result_returned_at >= start, Dossier.result_returned_at < end
            )
        )
        overdue_open = session.scalar(
            select(func.count()).where(
                in_commune, Dossier.status.in_(list(OPEN_STATUSES)), Dossier.due_date < day
            )
        )
        figures = {
            "received": int(received or 0),
            "returned": int(returned or 0),
            "overdue_open": int(overdue_open or 0),
        }
        row = session.scalar(
            select(DailyReport).where(DailyReport.commune_id == commune_id, DailyReport.day == day)
        )
        if row is None:
            session.add(DailyReport(commune_id=commune_id, day=day, figures=figures))
        else:
            row.figures = figures
            row.computed_at = utcnow()
    return {"day": day.isoformat(), "communes": len(communes)}


@job("cleanup_uploads", vi="Dọn ảnh tải lên dở dang", en="Clean up abandoned uploads")
def cleanup_uploads(session: Session, args: dict[str, Any]) -> dict[str, Any]:
    """Remove photo uploads never finished and untouched for days (bytes and row).

    The partial bytes of an upload abandoned that long are dropped; a tablet that comes
    back announces the photo again and uploads it from the start. An attachment whose
    photo never came stays, shown as still on its way (PROTOCOL.md §8.4)."""
    days = int(args.get("days", ABANDONED_UPLOAD_DAYS))
    limit = utcnow() - timedelta(days=days)
    files = BlobFiles(Path(current_app.config["MOTCUA_BLOB_DIR"]))
    removed = freed = 0
    # Uploads are per commune (PROTOCOL.md §8 "Proof of possession").
    for upload in session.scalars(
        select(BlobHolder).where(BlobHolder.verified.is_(False), BlobHolder.updated_at < limit)
    ):
        part = files.part(upload.sha256, upload.commune_id)
        if part.exists():
            freed += part.stat().st_size
            part.unlink()
        session.delete(upload)
        removed += 1
    # Rows of unfinished uploads from before per-commune uploads: no bytes to keep. A row
    # an attachment names (its photo still on its way) stays: the record points at it.
    named = select(Attachment.id).where(Attachment.sha256 == Blob.sha256)
    for blob in session.scalars(
        select(Blob).where(Blob.verified.is_(False), Blob.updated_at < limit, ~exists(named))
    ):
        session.delete(blob)
    return {"removed": removed, "bytes_freed": freed}


@job("device_health", vi="Máy tính bảng lâu không đồng bộ", en="Device health")
def device_health(session: Session, args: dict[str, Any]) -> dict[str, Any]:
    """Alert the commune's leaders of each tablet not synced for ``days`` days."""
    from server.services.system import SILENT_DAYS

    days = int(args.get("days", SILENT_DAYS))
    today = _day(args)
    limit = utcnow() - timedelta(days=days)
    silent = list(
        session.scalars(
            select(Device).where(
                Device.revoked_at.is_(None),
                func.coalesce(Device.last_sync_at, Device.created_at) < limit,
            )
        )
    )
    for device in silent:
        when = device.last_sync_at
        text = (
            f"Máy {device.name} (số {device.device_no}) chưa đồng bộ từ "
            f"{when.astimezone(OFFICE_TZ):%d/%m/%Y}"
            if when
            else f"Máy {device.name} (số {device.device_no}) chưa đồng bộ lần nào"
        )
        for officer_id in _leaders(session, device.commune_id):
            _alert(
                session, officer_id, device.commune_id, f"device:{device.id}", "silent", today, text
            )
    return {"silent": [device.id for device in silent]}


@job("backup", max_attempts=3, vi="Sao lưu hằng đêm", en="Nightly backup")
def backup(session: Session, args: dict[str, Any]) -> dict[str, Any]:
    """``motcua backup`` at night, then the copies past their retention are removed."""
    from server import backup as backups

    session.commit()  # nothing of ours is held open during the dump
    target = Path(args.get("dir") or current_app.config["BACKUP_DIR"])
    made = backups.make_backup(
        current_app.config["SQLALCHEMY_DATABASE_URI"],
        Path(current_app.config["MOTCUA_BLOB_DIR"]),
        target,
    )
    pruned = backups.prune(target, backups.Retention.from_config(current_app.config))
    return {"backup": str(made), "pruned": [p.name for p in pruned]}


@job("send_notices", vi="Gửi thông báo cho công dân", en="Send notices to citizens")
def send_notices(session: Session, args: dict[str, Any]) -> dict[str, Any]:
    from server.notices import dispatch

    return dispatch.send_due(session, current_app.config)


# The statuses in which a citizen is told something (server/notices/events.py).
NOTICE_STATUSES = (DossierStatus.RESULT_RETURNED, DossierStatus.NEEDS_SUPPLEMENT)
