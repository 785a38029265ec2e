"""deadline engine: procedure time unit and 15:00 rule, verification, day-off decisions

Revision ID: 0005_law
Revises: 0004
Create Date: 2026-12-07 21:30:00

Hand-written.

* ``procedure.time_unit`` ("working_days" | "calendar_days") and ``procedure.cutoff_15h``
  (the 15:00 rule applies). Existing same-day procedures (``processing_days = 0``) get
  the 15:00 rule, the others not; ``motcua load-catalog`` sets the checked values.
* ``dossier.verification_needed`` (recorded by the officer) and
  ``dossier.verification_due_date`` (the longer appointment, computed at intake).
  Existing dossiers: no verification recorded, no longer date.
* ``day_off_decision``: official extra days off and make-up working days, reference
  data pulled by tablets. Empty: an administrator adds them (or ``load-catalog``).
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0005_law"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("procedure", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "time_unit", sa.String(length=20), nullable=False, server_default="working_days"
            )
        )
        batch_op.add_column(
            sa.Column("cutoff_15h", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    procedure = sa.table(
        "procedure", sa.column("processing_days", sa.Integer), sa.column("cutoff_15h", sa.Boolean)
    )
    op.execute(procedure.update().where(procedure.c.processing_days == 0).values(cutoff_15h=True))
    with op.batch_alter_table("dossier", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "verification_needed", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
        batch_op.add_column(sa.Column("verification_due_date", sa.Date(), nullable=True))
    op.create_table(
        "day_off_decision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("working", sa.Boolean(), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_day_off_decision")),
        sa.UniqueConstraint("day", name=op.f("uq_day_off_decision_day")),
    )
    with op.batch_alter_table("day_off_decision", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_day_off_decision_seq"), ["seq"], unique=False)


def downgrade():
    with op.batch_alter_table("day_off_decision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_day_off_decision_seq"))
    op.drop_table("day_off_decision")
    with op.batch_alter_table("dossier", schema=None) as batch_op:
        batch_op.drop_column("verification_due_date")
        batch_op.drop_column("verification_needed")
    with op.batch_alter_table("procedure", schema=None) as batch_op:
        batch_op.drop_column("cutoff_15h")
        batch_op.drop_column("time_unit")
