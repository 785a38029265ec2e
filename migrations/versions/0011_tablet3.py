"""device_recovery: the secret that recovers a tablet's data key after a forgotten PIN

Revision ID: 0011_tablet3
Revises: 0010_forms
Create Date: 2026-12-08 00:00:00

Hand-written. One row per tablet that enrolled for recovery (docs/TABLET.md, "Forgotten
PIN"): the current secret and the next one being offered, both sealed.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0011_tablet3"
down_revision = "0010_forms"
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


def downgrade():
    op.drop_table("device_recovery")
