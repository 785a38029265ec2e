"""procedure forms: the parties and facts of a dossier

Revision ID: 0008_tablet
Revises: 0007_ops
Create Date: 2026-12-07 21:30:00

Hand-written. Each procedure gets its form definition (``procedure.form``, from
server/catalog/forms.json; ``sync.forms``), and each dossier the values typed for it:
``parties`` (role → field → value) and ``facts`` (key → value). Existing rows get
empty objects. The dossier search key now also holds every party's name; it is
refreshed on the next write of each dossier.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0008_tablet"
down_revision = "0007_ops"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("procedure", schema=None) as batch_op:
        batch_op.add_column(sa.Column("form", sa.JSON(), nullable=False, server_default="{}"))
    with op.batch_alter_table("dossier", schema=None) as batch_op:
        batch_op.add_column(sa.Column("parties", sa.JSON(), nullable=False, server_default="{}"))
        batch_op.add_column(sa.Column("facts", sa.JSON(), nullable=False, server_default="{}"))


def downgrade():
    with op.batch_alter_table("dossier", schema=None) as batch_op:
        batch_op.drop_column("facts")
        batch_op.drop_column("parties")
    with op.batch_alter_table("procedure", schema=None) as batch_op:
        batch_op.drop_column("form")
