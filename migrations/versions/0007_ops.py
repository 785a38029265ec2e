"""operations: job queue, notices to citizens, officer alerts, daily reports, server epoch;
the citizen's consent to notices on the dossier

Revision ID: 0007_ops
Revises: 0006_web
Create Date: 2026-12-07 21:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_ops"
down_revision = "0006_web"
branch_labels = None
depends_on = None


def _stamps() -> list[sa.Column]:
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "job_run",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(60), nullable=False),
        sa.Column("key", sa.String(120), nullable=False),
        sa.Column("args", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("run_after", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        *_stamps(),
        sa.UniqueConstraint("name", "key", name="uq_job_run_name_key"),
    )
    op.create_index("ix_job_run_state_run_after", "job_run", ["state", "run_after"])
    op.create_table(
        "notice",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("dossier_id", sa.String(36), sa.ForeignKey("dossier.id"), nullable=False),
        sa.Column("commune_id", sa.Integer(), sa.ForeignKey("admin_unit.id"), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("event_key", sa.String(80), nullable=False),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("recipient", sa.String(200), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("provider_message_id", sa.String(120), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        *_stamps(),
        sa.UniqueConstraint("dossier_id", "event_key", "channel", name="uq_notice_event_channel"),
    )
    op.create_index("ix_notice_dossier_id", "notice", ["dossier_id"])
    op.create_index("ix_notice_state_next", "notice", ["state", "next_attempt_at"])
    op.create_table(
        "officer_alert",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("officer_id", sa.Integer(), sa.ForeignKey("officer.id"), nullable=False),
        sa.Column("commune_id", sa.Integer(), sa.ForeignKey("admin_unit.id"), nullable=False),
        sa.Column("subject", sa.String(60), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("message", sa.String(300), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("officer_id", "subject", "kind", "day", name="uq_officer_alert"),
    )
    op.create_index("ix_officer_alert_officer_id", "officer_alert", ["officer_id"])
    op.create_table(
        "daily_report",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("commune_id", sa.Integer(), sa.ForeignKey("admin_unit.id"), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("commune_id", "day", name="uq_daily_report"),
    )
    op.create_table(
        "server_meta",
        sa.Column("key", sa.String(40), primary_key=True),
        sa.Column("value", sa.String(200), nullable=False),
    )
    with op.batch_alter_table("dossier") as batch:
        batch.add_column(sa.Column("notify_consent", sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("notify_email", sa.String(120), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("dossier") as batch:
        batch.drop_column("notify_email")
        batch.drop_column("notify_consent")
    for table in ("server_meta", "daily_report", "officer_alert", "notice", "job_run"):
        op.drop_table(table)
