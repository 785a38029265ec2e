"""Loading, reading and editing the procedure catalog (danh mục thủ tục hành chính)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import Officer, Procedure, Role
from server.services import audit
from server.services.changes import stamp_global
from server.services.errors import Forbidden, Invalid, NotFound
from sync.forms import definition_problems
from sync.text import fold
from sync.workdays import TimeUnit

CATALOG_DIR = Path(__file__).resolve().parent.parent / "catalog"
DEFAULT_CATALOG = CATALOG_DIR / "procedures.json"
#: Procedure code → form definition (``sync.forms``): the parties and facts of an intake.
DEFAULT_FORMS = CATALOG_DIR / "forms.json"
CATALOG_EDITORS = frozenset({Role.PROVINCE_ADMIN, Role.SYSTEM_ADMIN})

_FIELDS = (
    "name_vi",
    "name_en",
    "field",
    "processing_days",
    "time_unit",
    "cutoff_15h",
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
    "receivable_anywhere",
)


def read_catalog(path: Path = DEFAULT_CATALOG) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    return entries


def read_forms(path: Path = DEFAULT_FORMS) -> dict[str, dict[str, Any]]:
    """Procedure code → form definition; a broken definition stops the load (ValueError)."""
    forms: dict[str, dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    for code, form in forms.items():
        problems = definition_problems(form)
        if problems:
            raise ValueError(f"{path.name} {code}: {'; '.join(problems)}")
    return forms


def field_names() -> dict[str, dict[str, str]]:
    """Field slug → ``{"name_vi", "name_en"}`` (lĩnh vực)."""
    names: dict[str, dict[str, str]] = json.loads(
        (CATALOG_DIR / "fields.json").read_text(encoding="utf-8")
    )
    return names


def load_catalog(
    session: Session,
    entries: list[dict[str, Any]] | None = None,
    forms: dict[str, dict[str, Any]] | None = None,
) -> tuple[int, int]:
    """Insert or update procedures by national code; returns (created, updated).

    Each procedure gets its form from ``forms`` (default: forms.json) by code. Only
    procedures whose content changed get a new sequence number, so loading the same
    files twice sends nothing new to tablets.
    """
    entries = read_catalog() if entries is None else entries
    forms = read_forms() if forms is None else forms
    existing = {p.code: p for p in session.scalars(select(Procedure))}
    created = updated = 0
    for entry in entries:
        values = {name: entry[name] for name in _FIELDS if name in entry}
        if entry["code"] in forms:
            values["form"] = forms[entry["code"]]
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


# ---------------------------------------------------------------------------------------
# Editing on the admin web
# ---------------------------------------------------------------------------------------

MAX_DAYS = 365
MAX_FEE = 100_000_000
MAX_NAME = 300
MAX_NOTE = 2000
MAX_DOCUMENTS = 30
MAX_DOCUMENT_NAME = 500


@dataclass
class ProcedureInput:
    name_vi: str
    name_en: str
    processing_days: str | int
    extension_days: str | int
    fee_vnd: str | int
    fee_note_vi: str = ""
    fee_note_en: str = ""
    active: bool = True
    #: The deadline rule (sync.workdays.DeadlineRule); None = unchanged.
    time_unit: str | None = None
    cutoff_15h: bool | None = None
    #: (name_vi, name_en, required) per document; rows with no names are dropped.
    documents: list[tuple[str, str, bool]] = field(default_factory=list)
    #: The form definition as JSON text (``sync.forms``); None leaves it unchanged.
    form_json: str | None = None
    #: On the province's list of procedures any commune centre may receive (Decree
    #: 118/2025/NĐ-CP); None leaves it unchanged.
    receivable_anywhere: bool | None = None


def _whole(value: str | int, name: str, limit: int, errors: dict[str, str]) -> int:
    text = str(value).strip().replace(".", "").replace(" ", "")
    if not text.isdigit():
        errors[name] = "Phải là số nguyên không âm (must be a whole number, 0 or more)"
        return 0
    number = int(text)
    if number > limit:
        errors[name] = f"Tối đa {limit} (at most {limit})"
    return number


def _text(value: str, name: str, limit: int, errors: dict[str, str], *, required: bool) -> str:
    text = value.strip()
    if required and not text:
        errors[name] = "Không được để trống (required)"
    elif len(text) > limit:
        errors[name] = f"Tối đa {limit} ký tự (at most {limit} characters)"
    return text


MAX_FORM_JSON = 50_000


def _form(text: str, errors: dict[str, str]) -> dict[str, Any]:
    if len(text) > MAX_FORM_JSON:
        errors["form"] = f"Tối đa {MAX_FORM_JSON} ký tự (at most {MAX_FORM_JSON} characters)"
        return {}
    if not text.strip():
        return {}
    try:
        form = json.loads(text)
    except ValueError as error:
        errors["form"] = f"JSON không hợp lệ: {error} (not valid JSON)"
        return {}
    problems = definition_problems(form)
    if problems:
        errors["form"] = "; ".join(problems[:5])
        return {}
    result: dict[str, Any] = form
    return result


def procedure_values(data: ProcedureInput) -> dict[str, Any]:
    """The catalog columns from the edit form; raises ``Invalid`` naming each problem."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {
        "name_vi": _text(data.name_vi, "name_vi", MAX_NAME, errors, required=True),
        "name_en": _text(data.name_en, "name_en", MAX_NAME, errors, required=True),
        "processing_days": _whole(data.processing_days, "processing_days", MAX_DAYS, errors),
        "extension_days": _whole(data.extension_days, "extension_days", MAX_DAYS, errors),
        "fee_vnd": _whole(data.fee_vnd, "fee_vnd", MAX_FEE, errors),
        "fee_note_vi": _text(data.fee_note_vi, "fee_note_vi", MAX_NOTE, errors, required=False),
        "fee_note_en": _text(data.fee_note_en, "fee_note_en", MAX_NOTE, errors, required=False),
        "active": bool(data.active),
    }
    if data.time_unit is not None:
        if data.time_unit not in {unit.value for unit in TimeUnit}:
            errors["time_unit"] = "Đơn vị thời hạn không hợp lệ (unknown time unit)"
        values["time_unit"] = data.time_unit
    if data.cutoff_15h is not None:
        values["cutoff_15h"] = bool(data.cutoff_15h)
    if data.receivable_anywhere is not None:
        values["receivable_anywhere"] = bool(data.receivable_anywhere)
    documents = []
    for index, (vi, en, required) in enumerate(data.documents):
        vi, en = vi.strip(), en.strip()
        if not vi and not en:
            continue
        if not vi:
            errors[f"documents.{index}"] = "Cần tên tiếng Việt (the Vietnamese name is required)"
        elif len(vi) > MAX_DOCUMENT_NAME or len(en) > MAX_DOCUMENT_NAME:
            errors[f"documents.{index}"] = f"Tối đa {MAX_DOCUMENT_NAME} ký tự (too long)"
        documents.append({"name_vi": vi, "name_en": en or vi, "required": bool(required)})
    if len(documents) > MAX_DOCUMENTS:
        errors["documents"] = f"Tối đa {MAX_DOCUMENTS} giấy tờ (at most {MAX_DOCUMENTS})"
    values["required_documents"] = documents
    if data.form_json is not None:
        values["form"] = _form(data.form_json, errors)
    if errors:
        raise Invalid("Thủ tục chưa hợp lệ (the procedure is not valid)", errors=errors)
    return values


