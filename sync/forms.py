"""Procedure forms: the people (parties) and facts an intake records, as data.

Each procedure of the catalog has a small, versioned form definition
(``server/catalog/forms.json``, keyed by procedure code)::

    {"version": 1, "legal_basis": "Luật Hộ tịch 2014, Điều 17 và Điều 18",
     "parties": [{"role": "bride", "label_vi": "Bên nữ", "label_en": "Bride",
                  "required": true, "fields": [FIELD, …]}, …],
     "facts": [FIELD, …]}

    FIELD = {"key": "full_name", "label_vi": "…", "label_en": "…",
             "type": "text" | "date" | "cccd" | "int" | "choice",
             "required": bool, "max": int, "min": int,
             "choices": [{"value", "label_vi", "label_en"}]}

A dossier carries the values as two JSON objects: ``parties`` (role → field key →
value) and ``facts`` (key → value). Dates are ``YYYY-MM-DD``, numbers are integers,
everything else text; empty values are left out. The tablet (offline) and the server
check them with :func:`value_problems`, so both refuse the same thing; errors are keyed
``parties.<role>.<key>`` and ``facts.<key>``.

Pure: no Flask, Kivy or SQLAlchemy.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

from sync.domain import cccd_problem

__all__ = [
    "CORRECTABLE",
    "FIELD_TYPES",
    "MAX_FACTS",
    "MAX_PARTIES",
    "changed_paths",
    "clean_parties",
    "clean_values",
    "definition_problems",
    "example_values",
    "field_label",
    "party_names",
    "party_rows",
    "value_problems",
]

FIELD_TYPES = frozenset({"text", "date", "cccd", "int", "choice"})
MAX_PARTIES = 8
MAX_FIELDS = 16
MAX_FACTS = 12
DEFAULT_TEXT_MAX = 300
_KEY = re.compile(r"[a-z][a-z0-9_]{0,39}")
OLDEST = date(1900, 1, 1)


# -- the definition ------------------------------------------------------------------------


def _field_problems(spec: Any, where: str) -> list[str]:
    if not isinstance(spec, Mapping):
        return [f"{where}: phải là một đối tượng (must be an object)"]
    problems = []
    key = spec.get("key")
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        problems.append(f"{where}: key {key!r} không hợp lệ (must be a-z, 0-9, _)")
    for label in ("label_vi", "label_en"):
        if not isinstance(spec.get(label), str) or not spec[label].strip():
            problems.append(f"{where}: thiếu {label} ({label} is required)")
    if spec.get("type") not in FIELD_TYPES:
        problems.append(
            f"{where}: kiểu {spec.get('type')!r} không hợp lệ "
            f"(type must be one of {', '.join(sorted(FIELD_TYPES))})"
        )
    if spec.get("type") == "choice":
        choices = spec.get("choices")
        if not isinstance(choices, list) or not choices:
            problems.append(f"{where}: thiếu danh sách lựa chọn (choices are required)")
        elif not all(isinstance(c, Mapping) and isinstance(c.get("value"), str) for c in choices):
            problems.append(f"{where}: mỗi lựa chọn cần value (each choice needs a value)")
    for bound in ("min", "max"):
        if bound in spec and (isinstance(spec[bound], bool) or not isinstance(spec[bound], int)):
            problems.append(f"{where}: {bound} phải là số nguyên ({bound} must be an integer)")
    return problems


def _fields_problems(fields: Any, where: str, limit: int) -> list[str]:
    if not isinstance(fields, list):
        return [f"{where}: phải là danh sách (must be a list)"]
    if len(fields) > limit:
        return [f"{where}: nhiều quá {limit} trường (more than {limit} fields)"]
    problems = []
    seen: set[str] = set()
    for index, spec in enumerate(fields):
        problems += _field_problems(spec, f"{where}[{index}]")
        key = spec.get("key") if isinstance(spec, Mapping) else None
        if isinstance(key, str):
            if key in seen:
                problems.append(f"{where}: key {key!r} bị trùng (duplicate key)")
            seen.add(key)
    return problems


def definition_problems(form: Any) -> list[str]:
    """What is wrong with a form definition (empty when it is usable)."""
    if not isinstance(form, Mapping):
        return ["Định nghĩa biểu mẫu phải là đối tượng JSON (the form must be a JSON object)"]
    problems = []
    version = form.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        problems.append("version phải là số nguyên từ 1 (version must be an integer ≥ 1)")
    parties = form.get("parties", [])
    if not isinstance(parties, list) or len(parties) > MAX_PARTIES:
        problems.append(f"parties: tối đa {MAX_PARTIES} bên (a list of at most {MAX_PARTIES})")
        parties = []
    roles: set[str] = set()
    for index, party in enumerate(parties):
        where = f"parties[{index}]"
        if not isinstance(party, Mapping):
            problems.append(f"{where}: phải là một đối tượng (must be an object)")
            continue
        role = party.get("role")
        if not isinstance(role, str) or not _KEY.fullmatch(role):
            problems.append(f"{where}: role {role!r} không hợp lệ (must be a-z, 0-9, _)")
        elif role in roles:
            problems.append(f"{where}: role {role!r} bị trùng (duplicate role)")
        else:
            roles.add(role)
        for label in ("label_vi", "label_en"):
            if not isinstance(party.get(label), str) or not party[label].strip():
                problems.append(f"{where}: thiếu {label} ({label} is required)")
        problems += _fields_problems(party.get("fields"), f"{where}.fields", MAX_FIELDS)
    problems += _fields_problems(form.get("facts", []), "facts", MAX_FACTS)
    return problems


def field_label(form: Mapping[str, Any] | None, path: str, lang: str = "vi") -> str:
    """``parties.bride.full_name`` → "Bên nữ · Họ, chữ đệm và tên" (the path if unknown)."""
    parts = path.split(".")
    form = form or {}
    if len(parts) == 3 and parts[0] == "parties":
        for party in form.get("parties") or []:
            if party.get("role") == parts[1]:
                for spec in party.get("fields") or []:
                    if spec.get("key") == parts[2]:
                        return f"{party.get(f'label_{lang}')} · {spec.get(f'label_{lang}')}"
                return str(party.get(f"label_{lang}") or path)
    if len(parts) == 2 and parts[0] == "facts":
        for spec in form.get("facts") or []:
            if spec.get("key") == parts[1]:
                return str(spec.get(f"label_{lang}") or path)
    return path


# -- the values ----------------------------------------------------------------------------


def _value_problem(spec: Mapping[str, Any], value: Any, today: date | None) -> str | None:
    kind = spec.get("type", "text")
    if value is None or value == "":
        return "Không được để trống (required)" if spec.get("required") else None
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            return "Phải là số nguyên (must be a whole number)"
        low, high = spec.get("min", 0), spec.get("max", 2**31 - 1)
        if value < low:
            return f"Phải từ {low} trở lên (must be at least {low})"
        if value > high:
            return f"Tối đa {high} (at most {high})"
        return None
    if not isinstance(value, str):
        return "Phải là chuỗi ký tự (must be a string)"
    if kind == "date":
        try:
            parsed = date.fromisoformat(value) if len(value) == 10 else None
        except ValueError:
            parsed = None
        if parsed is None:
            return f"Ngày không hợp lệ: {value!r} (not a valid YYYY-MM-DD date)"
        if parsed < OLDEST:
            return f"Ngày {value} quá xa trong quá khứ (date before {OLDEST.isoformat()})"
        if today is not None and parsed > today:
            return f"Ngày {value} ở tương lai (date in the future)"
        return None
    if kind == "cccd":
        return cccd_problem(value)
    if kind == "choice":
        allowed = [c.get("value") for c in spec.get("choices") or []]
        if value not in allowed:
            return f"Giá trị {value!r} không hợp lệ (must be one of {', '.join(map(str, allowed))})"
        return None
    if not value.strip():
        return "Không được để trống (required)" if spec.get("required") else None
    limit = spec.get("max", DEFAULT_TEXT_MAX)
    if len(value) > limit:
        return f"Dài quá {limit} ký tự (longer than {limit} characters)"
    return None


def _unknown(values: Mapping[str, Any], known: set[str], prefix: str) -> dict[str, str]:
    return {
        f"{prefix}{key}": "Trường không có trong biểu mẫu (not a field of this form)"
        for key in values
        if key not in known
    }


def value_problems(
    form: Mapping[str, Any] | None,
    parties: Any,
    facts: Any,
    *,
    today: date | None = None,
) -> dict[str, str]:
    """``parties.<role>.<key>`` / ``facts.<key>`` → message, for values the form refuses.

    ``today`` (the office's date) refuses dates in the future. A procedure without a
    form accepts only empty parties and facts.
    """
    form = form or {}
    errors: dict[str, str] = {}
    parties = {} if parties is None else parties
    facts = {} if facts is None else facts
    if not isinstance(parties, Mapping):
        return {"parties": "Phải là đối tượng JSON (must be a JSON object)"}
    if not isinstance(facts, Mapping):
        return {"facts": "Phải là đối tượng JSON (must be a JSON object)"}
    definitions = {p.get("role"): p for p in form.get("parties") or []}
    errors.update(_unknown(parties, set(definitions), "parties."))
    for role, party in definitions.items():
        values = parties.get(role) or {}
        if not isinstance(values, Mapping):
            errors[f"parties.{role}"] = "Phải là đối tượng JSON (must be a JSON object)"
            continue
        specs = {s.get("key"): s for s in party.get("fields") or []}
        errors.update(_unknown(values, set(specs), f"parties.{role}."))
        present = any(v not in (None, "") for v in values.values())
        if not present and not party.get("required", True):
            continue  # an optional party left out entirely (e.g. an unknown father)
        for key, spec in specs.items():
            problem = _value_problem(spec, values.get(key), today)
            if problem:
                errors[f"parties.{role}.{key}"] = problem
    fact_specs = {s.get("key"): s for s in form.get("facts") or []}
    errors.update(_unknown(facts, set(fact_specs), "facts."))
    for key, spec in fact_specs.items():
        problem = _value_problem(spec, facts.get(key), today)
        if problem:
            errors[f"facts.{key}"] = problem
    return errors


def party_names(parties: Any) -> list[str]:
    """Every party's full name, for search keys and slips."""
    if not isinstance(parties, Mapping):
        return []
    names = []
    for values in parties.values():
        if isinstance(values, Mapping):
            name = values.get("full_name")
            if isinstance(name, str) and name.strip():
                names.append(name.strip())
    return names


# -- values as stored and corrected -----------------------------------------------------------

#: Dossier fields an officer may correct until the result is returned (issue: a
#: misspelled name): the applicant's and the form's.
CORRECTABLE = frozenset(
    {
        "applicant_name",
        "applicant_cccd",
        "applicant_dob",
        "applicant_phone",
        "applicant_address",
        "parties",
        "facts",
    }
)


def clean_values(values: Mapping[str, Any] | None) -> dict[str, Any]:
    """Text trimmed, empty values left out: the one form both replicas store."""
    out: dict[str, Any] = {}
    for key, value in (values or {}).items():
        if isinstance(value, str):
            value = value.strip()
        if value is None or value == "":
            continue
        out[str(key)] = value
    return out


def clean_parties(parties: Mapping[str, Mapping[str, Any]] | None) -> dict[str, Any]:
    """Each party cleaned by :func:`clean_values`; a party left empty is left out."""
    out: dict[str, Any] = {}
    for role, values in (parties or {}).items():
        cleaned = clean_values(values) if isinstance(values, Mapping) else values
        if cleaned:
            out[str(role)] = cleaned
    return out


def changed_paths(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """Which fields ``after`` changes, parties and facts named down to the field.

    ``{"parties": {"bride": {"full_name": "Lò Thị Mai"}}}`` against a stored
    "Lò Thị Mại" → ``["parties.bride.full_name"]``.
    """
    paths: list[str] = []
    for name, value in after.items():
        old = before.get(name)
        if name == "parties" and isinstance(value, Mapping):
            old_parties = old if isinstance(old, Mapping) else {}
            for role in sorted(set(value) | set(old_parties)):
                new_fields = value.get(role) or {}
                old_fields = old_parties.get(role) or {}
                for key in sorted(set(new_fields) | set(old_fields)):
                    if new_fields.get(key) != old_fields.get(key):
                        paths.append(f"parties.{role}.{key}")
        elif name == "facts" and isinstance(value, Mapping):
            old_facts = old if isinstance(old, Mapping) else {}
            for key in sorted(set(value) | set(old_facts)):
                if value.get(key) != old_facts.get(key):
                    paths.append(f"facts.{key}")
        elif value != old:
            paths.append(name)
    return paths


def _shown(spec: Mapping[str, Any], value: Any) -> str:
    """A value as printed: dates dd/mm/yyyy, a choice by its Vietnamese label."""
    if spec.get("type") == "date" and isinstance(value, str):
        try:
            return date.fromisoformat(value).strftime("%d/%m/%Y")
        except ValueError:
            return value
    if spec.get("type") == "choice":
        for choice in spec.get("choices") or []:
            if choice.get("value") == value:
                return str(choice.get("label_vi") or value)
    return str(value)


def party_rows(
    form: Mapping[str, Any] | None, parties: Any, facts: Any
) -> list[tuple[str, list[tuple[str, str]]]]:
    """What slips print: (party label, [(field label, value)]) per filled party, in the
    form's order, then ("Thông tin hồ sơ", facts). Vietnamese labels, empty fields left out.
    """
    form = form or {}
    parties = parties if isinstance(parties, Mapping) else {}
    facts = facts if isinstance(facts, Mapping) else {}
    rows: list[tuple[str, list[tuple[str, str]]]] = []
    for party in form.get("parties") or []:
        values = parties.get(party.get("role")) or {}
        shown = [
            (str(spec.get("label_vi")), _shown(spec, values[spec.get("key")]))
            for spec in party.get("fields") or []
            if values.get(spec.get("key")) not in (None, "")
        ]
        if shown:
            rows.append((str(party.get("label_vi")), shown))
    fact_rows = [
        (str(spec.get("label_vi")), _shown(spec, facts[spec.get("key")]))
        for spec in form.get("facts") or []
        if facts.get(spec.get("key")) not in (None, "")
    ]
    if fact_rows:
        rows.append(("Thông tin hồ sơ", fact_rows))
    return rows


def example_values(
    form: Mapping[str, Any] | None,
    person: Callable[[], Mapping[str, Any]],
    *,
    today: date,
    place: str,
    pick: Callable[[Sequence[Any]], Any],
) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """Made-up parties and facts valid under ``form``, for demo data and simulations.

    ``person()`` gives a new made-up villager each call (``full_name``, ``dob`` as
    ``YYYY-MM-DD``, a valid ``cccd``, ``ethnicity``); ``pick`` chooses among choices.
    """
    form = form or {}

    def value(spec: Mapping[str, Any], someone: Mapping[str, Any]) -> Any:
        key, kind = str(spec.get("key")), spec.get("type")
        known: dict[str, Any] = {**someone, "nationality": "Việt Nam", "residence": place}
        if known.get(key):
            return known[key]
        if kind == "date":
            return today.isoformat()
        if kind == "int":
            return max(int(spec.get("min", 0)), 1)
        if kind == "choice":
            return pick([c["value"] for c in spec.get("choices") or []])
        if kind == "cccd":
            return someone.get("cccd")
        return place[: int(spec.get("max", DEFAULT_TEXT_MAX))]

    parties = {}
    for party in form.get("parties") or []:
        someone = person()
        parties[str(party["role"])] = {
            str(spec["key"]): value(spec, someone) for spec in party.get("fields") or []
        }
    someone = person()
    facts = {str(spec["key"]): value(spec, someone) for spec in form.get("facts") or []}
    return clean_parties(parties), clean_values(facts)
