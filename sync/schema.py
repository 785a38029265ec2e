"""What can be synchronised: collections, their fields, and the merge rule of each field.

This table is the contract between tablet and server. Both validate operations against
it, so a record refused by the server would already have been refused on the tablet.
``SCHEMA_VERSION`` changes whenever a collection or field is added, removed or changes
type; the server tells a tablet with an older schema to update (PROTOCOL.md §Versions).
"""

from __future__ import annotations

import copy
import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sync.checkcode import check_code_problem
from sync.domain import (
    AttachmentOwner,
    Channel,
    ConflictResolution,
    ConflictStatus,
    DossierStatus,
    FeedbackKind,
    FeedbackStatus,
    FeedbackSubject,
    cccd_problem,
    phone_problem,
)
from sync.dossier_code import official_code_problem
from sync.ids import is_record_id

#: History: 1 = first release; 2 = dossier fields ``verification_needed`` and
#: ``verification_due_date`` and the ``day_off`` reference collection; 3 =
#: ``dossier.check_code`` (the citizen's check code, made at intake); 4 =
#: ``dossier.notify_consent`` and ``notify_email`` (notices to citizens); 5 = dossiers
#: carry ``parties`` and ``facts`` (the procedure's form, ``sync.forms``); 6 = dossier
#: status ``stopped`` (form 05 of Circular 03/2025/TT-VPCP), a value an older app can
#: neither show nor merge; 7 = outcome reason ``clock_confirm`` and strict
#: operation types (PROTOCOL.md §2, §4); 8 = ``dossier.official_code`` (the official
#: dossier code issued by the province's one-stop system, server-written), and
#: ``dossier.settling_commune_id`` and ``return_commune_id`` (filing anywhere in the
#: province, Decree 118/2025/NĐ-CP) with removals of records that left the device's
#: scope (PROTOCOL.md §7 "Shared dossiers"): two branches' additions, one version.
SCHEMA_VERSION = 8


class Rule(enum.StrEnum):
    """How concurrent writes to a field are merged (see ``sync.merge``)."""

    LWW = "lww"  # last writer wins by hybrid logical clock; the loser becomes a conflict
    STATUS = "status"  # the dossier state machine: a later stage beats an earlier one
    IMMUTABLE = "immutable"  # set at creation, never changed (ids, receipt numbers…)
    SERVER = "server"  # computed by the server; devices may propose it only on creation


class Scope(enum.StrEnum):
    COMMUNE = "commune"  # owned by one commune; tablets read and write their own
    REFERENCE = "reference"  # shared reference data; tablets only read it


# --- field types ------------------------------------------------------------------------
# Each checker returns an error message (Vietnamese first, English in brackets) or None.
Checker = Callable[[Any], str | None]


def _text(max_len: int, *, required: bool = False) -> Checker:
    def check(value: Any) -> str | None:
        if value is None:
            return "Không được để trống (required)" if required else None
        if not isinstance(value, str):
            return "Phải là chuỗi ký tự (must be a string)"
        if required and not value.strip():
            return "Không được để trống (required)"
        if len(value) > max_len:
            return f"Dài quá {max_len} ký tự (longer than {max_len} characters)"
        return None

    return check


#: Integers are database ids and counts: they must fit a 32-bit signed column.
INT_MAX = 2**31 - 1


def _int(*, required: bool = False, minimum: int = 0) -> Checker:
    def check(value: Any) -> str | None:
        if value is None:
            return "Không được để trống (required)" if required else None
        if isinstance(value, bool) or not isinstance(value, int):
            return "Phải là số nguyên (must be an integer)"
        if value < minimum:
            return f"Phải từ {minimum} trở lên (must be at least {minimum})"
        if value > INT_MAX:
            return f"Số quá lớn (must be at most {INT_MAX})"
        return None

    return check


