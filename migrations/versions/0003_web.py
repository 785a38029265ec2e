"""admin web: dossier search key, citizens' service ratings

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 11:40:00

Hand-written. ``dossier.search_key`` holds the applicant's name, the receipt number and
the citizen ID folded for diacritic-insensitive search ("nguyen van" finds "Nguyễn
Văn"); existing rows are filled here with a frozen copy of ``sync.text.fold``.
"""

import unicodedata

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_SPECIAL = str.maketrans({"đ": "d", "Đ": "d"})


def _fold(text):
    decomposed = unicodedata.normalize("NFD", text.translate(_SPECIAL))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.lower().split())


def upgrade():
    with op.batch_alter_table("dossier", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("search_key", sa.String(length=300), server_default="", nullable=False)
        )

    dossier = sa.table(
        "dossier",
        sa.column("id", sa.String),
        sa.column("applicant_name", sa.String),
        sa.column("receipt_number", sa.String),
        sa.column("applicant_cccd", sa.String),
        sa.column("search_key", sa.String),
    )
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(
            dossier.c.id,
            dossier.c.applicant_name,
            dossier.c.receipt_number,
            dossier.c.applicant_cccd,
        )
    ).all()
    for row in rows:
        parts = (row.applicant_name, row.receipt_number, row.applicant_cccd)
        key = _fold(" ".join(part for part in parts if part))[:300]
        connection.execute(sa.update(dossier).where(dossier.c.id == row.id).values(search_key=key))

    op.create_table(
        "service_rating",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("commune_id", sa.Integer(), nullable=False),
        sa.Column("dossier_id", sa.String(length=36), nullable=False),
        sa.Column("stars", sa.SmallInteger(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("stars BETWEEN 1 AND 5", name=op.f("ck_service_rating_stars_range")),
        sa.ForeignKeyConstraint(
            ["commune_id"], ["admin_unit.id"], name=op.f("fk_service_rating_commune_id_admin_unit")
        ),
        sa.ForeignKeyConstraint(
            ["dossier_id"], ["dossier.id"], name=op.f("fk_service_rating_dossier_id_dossier")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_rating")),
    )
    with op.batch_alter_table("service_rating", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_service_rating_commune_id"), ["commune_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_service_rating_dossier_id"), ["dossier_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("service_rating", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_service_rating_dossier_id"))
        batch_op.drop_index(batch_op.f("ix_service_rating_commune_id"))

    op.drop_table("service_rating")
    with op.batch_alter_table("dossier", schema=None) as batch_op:
        batch_op.drop_column("search_key")
