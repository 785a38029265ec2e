"""Operations: the job queue and its run log, notices to citizens, alerts to officers,
and the nightly report figures (server/jobs, server/notices)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.models.base import Base, Timestamped, utcnow


class JobRun(Timestamped):
    """One job on the queue: waiting, running, done, or failed after its retries.

    ``(name, key)`` is unique, so enqueuing the same job for the same key twice (two
    schedulers, a retry of the scheduler) makes one run; the job itself is idempotent,
    so running it again after a crash changes nothing it already did.
    """

    __tablename__ = "job_run"
    __table_args__ = (
        UniqueConstraint("name", "key", name="uq_job_run_name_key"),
        Index("ix_job_run_state_run_after", "state", "run_after"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    key: Mapped[str] = mapped_column(String(120))
    args: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(16), default="queued")  # queued running done failed
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int] = mapped_column(default=5)
    run_after: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    error: Mapped[str] = mapped_column(Text, default="")
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Notice(Timestamped):
    """A message to a citizen about their dossier, and what became of it.

    One row per (dossier, event, channel): a job that runs twice sends nothing twice.
    """

    __tablename__ = "notice"
    __table_args__ = (
        UniqueConstraint("dossier_id", "event_key", "channel", name="uq_notice_event_channel"),
        Index("ix_notice_state_next", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[str] = mapped_column(ForeignKey("dossier.id"), index=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("admin_unit.id"))
    kind: Mapped[str] = mapped_column(String(24))  # result_ready supplement_needed new_due_date
    event_key: Mapped[str] = mapped_column(String(80))  # what happened, e.g. the new date
    channel: Mapped[str] = mapped_column(String(10))  # sms email zalo
    recipient: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(12), default="queued")  # queued sent failed
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    provider_message_id: Mapped[str | None] = mapped_column(String(120))
    last_error: Mapped[str] = mapped_column(Text, default="")


class OfficerAlert(Base):
    """An alert for an officer (the handler, the leader): a dossier or feedback that is
    about to be late or is late. One per (officer, subject, kind, day)."""

    __tablename__ = "officer_alert"
    __table_args__ = (
        UniqueConstraint("officer_id", "subject", "kind", "day", name="uq_officer_alert"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    officer_id: Mapped[int] = mapped_column(ForeignKey("officer.id"), index=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("admin_unit.id"))
    subject: Mapped[str] = mapped_column(String(60))  # "dossier:<id>" / "feedback:<id>"
    kind: Mapped[str] = mapped_column(String(16))  # due_soon overdue
    day: Mapped[date]
    message: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]


class DailyReport(Base):
    """A commune's figures for one day, computed at night for the dashboards."""

    __tablename__ = "daily_report"
    __table_args__ = (UniqueConstraint("commune_id", "day", name="uq_daily_report"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("admin_unit.id"))
    day: Mapped[date]
    figures: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)


class ServerMeta(Base):
    """Facts about this server's data as a whole, e.g. its ``epoch`` (sync/PROTOCOL.md §12):
    a new one is drawn when a backup is restored, so tablets learn that it went back in time."""

    __tablename__ = "server_meta"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