def _number(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "Phải là số (must be a number)"
    if not -1e15 < value < 1e15:
        return "Số quá lớn (number out of range)"
    return None


def _bool(value: Any) -> str | None:
    if value is None or isinstance(value, bool):
        return None
    return "Phải là đúng/sai (must be true or false)"


OLDEST = date(1900, 1, 1)
#: Events recorded by this system (receipts, answers, surveys) happen after this day.
OLDEST_EVENT = date(2000, 1, 1)


def _date(*, required: bool = False) -> Checker:
    def check(value: Any) -> str | None:
        if value is None:
            return "Không được để trống (required)" if required else None
        try:
            parsed = date.fromisoformat(value) if isinstance(value, str) else None
        except ValueError:
            parsed = None
        if parsed is None or len(value) != 10:
            return f"Ngày không hợp lệ: {value!r} (not a valid YYYY-MM-DD date)"
        if parsed < OLDEST:
            return f"Ngày {value} quá xa trong quá khứ (date before {OLDEST.isoformat()})"
        return None

    return check


_DATETIME_CHECKERS: set[Checker] = set()


def _datetime(*, required: bool = False) -> Checker:
    def check(value: Any) -> str | None:
        if value is None:
            return "Không được để trống (required)" if required else None
        try:
            parsed = datetime.fromisoformat(value) if isinstance(value, str) else None
        except ValueError:
            parsed = None
        if parsed is None:
            return f"Thời điểm không hợp lệ: {value!r} (not an ISO 8601 date-time)"
        if parsed.tzinfo is None:
            return f"Thời điểm thiếu múi giờ: {value!r} (date-time needs a UTC offset)"
        if parsed.date() < OLDEST_EVENT:
            return f"Thời điểm {value} quá xa trong quá khứ (before {OLDEST_EVENT.isoformat()})"
        return None

    _DATETIME_CHECKERS.add(check)
    return check


def _choice(enum_class: type[enum.StrEnum], *, required: bool = True) -> Checker:
    allowed = [m.value for m in enum_class]

    def check(value: Any) -> str | None:
        if value is None:
            return "Không được để trống (required)" if required else None
        if value not in allowed:
            return f"Giá trị {value!r} không hợp lệ (must be one of {', '.join(allowed)})"
        return None

    return check


def _ref(*, required: bool = False) -> Checker:
    """A reference to another synchronised record, by its UUID text id."""

    def check(value: Any) -> str | None:
        if value is None:
            return "Không được để trống (required)" if required else None
        if not isinstance(value, str) or not is_record_id(value):
            return f"Mã bản ghi không hợp lệ: {value!r} (not a record id)"
        return None

    return check


def _cccd(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        return "Phải là chuỗi ký tự (must be a string)"
    return cccd_problem(value)


def _email(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > 120:
        return "Phải là địa chỉ e-mail tối đa 120 ký tự (must be an e-mail address, ≤ 120)"
    local, at, domain = value.partition("@")
    if not (at and local and "." in domain and " " not in value and "@" not in domain):
        return "Địa chỉ e-mail không hợp lệ (not a valid e-mail address)"
    return None


def _phone(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        return "Phải là chuỗi ký tự (must be a string)"
    return phone_problem(value)


def _json(max_items: int) -> Checker:
    def check(value: Any) -> str | None:
        if value is None:
            return None
        if not isinstance(value, list | dict):
            return "Phải là danh sách hoặc đối tượng JSON (must be a JSON list or object)"
        if len(value) > max_items:
            return f"Nhiều quá {max_items} mục (more than {max_items} items)"
        return None

    return check


def _object(max_items: int, *, nested: bool) -> Checker:
    """A JSON object of scalars (or, when ``nested``, of objects of scalars)."""

    def scalar_problem(value: Any) -> str | None:
        if value is None or (isinstance(value, str | int) and not isinstance(value, bool)):
            return None
        return "Giá trị phải là chuỗi hoặc số nguyên (values must be text or integers)"

    def check(value: Any) -> str | None:
        if value is None:
            return None
        if not isinstance(value, dict):
            return "Phải là đối tượng JSON (must be a JSON object)"
        if len(value) > max_items:
            return f"Nhiều quá {max_items} mục (more than {max_items} items)"
        for inner in value.values():
            if nested:
                if not isinstance(inner, dict) or len(inner) > 30:
                    return "Mỗi bên phải là đối tượng JSON (each party must be a JSON object)"
                problem = next(filter(None, map(scalar_problem, inner.values())), None)
            else:
                problem = scalar_problem(inner)
            if problem:
                return problem
        return None

    return check


def _any(value: Any) -> str | None:
    return None


def _sha256(value: Any) -> str | None:
    if isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdef" for c in value):
        return None
    return "Mã SHA-256 không hợp lệ (must be 64 lowercase hex digits)"


@dataclass(frozen=True)
class Field:
    check: Checker
    rule: Rule = Rule.LWW
    #: A date or date-time with legal weight: it may not lie in the server's future.
    legal_time: bool = False
    #: Required when the record is created.
    required: bool = False
    #: What null (or absence at creation) means for this field: "" for notes, [] for
    #: lists… Both replicas store this value, so they hold the same record.
    empty: Any = None

    def canonical(self, value: Any) -> Any:
        """The one form both replicas store: empties for null, date-times in UTC."""
        if value is None:
            return copy.deepcopy(self.empty)
        if self.check in _DATETIME_CHECKERS and isinstance(value, str):
            try:
                moment = datetime.fromisoformat(value)
            except ValueError:
                return value  # invalid: the checker names the problem
            if moment.tzinfo is not None:
                return moment.astimezone(UTC).isoformat()
        return value


@dataclass(frozen=True)
class Collection:
    name: str
    scope: Scope
    fields: Mapping[str, Field]
    #: Append-only: records are created once and never updated or deleted (timelines,
    #: apologies, survey answers, attachments). Their union is the merge.
    append_only: bool = False
    #: Field naming the parent record that must exist in the same commune.
    parent: tuple[str, str] | None = None  # (field, parent collection)
    #: Whether tablets may create/update records (conflicts: only resolve them).
    device_writable: frozenset[str] = field(default_factory=frozenset)

    def writable_by_device(self, name: str) -> bool:
        return not self.device_writable or name in self.device_writable

    def canonical(self, fields: dict[str, Any], *, create: bool = False) -> dict[str, Any]:
        """``fields`` as a replica stores them (PROTOCOL.md §2).

        At creation an absent field means null, so every field the device may write is
        filled in; server-owned fields are left to the server.
        """
        out = {
            name: (spec.canonical(value) if (spec := self.fields.get(name)) else value)
            for name, value in fields.items()
        }
        if create:
            for name, spec in self.fields.items():
                if name not in out and spec.rule is not Rule.SERVER:
                    out[name] = spec.canonical(None)
        return out


F = Field
_REQ_TEXT = F(_text(120, required=True), required=True)

DOSSIER = Collection(
    "dossier",
    Scope.COMMUNE,
    {
        "receipt_number": F(_text(40, required=True), Rule.IMMUTABLE, required=True),
        "procedure_id": F(_int(required=True, minimum=1), Rule.IMMUTABLE, required=True),
        "applicant_name": _REQ_TEXT,
        "applicant_cccd": F(_cccd),
        "applicant_dob": F(_date()),
        "applicant_phone": F(_phone),
        "applicant_address": F(_text(300)),
        "village_id": F(_int(minimum=1)),
        "channel": F(_choice(Channel), required=True),
        "received_at": F(_datetime(required=True), Rule.IMMUTABLE, legal_time=True, required=True),
        "due_date": F(_date(), Rule.SERVER),
        # "Trường hợp cần xác minh" (Law on Civil Status 2014 art. 18(2)...): recorded by
        # the officer at intake or later; the longer date then applies.
        "verification_needed": F(_bool, empty=False),
        "verification_due_date": F(_date(), Rule.SERVER),
        "status": F(_choice(DossierStatus), Rule.STATUS, required=True),
        "handler_id": F(_int(minimum=1)),
        "documents": F(_json(50), empty=[]),
        "note": F(_text(2000), empty=""),
        "result_returned_at": F(_datetime(), legal_time=True),
        # The procedure's form (sync.forms): role → field → value, and key → value.
        # Each is one field for merging: see PROTOCOL.md §Parties.
        "parties": F(_object(8, nested=True), empty={}),
        "facts": F(_object(12, nested=False), empty={}),
        # The citizen agreed at intake to be told of the result, a supplement or a new
        # date by SMS (applicant_phone) or e-mail (notify_email); nothing is sent without.
        "notify_consent": F(_bool),
        "notify_email": F(_email),
        # Made on the device at intake, printed on slip 01; when a creation carries none
        # (null) the server makes one. Never changes after (sync/checkcode.py).
        "check_code": F(check_code_problem, Rule.IMMUTABLE),
        # Filing anywhere in the province (Decree 118/2025/NĐ-CP): the commune that
        # settles the dossier (the receiving one unless the procedure is receivable
        # anywhere; a change is a handover, with a ``handed_over`` event) and the one
        # where the result is returned (the receiving or the settling commune). Null at
        # creation means the receiving commune. PROTOCOL.md §7 "Shared dossiers".
        "settling_commune_id": F(_int(minimum=1)),
        "return_commune_id": F(_int(minimum=1)),
        # The official dossier code ("mã hồ sơ", sync/dossier_code.py): issued by the
        # province's one-stop system, recorded once on the web; tablets print it.
        "official_code": F(official_code_problem, Rule.SERVER),
    },
)

DOSSIER_EVENT = Collection(
    "dossier_event",
    Scope.COMMUNE,
    {
        "dossier_id": F(_ref(required=True), Rule.IMMUTABLE, required=True),
        "kind": F(_text(40, required=True), Rule.IMMUTABLE, required=True),
        "occurred_at": F(_datetime(required=True), Rule.IMMUTABLE, legal_time=True, required=True),
        "officer_id": F(_int(minimum=1), Rule.IMMUTABLE),
        "from_status": F(_text(24), Rule.IMMUTABLE),
        "to_status": F(_text(24), Rule.IMMUTABLE),
        "note": F(_text(2000), Rule.IMMUTABLE, empty=""),
        "data": F(_json(50), Rule.IMMUTABLE, empty={}),
    },
    append_only=True,
    parent=("dossier_id", "dossier"),
)

DOSSIER_APOLOGY = Collection(
    "dossier_apology",
    Scope.COMMUNE,
    {
        "dossier_id": F(_ref(required=True), Rule.IMMUTABLE, required=True),
        "reason": F(_text(2000, required=True), Rule.IMMUTABLE, required=True),
        "new_due_date": F(_date(required=True), Rule.IMMUTABLE, required=True),
        "issued_at": F(_datetime(required=True), Rule.IMMUTABLE, legal_time=True, required=True),
        "officer_id": F(_int(minimum=1), Rule.IMMUTABLE),
    },
    append_only=True,
    parent=("dossier_id", "dossier"),
)

ATTACHMENT = Collection(
    "attachment",
    Scope.COMMUNE,
    {
        "owner_collection": F(_choice(AttachmentOwner), Rule.IMMUTABLE, required=True),
        "owner_id": F(_ref(required=True), Rule.IMMUTABLE, required=True),
        "sha256": F(_sha256, Rule.IMMUTABLE, required=True),
        "filename": F(_text(200, required=True), Rule.IMMUTABLE, required=True),
        "content_type": F(_text(80, required=True), Rule.IMMUTABLE, required=True),
        "size": F(_int(required=True, minimum=1), Rule.IMMUTABLE, required=True),
        "caption": F(_text(200), Rule.IMMUTABLE, empty=""),
    },
    append_only=True,
)

FEEDBACK = Collection(
    "feedback",
    Scope.COMMUNE,
    {
        "kind": F(_choice(FeedbackKind), required=True),
        "content": F(_text(5000, required=True), required=True),
        "subject": F(_choice(FeedbackSubject), empty=FeedbackSubject.SERVICE.value),
        "dossier_id": F(_ref()),
        "officer_id": F(_int(minimum=1)),
        "anonymous": F(_bool, empty=False),
        "citizen_name": F(_text(120)),
        "citizen_phone": F(_phone),
        "channel": F(_choice(Channel), required=True),
        "received_at": F(_datetime(required=True), Rule.IMMUTABLE, legal_time=True, required=True),
        "response_due_date": F(_date(), Rule.SERVER),
        "status": F(_choice(FeedbackStatus), required=True),
        "assignee_id": F(_int(minimum=1)),
        "forwarded_to": F(_text(200)),
        "response": F(_text(5000), empty=""),
        "answered_at": F(_datetime(), legal_time=True),
        "public": F(_bool, empty=False),
    },
)

SURVEY_RESPONSE = Collection(
    "survey_response",
    Scope.COMMUNE,
    {
        "form_id": F(_int(required=True, minimum=1), Rule.IMMUTABLE, required=True),
        "village_id": F(_int(minimum=1), Rule.IMMUTABLE),
        "officer_id": F(_int(minimum=1), Rule.IMMUTABLE),
        "collected_at": F(_datetime(required=True), Rule.IMMUTABLE, legal_time=True, required=True),
        "answers": F(_json(100), Rule.IMMUTABLE, required=True),
        "latitude": F(_number, Rule.IMMUTABLE),
        "longitude": F(_number, Rule.IMMUTABLE),
        "age_band": F(_text(16), Rule.IMMUTABLE),
        "gender": F(_text(16), Rule.IMMUTABLE),
        "ethnic_group": F(_text(40), Rule.IMMUTABLE),
    },
    append_only=True,
)

SYNC_CONFLICT = Collection(
    "sync_conflict",
    Scope.COMMUNE,
    {
        "collection": F(_text(40), Rule.SERVER),
        "record_id": F(_ref(), Rule.SERVER),
        "field": F(_text(60), Rule.SERVER),
        "reason": F(_text(40), Rule.SERVER),
        "kept_value": F(_any, Rule.SERVER),
        "kept_clock": F(_text(40), Rule.SERVER),
        "kept_device_id": F(_text(36), Rule.SERVER),
        "lost_value": F(_any, Rule.SERVER),
        "lost_clock": F(_text(40), Rule.SERVER),
        "lost_device_id": F(_text(36), Rule.SERVER),
        "lost_officer_id": F(_int(minimum=1), Rule.SERVER),
        "status": F(_choice(ConflictStatus)),
        "resolution": F(_choice(ConflictResolution, required=False)),
        "resolved_by_id": F(_int(minimum=1)),
        "resolved_at": F(_datetime()),
    },
    # Conflicts are made by the server; a person resolves them from a tablet or the web.
    device_writable=frozenset({"status", "resolution", "resolved_by_id", "resolved_at"}),
)

#: Reference collections are pulled, never pushed. Their fields are the server's API
#: representation and are not validated here.
REFERENCE_COLLECTIONS = ("admin_unit", "procedure", "survey_form", "day_off")

COLLECTIONS: dict[str, Collection] = {
    c.name: c
    for c in (
        DOSSIER,
        DOSSIER_EVENT,
        DOSSIER_APOLOGY,
        ATTACHMENT,
        FEEDBACK,
        SURVEY_RESPONSE,
        SYNC_CONFLICT,
    )
}
