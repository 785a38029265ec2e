"""Loading and reading the procedure catalog (danh mục thủ tục hành chính)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import Procedure
from server.services.changes import stamp_global

CATALOG_DIR = Path(__file__).resolve().parent.parent / "catalog"
DEFAULT_CATALOG = CATALOG_DIR / "procedures.json"

_FIELDS = (
    "name_vi",
    "name_en",
    "field",
    "processing_days",
    "extension_days",
    "extension_when_vi",
    "extension_when_en",
    "required_documents",
    "fee_vnd",
    "fee_note_vi",
    "fee_note_en",
    "legal_basis",
    "result_vi",
    "result_en",
)


def read_catalog(path: Path = DEFAULT_CATALOG) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    return entries


def field_names() -> dict[str, dict[str, str]]:
    """Field slug → ``{"name_vi", "name_en"}`` (lĩnh vực)."""
    names: dict[str, dict[str, str]] = json.loads(
        (CATALOG_DIR / "fields.json").read_text(encoding="utf-8")
    )
    return names


def load_catalog(session: Session, entries: list[dict[str, Any]] | None = None) -> tuple[int, int]:
    """Insert or update procedures by national code; returns (created, updated).

    Only procedures whose content changed get a new sequence number, so loading the
    same file twice sends nothing new to tablets.
    """
    entries = read_catalog() if entries is None else entries
    existing = {p.code: p for p in session.scalars(select(Procedure))}
    created = updated = 0
    for entry in entries:
        values = {name: entry[name] for name in _FIELDS if name in entry}
        procedure = existing.get(entry["code"])
        if procedure is None:
            procedure = Procedure(code=entry["code"], **values)
            session.add(procedure)
            created += 1
        elif any(getattr(procedure, k) != v for k, v in values.items()):
            for key, value in values.items():
                setattr(procedure, key, value)
            updated += 1
        else:
            continue
        stamp_global(session, procedure)
    session.flush()
    return created, updated


def active_procedures(session: Session) -> list[Procedure]:
    return list(session.scalars(select(Procedure).where(Procedure.active).order_by(Procedure.code)))
