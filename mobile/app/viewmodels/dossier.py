"""One dossier: its details, its timeline and the next steps its state machine allows.

The actions offered are exactly ``sync.domain.DOSSIER_TRANSITIONS`` from the current
status; ``Tablet.change_status`` checks them again. A late dossier (due date passed
while still open) offers the written apology with a new appointment date (phiếu 04).
Each record shows whether it is already on the server (``Tablet.on_server``).
A dossier filed anywhere in the province (Decree 118/2025/NĐ-CP) names its receiving,
settling and return communes, and offers the handover to another commune of the
province (``Tablet.hand_over``, a store write that syncs like any other edit).
The photos are read from the store into memory (they are sealed on disk) for the screen
to decode: no plain copy is ever written. A photo taken on a colleague's tablet arrives
by pull as an ``attachment`` without its bytes: the screen asks ``mobile.photos`` to
fetch it in the background (``photo_fetcher``) and shows ``photo_placeholder`` meanwhile.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from mobile.app.context import AppContext
from mobile.app.fmt import (
    fmt_date,
    fmt_datetime,
    office_today,
    parse_iso_date,
    parse_user_date,
)
from mobile.app.viewmodels.base import UserError, from_invalid_input
from mobile.app.viewmodels.home import effective_due, unsent_records
from mobile.app.viewmodels.intake import FormField, stored_value
from mobile.photos import BlobSource, FetchResult, PhotoFetcher, PhotoState, WantedPhoto
from mobile.security import VaultError
from mobile.store import SQLiteDeviceStore, StoreError
from mobile.tablet import InvalidInput
from sync.domain import (
    CLOCK_RUNNING,
    DOSSIER_TRANSITIONS,
    HANDED_OVER,
    OPEN_STATUSES,
    DossierStatus,
)
from sync.errors import TransportError
from sync.forms import changed_paths, field_label
from sync.workdays import add_working_days, days_overdue

__all__ = [
    "ActionView",
    "DossierModel",
    "HeaderView",
    "PhotoView",
    "photo_fetcher",
    "photo_placeholder",
    "photo_source",
]

S = DossierStatus
#: The order buttons appear in: the usual path first.
ACTION_ORDER = (
    S.IN_PROGRESS,
    S.NEEDS_SUPPLEMENT,
    S.APPROVED,
    S.REJECTED,
    S.RESULT_RETURNED,
    S.REFUSED,
    S.WITHDRAWN,
    S.STOPPED,
)
#: These need a written reason: it goes on the slip the citizen receives.
REASON_REQUIRED = frozenset({S.NEEDS_SUPPLEMENT, S.REFUSED, S.REJECTED, S.STOPPED})
DANGEROUS = frozenset({S.REFUSED, S.REJECTED, S.WITHDRAWN, S.STOPPED})
#: Photos the screen can decode (Kivy's image providers), by extension.
IMAGE_EXTENSIONS = frozenset({"jpg", "png", "gif", "bmp", "webp", "tif", "tiff"})
#: The placeholder's headline for each state of a photo being fetched.
PLACEHOLDER_TEXTS = {
    PhotoState.LOADING: "photo.loading",
    PhotoState.OFFLINE: "photo.offline",
    PhotoState.DAMAGED: "photo.damaged",
    PhotoState.ON_ITS_WAY: "photo.on_its_way",
    PhotoState.REFUSED: "photo.refused",
    PhotoState.FAILED: "photo.failed",
}


@dataclass(frozen=True)
class ActionView:
    status: str
    label: str
    needs_reason: bool
    danger: bool


@dataclass(frozen=True)
class PhotoView:
    """A photo of the dossier's papers, opened in memory (or still on the server)."""

    sha256: str
    filename: str
    content_type: str
    data: bytes = b""
    size: int = 0
    #: False: only the attachment record is here, the bytes are still on the server.
    on_tablet: bool = True

    @property
    def showable(self) -> bool:
        """Whether the screen can show it as an image (else it is not fetched to show)."""
        return self.extension in IMAGE_EXTENSIONS

    @property
    def wanted(self) -> WantedPhoto:
        return WantedPhoto(self.sha256, self.size, self.content_type)

    @property
    def extension(self) -> str:
        """What the image decoders go by ("jpg", "png"…), from the type or the name."""
        guessed = ""
        if self.content_type.startswith("image/"):
            guessed = mimetypes.guess_extension(self.content_type) or ""
        if not guessed and "." in self.filename:
            guessed = self.filename.rsplit(".", 1)[-1]
        extension = guessed.lstrip(".").lower()
        return "jpg" if extension in ("jpe", "jpeg") else extension


