"""pull: index every commune collection on (commune_id, seq, id)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 15:20:00

Hand-written. A pull reads each commune collection in chunks ordered by ``(seq, id)``,
each chunk starting after the last row of the previous one (``(seq, id) > (s, i)``).
With an index on ``(commune_id, seq)`` only, PostgreSQL had to read every row of the
commune above the cursor and sort them for each chunk; on ``(commune_id, seq, id)`` the
chunk is one index range scan that stops at its limit. The new index covers the old
one, which is dropped.
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TABLES = (
    "attachment",
    "dossier",
    "dossier_apology",
    "dossier_event",
    "feedback",
    "survey_response",
    "sync_conflict",
)


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(
                f"ix_{table}_commune_seq_id", ["commune_id", "seq", "id"], unique=False
            )
            batch_op.drop_index(f"ix_{table}_commune_seq")


def downgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(f"ix_{table}_commune_seq", ["commune_id", "seq"], unique=False)
            batch_op.drop_index(f"ix_{table}_commune_seq_id")
