"""The tablet as plain Python: what an officer does, offline, and the sync that follows.

``Tablet`` is the facade the Kivy screens, the headless simulator and the tests share.
It holds the local store (``mobile.store``) and the device's hybrid logical clock, and
turns each thing an officer does into operations (PROTOCOL.md §2):

- every write is validated first with the very checks the server applies
  (``sync.schema`` through ``sync.merge.plan_operation``, plus the legal-time, parent
  and state-machine rules), so a record refused by the server would already have been
  refused here;
- a write carries, as its base, the clock the tablet had for each field it changes, and
  only the fields that change (G5, G10);
- a dossier, its receipt serial, its "received" timeline event and their outbox
  entries commit in one transaction (G1, G2); so does every other multi-record action.

Date-times are written in UTC as ``isoformat()`` writes them, to the second.
"""

from __future__ import annotations

import hashlib
import mimetypes
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from mobile.security import FieldCipher
from mobile.store import SQLiteDeviceStore
from mobile.transport import DEFAULT_TIMEOUT, HttpTransport, register_device
from sync.checkcode import new_check_code
from sync.domain import (
    HANDED_OVER,
    OPEN_STATUSES,
    AttachmentOwner,
    Channel,
    ConflictResolution,
    ConflictStatus,
    DossierStatus,
    FeedbackKind,
    FeedbackStatus,
    can_transition,
)
from sync.engine import Progress, SyncEngine, SyncReport
from sync.errors import SyncError
from sync.forms import (
    CORRECTABLE,
    changed_paths,
    clean_parties,
    clean_values,
    value_problems,
)
from sync.hlc import ZERO, Clock, HybridClock, SystemClock, Timestamp
from sync.ids import new_id
from sync.merge import RecordState, Refused, plan_operation
from sync.ops import Operation
from sync.receipts import ReceiptNumberError, format_receipt_number, read_receipt_number
from sync.schema import COLLECTIONS, Collection, Scope
from sync.storage import RejectedOperation, SyncSettings, Transport
from sync.workdays import OFFICE_TZ, DayOffDecisions, DeadlineRule, due_dates

__all__ = [
    "APP_VERSION",
    "InvalidInput",
    "NotRegistered",
    "Registration",
    "Tablet",
    "TabletStatus",
]

APP_VERSION = "0.1.0"
#: A legal date-time may not lie further than this in the (corrected) future (PROTOCOL §4).
MAX_AHEAD = timedelta(minutes=5)
SKEW_WARNING_MS = 5 * 60 * 1000

_SYNC = SyncSettings()
_REG = "registration."


