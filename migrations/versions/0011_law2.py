"""dossier.official_code: the official dossier code issued by the province's system

Revision ID: 0011_law2
Revises: 0010_forms
Create Date: 2026-12-07 23:40:00

The one-stop regulations give every dossier a code issued by the one-stop information
system and used in every transaction about it (Decree 61/2018/NĐ-CP art. 26(1); the
structure of Circular 01/2018/TT-VPCP art. 19, see sync/dossier_code.py). It cannot be
issued offline, so an officer records it once the province's system has issued it.
Nullable (no dossier has one yet), unique when present.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0011_law2"
down_revision = "0010_forms"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("dossier") as batch_op:
        batch_op.add_column(sa.Column("official_code", sa.String(length=40), nullable=True))
        batch_op.create_unique_constraint("uq_dossier_official_code", ["official_code"])


def downgrade() -> None:
    with op.batch_alter_table("dossier") as batch_op:
        batch_op.drop_constraint("uq_dossier_official_code", type_="unique")
        batch_op.drop_column("official_code")
