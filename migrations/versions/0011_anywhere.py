"""filing anywhere in the province: settling and return communes, shared-scope entries

Revision ID: 0011_anywhere
Revises: 0011_law2 (re-chained after 0011_law2 when both branches met)
Create Date: 2026-12-07 23:50:00

Hand-written. Decree 118/2025/NĐ-CP lets a citizen file a dossier for a procedure on
the province's list at any commune centre of the province ("không phụ thuộc vào địa
giới hành chính"). ``procedure.receivable_anywhere`` marks that list; a dossier keeps
its receiving commune in ``commune_id`` and gains ``settling_commune_id`` (who
processes and decides) and ``return_commune_id`` (where the result is returned), both
the receiving commune for existing dossiers. ``scope_entry`` puts the records of a
shared dossier into the change stream of every other commune involved.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0011_anywhere"
down_revision = "0011_law2"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("procedure", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "receivable_anywhere", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
    with op.batch_alter_table("dossier", schema=None) as batch_op:
        batch_op.add_column(sa.Column("settling_commune_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("return_commune_id", sa.Integer(), nullable=True))
    dossier = sa.table(
        "dossier",
        sa.column("commune_id", sa.Integer),
        sa.column("settling_commune_id", sa.Integer),
        sa.column("return_commune_id", sa.Integer),
    )
    op.execute(
        dossier.update().values(
            settling_commune_id=dossier.c.commune_id, return_commune_id=dossier.c.commune_id
        )
    )
    with op.batch_alter_table("dossier", schema=None) as batch_op:
        batch_op.alter_column("settling_commune_id", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("return_commune_id", existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(
            "fk_dossier_settling_commune_id_admin_unit",
            "admin_unit",
            ["settling_commune_id"],
            ["id"],
        )
        batch_op.create_foreign_key(
            "fk_dossier_return_commune_id_admin_unit", "admin_unit", ["return_commune_id"], ["id"]
        )
        batch_op.create_index("ix_dossier_settling_commune_id", ["settling_commune_id"])
    op.create_table(
        "scope_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("commune_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("collection", sa.String(40), nullable=False),
        sa.Column("record_id", sa.String(36), nullable=False),
        sa.Column("gone", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["commune_id"], ["admin_unit.id"], name="fk_scope_entry_commune_id_admin_unit"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_scope_entry"),
        sa.UniqueConstraint(
            "commune_id",
            "collection",
            "record_id",
            name="uq_scope_entry_commune_id_collection_record_id",
        ),
    )
    op.create_index("ix_scope_entry_commune_seq", "scope_entry", ["commune_id", "seq", "record_id"])
    op.create_index("ix_scope_entry_record", "scope_entry", ["collection", "record_id"])


def downgrade():
    op.drop_index("ix_scope_entry_record", table_name="scope_entry")
    op.drop_index("ix_scope_entry_commune_seq", table_name="scope_entry")
    op.drop_table("scope_entry")
    with op.batch_alter_table("dossier", schema=None) as batch_op:
        batch_op.drop_index("ix_dossier_settling_commune_id")
        batch_op.drop_constraint("fk_dossier_return_commune_id_admin_unit", type_="foreignkey")
        batch_op.drop_constraint("fk_dossier_settling_commune_id_admin_unit", type_="foreignkey")
        batch_op.drop_column("return_commune_id")
        batch_op.drop_column("settling_commune_id")
    with op.batch_alter_table("procedure", schema=None) as batch_op:
        batch_op.drop_column("receivable_anywhere")