class InvalidInput(SyncError, ValueError):
    """What the officer typed cannot be saved; ``errors`` maps fields to messages."""

    def __init__(self, message: str, errors: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = dict(errors or {})


class NotRegistered(SyncError):
    def __init__(self) -> None:
        super().__init__("Máy chưa được đăng ký với máy chủ (this tablet is not registered yet)")


@dataclass(frozen=True)
class Registration:
    """Who this tablet is, as the server told it once at registration."""

    server_url: str
    token: str
    device_id: str
    device_no: int
    commune_id: int
    commune_code: str
    commune_name: str
    commune_kind: str
    officer_id: int
    officer_name: str
    username: str

    @classmethod
    def from_response(cls, server_url: str, response: Mapping[str, Any]) -> Registration:
        device = response["device"]
        commune = device.get("commune") or {}
        officer = device.get("officer") or {}
        return cls(
            server_url=server_url.rstrip("/"),
            token=str(response["token"]),
            device_id=str(device["id"]),
            device_no=int(device["device_no"]),
            commune_id=int(commune["id"]),
            commune_code=str(commune.get("code") or commune["id"]),
            commune_name=str(commune.get("name") or ""),
            commune_kind=str(commune.get("kind") or "Xã"),
            officer_id=int(officer["id"]),
            officer_name=str(officer.get("full_name") or officer.get("username") or ""),
            username=str(officer.get("username") or ""),
        )

    def to_settings(self) -> dict[str, str]:
        return {_REG + k: str(v) for k, v in self.__dict__.items()}

    @classmethod
    def from_settings(cls, settings: Mapping[str, str]) -> Registration | None:
        values = {k.removeprefix(_REG): v for k, v in settings.items() if k.startswith(_REG)}
        if "token" not in values:
            return None
        return cls(
            server_url=values["server_url"],
            token=values["token"],
            device_id=values["device_id"],
            device_no=int(values["device_no"]),
            commune_id=int(values["commune_id"]),
            commune_code=values["commune_code"],
            commune_name=values["commune_name"],
            commune_kind=values["commune_kind"],
            officer_id=int(values["officer_id"]),
            officer_name=values["officer_name"],
            username=values["username"],
        )


@dataclass
class TabletStatus:
    """What the status bar shows (G14)."""

    registered: bool
    pending: int
    last_sync_at: datetime | None
    rejected: list[RejectedOperation] = field(default_factory=list)
    open_conflicts: int = 0
    skew_ms: int = 0

    @property
    def clock_warning(self) -> str | None:
        if abs(self.skew_ms) <= SKEW_WARNING_MS:
            return None
        minutes = abs(self.skew_ms) // 60000
        way = "nhanh" if self.skew_ms > 0 else "chậm"
        english = "ahead" if self.skew_ms > 0 else "behind"
        return (
            f"Đồng hồ máy {way} {minutes} phút so với máy chủ; hãy chỉnh lại ngày giờ "
            f"(the tablet's clock is {minutes} min {english} of the server's)"
        )


def _utc(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise InvalidInput(
            "Thời điểm phải có múi giờ (date-time needs a time zone)",
            {"time": "naive datetime"},
        )
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


def _json_value(value: Any) -> Any:
    """Python values as the JSON the schema expects (dates as strings, UTC date-times)."""
    if isinstance(value, datetime):
        return _utc(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple):
        return [_json_value(v) for v in value]
    return value


class Tablet:
    """One tablet: its store, its clock and everything an officer can do offline."""

    def __init__(
        self,
        store: SQLiteDeviceStore | str | os.PathLike[str],
        *,
        physical: Clock | None = None,
        app_version: str = APP_VERSION,
        cipher: FieldCipher | None = None,
    ) -> None:
        self.store = store if isinstance(store, SQLiteDeviceStore) else SQLiteDeviceStore(store)
        if cipher is not None:  # else set ``store.cipher`` after the PIN unlock
            self.store.cipher = cipher
        self.physical: Clock = physical or SystemClock()
        self.app_version = app_version
        self._clock: HybridClock | None = None
        # Before the PIN unlock the sealed token is left out ("" here; see ``transport``).
        values = self.store.settings(_REG, omit_sealed=True)
        if values and _REG + "token" not in values:
            values[_REG + "token"] = ""
        self._registration = Registration.from_settings(values)

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Tablet:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- identity ------------------------------------------------------------------------------

    @property
    def registration(self) -> Registration:
        if self._registration is None:
            raise NotRegistered()
        return self._registration

    @property
    def registered(self) -> bool:
        return self._registration is not None

    def register(
        self,
        server_url: str,
        username: str,
        password: str,
        device_name: str = "Máy tính bảng",
        *,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
    ) -> Registration:
        """Register online once with the officer's log-in (``POST /api/v1/devices``)."""
        response = register_device(
            server_url, username, password, device_name, self.app_version, timeout=timeout
        )
        return self.adopt_registration(server_url, response)

    def adopt_registration(self, server_url: str, response: Mapping[str, Any]) -> Registration:
        """Keep the server's registration answer (also for tests and re-installs)."""
        registration = Registration.from_response(server_url, response)
        if self._registration is not None and (
            self._registration.device_no != registration.device_no
            or self._registration.commune_id != registration.commune_id
        ):
            raise InvalidInput(
                "Máy đã được đăng ký cho thiết bị khác; hãy dùng cơ sở dữ liệu mới "
                "(this database belongs to another device registration; use a new one)"
            )
        with self.store.transaction():
            for key, value in registration.to_settings().items():
                self.store.set_setting(key, value)
        self._registration = registration
        self._clock = None
        return registration

    @property
    def clock(self) -> HybridClock:
        """The device's HLC (node = device number), restored from the store."""
        if self._clock is None:
            offset = self.store.get_setting(_SYNC.offset_key)
            last = self.store.get_setting(_SYNC.hlc_key)
            # Our own last stamp is restored as is: ``observe`` would refuse it if the
            # clock went back more than five minutes while the app was closed.
            self._clock = HybridClock(
                str(self.registration.device_no),
                self.physical,
                offset_ms=int(offset) if offset is not None else 0,
                last=Timestamp.decode(last) if last else ZERO,
            )
        return self._clock

    def now(self) -> datetime:
        """The corrected time (device clock plus the offset the server gave)."""
        return datetime.fromtimestamp(self.clock.physical_ms() / 1000, UTC).replace(microsecond=0)

    # -- reference data (pulled from the server) -----------------------------------------------

    def procedures(self) -> list[dict[str, Any]]:
        return [
            p
            for p in self.store.list_records("procedure", order_by="code")
            if p.get("active", True)
        ]

    def procedure(self, procedure_id: int) -> dict[str, Any] | None:
        return self.store.get("procedure", str(procedure_id))

    def day_off_decisions(self) -> DayOffDecisions:
        """The official day-off decisions pulled from the server (reference "day_off")."""
        rows = []
        for record in self.store.list_records("day_off"):
            try:
                day = date.fromisoformat(str(record.get("day")))
            except ValueError:
                continue  # not a date: ignored, the server validates what it sends
            if record.get("active", True):
                rows.append((day, bool(record.get("working"))))
        return DayOffDecisions.of(rows)

    def due_dates(
        self, procedure: dict[str, Any], received_at: datetime
    ) -> tuple[date | None, date | None]:
        """``(due_date, verification_due_date)``: ``sync.workdays.appointment``, as on the
        server, with the procedure's rule and the pulled day-off decisions."""
        try:
            rule = DeadlineRule.of(procedure)
        except (TypeError, ValueError):
            return None, None
        return due_dates(received_at, rule, self.day_off_decisions())

    def procedure_by_code(self, code: str) -> dict[str, Any] | None:
        found = self.store.list_records("procedure", {"code": code}, limit=1)
        return found[0] if found else None

    def villages(self) -> list[dict[str, Any]]:
        """Villages of this tablet's commune (from the pulled administrative units)."""
        commune_id = self.registration.commune_id
        units = self.store.list_records("admin_unit", {"parent_id": commune_id}, order_by="name")
        return [
            u
            for u in units
            if str(u.get("level", "village")) == "village" and u.get("active", True) is not False
        ]

    def communes(self) -> list[dict[str, Any]]:
        """The active communes of this tablet's province (pulled administrative units):
        the communes a dossier received here may be handed over to (Decree 118/2025)."""
        units = self.store.list_records("admin_unit", {"level": "commune"}, order_by="name")
        return [u for u in units if u.get("active", True) is not False]

    def receiving_commune_id(self, dossier: Mapping[str, Any]) -> int | None:
        """The commune that received a dossier: the one whose code its receipt number
        carries (the server checks that at intake, PROTOCOL.md §9)."""
        try:
            code = read_receipt_number(str(dossier.get("receipt_number") or "")).commune
        except ReceiptNumberError:
            return None
        if code == self.registration.commune_code:
            return self.registration.commune_id
        found = self.store.list_records("admin_unit", {"code": code}, limit=1)
        return int(found[0]["id"]) if found else None

    def settling_problem(self, procedure: Mapping[str, Any] | None, target_id: int) -> str | None:
        """Why a dossier received here cannot be settled by ``target_id`` (None: it can);
        the server's rule (server/services/handover.py), on the pulled reference data."""
        own = self.registration.commune_id
        if target_id == own:
            return None
        if procedure is None or not procedure.get("receivable_anywhere"):
            return (
                "Thủ tục này không thuộc danh mục tiếp nhận không phụ thuộc địa giới hành "
                "chính của tỉnh (this procedure is not on the province's list of procedures "
                "receivable anywhere)"
            )
        if target_id not in {int(u["id"]) for u in self.communes()}:
            return f"Xã {target_id} không thuộc tỉnh (commune {target_id} not in the province)"
        return None

    def survey_forms(self) -> list[dict[str, Any]]:
        """Published survey forms, newest first."""
        forms = self.store.list_records("survey_form", {"status": "published"})
        return sorted(forms, key=lambda f: (str(f.get("key", "")), -int(f.get("version", 0))))

    # -- validation and recording --------------------------------------------------------------

    def _collection(self, name: str) -> Collection:
        collection = COLLECTIONS.get(name)
        if collection is None or collection.scope is not Scope.COMMUNE:
            raise InvalidInput(
                f"Không ghi được vào '{name}' trên máy tính bảng "
                f"(collection {name!r} is not writable from a tablet)"
            )
        return collection

    def _check(self, op: Operation, current: RecordState | None) -> None:
        """The server's checks, run before anything is saved (G12 starts here)."""
        collection = self._collection(op.collection)
        plan = plan_operation(collection, current, op, from_device=True)
        if isinstance(plan, Refused):
            raise InvalidInput(plan.message, plan.errors)
        errors: dict[str, str] = {}
        limit = self.now() + MAX_AHEAD
        for name, value in op.fields.items():
            spec = collection.fields.get(name)
            if spec is None or not spec.legal_time or value is None:
                continue
            moment = datetime.fromisoformat(value) if "T" in value else None
            if moment is not None and moment > limit:
                errors[name] = (
                    f"Thời điểm {value} ở tương lai; kiểm tra ngày giờ của máy "
                    f"(date-time {value} is in the future; check the tablet's clock)"
                )
        dob = op.fields.get("applicant_dob")
        if isinstance(dob, str) and date.fromisoformat(dob) > self.now().date():
            errors["applicant_dob"] = "Ngày sinh ở tương lai (date of birth in the future)"
        if op.collection == "dossier" and ("parties" in op.fields or "facts" in op.fields):
            errors.update(self._form_problems(op, current))
        if collection.parent is not None:
            parent_field, parent_collection = collection.parent
            parent_id = op.fields.get(parent_field)
            if (
                isinstance(parent_id, str)
                and self.store.read_record(parent_collection, parent_id) is None
            ):
                errors[parent_field] = (
                    f"Không tìm thấy hồ sơ {parent_id} (unknown {parent_collection} {parent_id})"
                )
        village = op.fields.get("village_id")
        if isinstance(village, int):
            known = {v["id"] for v in self.villages()}
            if known and str(village) not in known:
                errors["village_id"] = (
                    f"Thôn/bản {village} không thuộc xã này (village not in this commune)"
                )
        if errors:
            names = ", ".join(sorted(errors))
            raise InvalidInput(f"Dữ liệu không hợp lệ: {names} (invalid: {names})", errors)

    def _form_problems(self, op: Operation, current: RecordState | None) -> dict[str, str]:
        """Parties and facts as the procedure's form asks (``sync.forms``, as the server)."""
        before = current.fields if current is not None else {}
        procedure_id = op.fields.get("procedure_id", before.get("procedure_id"))
        procedure = self.procedure(procedure_id) if isinstance(procedure_id, int) else None
        problems = value_problems(
            (procedure or {}).get("form"),
            op.fields.get("parties", before.get("parties")),
            op.fields.get("facts", before.get("facts")),
            today=self.now().astimezone(OFFICE_TZ).date(),
        )
        return {k: v for k, v in problems.items() if k.split(".")[0] in op.fields}

    def _op(
        self,
        collection: str,
        record_id: str,
        fields: Mapping[str, Any],
        *,
        base: Mapping[str, str] | None = None,
        create: bool = False,
    ) -> Operation:
        values = {k: _json_value(v) for k, v in fields.items()}
        if create:  # an absent field means null at creation: save the bytes
            values = {k: v for k, v in values.items() if v is not None}
        spec = COLLECTIONS.get(collection)
        if spec is not None:
            values = spec.canonical(values)  # the form the server stores, byte for byte
        return Operation(
            op_id=new_id(),
            collection=collection,
            record_id=record_id,
            stamp=self.clock.now().encode(),
            fields=values,
            base=dict(base or {}),
            create=create,
        )

    def _create_op(self, collection: str, fields: Mapping[str, Any]) -> Operation:
        op = self._op(collection, new_id(), fields, create=True)
        self._check(op, None)
        return op

    def _save(self, *ops: Operation) -> None:
        """Record operations (already checked) and the clock, in one transaction (G2)."""
        with self.store.transaction():
            for op in ops:
                self.store.record_local(op)
            # Stamps must keep increasing after a restart even if the clock went back.
            self.store.set_setting(_SYNC.hlc_key, self.clock.last.encode())

    def _event(
        self,
        dossier_id: str,
        kind: str,
        occurred_at: datetime,
        *,
        from_status: str | None = None,
        to_status: str | None = None,
        note: str | None = None,
        data: Mapping[str, Any] | None = None,
    ) -> Operation:
        return self._create_op(
            "dossier_event",
            {
                "dossier_id": dossier_id,
                "kind": kind,
                "occurred_at": occurred_at,
                "officer_id": self.registration.officer_id,
                "from_status": from_status,
                "to_status": to_status,
                "note": note,
                "data": dict(data) if data else None,
            },
        )

    # -- dossiers ------------------------------------------------------------------------------

    def create_dossier(
        self,
        procedure_id: int,
        applicant_name: str,
        *,
        applicant_cccd: str | None = None,
        applicant_dob: date | str | None = None,
        applicant_phone: str | None = None,
        applicant_address: str | None = None,
        channel: Channel | str = Channel.COUNTER,
        village_id: int | None = None,
        provided_documents: Sequence[int] = (),
        received_at: datetime | None = None,
        note: str | None = None,
        parties: Mapping[str, Mapping[str, Any]] | None = None,
        facts: Mapping[str, Any] | None = None,
        verification_needed: bool = False,
        notify_consent: bool | None = None,
        notify_email: str | None = None,
        settling_commune_id: int | None = None,
        return_commune_id: int | None = None,
    ) -> str:
        """Receive a dossier offline; returns its id. Its receipt number is final (G1).

        ``settling_commune_id``: the commune competent to settle it when it is not this
        one (a procedure receivable anywhere in the province, Decree 118/2025/NĐ-CP); the
        intake then also records the ``handed_over`` event. ``return_commune_id``: where
        the result is returned (this commune or the settling one; default this one).

        ``notify_consent``: the citizen agreed to be told of the result, a supplement or
        a new date (by SMS to ``applicant_phone``, e-mail to ``notify_email``).

        ``parties`` and ``facts`` are the values of the procedure's form (``sync.forms``),
        checked here as the server checks them.
        """
        registration = self.registration
        procedure = self.procedure(procedure_id)
        if procedure is None:
            raise InvalidInput(
                f"Thủ tục {procedure_id} chưa có trên máy; hãy đồng bộ danh mục "
                f"(procedure {procedure_id} unknown here; sync the catalog first)",
                {"procedure_id": "unknown"},
            )
        received = received_at or self.now()
        if received.tzinfo is None:
            raise InvalidInput(
                "Thời điểm tiếp nhận phải có múi giờ (received_at needs a time zone)",
                {"received_at": "naive datetime"},
            )
        documents = [
            {**doc, "provided": index in set(provided_documents)}
            for index, doc in enumerate(procedure.get("required_documents") or [])
            if isinstance(doc, dict)
        ]
        proposed_due, verification_due = self.due_dates(procedure, received)
        year = received.astimezone(OFFICE_TZ).year
        fields: dict[str, Any] = {
            "procedure_id": procedure_id,
            "applicant_name": applicant_name.strip(),
            "applicant_cccd": applicant_cccd or None,
            "applicant_dob": applicant_dob,
            "applicant_phone": applicant_phone or None,
            "applicant_address": applicant_address or None,
            "village_id": village_id,
            "channel": str(channel),
            "received_at": received,
            "due_date": proposed_due,
            "verification_needed": bool(verification_needed and verification_due),
            "status": DossierStatus.RECEIVED.value,
            "handler_id": registration.officer_id,
            "documents": documents,
            "note": note or None,
            "parties": clean_parties(parties),
            "facts": clean_values(facts),
            # The citizen's secret for the status page, made here, offline (slip 01).
            "check_code": new_check_code(),
        }
        if verification_due is not None:
            # A server value: proposed only when there is one (PROTOCOL.md §3 server).
            fields["verification_due_date"] = verification_due
        if notify_consent is not None:
            fields["notify_consent"] = notify_consent
        if notify_email:
            fields["notify_email"] = notify_email.strip()
        own = registration.commune_id
        settling = own if settling_commune_id is None else settling_commune_id
        problem = self.settling_problem(procedure, settling)
        if problem:
            raise InvalidInput(problem, {"settling_commune_id": problem})
        returned = own if return_commune_id is None else return_commune_id
        if returned not in (own, settling):
            message = (
                "Nơi trả kết quả phải là xã tiếp nhận hoặc xã giải quyết "
                "(the result is returned at the receiving or the settling commune)"
            )
            raise InvalidInput(message, {"return_commune_id": message})
        fields["settling_commune_id"] = settling
        fields["return_commune_id"] = returned
        # Check everything with a placeholder number before consuming a serial.
        self._check(
            self._op(
                "dossier", new_id(), {**fields, "receipt_number": "0-0000-00000"}, create=True
            ),
            None,
        )
        with self.store.transaction():
            serial = self.store.next_counter(f"receipt_serial:{year}")
            fields["receipt_number"] = format_receipt_number(
                registration.commune_code, year, registration.device_no, serial
            )
            dossier = self._create_op("dossier", fields)
            self._save(dossier)
            event = self._event(
                dossier.record_id, "received", received, to_status=DossierStatus.RECEIVED.value
            )
            self._save(event)
            if settling != own:
                self._save(self._handed_over(dossier.record_id, own, settling, "", received))
        return dossier.record_id

    def _handed_over(
        self, dossier_id: str, from_id: int, to_id: int, reason: str, at: datetime
    ) -> Operation:
        data = {"from_commune_id": from_id, "to_commune_id": to_id, "reason": reason}
        return self._event(dossier_id, HANDED_OVER, at, note=reason or None, data=data)

    def hand_over(self, dossier_id: str, to_commune_id: int, reason: str | None = None) -> str:
        """Hand a dossier over to another commune of the province for settling (Decree
        118/2025/NĐ-CP): the ``settling_commune_id`` change and a ``handed_over`` event,
        saved together. A second handover needs a reason. Returns the event's id.

        The server checks the same (server/services/handover.py); the due date does not
        change. If the result was to be returned by the commune giving the dossier up,
        it is returned at the receiving commune.
        """
        current = self._current("dossier", dossier_id)
        fields = current.fields
        reason = (reason or "").strip()
        if str(fields.get("status")) not in {s.value for s in OPEN_STATUSES}:
            raise InvalidInput(
                "Hồ sơ đã giải quyết xong hoặc đã dừng, không chuyển được "
                "(the dossier is finished: it can no longer be handed over)",
                {"status": "finished"},
            )
        settling = fields.get("settling_commune_id")
        receiving = self.receiving_commune_id(fields) or self.registration.commune_id
        if to_commune_id == settling:
            message = "Hồ sơ đã do xã này giải quyết (already settled by this commune)"
            raise InvalidInput(message, {"to_commune_id": message})
        if to_commune_id != receiving:
            procedure = self.procedure(int(fields.get("procedure_id") or 0))
            if procedure is None or not procedure.get("receivable_anywhere"):
                problem = self.settling_problem(None, to_commune_id)
                raise InvalidInput(str(problem), {"to_commune_id": str(problem)})
            if to_commune_id not in {int(u["id"]) for u in self.communes()}:
                message = f"Xã {to_commune_id} không thuộc tỉnh (not in the province)"
                raise InvalidInput(message, {"to_commune_id": message})
        earlier = any(e.get("kind") == HANDED_OVER for e in self.timeline(dossier_id))
        if earlier and not reason:
            message = "Chuyển lại hồ sơ lần nữa cần ghi lý do (a second handover needs a reason)"
            raise InvalidInput(message, {"reason": message})
        changes: dict[str, Any] = {"settling_commune_id": to_commune_id}
        if fields.get("return_commune_id") not in (receiving, to_commune_id):
            changes["return_commune_id"] = receiving
        with self.store.transaction():
            op = self._update_op("dossier", dossier_id, changes)
            assert op is not None
            event = self._handed_over(
                dossier_id, int(settling or receiving), to_commune_id, reason, self.now()
            )
            self._save(op, event)
        return event.record_id

    def _current(self, collection: str, record_id: str) -> RecordState:
        current = self.store.read_record(collection, record_id)
        if current is None:
            raise InvalidInput(
                f"Không tìm thấy bản ghi {record_id} (no {collection} {record_id} on this tablet)"
            )
        return current

    def _update_op(
        self, collection: str, record_id: str, changes: Mapping[str, Any]
    ) -> Operation | None:
        """An edit of the fields that really change, based on the local clocks."""
        current = self._current(collection, record_id)
        values = {k: _json_value(v) for k, v in changes.items()}
        changed = {k: v for k, v in values.items() if current.fields.get(k, None) != v}
        if not changed:
            return None
        if self.store.creation_rejected(collection, record_id):
            # The server never accepted the record: the correction is a new creation.
            merged = {**current.fields, **changed}
            merged.pop("deleted", None)
            op = self._op(collection, record_id, merged, create=True)
            self._check(op, None)
            return op
        base = {k: current.clocks[k] for k in changed if current.clocks.get(k)}
        op = self._op(collection, record_id, changed, base=base)
        self._check(op, current)
        return op

    def edit(self, collection: str, record_id: str, **fields: Any) -> str | None:
        """Change fields of a record; returns the operation id, or None if nothing changed."""
        if collection == "dossier" and "status" in fields:
            raise InvalidInput(
                "Dùng change_status để chuyển trạng thái hồ sơ (use change_status for status)",
                {"status": "use change_status"},
            )
        op = self._update_op(collection, record_id, fields)
        if op is None:
            return None
        self._save(op)
        return op.op_id

    def correct_dossier(self, dossier_id: str, **changes: Any) -> str | None:
        """Correct what was typed: applicant fields, ``parties`` and ``facts``.

        Allowed until the result is returned (``result_returned_at``); each correction is
        a ``corrected`` timeline event naming the fields (not their values: the timeline
        is not sealed). Returns the operation id, or None when nothing changed.
        """
        unknown = set(changes) - CORRECTABLE
        if unknown:
            raise InvalidInput(
                f"Không sửa được: {', '.join(sorted(unknown))} (not correctable here)",
                dict.fromkeys(unknown, "not correctable"),
            )
        current = self._current("dossier", dossier_id)
        if (
            current.fields.get("result_returned_at")
            or current.fields.get("status") == DossierStatus.RESULT_RETURNED.value
        ):
            raise InvalidInput(
                "Hồ sơ đã trả kết quả, không sửa được thông tin người nộp "
                "(the result has been returned; the applicant can no longer be corrected)",
                {"status": "returned"},
            )
        if "parties" in changes:
            changes["parties"] = clean_parties(changes["parties"])
        if "facts" in changes:
            changes["facts"] = clean_values(changes["facts"])
        with self.store.transaction():
            op = self._update_op("dossier", dossier_id, changes)
            if op is None:
                return None
            paths = changed_paths(current.fields, op.fields)
            event = self._event(dossier_id, "corrected", self.now(), data={"fields": paths})
            self._save(op, event)
        return op.op_id

    def change_status(
        self,
        dossier_id: str,
        new_status: DossierStatus | str,
        note: str | None = None,
        *,
        at: datetime | None = None,
    ) -> str:
        """Move a dossier along its state machine and log it on the timeline."""
        current = self._current("dossier", dossier_id)
        old = str(current.fields.get("status", ""))
        try:
            target = DossierStatus(str(new_status))
            source = DossierStatus(old)
        except ValueError as error:
            raise InvalidInput(
                f"Trạng thái không hợp lệ (invalid status): {error}", {"status": str(error)}
            ) from error
        if not can_transition(source, target):
            raise InvalidInput(
                f"Không thể chuyển hồ sơ từ '{source.value}' sang '{target.value}' "
                f"(a dossier cannot go from {source.value} to {target.value})",
                {"status": f"{source.value} → {target.value}"},
            )
        moment = at or self.now()
        changes: dict[str, Any] = {"status": target.value}
        if target is DossierStatus.RESULT_RETURNED:
            changes["result_returned_at"] = moment
        with self.store.transaction():
            op = self._update_op("dossier", dossier_id, changes)
            assert op is not None
            event = self._event(
                dossier_id,
                "status_changed",
                moment,
                from_status=source.value,
                to_status=target.value,
                note=note,
            )
            self._save(op, event)
        return op.op_id

    def record_verification(
        self, dossier_id: str, note: str | None = None, *, at: datetime | None = None
    ) -> str:
        """Record that verification is needed ("trường hợp cần xác minh"), after intake.

        The dossier's longer appointment (``verification_due_date``, computed at intake)
        then applies: it is not overdue by the shorter limit (Law on Civil Status 2014
        art. 18(2): marriage, up to 5 working days).
        """
        current = self._current("dossier", dossier_id)
        if not current.fields.get("verification_due_date"):
            raise InvalidInput(
                "Thủ tục này không có thời hạn xác minh (this procedure has no extension "
                "for verification)",
                {"verification_needed": "no extension"},
            )
        with self.store.transaction():
            op = self._update_op("dossier", dossier_id, {"verification_needed": True})
            event = self._event(dossier_id, "verification_needed", at or self.now(), note=note)
            if op is None:
                self._save(event)
            else:
                self._save(op, event)
        return event.record_id

    def add_note(
        self, dossier_id: str, note: str, *, kind: str = "note", at: datetime | None = None
    ) -> str:
        """A line on the dossier's timeline (checked papers, a phone call…)."""
        self._current("dossier", dossier_id)
        event = self._event(dossier_id, kind, at or self.now(), note=note)
        self._save(event)
        return event.record_id

    def add_apology(
        self,
        dossier_id: str,
        reason: str,
        new_due_date: date | str,
        *,
        issued_at: datetime | None = None,
    ) -> str:
        """A written apology for a late dossier (thư xin lỗi) with the new appointment."""
        self._current("dossier", dossier_id)
        moment = issued_at or self.now()
        apology = self._create_op(
            "dossier_apology",
            {
                "dossier_id": dossier_id,
                "reason": reason,
                "new_due_date": new_due_date,
                "issued_at": moment,
                "officer_id": self.registration.officer_id,
            },
        )
        event = self._event(
            dossier_id,
            "apology",
            moment,
            note=reason,
            data={"apology_id": apology.record_id, "new_due_date": _json_value(new_due_date)},
        )
        self._save(apology, event)
        return apology.record_id

    # -- feedback and surveys ------------------------------------------------------------------

    def add_feedback(
        self,
        kind: FeedbackKind | str,
        content: str,
        *,
        channel: Channel | str = Channel.COUNTER,
        subject: str | None = None,
        dossier_id: str | None = None,
        citizen_name: str | None = None,
        citizen_phone: str | None = None,
        anonymous: bool = False,
        received_at: datetime | None = None,
    ) -> str:
        """Record a citizen's report, recommendation, complaint or praise."""
        if dossier_id is not None:
            self._current("dossier", dossier_id)
        op = self._create_op(
            "feedback",
            {
                "kind": str(kind),
                "content": content,
                "subject": subject,
                "dossier_id": dossier_id,
                "officer_id": self.registration.officer_id,
                "anonymous": anonymous,
                "citizen_name": None if anonymous else citizen_name,
                "citizen_phone": None if anonymous else (citizen_phone or None),
                "channel": str(channel),
                "received_at": received_at or self.now(),
                "status": FeedbackStatus.NEW.value,
            },
        )
        self._save(op)
        return op.record_id

    @staticmethod
    def _answer_problems(form: Mapping[str, Any], answers: Mapping[str, Any]) -> dict[str, str]:
        problems: dict[str, str] = {}
        questions = [q for q in form.get("questions") or [] if isinstance(q, dict)]
        known = {str(q.get("id")) for q in questions}
        for key in answers:
            if key not in known:
                problems[key] = f"Câu hỏi không có trong phiếu (no question {key!r} on the form)"
        for question in questions:
            qid = str(question.get("id"))
            kind = question.get("type")
            value = answers.get(qid)
            if value is None or value == "":
                if question.get("required"):
                    problems[qid] = "Chưa trả lời câu bắt buộc (required question unanswered)"
                continue
            if kind == "likert5" and (
                isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5
            ):
                problems[qid] = "Phải là số từ 1 đến 5 (must be 1 to 5)"
            elif kind == "yes_no" and not isinstance(value, bool):
                problems[qid] = "Phải là có/không (must be yes or no)"
            elif kind in ("single_choice", "multiple_choice"):
                options = {
                    str(o.get("value"))
                    for o in question.get("options") or []
                    if isinstance(o, dict)
                }
                chosen = value if isinstance(value, list) else [value]
                if kind == "single_choice" and isinstance(value, list):
                    problems[qid] = "Chỉ chọn một (choose one)"
                elif options and not all(str(c) in options for c in chosen):
                    problems[qid] = "Lựa chọn không có trong phiếu (not one of the options)"
            elif kind == "number" and (
                isinstance(value, bool) or not isinstance(value, int | float)
            ):
                problems[qid] = "Phải là số (must be a number)"
            elif kind == "text" and (not isinstance(value, str) or len(value) > 2000):
                problems[qid] = "Phải là chữ, tối đa 2000 ký tự (text up to 2000 characters)"
        return problems

    def add_survey_response(
        self,
        form_id: int,
        answers: Mapping[str, Any],
        village_id: int | None = None,
        *,
        collected_at: datetime | None = None,
        latitude: float | None = None,
        longitude: float | None = None,
        age_band: str | None = None,
        gender: str | None = None,
        ethnic_group: str | None = None,
    ) -> str:
        """One villager's answers to a published satisfaction survey."""
        form = self.store.get("survey_form", str(form_id))
        if form is not None:
            problems = self._answer_problems(form, answers)
            if problems:
                names = ", ".join(sorted(problems))
                raise InvalidInput(
                    f"Phiếu khảo sát chưa hợp lệ: {names} (invalid answers: {names})", problems
                )
        op = self._create_op(
            "survey_response",
            {
                "form_id": form_id,
                "village_id": village_id,
                "officer_id": self.registration.officer_id,
                "collected_at": collected_at or self.now(),
                "answers": {k: v for k, v in answers.items() if v is not None and v != ""},
                "latitude": latitude,
                "longitude": longitude,
                "age_band": age_band,
                "gender": gender,
                "ethnic_group": ethnic_group,
            },
        )
        self._save(op)
        return op.record_id

    # -- photos --------------------------------------------------------------------------------

    def attach_photo(
        self,
        owner_collection: AttachmentOwner | str,
        owner_id: str,
        photo: str | os.PathLike[str] | bytes,
        content_type: str | None = None,
        *,
        filename: str | None = None,
        caption: str | None = None,
    ) -> str:
        """Keep a photo of a paper and link it to a dossier or feedback (G11)."""
        owner = str(owner_collection)
        self._current(owner, owner_id)
        if isinstance(photo, bytes):
            data = photo
            name = filename or "anh.jpg"
        else:
            path = Path(photo)
            data = path.read_bytes()
            name = filename or path.name
        if not data:
            raise InvalidInput("Ảnh rỗng (empty photo)", {"photo": "empty"})
        kind = content_type or mimetypes.guess_type(name)[0] or "application/octet-stream"
        attachment = self._create_op(
            "attachment",
            {
                "owner_collection": owner,
                "owner_id": owner_id,
                "sha256": hashlib.sha256(data).hexdigest(),
                "filename": name[-200:],
                "content_type": kind,
                "size": len(data),
                "caption": caption,
            },
        )
        with self.store.transaction():
            self.store.add_blob(data, kind)  # bytes on disk before the commit
            self._save(attachment)
        return attachment.record_id

    def photos(self, owner_collection: str, owner_id: str) -> list[dict[str, Any]]:
        return self.store.list_records(
            "attachment", {"owner_collection": owner_collection, "owner_id": owner_id}
        )

    # -- conflicts -----------------------------------------------------------------------------

    def conflicts(self) -> list[dict[str, Any]]:
        """Open conflicts: values that lost a merge, for a person to see (G5)."""
        return self.store.list_records("sync_conflict", {"status": ConflictStatus.OPEN.value})

    def resolve_conflict(
        self, conflict_id: str, resolution: ConflictResolution | str = ConflictResolution.KEPT
    ) -> str:
        """Close a conflict, putting the lost value back when ``overturned``."""
        conflict = self.store.get("sync_conflict", conflict_id)
        if conflict is None:
            raise InvalidInput(f"Không tìm thấy xung đột {conflict_id} (unknown conflict)")
        choice = ConflictResolution(str(resolution))
        if choice is ConflictResolution.EDITED:
            raise InvalidInput(
                "Sửa giá trị bằng edit rồi đóng xung đột với 'kept' "
                "(edit the record, then close the conflict as 'kept')"
            )
        ops: list[Operation] = []
        with self.store.transaction():
            if choice is ConflictResolution.OVERTURNED:
                collection = str(conflict.get("collection"))
                name = str(conflict.get("field"))
                if collection == "dossier" and name == "status":
                    raise InvalidInput(
                        "Trạng thái hồ sơ không đảo ngược được; chuyển trạng thái mới "
                        "(a dossier status cannot be overturned; change it forward)"
                    )
                overturn = self._update_op(
                    collection,
                    str(conflict.get("record_id")),
                    {name: conflict.get("lost_value")},
                )
                if overturn is not None:
                    ops.append(overturn)
            closing = self._update_op(
                "sync_conflict",
                conflict_id,
                {
                    "status": ConflictStatus.RESOLVED.value,
                    "resolution": choice.value,
                    "resolved_by_id": self.registration.officer_id,
                    "resolved_at": self.now(),
                },
            )
            if closing is not None:
                ops.append(closing)
            self._save(*ops)
        return conflict_id

    # -- sync and status -----------------------------------------------------------------------

    def transport(self, server_url: str | None = None) -> HttpTransport:
        registration = self.registration
        # Read from the store when it was sealed at start-up (StoreLocked until the PIN).
        token = registration.token or self.store.get_setting(_REG + "token") or ""
        return HttpTransport(server_url or registration.server_url, token, self.app_version)

    def engine(
        self,
        transport: Transport,
        *,
        progress: Progress | None = None,
        sleep: Callable[[float], None] | None = None,
        **options: Any,
    ) -> SyncEngine:
        engine = SyncEngine(self.store, transport, self.clock, progress=progress, **options)
        if sleep is not None:
            engine.sleep = sleep
        return engine

    def sync(
        self,
        transport: Transport | None = None,
        progress: Progress | None = None,
        **options: Any,
    ) -> SyncReport:
        """Photos up, operations up, changes down (``sync.engine``). Never raises."""
        own = transport is None
        chosen = transport if transport is not None else self.transport()
        try:
            return self.engine(chosen, progress=progress, **options).sync()
        finally:
            if own and isinstance(chosen, HttpTransport):
                chosen.close()

    def status(self) -> TabletStatus:
        last = self.store.get_setting(_SYNC.last_sync_key)
        offset = self.store.get_setting(_SYNC.offset_key)
        return TabletStatus(
            registered=self.registered,
            pending=self.store.pending_count(),
            last_sync_at=datetime.fromisoformat(last) if last else None,
            rejected=self.store.rejected_operations(),
            open_conflicts=self.store.count_records(
                "sync_conflict", {"status": ConflictStatus.OPEN.value}
            ),
            skew_ms=-int(offset) if offset else 0,
        )

    def on_server(self, collection: str, record_id: str) -> bool:
        """Whether every change to the record is acknowledged by the server (G14)."""
        return self.store.is_acknowledged(collection, record_id)

    # -- reading -------------------------------------------------------------------------------

    def dossier(self, dossier_id: str) -> dict[str, Any] | None:
        return self.store.get("dossier", dossier_id)

    def dossiers(self, status: str | None = None) -> list[dict[str, Any]]:
        where = {"status": status} if status else None
        return self.store.list_records("dossier", where, order_by="received_at", descending=True)

    def timeline(self, dossier_id: str) -> list[dict[str, Any]]:
        return self.store.list_records(
            "dossier_event", {"dossier_id": dossier_id}, order_by="occurred_at"
        )
