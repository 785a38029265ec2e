"""Receiving a dossier: procedure → (settling commune) → applicant → parties and facts →
papers and photos → check → receipt.

A procedure on the province's list (``receivable_anywhere``) may be filed here whatever
the citizen's residence (Decree 118/2025/NĐ-CP, "không phụ thuộc vào địa giới hành
chính"): a "settling" step then names the commune competent to settle it (this one by
default, or another commune of the province from the pulled administrative units) and
where the result is returned (here, or at the settling commune). ``Tablet.create_dossier``
records the handover to that commune with the intake.

The parties and facts steps come from the procedure's form (``procedure["form"]``,
``sync.forms``): one step per party (bên nữ, bên nam…), then one for the facts (number
of copies…) when the form has any. Their values are checked offline with
``sync.forms.value_problems`` — the server's own check.

Everything is checked here before it reaches ``Tablet.create_dossier`` (which checks
again with the server's rules): the citizen ID with ``sync.domain.cccd_problem``, the
phone with ``phone_problem``, the birth date typed the Vietnamese way. The due date
shown before saving is ``sync.workdays.appointment`` — the same computation the tablet
stores and the server confirms.

Photos are made light when taken (``mobile.photo_resize`` with the options of a paper:
upright, long edge 1600 px, the encoder ``bench/photo_encoders.py`` picked, no EXIF or
location) and sealed in the store at once (``add_blob``; uploaded only once
the dossier's attachment references them); the camera's plain file is deleted then.
The intake holds their SHA-256, so its draft (``draft_state``, kept encrypted by
``mobile.drafts``) names them and survives the app being killed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import date
from pathlib import Path
from typing import Any

from mobile.app.context import AppContext
from mobile.app.fmt import fmt_date, office_today, parse_iso_date, parse_user_date
from mobile.app.qr import make_qr_png, status_url
from mobile.app.viewmodels.base import UserError, from_invalid_input
from mobile.photo_resize import PhotoOptions, PreparedPhoto, options_for, prepare_photo
from mobile.security import VaultError
from mobile.store import StoreError
from mobile.tablet import InvalidInput
from sync.domain import Channel, cccd_matches_birth, cccd_problem, phone_problem
from sync.forms import value_problems
from sync.text import fold

__all__ = [
    "STEPS",
    "Applicant",
    "FormField",
    "IntakeModel",
    "IntakePhoto",
    "Receipt",
    "stored_value",
]

#: The fixed steps; ``IntakeModel.steps()`` puts ``party:<role>`` and ``facts`` steps
#: after "applicant" when the procedure's form asks for them.
STEPS = ("procedure", "applicant", "documents", "review", "receipt")
#: The step after "procedure" for a procedure receivable anywhere in the province.
SETTLING_STEP = "settling"
RETURN_AT_RECEIVING = "receiving"
RETURN_AT_SETTLING = "settling"
PARTY_STEP = "party:"
FACTS_STEP = "facts"

#: The tablet's field names → the form's.
_FORM_FIELD = {
    "applicant_name": "name",
    "applicant_cccd": "cccd",
    "applicant_dob": "dob",
    "applicant_phone": "phone",
    "applicant_address": "address",
    "village_id": "village_id",
    "channel": "channel",
}


@dataclass
class Applicant:
    """The applicant as typed (text as in the form; checked by ``errors``)."""

    name: str = ""
    cccd: str = ""
    dob: str = ""
    phone: str = ""
    address: str = ""
    village_id: int | None = None
    channel: str = Channel.COUNTER.value


@dataclass(frozen=True)
class FormField:
    """One input of a party or facts step, as the screen draws it."""

    key: str
    label: str
    kind: str  # text | date | cccd | int | choice
    required: bool
    value: str
    #: (value, label) for a choice.
    choices: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class IntakePhoto:
    """A photo taken for this intake, prepared and sealed in the store."""

    sha256: str
    filename: str
    content_type: str
    size: int
    #: What the camera gave (to say how much was saved).
    original_size: int

    @property
    def extension(self) -> str:
        return Path(self.filename).suffix.lstrip(".").lower()


@dataclass(frozen=True)
class Receipt:
    """What the citizen takes home (phiếu 01): number, due date and the QR code."""

    dossier_id: str
    receipt_number: str
    due_date: date | None
    status_url: str
    qr_path: Path | None
    warnings: tuple[str, ...] = ()


@dataclass
class IntakeModel:
    ctx: AppContext
    step: str = "procedure"
    procedure: dict[str, Any] | None = None
    applicant: Applicant = field(default_factory=Applicant)
    provided: set[int] = field(default_factory=set)
    photos: list[IntakePhoto] = field(default_factory=list)
    receipt: Receipt | None = None
    #: Role → field key → text as typed; facts: key → text as typed.
    party_values: dict[str, dict[str, str]] = field(default_factory=dict)
    fact_values: dict[str, str] = field(default_factory=dict)

    #: Photos at intake are of papers (``OPTIONS_BY_KIND["paper"]``).
    photo_options: PhotoOptions = field(default_factory=lambda: options_for("paper"))
    #: "Trường hợp cần xác minh", known at intake: the longer limit applies.
    verification_needed: bool = False
    #: Filing anywhere: the commune competent to settle (None: this one) and where the
    #: result is returned (``RETURN_AT_RECEIVING`` or ``RETURN_AT_SETTLING``).
    settling_commune_id: int | None = None
    return_to: str = RETURN_AT_RECEIVING

    def reset(self) -> None:
        self.step = "procedure"
        self.procedure = None
        self.applicant = Applicant()
        self.provided = set()
        self.photos = []
        self.receipt = None
        self.party_values = {}
        self.fact_values = {}
        self.verification_needed = False
        self.settling_commune_id = None
        self.return_to = RETURN_AT_RECEIVING

    def _discard_camera_file(self, photo: Path) -> None:
        """Delete a photo the app's camera saved (in plain); files picked elsewhere stay."""
        if self.ctx.is_camera_file(photo):
            photo.unlink(missing_ok=True)

    # -- step 1: procedure ---------------------------------------------------------------------

    def procedure_rows(self, query: str = "") -> list[dict[str, Any]]:
        tr = self.ctx.tr
        words = fold(query).split()
        chosen = str(self.procedure["id"]) if self.procedure else None
        rows = []
        for procedure in self.ctx.tablet.procedures():
            name = tr.pick(procedure, "name")
            code = str(procedure.get("code", ""))
            key = fold(f"{code} {procedure.get('name_vi', '')} {procedure.get('name_en', '')}")
            if words and not all(w in key for w in words):
                continue
            rows.append(
                {
                    "kind": "procedure",
                    "record_id": str(procedure["id"]),
                    "title": name,
                    "subtitle": f"{code} · {self._days_text(procedure)}",
                    "danger": False,
                    "synced": True,
                    "sync_label": "",
                    "selected": str(procedure["id"]) == chosen,
                }
            )
        return rows

    def _days_text(self, procedure: dict[str, Any]) -> str:
        days = procedure.get("processing_days")
        if days == 0:
            return self.ctx.tr("intake.same_day")
        if procedure.get("time_unit") == "calendar_days" and isinstance(days, int):
            return self.ctx.tr("intake.calendar_days", days=days)
        return self.ctx.tr("intake.days", days=days) if isinstance(days, int) else ""

    def choose_procedure(self, procedure_id: str | int) -> None:
        procedure = self.ctx.tablet.procedure(int(procedure_id))
        if procedure is None:
            raise UserError(self.ctx.tr("intake.choose_procedure"))
        if self.procedure is None or str(self.procedure["id"]) != str(procedure["id"]):
            self.provided = set()
            self.party_values = {}
            self.fact_values = {}
            self.settling_commune_id = None
            self.return_to = RETURN_AT_RECEIVING
        self.procedure = procedure

    def procedure_name(self) -> str:
        return self.ctx.tr.pick(self.procedure, "name") if self.procedure else ""

    # -- step 1b: who settles it, where the result goes (filing anywhere) ----------------------

    def anywhere(self) -> bool:
        """Whether the chosen procedure is on the province's list."""
        return bool((self.procedure or {}).get("receivable_anywhere"))

    def own_commune_id(self) -> int:
        return int(self.ctx.tablet.registration.commune_id)

    def settling_id(self) -> int:
        chosen = self.settling_commune_id
        return self.own_commune_id() if chosen is None else chosen

    def commune_name(self, commune_id: int | None) -> str:
        for unit in self.ctx.tablet.communes():
            if int(unit["id"]) == commune_id:
                return f"{unit.get('kind') or ''} {unit.get('name', '')}".strip()
        return "—"

    def settling_choices(self) -> list[tuple[int, str]]:
        """The communes of the province (pulled administrative units), this one first."""
        own = self.own_commune_id()
        rows = [
            (int(u["id"]), f"{u.get('kind') or ''} {u.get('name', '')}".strip())
            for u in self.ctx.tablet.communes()
        ]
        rows.sort(key=lambda row: (row[0] != own, fold(row[1])))
        return [
            (cid, self.ctx.tr("intake.own_commune", name=name) if cid == own else name)
            for cid, name in rows
        ]

    def set_settling(self, commune_id: int | None) -> None:
        self.settling_commune_id = None if commune_id == self.own_commune_id() else commune_id
        if self.settling_commune_id is None:
            self.return_to = RETURN_AT_RECEIVING

    def set_return_to(self, where: str) -> None:
        if where not in (RETURN_AT_RECEIVING, RETURN_AT_SETTLING):
            raise ValueError(f"unknown place of return {where!r}")
        self.return_to = where

    def return_commune_id(self) -> int:
        if self.return_to == RETURN_AT_SETTLING:
            return self.settling_id()
        return self.own_commune_id()

    def settling_errors(self) -> dict[str, str]:
        """The server's rule on the pulled data (``Tablet.settling_problem``)."""
        problem = self.ctx.tablet.settling_problem(self.procedure, self.settling_id())
        return {"settling_commune_id": self.ctx.tr.message(problem)} if problem else {}

    def place_summary(self) -> list[tuple[str, str]]:
        """The review's lines on who settles and where the result goes."""
        if not self.anywhere():
            return []
        tr = self.ctx.tr
        return [
            (tr("intake.settling"), self.commune_name(self.settling_id())),
            (tr("intake.return_to"), self.commune_name(self.return_commune_id())),
        ]

    # -- step 2: applicant ---------------------------------------------------------------------

    def villages(self) -> list[tuple[int, str]]:
        return [
            (int(v["id"]), f"{v.get('kind') or ''} {v.get('name', '')}".strip())
            for v in self.ctx.tablet.villages()
        ]

    def channels(self) -> list[tuple[str, str]]:
        return [(c.value, self.ctx.tr.enum("channel", c.value)) for c in Channel]

    def set_applicant(self, **values: Any) -> None:
        known = {f.name for f in fields(Applicant)}
        unknown = set(values) - known
        if unknown:
            raise TypeError(f"unknown applicant fields: {sorted(unknown)}")
        cleaned: dict[str, Any] = {
            k: (v.strip() if isinstance(v, str) else v) for k, v in values.items()
        }
        self.applicant = replace(self.applicant, **cleaned)

    def parsed_dob(self) -> date | None:
        text = self.applicant.dob.strip()
        return parse_user_date(text) if text else None

    def applicant_errors(self) -> dict[str, str]:
        """Field → message for what must be corrected before saving."""
        tr = self.ctx.tr
        person = self.applicant
        errors: dict[str, str] = {}
        if not person.name.strip():
            errors["name"] = tr("common.required")
        if person.cccd:
            problem = cccd_problem(person.cccd)
            if problem:
                errors["cccd"] = tr.message(problem)
        born: date | None = None
        if person.dob:
            try:
                born = self.parsed_dob()
            except ValueError:
                errors["dob"] = tr("common.bad_date")
            if born is not None and born > office_today(self.ctx.tablet.now()):
                errors["dob"] = tr("intake.dob_future")
        if person.phone:
            problem = phone_problem(person.phone)
            if problem:
                errors["phone"] = tr.message(problem)
        if person.channel not in {c.value for c in Channel}:
            errors["channel"] = tr("common.required")
        return errors

    def applicant_warnings(self) -> list[str]:
        """Worth a second look, but not blocking (the officer has the card in hand)."""
        person = self.applicant
        try:
            born = self.parsed_dob()
        except ValueError:
            return []
        if (
            born
            and person.cccd
            and not cccd_problem(person.cccd)
            and not cccd_matches_birth(person.cccd, born)
        ):
            return [self.ctx.tr("intake.cccd_birth")]
        return []

    # -- parties and facts (the procedure's form) ------------------------------------------------

    def form(self) -> dict[str, Any]:
        form = (self.procedure or {}).get("form")
        return form if isinstance(form, dict) else {}

    def _party(self, role: str) -> dict[str, Any]:
        return next((p for p in self.form().get("parties") or [] if p.get("role") == role), {})

    def form_title(self, step: str | None = None) -> str:
        """The step's heading: the party's label ("Bên nữ") or "Thông tin hồ sơ"."""
        step = step or self.step
        if step.startswith(PARTY_STEP):
            party = self._party(step[len(PARTY_STEP) :])
            title = self.ctx.tr.pick(party, "label")
            if not party.get("required", True):
                title = f"{title} ({self.ctx.tr('intake.party_optional')})"
            return title
        return self.ctx.tr("intake.step.facts")

    def _specs(self, step: str) -> list[dict[str, Any]]:
        if step.startswith(PARTY_STEP):
            return list(self._party(step[len(PARTY_STEP) :]).get("fields") or [])
        if step == FACTS_STEP:
            return list(self.form().get("facts") or [])
        return []

    def _typed(self, step: str) -> dict[str, str]:
        if step.startswith(PARTY_STEP):
            return self.party_values.setdefault(step[len(PARTY_STEP) :], {})
        return self.fact_values

    def form_fields(self, step: str | None = None) -> list[FormField]:
        step = step or self.step
        tr = self.ctx.tr
        typed = self._typed(step)
        rows = []
        for spec in self._specs(step):
            key = str(spec.get("key"))
            value = typed.get(key)
            if value is None:
                value = str(spec.get("default") or "")
            choices = tuple(
                (str(c.get("value")), tr.pick(c, "label")) for c in spec.get("choices") or []
            )
            rows.append(
                FormField(
                    key=key,
                    label=tr.pick(spec, "label"),
                    kind=str(spec.get("type", "text")),
                    required=bool(spec.get("required")),
                    value=value,
                    choices=choices,
                )
            )
        return rows

    def set_form_values(self, step: str | None = None, **values: str) -> None:
        step = step or self.step
        typed = self._typed(step)
        keys = {str(s.get("key")) for s in self._specs(step)}
        unknown = set(values) - keys
        if unknown:
            raise TypeError(f"unknown fields of {step}: {sorted(unknown)}")
        for key, value in values.items():
            typed[key] = value.strip() if isinstance(value, str) else str(value)

    def parties_payload(self) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for party in self.form().get("parties") or []:
            role = str(party.get("role"))
            typed = self._typed(PARTY_STEP + role)
            values = {}
            for spec in party.get("fields") or []:
                key = str(spec.get("key"))
                text = typed.get(key, str(spec.get("default") or ""))
                values[key] = stored_value(spec, text)
            cleaned = {k: v for k, v in values.items() if v is not None}
            # A party left blank but for its defaults (Việt Nam…) is no party at all.
            defaults = {
                str(s.get("key")): s.get("default")
                for s in party.get("fields") or []
                if s.get("default")
            }
            if cleaned and cleaned != {k: v for k, v in defaults.items() if k in cleaned}:
                out[role] = cleaned
        return out

    def facts_payload(self) -> dict[str, Any]:
        out = {}
        for spec in self.form().get("facts") or []:
            key = str(spec.get("key"))
            value = stored_value(spec, self.fact_values.get(key, str(spec.get("default") or "")))
            if value is not None:
                out[key] = value
        return out

    def form_errors(self, step: str | None = None) -> dict[str, str]:
        """Field key → message for the party or facts step (``sync.forms``, as the server)."""
        step = step or self.step
        if not (step.startswith(PARTY_STEP) or step == FACTS_STEP):
            return {}
        today = office_today(self.ctx.tablet.now())
        problems = value_problems(
            self.form(), self.parties_payload(), self.facts_payload(), today=today
        )
        prefix = f"parties.{step[len(PARTY_STEP) :]}." if step != FACTS_STEP else "facts."
        errors = {}
        for path, message in problems.items():
            if path.startswith(prefix):
                key = path[len(prefix) :]
                errors[key] = self._message(key, step, message)
        return errors

    def _message(self, key: str, step: str, message: str) -> str:
        tr = self.ctx.tr
        spec = next((s for s in self._specs(step) if s.get("key") == key), {})
        if message.startswith("Không được để trống"):
            return tr("common.required")
        if spec.get("type") == "date" and message.startswith("Ngày không hợp lệ"):
            return tr("common.bad_date")
        if spec.get("type") == "date" and "tương lai" in message:
            return tr("intake.date_future")
        return tr.message(message)

    # -- step 3: papers and photos -------------------------------------------------------------

    def documents(self) -> list[dict[str, Any]]:
        tr = self.ctx.tr
        rows = []
        for index, doc in enumerate((self.procedure or {}).get("required_documents") or []):
            if not isinstance(doc, dict):
                continue
            name = tr.pick(doc, "name")
            if doc.get("required"):
                name = f"{name} ({tr('intake.doc_required')})"
            rows.append(
                {
                    "index": index,
                    "name": name,
                    "required": bool(doc.get("required")),
                    "provided": index in self.provided,
                }
            )
        return rows

    def toggle_document(self, index: int) -> bool:
        if index in self.provided:
            self.provided.discard(index)
            return False
        self.provided.add(index)
        return True

    def missing_required(self) -> int:
        return sum(1 for d in self.documents() if d["required"] and not d["provided"])

    def prepare_photo(self, path: str | Path) -> PreparedPhoto:
        """Read and lighten a photo (no store access: may run off the UI thread)."""
        photo = Path(path)
        try:
            data = photo.read_bytes()
        except OSError:
            data = b""
        if not data:
            message = self.ctx.tr("intake.photo_missing", name=photo.name)
            raise UserError(message, {"photo": message})
        return prepare_photo(data, photo.name, self.photo_options)

    def keep_photo(self, prepared: PreparedPhoto, source: Path | None = None) -> IntakePhoto:
        """Seal the prepared photo in the store; the camera's plain file goes."""
        self.ctx.tablet.store.add_blob(prepared.data, prepared.content_type)
        photo = IntakePhoto(
            sha256=hashlib.sha256(prepared.data).hexdigest(),
            filename=prepared.filename,
            content_type=prepared.content_type,
            size=len(prepared.data),
            original_size=prepared.original_size,
        )
        self.photos.append(photo)
        if source is not None:
            self._discard_camera_file(source)
        return photo

    def add_photo(self, path: str | Path) -> IntakePhoto:
        """Prepare and keep a photo in one go (the screen splits it around a thread)."""
        return self.keep_photo(self.prepare_photo(path), Path(path))

    def photo_bytes(self, photo: IntakePhoto) -> bytes | None:
        """The photo's plain bytes, opened from the store in memory (to show it)."""
        try:
            return self.ctx.tablet.store.blob_bytes(photo.sha256)
        except (OSError, StoreError, VaultError):  # locked, or a damaged file
            return None

    def remove_photo(self, index: int) -> None:
        if 0 <= index < len(self.photos):
            self.photos.pop(index)

    # -- step 4: check -------------------------------------------------------------------------

    def due_preview(self) -> date | None:
        """The due date if saved now: ``Tablet.due_dates`` (``sync.workdays.appointment``
        with the procedure's rule and the pulled day-off decisions), as saved."""
        if self.procedure is None:
            return None
        return self.ctx.tablet.due_dates(self.procedure, self.ctx.tablet.now())[0]

    def can_verify(self) -> bool:
        """Whether the chosen procedure has a verification extension."""
        days = (self.procedure or {}).get("extension_days")
        return isinstance(days, int) and not isinstance(days, bool) and days > 0

    def verification_text(self) -> str:
        """The toggle's label: the longer appointment if verification is needed."""
        if not self.can_verify() or self.procedure is None:
            return ""
        longer = self.ctx.tablet.due_dates(self.procedure, self.ctx.tablet.now())[1]
        return self.ctx.tr(
            "intake.verification", date=fmt_date(longer), days=self.procedure["extension_days"]
        )

    def due_text(self) -> str:
        if self.verification_needed and self.can_verify() and self.procedure is not None:
            longer = self.ctx.tablet.due_dates(self.procedure, self.ctx.tablet.now())[1]
            return self.ctx.tr("intake.due", date=fmt_date(longer))
        due = self.due_preview()
        if due is None:
            return self.ctx.tr("intake.due_unknown")
        from sync.slips.data import appointment_hour  # not at start-up: sync.slips loads PDF code

        hour = appointment_hour(self.procedure or {})
        if hour is not None:  # same-day procedures: the slip carries the hour too
            return self.ctx.tr("intake.due_at", time=f"{hour:%H:%M}", date=fmt_date(due))
        return self.ctx.tr("intake.due", date=fmt_date(due))

    def summary(self) -> list[tuple[str, str]]:
        tr = self.ctx.tr
        person = self.applicant
        villages = dict(self.villages())
        village = villages.get(person.village_id) if person.village_id is not None else None
        documents = self.documents()
        return [
            (tr("intake.procedure"), self.procedure_name()),
            (tr("field.applicant_name"), person.name),
            (tr("field.applicant_cccd"), person.cccd or "—"),
            (tr("field.applicant_dob"), person.dob or "—"),
            (tr("field.applicant_phone"), person.phone or "—"),
            (tr("field.village_id"), village or "—"),
            (tr("field.applicant_address"), person.address or "—"),
            (tr("intake.channel"), tr.enum("channel", person.channel)),
            (
                tr("intake.documents_short"),
                f"{sum(d['provided'] for d in documents)}/{len(documents)}",
            ),
            (tr("field.photos"), str(len(self.photos))),
            *self.place_summary(),
            *self.form_summary(),
        ]

    def form_summary(self) -> list[tuple[str, str]]:
        """Each party's filled fields, then the facts, as (label, value)."""
        tr = self.ctx.tr
        rows: list[tuple[str, str]] = []
        for step in self.steps():
            if not (step.startswith(PARTY_STEP) or step == FACTS_STEP):
                continue
            filled = [f for f in self.form_fields(step) if f.value]
            if not filled:
                continue
            title = self.form_title(step)
            for item in filled:
                value = item.value
                if item.kind == "choice":
                    value = dict(item.choices).get(value, value)
                rows.append((f"{title} · {item.label}", value))
        if rows:
            rows.insert(0, (tr("intake.parties_heading"), ""))
        return rows

    # -- moving between steps ------------------------------------------------------------------

    def steps(self) -> tuple[str, ...]:
        """The steps of this intake: the fixed ones with the form's in between."""
        form = self.form()
        middle = [PARTY_STEP + str(p.get("role")) for p in form.get("parties") or []]
        if form.get("facts"):
            middle.append(FACTS_STEP)
        settling = (SETTLING_STEP,) if self.anywhere() else ()
        return (STEPS[0], *settling, STEPS[1], *middle, *STEPS[2:])

    def step_number(self) -> int:
        return self.steps().index(self.step) + 1

    def step_count(self) -> int:
        return len(self.steps()) - 1  # the receipt is not a step to fill in

    def step_errors(self, step: str | None = None) -> dict[str, str]:
        step = step or self.step
        if step == "procedure" and self.procedure is None:
            message = self.ctx.tr("intake.choose_procedure")
            return {"procedure": message}
        if step == "applicant":
            return self.applicant_errors()
        if step == SETTLING_STEP:
            return self.settling_errors()
        return self.form_errors(step)

    def next(self) -> str:
        errors = self.step_errors()
        if errors:
            raise UserError(next(iter(errors.values())), errors)
        steps = self.steps()
        if self.step != "review":
            self.step = steps[steps.index(self.step) + 1]
        return self.step

    def back(self) -> str:
        if self.step in ("procedure", "receipt"):
            return self.step
        steps = self.steps()
        self.step = steps[steps.index(self.step) - 1]
        return self.step

    def go(self, step: str) -> None:
        """Jump back to an earlier step (from the review)."""
        steps = self.steps()
        if step not in steps or steps.index(step) > steps.index(self.step):
            raise ValueError(f"cannot jump forward to {step!r}")
        self.step = step

    # -- step 5: save and receipt ----------------------------------------------------------------

    def save(self) -> Receipt:
        """Save the dossier (and its photos) and make the receipt with its QR code."""
        tr = self.ctx.tr
        for step in self.steps()[: self.steps().index("documents")]:
            errors = self.step_errors(step)
            if errors:
                self.step = step
                raise UserError(next(iter(errors.values())), errors)
        assert self.procedure is not None
        person = self.applicant
        tablet = self.ctx.tablet
        settling, returned = self._places()
        try:
            dossier_id = tablet.create_dossier(
                int(self.procedure["id"]),
                person.name,
                applicant_cccd=person.cccd or None,
                applicant_dob=self.parsed_dob(),
                applicant_phone=person.phone or None,
                applicant_address=person.address or None,
                channel=person.channel,
                village_id=person.village_id,
                provided_documents=sorted(self.provided),
                parties=self.parties_payload(),
                facts=self.facts_payload(),
                verification_needed=self.verification_needed and self.can_verify(),
                settling_commune_id=settling,
                return_commune_id=returned,
            )
        except InvalidInput as error:
            refused = from_invalid_input(error, tr.message)
            errors = {_FORM_FIELD.get(k, k): v for k, v in refused.errors.items()}
            if set(errors) & set(_FORM_FIELD.values()):
                self.step = "applicant"
            if set(errors) & {"settling_commune_id", "return_commune_id"}:
                self.step = SETTLING_STEP
            party_step = _step_of(next(iter(errors), ""))
            if party_step in self.steps():
                self.step = party_step
                errors = {k.rsplit(".", 1)[-1]: v for k, v in errors.items()}
            raise UserError(refused.message, errors) from error
        warnings: list[str] = []
        for photo in self.photos:
            try:
                data = self.ctx.tablet.store.blob_bytes(photo.sha256)
                if data is None:
                    raise OSError(tr("intake.photo_missing", name=photo.filename))
                tablet.attach_photo(
                    "dossier", dossier_id, data, photo.content_type, filename=photo.filename
                )
            except (OSError, StoreError, InvalidInput) as error:
                message = error.message if isinstance(error, InvalidInput) else str(error)
                warnings.append(f"{photo.filename}: {tr.message(message)}")
        dossier = tablet.dossier(dossier_id) or {}
        number = str(dossier.get("receipt_number", ""))
        url = status_url(self.ctx.server_url(), number, str(dossier.get("check_code") or ""))
        qr = make_qr_png(url, self.ctx.receipts_dir() / f"{number}.png")
        self.receipt = Receipt(
            dossier_id=dossier_id,
            receipt_number=number,
            due_date=parse_iso_date(dossier.get("due_date")),
            status_url=url,
            qr_path=qr,
            warnings=tuple(warnings),
        )
        self.step = "receipt"
        return self.receipt

    def _places(self) -> tuple[int | None, int | None]:
        """The settling and return communes to save (None, None for the usual intake)."""
        if not self.anywhere():
            return None, None
        return self.settling_id(), self.return_commune_id()

    # -- the draft (mobile.drafts) ---------------------------------------------------------------

    def draft_state(self) -> dict[str, Any] | None:
        """What was typed so far, JSON-ready; None before anything worth keeping."""
        if self.step == "receipt" or self.procedure is None:
            return None
        return {
            "version": 1,
            "step": self.step,
            "procedure_id": self.procedure["id"],
            "applicant": asdict(self.applicant),
            "provided": sorted(self.provided),
            "photos": [asdict(photo) for photo in self.photos],
            "verification_needed": self.verification_needed,
            # The form's parties and facts, as typed (role → key → text; key → text).
            "parties": {role: dict(values) for role, values in self.party_values.items()},
            "facts": dict(self.fact_values),
            "settling_commune_id": self.settling_commune_id,
            "return_to": self.return_to,
        }

    def draft_summary(self) -> str:
        name = self.applicant.name or "…"
        return f"{self.procedure_name()} · {name}"

    def restore_draft(self, state: Mapping[str, Any]) -> None:
        """Back to where the draft was (a procedure gone from the catalog: step 1)."""
        self.reset()
        procedure = self.ctx.tablet.procedure(int(state.get("procedure_id") or 0))
        if procedure is None:
            return
        self.procedure = procedure
        known = {f.name for f in fields(Applicant)}
        typed = state.get("applicant") or {}
        self.applicant = Applicant(**{k: v for k, v in typed.items() if k in known})
        self.provided = {int(i) for i in state.get("provided") or []}
        self.verification_needed = state.get("verification_needed") is True
        names = {f.name for f in fields(IntakePhoto)}
        for photo in state.get("photos") or []:
            kept = IntakePhoto(**{k: v for k, v in photo.items() if k in names})
            if self.ctx.tablet.store.blob_info(kept.sha256) is not None:
                self.photos.append(kept)
        self.party_values = {
            str(role): {str(k): str(v) for k, v in (typed_party or {}).items()}
            for role, typed_party in (state.get("parties") or {}).items()
        }
        self.fact_values = {str(k): str(v) for k, v in (state.get("facts") or {}).items()}
        settling = state.get("settling_commune_id")
        if isinstance(settling, int) and not isinstance(settling, bool):
            self.settling_commune_id = settling
        if state.get("return_to") == RETURN_AT_SETTLING and settling is not None:
            self.return_to = RETURN_AT_SETTLING
        step = str(state.get("step") or "applicant")
        self.step = step if step in self.steps()[:-1] else "applicant"


def _step_of(path: str) -> str:
    """``parties.bride.cccd`` → ``party:bride``; ``facts.copies`` → ``facts``."""
    parts = path.split(".")
    if parts[0] == "parties" and len(parts) >= 2:
        return PARTY_STEP + parts[1]
    return FACTS_STEP if parts[0] == "facts" else ""


def stored_value(spec: dict[str, Any], text: str) -> Any:
    """Typed text as the form stores it (``sync.forms``): ISO dates, whole numbers.

    Unreadable text stays text, for ``sync.forms.value_problems`` to name the problem.
    """
    text = text.strip()
    kind = spec.get("type")
    if not text:
        return None
    if kind == "date":
        try:
            parsed = parse_user_date(text)
        except ValueError:
            return text
        return parsed.isoformat() if parsed else None
    if kind == "int":
        digits = text.replace(".", "").replace(" ", "")
        return int(digits) if digits.isdigit() else text
    if kind == "cccd":
        return text.replace(" ", "")
    return text
