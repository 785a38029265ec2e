"""dossier search keys: names folded the 2025 way (i = y, no apostrophes, spaces optional)

Revision ID: 0010_forms
Revises: 0009_sec
Create Date: 2026-12-07 21:30:00

Hand-written, data only. ``sync.text.search_key`` now also treats i and y, apostrophes
and hyphens, and spaces between syllables as the same ("Lò Thị Mỷ" / "Lo Thi Mi",
"H'Mông" / "Hmông"). Keys are rewritten on every write; this recomputes the existing
ones so that old dossiers are found the same way. The folding is copied here as it is
today (a migration must not change when the library does).
"""

import json
import re
import unicodedata

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0010_forms"
down_revision = "0009_sec"
branch_labels = None
depends_on = None

_SPECIAL = str.maketrans({"đ": "d", "Đ": "d"})
_JOINERS = re.compile(r"['’‘ʼ`´\-‐‑–]")
_LENGTH = 300


def _plain(text):
    decomposed = unicodedata.normalize("NFD", text.translate(_SPECIAL))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.lower().split())


def _old_key(*texts):
    return _plain(" ".join(t for t in texts if t))[:_LENGTH]


def _new_key(*texts):
    folded = " ".join(
        _JOINERS.sub("", _plain(" ".join(t for t in texts if t))).replace("y", "i").split()
    )
    key = folded if " " not in folded else f"{folded} {folded.replace(' ', '')}"
    return key[:_LENGTH]


def _party_names(parties):
    """Every party's full name (as ``sync.forms.party_names`` reads them today)."""
    if isinstance(parties, str):
        try:
            parties = json.loads(parties)
        except ValueError:
            return []
    if not isinstance(parties, dict):
        return []
    names = []
    for values in parties.values():
        if isinstance(values, dict):
            name = values.get("full_name")
            if isinstance(name, str) and name.strip():
                names.append(name.strip())
    return names


def _rewrite(make_key):
    bind = op.get_bind()
    dossier = sa.table(
        "dossier",
        sa.column("id", sa.String),
        sa.column("applicant_name", sa.String),
        sa.column("receipt_number", sa.String),
        sa.column("applicant_cccd", sa.String),
        sa.column("parties", sa.JSON),
        sa.column("search_key", sa.String),
    )
    rows = bind.execute(
        sa.select(
            dossier.c.id,
            dossier.c.applicant_name,
            dossier.c.receipt_number,
            dossier.c.applicant_cccd,
            dossier.c.parties,
        )
    ).all()
    for row in rows:
        bind.execute(
            dossier.update()
            .where(dossier.c.id == row.id)
            .values(
                search_key=make_key(
                    row.applicant_name,
                    row.receipt_number,
                    row.applicant_cccd,
                    *_party_names(row.parties),
                )
            )
        )


def upgrade():
    _rewrite(_new_key)


def downgrade():
    _rewrite(_old_key)
