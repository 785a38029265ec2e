"""device_recovery: the secret that recovers a tablet's data key after a forgotten PIN

Revision ID: 0012_tablet3
Revises: 0011_law2
Create Date: 2026-12-08 00:00:00

Hand-written. One row per tablet that enrolled for recovery (docs/TABLET.md, "Forgotten
PIN"): the current secret and the next one being offered, both sealed. Conflict
records gain the names of the officers who wrote each side (sync schema 9).
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0012_tablet3"
down_revision = "0011_law2"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "device_recovery",
        sa.Column("device_id", sa.String(length=36), nullable=False),
        sa.Column("secret_id", sa.String(length=32), nullable=True),
        sa.Column("secret_sealed", sa.String(length=200), nullable=True),
        sa.Column("pending_id", sa.String(length=32), nullable=True),
        sa.Column("pending_sealed", sa.String(length=200), nullable=True),
        sa.Column("pending_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claims", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"], ["device.id"], name=op.f("fk_device_recovery_device_id_device")
        ),
        sa.PrimaryKeyConstraint("device_id", name=op.f("pk_device_recovery")),
    )

    # Conflict records name the officers who wrote each side (schema 9), filled in for
    # the conflicts already made from their devices.
    with op.batch_alter_table("sync_conflict") as batch:
        batch.add_column(sa.Column("kept_officer_name", sa.String(length=120), nullable=True))
        batch.add_column(sa.Column("lost_officer_name", sa.String(length=120), nullable=True))
    conflict = sa.table(
        "sync_conflict",
        sa.column("kept_device_id", sa.String),
        sa.column("lost_device_id", sa.String),
        sa.column("kept_officer_name", sa.String),
        sa.column("lost_officer_name", sa.String),
    )
    device = sa.table("device", sa.column("id", sa.String), sa.column("officer_id", sa.Integer))
    officer = sa.table("officer", sa.column("id", sa.Integer), sa.column("full_name", sa.String))
    for side in ("kept", "lost"):
        name = (
            sa.select(officer.c.full_name)
            .select_from(device.join(officer, officer.c.id == device.c.officer_id))
            .where(device.c.id == conflict.c[f"{side}_device_id"])
            .scalar_subquery()
        )
        op.execute(
            conflict.update()
            .where(conflict.c[f"{side}_device_id"].is_not(None))
            .values({f"{side}_officer_name": name})
        )


def downgrade():
    with op.batch_alter_table("sync_conflict") as batch:
        batch.drop_column("lost_officer_name")
        batch.drop_column("kept_officer_name")
    op.drop_table("device_recovery")
