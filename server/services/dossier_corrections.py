"""Correcting what was typed on a dossier: the applicant, the parties and the facts.

A misspelled Mông or Dao name is corrected on the web as on the tablet, until the result
is returned. The values are checked like an intake (``validate_applicant``,
``sync.forms.value_problems``); each correction is written through the sync store (a
server clock that wins over older tablet writes, merged field by field with concurrent
ones), recorded as a ``corrected`` timeline event naming the fields (not their values)
and audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from server.models import Dossier, DossierEvent, Officer
from server.scoping import Scope, require_settling
from server.services import audit
from server.services.changes import stamp
from server.services.dossiers import ApplicantInput, validate_applicant
from server.services.errors import Invalid
from server.sync import shared
from server.sync.store import ServerFieldStore
from server.translatable import msg
from sync.domain import DossierStatus
from sync.forms import changed_paths, clean_parties, clean_values, value_problems
from sync.ids import new_id
from sync.workdays import OFFICE_TZ

__all__ = [
    "FormRow",
    "correct_dossier",
    "correctable",
    "form_rows",
    "procedure_rows",
    "typed_value",
]

_APPLICANT_ERRORS = {"name": "applicant_name", "cccd": "applicant_cccd", "dob": "applicant_dob"}
_APPLICANT_ERRORS |= {"phone": "applicant_phone"}


@dataclass(frozen=True)
class FormRow:
    """One input of the correction page: ``path`` is its form name."""

    path: str
    label_vi: str
    label_en: str
    kind: str
    required: bool
    value: Any


def correctable(dossier: Dossier) -> bool:
    """Until the result is returned (``result_returned_at``)."""
    return dossier.result_returned_at is None and dossier.status != DossierStatus.RESULT_RETURNED


def form_rows(dossier: Dossier) -> list[tuple[str, str, list[FormRow]]]:
    """(title_vi, title_en, rows) per party and for the facts, from the procedure's form."""
    return procedure_rows(dossier.procedure.form or {}, dossier.parties or {}, dossier.facts or {})


def procedure_rows(
    form: dict[str, Any], parties: dict[str, Any], facts: dict[str, Any]
) -> list[tuple[str, str, list[FormRow]]]:
    """``form_rows`` of a form and its values (an intake has no dossier yet)."""
    sections = []
    for party in form.get("parties") or []:
        role = str(party.get("role"))
        values = parties.get(role) or {}
        rows = [_row(f"parties.{role}.", spec, values) for spec in party.get("fields") or []]
        sections.append((str(party.get("label_vi")), str(party.get("label_en")), rows))
    if form.get("facts"):
        rows = [_row("facts.", spec, facts) for spec in form["facts"]]
        sections.append(("Thông tin hồ sơ", "Dossier facts", rows))
    return sections


def _row(prefix: str, spec: dict[str, Any], values: dict[str, Any]) -> FormRow:
    key = str(spec.get("key"))
    return FormRow(
        prefix + key,
        str(spec.get("label_vi")),
        str(spec.get("label_en")),
        str(spec.get("type", "text")),
        bool(spec.get("required")),
        values.get(key),
    )


def typed_value(kind: str, text: str) -> Any:
    """Text from the page as stored: ``int`` fields as whole numbers when they are."""
    text = text.strip()
    if kind == "int" and text.isdigit():
        return int(text)
    if kind == "cccd":
        return text.replace(" ", "")
    return text


def correct_dossier(
    session: Session,
    scope: Scope,
    dossier: Dossier,
    typed: dict[str, str],
    *,
    officer: Officer,
    now: datetime,
    remote_addr: str | None = None,
) -> list[str]:
    """Save the corrections (form name → text); returns the changed paths.

    Raises ``Invalid`` (422) with errors keyed by path (``parties.bride.cccd``…).
    """
    require_settling(scope, dossier)
    shared.lock_dossier(session, dossier)
    session.refresh(dossier)
    if not correctable(dossier):
        raise Invalid(
            msg("Hồ sơ đã trả kết quả, không sửa được thông tin người nộp"),
            errors={"status": "returned"},
        )
    today = now.astimezone(OFFICE_TZ).date()
    applicant = {
        name: (typed.get(name, "") or "").strip()
        for name in (
            "applicant_name",
            "applicant_cccd",
            "applicant_dob",
            "applicant_phone",
            "applicant_address",
        )
        if name in typed
    }
    errors: dict[str, str] = {}
    born: date | None = dossier.applicant_dob
    if "applicant_dob" in applicant:
        try:
            text = applicant["applicant_dob"]
            born = date.fromisoformat(text) if text else None
        except ValueError:
            errors["applicant_dob"] = msg("Ngày không hợp lệ")
    person = ApplicantInput(
        name=applicant.get("applicant_name", dossier.applicant_name),
        cccd=applicant.get("applicant_cccd", dossier.applicant_cccd) or None,
        dob=born,
        phone=applicant.get("applicant_phone", dossier.applicant_phone) or None,
        address=applicant.get("applicant_address", dossier.applicant_address) or None,
    )
    for name, message in validate_applicant(person, today=today).items():
        errors[_APPLICANT_ERRORS.get(name, name)] = message

    kinds = {row.path: row.kind for _t, _e, rows in form_rows(dossier) for row in rows}
    parties = {role: dict(values) for role, values in (dossier.parties or {}).items()}
    facts = dict(dossier.facts or {})
    for path, text in typed.items():
        if path not in kinds:
            continue
        parts = path.split(".")
        target = parties.setdefault(parts[1], {}) if parts[0] == "parties" else facts
        target[parts[-1]] = typed_value(kinds[path], text or "")
    parties, facts = clean_parties(parties), clean_values(facts)
    errors.update(value_problems(dossier.procedure.form, parties, facts, today=today))
    if errors:
        raise Invalid(msg("Thông tin chưa hợp lệ"), errors=errors)

    values: dict[str, Any] = {
        "applicant_name": person.name.strip(),
        "applicant_cccd": person.cccd,
        "applicant_dob": born.isoformat() if born else None,
        "applicant_phone": person.phone,
        "applicant_address": person.address,
    }
    values = {k: v for k, v in values.items() if k in applicant}
    if any(p in kinds for p in typed):
        values |= {"parties": parties, "facts": facts}
    before = {
        "applicant_name": dossier.applicant_name,
        "applicant_cccd": dossier.applicant_cccd,
        "applicant_dob": dossier.applicant_dob.isoformat() if dossier.applicant_dob else None,
        "applicant_phone": dossier.applicant_phone,
        "applicant_address": dossier.applicant_address,
        "parties": dossier.parties or {},
        "facts": dossier.facts or {},
    }
    paths = changed_paths(before, values)
    if not paths:
        return []
    changed = {k: v for k, v in values.items() if before.get(k) != v}
    ServerFieldStore(session, dossier.commune_id).server_write("dossier", dossier.id, changed)
    event = DossierEvent(
        id=new_id(),
        commune_id=dossier.commune_id,
        dossier_id=dossier.id,
        kind="corrected",
        occurred_at=now,
        officer_id=officer.id,
        data={"fields": paths},
    )
    session.add(event)
    stamp(session, event)
    shared.after_write(session, "dossier_event", event)
    audit.record(
        session,
        "dossier.correct",
        officer_id=officer.id,
        # The settling commune's decision, in its audit log (Decree 118/2025/NĐ-CP).
        commune_id=dossier.settling_commune_id or dossier.commune_id,
        entity="dossier",
        entity_id=dossier.id,
        detail={"fields": paths, "receipt_number": dossier.receipt_number},
        remote_addr=remote_addr,
    )
    session.flush()
    return paths