@dataclass(frozen=True)
class HeaderView:
    title: str
    lines: list[str]
    status: str
    overdue: str  # empty unless late
    on_server: bool
    on_server_label: str


class DossierModel:
    def __init__(self, ctx: AppContext, dossier_id: str) -> None:
        self.ctx = ctx
        self.dossier_id = dossier_id
        self.record: dict[str, Any] = {}
        self.load()

    def load(self) -> None:
        record = self.ctx.tablet.dossier(self.dossier_id)
        if record is None:
            raise UserError(self.ctx.tr("dossier.not_found"))
        self.record = record

    # -- facts ---------------------------------------------------------------------------------

    @property
    def status(self) -> DossierStatus:
        return DossierStatus(str(self.record.get("status")))

    def today(self) -> date:
        return office_today(self.ctx.tablet.now())

    def apologies(self) -> list[dict[str, Any]]:
        return self.ctx.tablet.store.list_records(
            "dossier_apology", {"dossier_id": self.dossier_id}, order_by="issued_at"
        )

    def new_due_date(self) -> date | None:
        dates = [parse_iso_date(a.get("new_due_date")) for a in self.apologies()]
        known = [d for d in dates if d is not None]
        return max(known) if known else None

    def due(self) -> date | None:
        moved = self.new_due_date()
        return effective_due(self.record, {self.dossier_id: moved} if moved else {})

    def is_overdue(self) -> bool:
        due = self.due()
        return self.status in CLOCK_RUNNING and due is not None and due < self.today()

    def procedure(self) -> dict[str, Any] | None:
        procedure_id = self.record.get("procedure_id")
        return self.ctx.tablet.procedure(int(procedure_id)) if procedure_id else None

    # -- what the screen shows -----------------------------------------------------------------

    def header(self) -> HeaderView:
        tr = self.ctx.tr
        record = self.record
        villages = {v["id"]: v for v in self.ctx.tablet.villages()}
        village = villages.get(str(record.get("village_id")))
        applicant = [str(record.get("applicant_name", ""))]
        for value in (record.get("applicant_cccd"), record.get("applicant_phone")):
            if value:
                applicant.append(str(value))
        if record.get("applicant_dob"):
            applicant.append(fmt_date(record.get("applicant_dob")))
        if village:
            applicant.append(f"{village.get('kind') or ''} {village.get('name', '')}".strip())
        if record.get("applicant_address"):
            applicant.append(str(record["applicant_address"]))
        documents = [d for d in record.get("documents") or [] if isinstance(d, dict)]
        lines = [
            tr("dossier.applicant", name=" · ".join(applicant)),
            tr("dossier.procedure", name=tr.pick(self.procedure(), "name") or "—"),
            tr("dossier.received", time=fmt_datetime(record.get("received_at")))
            + " · "
            + tr.enum("channel", record.get("channel")),
            tr("dossier.due", date=fmt_date(record.get("due_date")))
            + " · "
            + tr(
                "dossier.documents",
                provided=sum(1 for d in documents if d.get("provided")),
                total=len(documents),
            )
            + " · "
            + tr("dossier.photos", count=len(self.photos()))
            + self._photos_sending(),
        ]
        if record.get("verification_due_date"):
            key = (
                "dossier.verification_due"
                if record.get("verification_needed")
                else ("dossier.verification_if")
            )
            lines.append(tr(key, date=fmt_date(record.get("verification_due_date"))))
        moved = self.new_due_date()
        if moved is not None:
            lines.append(tr("dossier.new_due", date=fmt_date(moved)))
        if record.get("result_returned_at"):
            lines.append(tr("dossier.returned", time=fmt_datetime(record["result_returned_at"])))
        centres = self.centres_line()
        if centres:
            lines.append(centres)
        lines += [f"{label}: {value}" for label, value in self.people_lines()]
        overdue = ""
        if self.is_overdue():
            due = self.due()
            assert due is not None
            late = days_overdue(due, self.today())
            overdue = tr("dossier.overdue", days=late) if late else tr("home.row_late_short")
        # The same rule as the home list: the dossier and all its parts (unsent_records).
        on_server = ("dossier", self.dossier_id) not in unsent_records(self.ctx.tablet)
        return HeaderView(
            title=tr("dossier.title", receipt=record.get("receipt_number", "")),
            lines=lines,
            status=tr("dossier.status", status=tr.enum("status", self.status.value)),
            overdue=overdue,
            on_server=on_server,
            on_server_label=tr("common.on_server" if on_server else "common.not_on_server"),
        )

    # -- filing anywhere: the communes involved, and the handover ------------------------------

    def _communes(self) -> dict[int, str]:
        return {
            int(u["id"]): f"{u.get('kind') or ''} {u.get('name', '')}".strip()
            for u in self.ctx.tablet.communes()
        }

    def receiving_id(self) -> int:
        found = self.ctx.tablet.receiving_commune_id(self.record)
        return found if found is not None else int(self.ctx.tablet.registration.commune_id)

    def settling_id(self) -> int:
        value = self.record.get("settling_commune_id")
        return int(value) if isinstance(value, int) else self.receiving_id()

    def return_id(self) -> int:
        value = self.record.get("return_commune_id")
        return int(value) if isinstance(value, int) else self.receiving_id()

    def centres_line(self) -> str:
        """ "Tiếp nhận: Xã Tả Van · Giải quyết: Phường Sa Pa · Trả kết quả: Xã Tả Van" when
        the dossier involves another commune; "" for the usual one."""
        receiving, settling, returning = self.receiving_id(), self.settling_id(), self.return_id()
        if receiving == settling == returning:
            return ""
        names = self._communes()
        return self.ctx.tr(
            "dossier.centres",
            receiving=names.get(receiving, "—"),
            settling=names.get(settling, "—"),
            returning=names.get(returning, "—"),
        )

    def own_commune_id(self) -> int:
        return int(self.ctx.tablet.registration.commune_id)

    def settles_here(self) -> bool:
        """Whether this tablet's commune settles the dossier: it processes and decides.

        The receiving commune of a dossier settled elsewhere sees it, adds notes, hands
        it over and returns the result when it is returned here (the server's rule).
        """
        return self.settling_id() == self.own_commune_id()

    def no_actions_text(self) -> str:
        """Why no step is offered: the dossier is closed, or another commune settles it."""
        if self.settles_here() or self.status not in OPEN_STATUSES:
            return self.ctx.tr("dossier.no_actions")
        name = self._communes().get(self.settling_id(), "—")
        return self.ctx.tr("dossier.settled_elsewhere", name=name)

    def can_hand_over(self) -> bool:
        """Open, on the province's list, and this tablet's commune receives or settles it."""
        own = int(self.ctx.tablet.registration.commune_id)
        return (
            self.status in OPEN_STATUSES
            and bool((self.procedure() or {}).get("receivable_anywhere"))
            and own in (self.receiving_id(), self.settling_id())
            and bool(self.handover_choices())
        )

    def handover_choices(self) -> list[tuple[int, str]]:
        """The other communes of the province (not the one settling it now)."""
        settling = self.settling_id()
        return sorted(
            ((cid, name) for cid, name in self._communes().items() if cid != settling),
            key=lambda row: row[1],
        )

    def handover_reason_required(self) -> bool:
        """A dossier handed over before needs a reason to be handed over again."""
        return any(e.get("kind") == HANDED_OVER for e in self.ctx.tablet.timeline(self.dossier_id))

    def hand_over(self, commune_id: int | None, reason: str) -> str:
        """Hand the dossier over (``Tablet.hand_over``); returns the confirmation."""
        tr = self.ctx.tr
        if commune_id is None:
            message = tr("dossier.hand_over_choose")
            raise UserError(message, {"to_commune_id": message})
        if self.handover_reason_required() and not reason.strip():
            message = tr("common.required")
            raise UserError(message, {"reason": message})
        try:
            self.ctx.tablet.hand_over(self.dossier_id, commune_id, reason.strip() or None)
        except InvalidInput as error:
            raise from_invalid_input(error, tr.message) from error
        self.load()
        return tr("dossier.handed_over", name=self._communes().get(commune_id, "—"))

    # -- the people and facts, and correcting them ---------------------------------------------

    def _path_label(self, form: dict[str, Any], path: str) -> str:
        if path.startswith(("parties.", "facts.")):
            return field_label(form, path, self.ctx.tr.lang)
        return self.ctx.tr.enum("field", path)

    def people_lines(self) -> list[tuple[str, str]]:
        """Each party as one line ("Bên nữ", "Giàng Thị Mai · 05/04/2001 · …"), then facts."""
        tr = self.ctx.tr
        form = (self.procedure() or {}).get("form") or {}
        parties = self.record.get("parties") or {}
        lines = []
        for party in form.get("parties") or []:
            values = parties.get(party.get("role")) or {}
            shown = [
                _shown(spec, values.get(spec.get("key")), tr)
                for spec in party.get("fields") or []
                if values.get(spec.get("key")) not in (None, "")
            ]
            if shown:
                lines.append((tr.pick(party, "label"), " · ".join(shown)))
        facts = self.record.get("facts") or {}
        for spec in form.get("facts") or []:
            value = facts.get(spec.get("key"))
            if value not in (None, ""):
                lines.append((tr.pick(spec, "label"), _shown(spec, value, tr)))
        return lines

    def can_correct(self) -> bool:
        """Until the result is returned (and not for a dossier that ended otherwise), by
        the commune that settles it."""
        if not self.settles_here():
            return False
        return not self.record.get("result_returned_at") and self.status in OPEN_STATUSES | {
            DossierStatus.APPROVED,
            DossierStatus.REJECTED,
        }

    def correction_sections(self) -> list[tuple[str, list[FormField]]]:
        """(title, fields) for the correction form: the applicant, each party, the facts.

        Field keys are paths: ``applicant_name``, ``parties.bride.full_name``, ``facts.copies``.
        """
        tr = self.ctx.tr
        record = self.record
        applicant = [
            FormField(
                "applicant_name",
                tr("field.applicant_name"),
                "text",
                True,
                str(record.get("applicant_name") or ""),
            ),
            FormField(
                "applicant_cccd",
                tr("field.applicant_cccd"),
                "cccd",
                False,
                str(record.get("applicant_cccd") or ""),
            ),
            FormField(
                "applicant_dob",
                tr("field.applicant_dob"),
                "date",
                False,
                _typed_date(record.get("applicant_dob")),
            ),
            FormField(
                "applicant_phone",
                tr("field.applicant_phone"),
                "text",
                False,
                str(record.get("applicant_phone") or ""),
            ),
            FormField(
                "applicant_address",
                tr("field.applicant_address"),
                "text",
                False,
                str(record.get("applicant_address") or ""),
            ),
        ]
        sections = [(tr("intake.step.applicant"), applicant)]
        form = (self.procedure() or {}).get("form") or {}
        parties = record.get("parties") or {}
        for party in form.get("parties") or []:
            role = str(party.get("role"))
            values = parties.get(role) or {}
            sections.append(
                (
                    tr.pick(party, "label"),
                    self._form_fields(f"parties.{role}.", party.get("fields"), values),
                )
            )
        if form.get("facts"):
            sections.append(
                (
                    tr("intake.step.facts"),
                    self._form_fields("facts.", form["facts"], record.get("facts") or {}),
                )
            )
        return sections

    def _form_fields(self, prefix: str, specs: Any, values: dict[str, Any]) -> list[FormField]:
        tr = self.ctx.tr
        out = []
        for spec in specs or []:
            key = str(spec.get("key"))
            value = values.get(key)
            text = (
                _typed_date(value)
                if spec.get("type") == "date"
                else ("" if value is None else str(value))
            )
            out.append(
                FormField(
                    prefix + key,
                    tr.pick(spec, "label"),
                    str(spec.get("type", "text")),
                    bool(spec.get("required")),
                    text,
                    tuple(
                        (str(c.get("value")), tr.pick(c, "label"))
                        for c in spec.get("choices") or []
                    ),
                )
            )
        return out

    def correct(self, typed: dict[str, str]) -> list[str]:
        """Save what the officer corrected (path → text as typed); returns the changed paths.

        Raises ``UserError`` with errors keyed by path (``parties.bride.cccd``…).
        """
        tr = self.ctx.tr
        form = (self.procedure() or {}).get("form") or {}
        specs = {
            f"parties.{p.get('role')}.{s.get('key')}": s
            for p in form.get("parties") or []
            for s in p.get("fields") or []
        } | {f"facts.{s.get('key')}": s for s in form.get("facts") or []}
        changes: dict[str, Any] = {}
        errors: dict[str, str] = {}
        parties = {r: dict(v) for r, v in (self.record.get("parties") or {}).items()}
        facts = dict(self.record.get("facts") or {})
        for path, text in typed.items():
            text = text.strip()
            if path.startswith("applicant_"):
                if path == "applicant_dob":
                    try:
                        born = parse_user_date(text) if text else None
                    except ValueError:
                        errors[path] = tr("common.bad_date")
                        continue
                    changes[path] = born.isoformat() if born else None
                else:
                    changes[path] = text or None
                continue
            spec = specs.get(path)
            if spec is None:
                continue
            value = stored_value(spec, text)
            if spec.get("type") == "date" and value == text:  # not a date: left as typed
                errors[path] = tr("common.bad_date")
                continue
            parts = path.split(".")
            target = parties.setdefault(parts[1], {}) if parts[0] == "parties" else facts
            if value is None:
                target.pop(parts[-1], None)
            else:
                target[parts[-1]] = value
        if form.get("parties"):
            changes["parties"] = parties
        if form.get("facts"):
            changes["facts"] = facts
        if not changes.get("applicant_name"):
            errors["applicant_name"] = tr("common.required")
        if errors:
            raise UserError(next(iter(errors.values())), errors)
        before = dict(self.record)
        try:
            self.ctx.tablet.correct_dossier(self.dossier_id, **changes)
        except InvalidInput as error:
            refused = from_invalid_input(error, tr.message)
            raise UserError(refused.message, refused.errors) from error
        self.load()
        return changed_paths(before, {k: self.record.get(k) for k in changes})

    def timeline_rows(self) -> list[dict[str, Any]]:
        tr = self.ctx.tr
        tablet = self.ctx.tablet
        rows = []
        communes: dict[int, str] | None = None
        for event in tablet.timeline(self.dossier_id):
            kind = str(event.get("kind", ""))
            label = tr.enum("event", kind)
            details = []
            if event.get("from_status") and event.get("to_status"):
                details.append(
                    tr(
                        "dossier.transition_from_to",
                        from_status=tr.enum("status", event["from_status"]),
                        to_status=tr.enum("status", event["to_status"]),
                    )
                )
            elif event.get("to_status"):
                details.append(tr.enum("status", event["to_status"]))
            raw = event.get("data")
            data: dict[str, Any] = raw if isinstance(raw, dict) else {}
            if kind == "corrected" and isinstance(data.get("fields"), list):
                form = (self.procedure() or {}).get("form") or {}
                names = [self._path_label(form, str(p)) for p in data["fields"]]
                details.append(tr("dossier.corrected_fields", fields=", ".join(names)))
            if kind == "official_code" and data.get("official_code"):
                details.append(str(data["official_code"]))
            if kind == "apology" and data.get("new_due_date"):
                details.append(tr("dossier.new_due", date=fmt_date(data["new_due_date"])))
            if kind == HANDED_OVER:
                communes = communes if communes is not None else self._communes()
                details.append(
                    tr(
                        "dossier.handover_route",
                        origin=communes.get(_as_int(data.get("from_commune_id")), "—"),
                        target=communes.get(_as_int(data.get("to_commune_id")), "—"),
                    )
                )
                if data.get("reason"):
                    details.append(tr("dossier.handover_reason", reason=str(data["reason"])))
            elif event.get("note"):
                details.append(str(event["note"]))
            synced = tablet.on_server("dossier_event", str(event["id"]))
            rows.append(
                {
                    "kind": "event",
                    "record_id": str(event["id"]),
                    "title": f"{fmt_datetime(event.get('occurred_at'))} · {label}",
                    "subtitle": " · ".join(details),
                    "danger": False,
                    "synced": synced,
                    "sync_label": tr("common.on_server" if synced else "common.not_on_server"),
                }
            )
        return rows

    def photos(self) -> list[dict[str, Any]]:
        return self.ctx.tablet.photos("dossier", self.dossier_id)

    def sending(self) -> int:
        """How many of the dossier's photos this tablet has not finished sending (the
        dossier is on the server already: records go first, PROTOCOL.md §8)."""
        store = self.ctx.tablet.store
        count = 0
        for photo in self.photos():
            info = store.blob_info(str(photo.get("sha256") or ""))
            count += info is not None and not info[1]
        return count

    def _photos_sending(self) -> str:
        count = self.sending()
        return f" ({self.ctx.tr('photo.sending', count=count)})" if count else ""

    def photo_views(self, *, known: frozenset[str] = frozenset()) -> list[PhotoView]:
        """The dossier's photos, each opened in memory when it is on the tablet.

        ``known``: hashes the caller has already decoded (their bytes are not read
        again). A photo whose bytes are only on the server (a colleague's, pulled) comes
        with ``on_tablet`` False and no data, for the screen to fetch; one that is here
        but does not open (locked, damaged) is left out. A file the screen cannot show
        as an image (a PDF…) is not opened whole: it comes without its data.
        """
        store = self.ctx.tablet.store
        views = []
        for photo in self.photos():
            wanted = WantedPhoto.from_attachment(photo)
            view = PhotoView(
                wanted.sha256,
                str(photo.get("filename") or ""),
                str(photo.get("content_type") or ""),
                size=wanted.size,
            )
            if wanted.sha256 in known:
                views.append(view)
                continue
            try:
                data = _photo_bytes(store, view)
            except (OSError, StoreError, VaultError):
                continue
            if data is None:
                views.append(replace(view, on_tablet=False))
            else:
                views.append(replace(view, data=data))
        return views

    def actions(self) -> list[ActionView]:
        tr = self.ctx.tr
        allowed = DOSSIER_TRANSITIONS.get(self.status, frozenset())
        if not self.settles_here():
            returns_here = self.return_id() == self.own_commune_id()
            allowed = allowed & {S.RESULT_RETURNED} if returns_here else frozenset()
        return [
            ActionView(
                status=target.value,
                label=tr(f"action.{target.value}"),
                needs_reason=target in REASON_REQUIRED,
                danger=target in DANGEROUS,
            )
            for target in ACTION_ORDER
            if target in allowed
        ]

    # -- what the officer does -----------------------------------------------------------------

    def apply(self, status: str, note: str = "") -> str:
        """Move the dossier to ``status``; returns the confirmation to show."""
        tr = self.ctx.tr
        target = DossierStatus(status)
        note = note.strip()
        if target in REASON_REQUIRED and not note:
            message = tr("dossier.reason_required")
            raise UserError(message, {"note": message})
        try:
            self.ctx.tablet.change_status(self.dossier_id, target, note or None)
        except InvalidInput as error:
            raise from_invalid_input(error, tr.message) from error
        self.load()
        return tr("dossier.done", status=tr.enum("status", target.value))

    def add_note(self, note: str) -> None:
        tr = self.ctx.tr
        if not note.strip():
            raise UserError(tr("common.required"), {"note": tr("common.required")})
        try:
            self.ctx.tablet.add_note(self.dossier_id, note.strip())
        except InvalidInput as error:
            raise from_invalid_input(error, tr.message) from error

    def can_record_verification(self) -> bool:
        """Open, with a verification date, and not recorded yet."""
        return (
            self.settles_here()
            and self.status in OPEN_STATUSES
            and bool(self.record.get("verification_due_date"))
            and not self.record.get("verification_needed")
        )

    def record_verification(self, note: str = "") -> None:
        """Record that verification is needed: the longer appointment then applies."""
        tr = self.ctx.tr
        try:
            self.ctx.tablet.record_verification(self.dossier_id, note.strip() or None)
        except InvalidInput as error:
            raise from_invalid_input(error, tr.message) from error
        self.load()

    def suggested_new_date(self) -> date:
        """Today plus the procedure's statutory time (at least one working day)."""
        days = (self.procedure() or {}).get("processing_days")
        return add_working_days(self.today(), max(1, days if isinstance(days, int) else 1))

    def apologise(self, reason: str, new_date: str) -> str:
        tr = self.ctx.tr
        errors: dict[str, str] = {}
        if not reason.strip():
            errors["reason"] = tr("common.required")
        moved: date | None = None
        try:
            moved = parse_user_date(new_date)
        except ValueError:
            errors["new_date"] = tr("common.bad_date")
        if moved is not None and moved <= self.today():
            errors["new_date"] = tr("dossier.new_date_past")
        if errors:
            raise UserError(next(iter(errors.values())), errors)
        assert moved is not None
        try:
            apology_id = self.ctx.tablet.add_apology(self.dossier_id, reason.strip(), moved)
        except InvalidInput as error:
            raise from_invalid_input(error, tr.message) from error
        return apology_id


