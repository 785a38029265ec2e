"""web security: citizen check codes, one rating per dossier, sessions and log-in back-off

Revision ID: 0006_web
Revises: 0005_law
Create Date: 2026-12-07 20:40:00

Hand-written.

- ``dossier.check_code``: the citizen's check code (sync/checkcode.py). Dossiers
  received before it existed have none on their slip, so the migration gives each one
  a random code here; the citizen can still open such a dossier with the birth year
  and the last four digits of the phone, and the office can print slip 01 again (it
  now carries the code) when the citizen comes by.
- ``service_rating``: one rating per dossier. Where several exist the newest is kept
  (the others were the flood the limit is there to stop). Comments wait for a commune
  leader's approval: existing ones start as ``pending``.
- ``officer``: session generation, must-change-password, failed log-ins and back-off.
"""

import secrets

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0006_web"
down_revision = "0005_law"
branch_labels = None
depends_on = None

# A frozen copy of sync.checkcode (migrations never import the app).
_ALPHABET = "234679ACDEFGHJKMNPQRTUVWXYZ"


def _new_code():
    return "".join(secrets.choice(_ALPHABET) for _ in range(6))


def upgrade():
    bind = op.get_bind()
    with op.batch_alter_table("dossier", schema=None) as batch_op:
        batch_op.add_column(sa.Column("check_code", sa.String(length=8), nullable=True))
    dossier = sa.table("dossier", sa.column("id", sa.String), sa.column("check_code", sa.String))
    ids = [row[0] for row in bind.execute(sa.select(dossier.c.id))]
    for dossier_id in ids:
        bind.execute(
            dossier.update().where(dossier.c.id == dossier_id).values(check_code=_new_code())
        )
    with op.batch_alter_table("dossier", schema=None) as batch_op:
        batch_op.alter_column("check_code", existing_type=sa.String(length=8), nullable=False)

    rating = sa.table(
        "service_rating",
        sa.column("id", sa.Integer),
        sa.column("dossier_id", sa.String),
        sa.column("created_at", sa.DateTime),
    )
    keep = {}
    for row in bind.execute(
        sa.select(rating.c.id, rating.c.dossier_id).order_by(rating.c.created_at, rating.c.id)
    ):
        keep[row.dossier_id] = row.id  # the newest wins
    if keep:
        bind.execute(rating.delete().where(rating.c.id.not_in(list(keep.values()))))
    with op.batch_alter_table("service_rating", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "comment_status", sa.String(length=12), server_default="pending", nullable=False
            )
        )
        batch_op.add_column(sa.Column("moderated_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("moderated_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.drop_index(batch_op.f("ix_service_rating_dossier_id"))
        batch_op.create_unique_constraint(
            batch_op.f("uq_service_rating_dossier_id"), ["dossier_id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_service_rating_moderated_by_id_officer"),
            "officer",
            ["moderated_by_id"],
            ["id"],
        )

    with op.batch_alter_table("officer", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("session_generation", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column(
                "must_change_password", sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )
        batch_op.add_column(
            sa.Column("failed_logins", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("login_blocked_until", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade():
    with op.batch_alter_table("officer", schema=None) as batch_op:
        batch_op.drop_column("login_blocked_until")
        batch_op.drop_column("failed_logins")
        batch_op.drop_column("must_change_password")
        batch_op.drop_column("session_generation")
    with op.batch_alter_table("service_rating", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_service_rating_moderated_by_id_officer"), type_="foreignkey"
        )
        batch_op.drop_constraint(batch_op.f("uq_service_rating_dossier_id"), type_="unique")
        batch_op.create_index(
            batch_op.f("ix_service_rating_dossier_id"), ["dossier_id"], unique=False
        )
        batch_op.drop_column("moderated_at")
        batch_op.drop_column("moderated_by_id")
        batch_op.drop_column("comment_status")
    with op.batch_alter_table("dossier", schema=None) as batch_op:
        batch_op.drop_column("check_code")
