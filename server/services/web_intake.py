"""Receiving a dossier at the counter on the admin web (tiếp nhận hồ sơ trên web).

The page's fields are read into a :class:`~server.services.dossiers.DossierInput` and
received by :func:`~server.services.dossiers.create_dossier`, the rules the API and the
sync share. For a procedure on the province's list the officer may name another commune
of the province as the competent one and say where the result is returned
(:mod:`server.services.filing_places`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from server.models import Procedure
from server.services.dossier_corrections import procedure_rows, typed_value
from server.services.dossiers import ApplicantInput, DossierInput
from server.services.errors import Invalid
from server.services.filing_places import RETURN_AT_RECEIVING, RETURN_AT_SETTLING
from server.translatable import msg
from sync.domain import Channel
from sync.forms import clean_parties, clean_values

#: create_dossier's error keys → the page's field names.
FIELD_OF_ERROR = {
    "name": "applicant_name",
    "cccd": "applicant_cccd",
    "dob": "applicant_dob",
    "phone": "applicant_phone",
}


def _int(text: str | None) -> int | None:
    text = (text or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else None


def read_intake(
    procedure: Procedure, commune_id: int, typed: Mapping[str, str], documents: list[str]
) -> DossierInput:
    """The page's fields as an intake; ``Invalid`` naming each unreadable field.

    ``settling_commune_id`` (another commune of the province, for a procedure on its
    list) and ``return_to`` (``receiving`` or ``settling``) say who settles the dossier
    and where the result is returned; :func:`server.services.handover.settling_problems`
    checks them in ``create_dossier``.
    """
    errors: dict[str, str] = {}
    dob: date | None = None
    dob_text = (typed.get("applicant_dob") or "").strip()
    if dob_text:
        try:
            dob = date.fromisoformat(dob_text)
        except ValueError:
            errors["applicant_dob"] = msg("Ngày không hợp lệ")
    channel_text = typed.get("channel") or Channel.COUNTER.value
    if channel_text not in {c.value for c in Channel}:
        errors["channel"] = msg("Hình thức nộp không hợp lệ")
        channel_text = Channel.COUNTER.value
    village_text = typed.get("village_id") or ""
    village_id = _int(village_text)
    if village_text and village_id is None:
        errors["village_id"] = msg("Thôn/bản không hợp lệ")
    settling_text = typed.get("settling_commune_id") or ""
    settling_id = _int(settling_text)
    if settling_text and settling_id is None:
        errors["settling_commune_id"] = msg("Xã giải quyết không hợp lệ")
    return_to = typed.get("return_to") or RETURN_AT_RECEIVING
    if return_to not in (RETURN_AT_RECEIVING, RETURN_AT_SETTLING):
        errors["return_commune_id"] = msg(
            "Nơi trả kết quả phải là nơi tiếp nhận hoặc nơi giải quyết"
        )
    count = len(procedure.required_documents or [])
    provided = sorted({i for i in (_int(d) for d in documents) if i is not None and i < count})
    parties: dict[str, dict[str, Any]] = {}
    facts: dict[str, Any] = {}
    for _title_vi, _title_en, rows in procedure_rows(procedure.form or {}, {}, {}):
        for row in rows:
            text = typed.get(row.path, "") or ""
            parts = row.path.split(".")
            target = parties.setdefault(parts[1], {}) if parts[0] == "parties" else facts
            target[parts[-1]] = typed_value(row.kind, text)
    if errors:
        raise Invalid(msg("Hồ sơ chưa hợp lệ"), errors=errors)

    def optional(name: str) -> str | None:
        return (typed.get(name) or "").strip() or None

    settling = settling_id if settling_id is not None else commune_id
    return DossierInput(
        commune_id=commune_id,
        procedure_id=procedure.id,
        applicant=ApplicantInput(
            name=(typed.get("applicant_name") or "").strip(),
            cccd=optional("applicant_cccd"),
            dob=dob,
            phone=optional("applicant_phone"),
            address=optional("applicant_address"),
        ),
        channel=Channel(channel_text),
        village_id=village_id,
        provided_documents=provided,
        note=(typed.get("note") or "").strip(),
        parties=clean_parties(parties),
        facts=clean_values(facts),
        verification_needed=typed.get("verification_needed") == "1",
        settling_commune_id=settling_id,
        return_commune_id=settling if return_to == RETURN_AT_SETTLING else commune_id,
    )


def form_defaults(form: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The form's default values (nationality "Việt Nam"…), as an empty intake shows them."""
    parties = {
        str(party.get("role")): {
            str(spec.get("key")): spec["default"]
            for spec in party.get("fields") or []
            if spec.get("default") not in (None, "")
        }
        for party in form.get("parties") or []
    }
    facts = {
        str(spec.get("key")): spec["default"]
        for spec in form.get("facts") or []
        if spec.get("default") not in (None, "")
    }
    return parties, facts


def page_errors(errors: Mapping[str, str]) -> dict[str, str]:
    """create_dossier's errors keyed by the page's field names."""
    return {FIELD_OF_ERROR.get(key, key): message for key, message in errors.items()}