def _photo_bytes(store: SQLiteDeviceStore, view: PhotoView) -> bytes | None:
    """The bytes of ``view`` to decode; None when only its record is on the tablet.

    Not an image: nothing to decode, so it is only checked to be here and to open
    (``read_blob`` of no bytes still needs the key for a sealed file).
    """
    if view.showable:
        return store.blob_bytes(view.sha256)
    path = store.blob_path(view.sha256)
    if path is None or not path.exists():
        return None
    return store.read_blob(view.sha256, 0, 0)


# -- colleagues' photos, fetched in the background ------------------------------------------------


def photo_source(ctx: AppContext) -> BlobSource:
    """Where photos come from: the sync's connection to the server (``fetch_blob``)."""
    transport = ctx.make_transport()
    if isinstance(transport, BlobSource):
        return transport
    close = getattr(transport, "close", None)
    if callable(close):
        close()
    raise TransportError("Kết nối này không tải được ảnh (this connection cannot fetch photos)")


def photo_fetcher(
    ctx: AppContext,
    *,
    dispatch: Callable[[Callable[[], None]], None],
    on_result: Callable[[FetchResult], None],
) -> PhotoFetcher:
    """The app's photo fetcher (``mobile.photos``), stopped when the app closes."""
    fetcher = PhotoFetcher(
        ctx.tablet.store, lambda: photo_source(ctx), dispatch=dispatch, on_result=on_result
    )
    ctx.call_on_close(fetcher.stop)
    return fetcher


def photo_placeholder(ctx: AppContext, result: FetchResult) -> str:
    """What stands in a photo's place while it is fetched, or after it failed."""
    tr = ctx.tr
    text = tr(PLACEHOLDER_TEXTS.get(result.state, "photo.failed"))
    if result.failed:
        text += "\n" + tr("photo.tap_to_retry")
    return text


def _as_int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else -1


def _typed_date(value: Any) -> str:
    parsed = parse_iso_date(value) if value else None
    return parsed.strftime("%d/%m/%Y") if parsed else ("" if value is None else str(value))


def _shown(spec: dict[str, Any], value: Any, tr: Any) -> str:
    if spec.get("type") == "date":
        return fmt_date(value)
    if spec.get("type") == "choice":
        for choice in spec.get("choices") or []:
            if choice.get("value") == value:
                return str(tr.pick(choice, "label"))
    return str(value)