def update_procedure(
    session: Session,
    procedure_id: int,
    data: ProcedureInput,
    *,
    by: Officer,
    remote_addr: str | None = None,
) -> list[str]:
    """Save the edits; returns the changed fields (none: nothing is re-sent to tablets).

    A change takes the next global change number, so every tablet pulls the procedure
    again. Dossiers already received keep their due dates: the statutory time applies
    from the day of receipt.
    """
    if by.role not in CATALOG_EDITORS:
        raise Forbidden(
            "Chỉ quản trị tỉnh và hệ thống được sửa danh mục thủ tục "
            "(only province and system administrators edit the catalog)"
        )
    procedure = session.get(Procedure, procedure_id)
    if procedure is None:
        raise NotFound(f"Không tìm thấy thủ tục (procedure not found): {procedure_id}")
    values = procedure_values(data)
    changed = sorted(k for k, v in values.items() if getattr(procedure, k) != v)
    if not changed:
        return []
    before = {k: getattr(procedure, k) for k in changed if k not in ("required_documents", "form")}
    for key in changed:
        setattr(procedure, key, values[key])
    stamp_global(session, procedure)
    audit.record(
        session,
        "procedure.update",
        officer_id=by.id,
        commune_id=by.unit_id,
        entity="procedure",
        entity_id=procedure.id,
        detail={
            "code": procedure.code,
            "fields": changed,
            "from": before,
            "to": {k: values[k] for k in before},
        },
        remote_addr=remote_addr,
    )
    session.flush()
    return changed


def all_procedures(
    session: Session, *, q: str = "", field_slug: str | None = None
) -> list[Procedure]:
    stmt = select(Procedure)
    if field_slug:
        stmt = stmt.where(Procedure.field == field_slug)
    procedures = list(session.scalars(stmt.order_by(Procedure.field, Procedure.code)))
    words = fold(q).split()
    if words:
        procedures = [
            p
            for p in procedures
            if all(w in fold(f"{p.code} {p.name_vi} {p.name_en}") for w in words)
        ]
    return procedures
