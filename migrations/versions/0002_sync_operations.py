"""sync operations: the stored outcome of every pushed operation (exactly once, G3)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 11:30:00

Hand-written. Batch mode keeps it safe on SQLite.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "applied_operation",
        sa.Column("op_id", sa.String(length=36), nullable=False),
        sa.Column("device_id", sa.String(length=36), nullable=False),
        sa.Column("commune_id", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["commune_id"],
            ["admin_unit.id"],
            name=op.f("fk_applied_operation_commune_id_admin_unit"),
        ),
        sa.ForeignKeyConstraint(
            ["device_id"], ["device.id"], name=op.f("fk_applied_operation_device_id_device")
        ),
        sa.PrimaryKeyConstraint("op_id", name=op.f("pk_applied_operation")),
    )
    with op.batch_alter_table("applied_operation", schema=None) as batch_op:
        batch_op.create_index(
            "ix_applied_operation_device_created", ["device_id", "created_at"], unique=False
        )


def downgrade():
    with op.batch_alter_table("applied_operation", schema=None) as batch_op:
        batch_op.drop_index("ix_applied_operation_device_created")

    op.drop_table("applied_operation")
