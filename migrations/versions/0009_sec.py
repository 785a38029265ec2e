"""blobs: per-commune uploads (proof of possession)

Revision ID: 0009_sec
Revises: 0008_tablet
Create Date: 2026-12-07 21:20:00

Hand-written. A photo's bytes were shared by hash across communes: a tablet of one
commune could probe, attach and read another commune's photo by its SHA-256. Each
commune now uploads the bytes itself (``blob_holder``); a commune holds a blob that an
attachment of its own already names, so those are filled in here.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0009_sec"
down_revision = "0008_tablet"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "blob_holder",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("commune_id", sa.Integer(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("content_type", sa.String(length=80), nullable=False),
        sa.Column("received", sa.BigInteger(), nullable=False),
        sa.Column("verified", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["commune_id"], ["admin_unit.id"], name=op.f("fk_blob_holder_commune_id_admin_unit")
        ),
        sa.PrimaryKeyConstraint("sha256", "commune_id", name=op.f("pk_blob_holder")),
    )
    attachment = sa.table(
        "attachment", sa.column("sha256", sa.String), sa.column("commune_id", sa.Integer)
    )
    blob = sa.table(
        "blob",
        sa.column("sha256", sa.String),
        sa.column("size", sa.BigInteger),
        sa.column("content_type", sa.String),
        sa.column("verified", sa.Boolean),
    )
    holder = sa.table(
        "blob_holder",
        sa.column("sha256", sa.String),
        sa.column("commune_id", sa.Integer),
        sa.column("size", sa.BigInteger),
        sa.column("content_type", sa.String),
        sa.column("received", sa.BigInteger),
        sa.column("verified", sa.Boolean),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("updated_at", sa.DateTime(timezone=True)),
    )
    held = (
        sa.select(
            attachment.c.sha256,
            attachment.c.commune_id,
            blob.c.size,
            blob.c.content_type,
            blob.c.size.label("received"),
            sa.true(),
            sa.func.current_timestamp(),
            sa.func.current_timestamp(),
        )
        .select_from(attachment.join(blob, blob.c.sha256 == attachment.c.sha256))
        .where(blob.c.verified == sa.true())
        .distinct()
    )
    op.execute(
        holder.insert().from_select(
            [
                "sha256",
                "commune_id",
                "size",
                "content_type",
                "received",
                "verified",
                "created_at",
                "updated_at",
            ],
            held,
        )
    )


def downgrade():
    op.drop_table("blob_holder")
