"""Receiving a dossier: procedure → applicant → papers and photos → check → receipt.

Everything is checked here before it reaches ``Tablet.create_dossier`` (which checks
again with the server's rules): the citizen ID with ``sync.domain.cccd_problem``, the
phone with ``phone_problem``, the birth date typed the Vietnamese way. The due date
shown before saving is ``sync.workdays.appointment`` — the same computation the tablet
stores and the server confirms.

Photos are made light when taken (``mobile.photo_resize``: upright, long edge 1600 px,
no EXIF or location) and sealed in the store at once (``add_blob``; uploaded only once
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
from mobile.photo_resize import PhotoOptions, PreparedPhoto, prepare_photo
from mobile.security import VaultError
from mobile.store import StoreError
from mobile.tablet import InvalidInput
from sync.domain import Channel, cccd_matches_birth, cccd_problem, phone_problem
from sync.text import fold

__all__ = ["STEPS", "Applicant", "IntakeModel", "IntakePhoto", "Receipt"]

STEPS = ("procedure", "applicant", "documents", "review", "receipt")

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
    photo_options: PhotoOptions = field(default_factory=PhotoOptions)
    #: "Trường hợp cần xác minh", known at intake: the longer limit applies.
    verification_needed: bool = False

    def reset(self) -> None:
        self.step = "procedure"
        self.procedure = None
        self.applicant = Applicant()
        self.provided = set()
        self.photos = []
        self.receipt = None
        self.verification_needed = False

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
        self.procedure = procedure

    def procedure_name(self) -> str:
        return self.ctx.tr.pick(self.procedure, "name") if self.procedure else ""

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
        ]

    # -- moving between steps ------------------------------------------------------------------

    def step_number(self) -> int:
        return STEPS.index(self.step) + 1

    def step_errors(self, step: str | None = None) -> dict[str, str]:
        step = step or self.step
        if step == "procedure" and self.procedure is None:
            message = self.ctx.tr("intake.choose_procedure")
            return {"procedure": message}
        if step == "applicant":
            return self.applicant_errors()
        return {}

    def next(self) -> str:
        errors = self.step_errors()
        if errors:
            raise UserError(next(iter(errors.values())), errors)
        if self.step != "review":
            self.step = STEPS[STEPS.index(self.step) + 1]
        return self.step

    def back(self) -> str:
        if self.step in ("procedure", "receipt"):
            return self.step
        self.step = STEPS[STEPS.index(self.step) - 1]
        return self.step

    def go(self, step: str) -> None:
        """Jump back to an earlier step (from the review)."""
        if step not in STEPS or STEPS.index(step) > STEPS.index(self.step):
            raise ValueError(f"cannot jump forward to {step!r}")
        self.step = step

    # -- step 5: save and receipt ----------------------------------------------------------------

    def save(self) -> Receipt:
        """Save the dossier (and its photos) and make the receipt with its QR code."""
        tr = self.ctx.tr
        for step in ("procedure", "applicant"):
            errors = self.step_errors(step)
            if errors:
                self.step = step
                raise UserError(next(iter(errors.values())), errors)
        assert self.procedure is not None
        person = self.applicant
        tablet = self.ctx.tablet
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
                verification_needed=self.verification_needed and self.can_verify(),
            )
        except InvalidInput as error:
            refused = from_invalid_input(error, tr.message)
            errors = {_FORM_FIELD.get(k, k): v for k, v in refused.errors.items()}
            if set(errors) & set(_FORM_FIELD.values()):
                self.step = "applicant"
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
        step = str(state.get("step") or "applicant")
        self.step = step if step in STEPS[:-1] else "applicant"
