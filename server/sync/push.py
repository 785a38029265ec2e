"""Applying a tablet's pushed operations (PROTOCOL.md §6).

One push is one transaction. It starts by locking the device's commune counter row, so
pushes of one commune (and conflict resolutions) run one after another: the
exactly-once check and each read-merge-write cannot race. Each operation then runs in
its own savepoint, so a refused or failing operation leaves no trace and blocks none
of the others (G12).

For each operation, in order: the stored outcome if its id was seen before (G3); the
collection and the record's commune (G9); the stamp, re-stamped with the server's clock
when it runs more than ``max_skew_ms`` ahead (G8); dates with legal weight not in the
future (G8); the merge plan of ``sync.merge`` (G5, G6); the records it names (parent,
owner, village, officers, procedure, survey form) being of this commune; the receipt
number; the photo being uploaded (G11); then the server's own values (due dates) and
the write, with a conflict record for every value that lost.

Cost. A field-day push is hundreds of operations, so the records they touch, their
stored outcomes and the receipt numbers they create are read up front in a few queries,
and sequence numbers are handed out in memory under the commune lock
(``changes.numbers_held``). Operations then run in chunks, each in one savepoint
flushed once (a few multi-row INSERTs), instead of one savepoint and a dozen statements
per operation. A refusal needs no savepoint: every check that refuses runs before the
operation writes anything. A database error (a constraint) can only show at a flush, so
it rolls the whole chunk back and the chunk runs again one operation per savepoint, as
everything did before: only the failing operation is rejected (G12).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, NoReturn, TypeVar

from sqlalchemy import func, insert, select
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session

from server.models import (
    AdminUnit,
    AppliedOperation,
    AuditEntry,
    Device,
    Dossier,
    DossierEvent,
    Feedback,
    Officer,
    Procedure,
    SurveyForm,
    SyncConflict,
    SyncRecord,
    UnitLevel,
    survey_form_commune,
    utcnow,
)
from server.models.surveys import FormStatus
from server.scoping import OTHER_COMMUNE_MESSAGE
from server.services import audit, day_offs, handover
from server.services.handover import involved_communes
from server.sync import shared
from server.sync.blobs import MAX_BLOB_BYTES, expect_blob, holder_of
from server.sync.clock import is_server_node, server_clock
from server.sync.store import MODELS, ServerFieldStore, normalise, rows_by_id
from server.translatable import both_languages
from sync.checkcode import new_check_code
from sync.domain import CLOCK_RUNNING, FEEDBACK_RESPONSE_DAYS, DossierStatus, FeedbackKind
from sync.forms import value_problems
from sync.hlc import Timestamp
from sync.merge import LostWrite, RecordState, Refused, plan_operation
from sync.ops import Operation, Outcome, OutcomeKind, Reason
from sync.receipts import ReceiptNumberError, read_receipt_number
from sync.schema import (
    COLLECTIONS,
    REFERENCE_COLLECTIONS,
    SYNC_CONFLICT,
    Collection,
)
from sync.workdays import OFFICE_TZ, DayOffDecisions, due_date, resume_due_date

#: Timeline events a receiving commune writes on a dossier another commune settles: its
#: intake, and notes (besides its handovers and the return of the result).
RECEIVER_EVENTS = frozenset({"received", "note"})
#: Fields naming an officer; the officer must belong to the device's commune.
OFFICER_FIELDS = frozenset(
    {"handler_id", "officer_id", "assignee_id", "resolved_by_id", "lost_officer_id"}
)
#: A device clock this far behind the server's makes its legal dates doubtful
#: (PROTOCOL.md §4): they are held for the officer to confirm.
CLOCK_CONFIRM_MS = 24 * 60 * 60 * 1000

#: Fields saying who did something (and when it was decided): the server sets them from
#: the authenticated device, never from the body (PROTOCOL.md §6 "Identity").
IDENTITY_FIELDS: dict[str, frozenset[str]] = {
    "sync_conflict": frozenset({"resolved_by_id", "resolved_at"}),
    "dossier_event": frozenset({"officer_id"}),
    "dossier_apology": frozenset({"officer_id"}),
    "survey_response": frozenset({"officer_id"}),
}
#: Writing any of these to a conflict record decides it.
DECISION_FIELDS = frozenset({"status", "resolution", "resolved_by_id", "resolved_at"})
#: Models an attachment may belong to.
OWNER_MODELS: dict[str, type[SyncRecord]] = {"dossier": Dossier, "feedback": Feedback}
#: What an officer calls a parent or owner record (messages).
PARENT_LABELS = {"dossier": "Hồ sơ", "feedback": "Phản ánh"}

#: Fields naming reference records (and officers), read up front for a whole push.
REFERENCE_FIELDS: dict[str, type[Any]] = {
    "village_id": AdminUnit,
    "procedure_id": Procedure,
    "form_id": SurveyForm,
    **dict.fromkeys(OFFICER_FIELDS, Officer),
}

_Ref = TypeVar("_Ref", AdminUnit, Officer, Procedure, SurveyForm)

#: Operations applied in one savepoint and flushed together (see the module docstring).
CHUNK = 500

FORBIDDEN_MESSAGE = OTHER_COMMUNE_MESSAGE


#: The range of the integer ids of reference rows (a query outside it is an error).
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1


@dataclass(frozen=True)
class PushResult:
    now_ms: int
    skew_ms: int
    outcomes: list[Outcome]

    def to_wire(self) -> dict[str, Any]:
        return {
            "now": self.now_ms,
            "skew": self.skew_ms,
            "results": [outcome.to_wire() for outcome in self.outcomes],
        }


class _Refusal(Exception):
    """Leaves the operation's savepoint, rolling back whatever it did."""

    def __init__(self, outcome: Outcome) -> None:
        super().__init__(outcome.message)
        self.outcome = outcome


def describe_duration(ms: int, *, vietnamese: bool) -> str:
    """``ms`` as e.g. ``"1096 ngày 3 giờ"`` / ``"1096 days 3 h"`` (two largest units)."""
    units = ("ngày", "giờ", "phút", "giây") if vietnamese else ("days", "h", "min", "s")
    parts: list[str] = []
    rest = abs(ms) // 1000
    for size, unit in zip((86_400, 3_600, 60, 1), units, strict=True):
        amount, rest = divmod(rest, size)
        if amount:
            parts.append(f"{amount} {unit}")
    return " ".join(parts[:2]) if parts else f"0 {units[-1]}"


@dataclass
class _Batch:
    """Audit entries and stored outcomes of a chunk, inserted together at its end."""

    audit: list[dict[str, Any]] = field(default_factory=list)
    applied: list[dict[str, Any]] = field(default_factory=list)

    def write(self, session: Session) -> None:
        # Plain multi-row INSERTs: nothing refers to these rows, no ORM object needed.
        connection = session.connection()
        if self.audit:
            connection.execute(insert(AuditEntry), self.audit)
        if self.applied:
            connection.execute(insert(AppliedOperation), self.applied)


class Pusher:
    """Applies the operations of one push for one device."""

    def __init__(
        self,
        session: Session,
        device: Device,
        *,
        device_now_ms: int,
        max_skew_ms: int,
        unreadable: dict[str, tuple[str, str]] | None = None,
    ) -> None:
        self.session = session
        #: Operations whose fields hold NUL or a lone surrogate: op id → (field, problem).
        self.unreadable = unreadable or {}
        self.device = device
        self.commune_id = device.commune_id
        self.clock = server_clock()
        self.server_now_ms = self.clock.physical_ms()
        self.skew_ms = device_now_ms - self.server_now_ms
        self.max_skew_ms = max_skew_ms
        self.store = ServerFieldStore(session, self.commune_id, device_id=device.id)
        # Conflict records are made by the server, not by the pushing device.
        self.server_store = ServerFieldStore(session, self.commune_id)
        self._devices: dict[int, Device | None] = {}
        self._restamped: dict[str, str] = {}  # server stamp → the device node it replaced
        # Read up front (``_prefetch``) and kept up to date while no savepoint has been
        # rolled back; None: ask the database each time, as after such a rollback.
        self._outcomes: dict[str, tuple[int, dict[str, Any]]] | None = None
        self._receipts: dict[str, str] | None = None  # receipt number → dossier id
        self._form_links: dict[int, bool] = {}  # survey form → published to the commune
        #: Dossiers this push handed over to another commune (their events may follow).
        self._handed_away: set[str] = set()
        self._decisions: DayOffDecisions | None = None  # day-off decisions (``_day_offs``)
        self._batch: _Batch | None = None  # rows of the chunk being applied (not isolated)
        # Villages, officers, procedures and forms named by operations. The session's
        # identity map holds its objects weakly, so without this every lookup of the same
        # village would be a query again.
        self._references: dict[tuple[type[Any], Any], Any] = {}

    # -- the push ----------------------------------------------------------------------------

    def push(self, operations: Sequence[Operation]) -> PushResult:
        outcomes: list[Outcome] = []
        # Every counter the push may number in: its commune's and those of the communes
        # involved in the shared dossiers it writes, locked in ascending order so two
        # communes pushing to the same dossier cannot deadlock (server/sync/shared.py).
        with shared.lock_communes(self.session, self._communes_to_lock(operations)):
            self._prefetch(operations)
            for start in range(0, len(operations), CHUNK):
                outcomes.extend(self._apply_chunk(operations[start : start + CHUNK]))
        return PushResult(self.server_now_ms, self.skew_ms, outcomes)

    def _communes_to_lock(self, operations: Sequence[Operation], batch: int = 500) -> set[int]:
        """This commune, the communes a push names as settling or return commune, and
        those involved in the dossiers its operations touch (read before locking: a
        handover committed meanwhile only costs a lock taken out of order)."""
        communes = {self.commune_id}
        named: set[int] = set()
        dossier_ids: set[str] = set()
        conflict_ids: set[str] = set()
        for op in operations:
            if op.collection == "dossier":
                dossier_ids.add(op.record_id)
                for name in ("settling_commune_id", "return_commune_id"):
                    value = op.fields.get(name)
                    if isinstance(value, int) and not isinstance(value, bool):
                        named.add(value)
            elif op.collection == "sync_conflict":
                conflict_ids.add(op.record_id)
            else:
                dossier_id = shared.dossier_id_of(op.collection, op.fields)
                if dossier_id is not None:
                    dossier_ids.add(dossier_id)
        named.discard(self.commune_id)
        if named:  # only real communes of the same province (no counter for a typo)
            commune = self._reference(AdminUnit, self.commune_id)
            province = commune.parent_id if commune is not None else None
            candidates = sorted(n for n in named if INT32_MIN <= n <= INT32_MAX)
            communes.update(
                self.session.scalars(
                    select(AdminUnit.id).where(
                        AdminUnit.id.in_(candidates),
                        AdminUnit.level == UnitLevel.COMMUNE,
                        AdminUnit.parent_id == province,
                    )
                )
            )
        wanted = sorted(conflict_ids)
        for start in range(0, len(wanted), batch):
            dossier_ids.update(
                self.session.scalars(
                    select(SyncConflict.record_id).where(
                        SyncConflict.id.in_(wanted[start : start + batch]),
                        SyncConflict.collection == "dossier",
                    )
                )
            )
        ids = sorted(dossier_ids)
        for start in range(0, len(ids), batch):
            for row in self.session.execute(
                select(
                    Dossier.commune_id, Dossier.settling_commune_id, Dossier.return_commune_id
                ).where(Dossier.id.in_(ids[start : start + batch]))
            ):
                if self.commune_id in row:
                    communes.update(row)
        return communes

    def _prefetch(self, operations: Sequence[Operation], batch: int = 500) -> None:
        """Load stored outcomes, the records operations touch or name as parents, and the
        receipt numbers they create, in a few queries rather than several per operation.
        """
        op_ids = sorted({op.op_id for op in operations})
        self._outcomes = {}
        for start in range(0, len(op_ids), batch):
            chunk = op_ids[start : start + batch]
            for stored in self.session.scalars(
                select(AppliedOperation).where(AppliedOperation.op_id.in_(chunk))
            ):
                self._outcomes[stored.op_id] = (stored.commune_id, stored.outcome)
        by_collection: dict[str, set[str]] = {}
        numbers: set[str] = set()
        named: dict[type[Any], set[int]] = {}
        for op in operations:
            if op.collection not in MODELS:
                continue
            for name, value in op.fields.items():
                model = REFERENCE_FIELDS.get(name)
                if model is not None and isinstance(value, int) and not isinstance(value, bool):
                    if INT32_MIN <= value <= INT32_MAX:
                        named.setdefault(model, set()).add(value)
                    else:  # no such row can exist; the operation's own check rejects it
                        self._references[(model, value)] = None
            by_collection.setdefault(op.collection, set()).add(op.record_id)
            parent = op.fields.get("dossier_id")
            if isinstance(parent, str):
                by_collection.setdefault("dossier", set()).add(parent)
            owner = op.fields.get("owner_id")
            owner_collection = op.fields.get("owner_collection")
            if isinstance(owner, str) and owner_collection in OWNER_MODELS:
                by_collection.setdefault(str(owner_collection), set()).add(owner)
            number = op.fields.get("receipt_number")
            if op.collection == "dossier" and op.create and isinstance(number, str):
                numbers.add(number)
        for collection, record_ids in by_collection.items():
            self.store.prefetch(collection, record_ids, batch)
        for model, ids in named.items():
            wanted_ids = sorted(ids)
            found = rows_by_id(self.session, model, wanted_ids, batch)
            for key in wanted_ids:
                self._references[(model, key)] = found.get(key)
        forms = sorted(named.get(SurveyForm, ()))
        if forms:
            linked = set(
                self.session.scalars(
                    select(survey_form_commune.c.form_id).where(
                        survey_form_commune.c.form_id.in_(forms),
                        survey_form_commune.c.commune_id == self.commune_id,
                    )
                )
            )
            self._form_links.update({form_id: form_id in linked for form_id in forms})
        self._receipts = {}
        wanted = sorted(numbers)
        for start in range(0, len(wanted), batch):
            rows = self.session.execute(
                select(Dossier.receipt_number, Dossier.id).where(
                    Dossier.receipt_number.in_(wanted[start : start + batch])
                )
            )
            for number, record_id in rows:
                self._receipts[str(number)] = str(record_id)

    def _forget(self) -> None:
        """After a savepoint rollback: what was read or made may be gone; ask the database."""
        self.store.forget()
        self._outcomes = None
        self._receipts = None

    def _apply_chunk(self, operations: Sequence[Operation]) -> list[Outcome]:
        """Apply operations in one savepoint; on a database error, again one by one."""
        if self._outcomes is not None:
            self._batch = _Batch()
            try:
                with self.session.begin_nested():
                    outcomes = [self.apply(op, isolated=False) for op in operations]
                    self.session.flush()
                    self._batch.write(self.session)
                return outcomes
            except (IntegrityError, DataError):
                # Some write broke a constraint; which one shows only one at a time.
                self._forget()
            finally:
                self._batch = None
        return [self.apply(op) for op in operations]

    def _reference(self, model: type[_Ref], key: Any) -> _Ref | None:
        """A village, officer, procedure or form by id, read once per push."""
        cache_key = (model, key)
        if cache_key not in self._references:
            self._references[cache_key] = self.session.get(model, key)
        found: _Ref | None = self._references[cache_key]
        return found

    def _stored(self, op_id: str) -> tuple[int, dict[str, Any]] | None:
        """(commune, outcome in wire form) stored for an operation id, if any."""
        if self._outcomes is not None:
            return self._outcomes.get(op_id)
        stored = self.session.get(AppliedOperation, op_id)
        return None if stored is None else (stored.commune_id, stored.outcome)

    def apply(self, op: Operation, *, isolated: bool = True) -> Outcome:
        """Apply one operation, in its own savepoint if ``isolated``.

        Not isolated, a database error propagates (the caller's savepoint rolls back);
        a refusal needs no savepoint, as nothing is written before the last check.
        """
        stored = self._stored(op.op_id)
        if stored is not None:
            commune_id, stored_outcome = stored
            if commune_id != self.commune_id:
                return self._rejected(op, Reason.FORBIDDEN, FORBIDDEN_MESSAGE)
            return Outcome.from_wire(stored_outcome)
        try:
            if op.op_id in self.unreadable:
                name, problem = self.unreadable[op.op_id]
                message = (
                    f"Trường {name} chứa ký tự không lưu được (NUL hoặc surrogate lẻ), "
                    f"hãy sửa lại rồi lưu ({name}: {problem})"
                )
                raise self._refuse(op, Reason.INVALID, message, {name: message})
            if isolated:
                with self.session.begin_nested():
                    outcome = self._apply(op)
            else:
                outcome = self._apply(op)
        except _Refusal as refusal:
            outcome = refusal.outcome
        except (IntegrityError, DataError) as error:
            if not isolated:
                raise
            self._forget()
            detail = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
            outcome = self._rejected(
                op,
                Reason.INVALID,
                "Dữ liệu không lưu được vì vi phạm ràng buộc của cơ sở dữ liệu "
                f"(the database refused the record: {detail[:300]})",
            )
        if not outcome.retryable:
            wire = outcome.to_wire()
            values = {
                "op_id": op.op_id,
                "device_id": self.device.id,
                "commune_id": self.commune_id,
                "outcome": wire,
            }
            if self._batch is not None:
                self._batch.applied.append({**values, "created_at": utcnow()})
            else:
                self.session.add(AppliedOperation(**values))
                self.session.flush()
            if self._outcomes is not None:
                self._outcomes[op.op_id] = (self.commune_id, wire)
        return outcome

    # -- one operation -----------------------------------------------------------------------

    def _rejected(
        self,
        op: Operation,
        reason: Reason,
        message: str,
        errors: dict[str, str] | None = None,
    ) -> Outcome:
        # The tablet splits "Tiếng Việt (English)" itself (PROTOCOL.md §4).
        both = {name: both_languages(text) for name, text in (errors or {}).items()}
        return Outcome(
            op.op_id,
            OutcomeKind.REJECTED,
            reason=reason,
            message=both_languages(message),
            errors=both or None,
        )

    def _refuse(
        self, op: Operation, reason: Reason, message: str, errors: dict[str, str] | None = None
    ) -> _Refusal:
        return _Refusal(self._rejected(op, reason, message, errors))

    def _apply(self, op: Operation) -> Outcome:
        spec = COLLECTIONS.get(op.collection)
        if spec is None:
            if op.collection in REFERENCE_COLLECTIONS:
                raise self._refuse(
                    op,
                    Reason.FORBIDDEN,
                    f"Dữ liệu danh mục {op.collection} chỉ đọc trên máy tính bảng "
                    f"({op.collection} is reference data, read-only for tablets)",
                )
            raise self._refuse(
                op,
                Reason.UNKNOWN_COLLECTION,
                f"Loại dữ liệu không tồn tại: {op.collection!r} "
                f"(unknown collection {op.collection!r})",
            )
        row = self.store.row(op.collection, op.record_id)
        if row is not None and not self.store.sees(op.collection, row):
            raise self._refuse(op, Reason.FORBIDDEN, FORBIDDEN_MESSAGE)
        if spec is SYNC_CONFLICT and row is None:
            raise self._refuse(
                op,
                Reason.FORBIDDEN,
                "Chỉ máy chủ tạo bản ghi xung đột (only the server creates conflict records)",
            )

        sent_stamp = op.stamp
        stamp, restamped = self._stamp(op)
        fields = {name: normalise(op.collection, name, value) for name, value in op.fields.items()}
        sent = fields.copy()
        identity = self._identity(op)
        fields.update(identity)
        op = Operation(op.op_id, op.collection, op.record_id, stamp, fields, op.base, op.create)
        self._check_legal_times(spec, op)
        self._check_clock(spec, op, sent_stamp)

        current = self.store.read_record(op.collection, op.record_id) if row else None
        plan = plan_operation(spec, current, op, from_device=True)
        if isinstance(plan, Refused):
            raise self._refuse(op, plan.reason, plan.message, plan.errors)
        self._check_references(op)
        self._check_shared(op, row)
        if spec.name == "dossier" and ("parties" in op.fields or "facts" in op.fields):
            self._check_form_values(op, row)
        writes = dict(plan.writes)
        lost = list(plan.lost)
        if plan.created:
            self._check_creation(spec, op)
            self._server_values(spec, op, writes, lost)
        elif spec.name == "dossier" and current is not None:
            self._resume_after_supplement(current, writes)
        # Identity values the body did not carry as such are the server's writes, so
        # they reach the device by pull (it never gets back its own stamps).
        replaced = [
            name
            for name, value in identity.items()
            if name in writes and sent.get(name, None) != value
        ]
        if replaced:
            identity_stamp = self.clock.now().encode()
            for name in replaced:
                writes[name] = (writes[name][0], identity_stamp)

        if writes:
            row = self.store.write(op.collection, op.record_id, writes)
        assert row is not None
        if plan.created and spec.name == "dossier" and self._receipts is not None:
            self._receipts[str(op.fields["receipt_number"])] = op.record_id
        conflict_ids = [self._record_conflict(op, item) for item in lost]
        if lost:
            kind = OutcomeKind.CONFLICT
        elif plan.concurrent:
            kind = OutcomeKind.MERGED
        else:
            kind = OutcomeKind.APPLIED
        entry: dict[str, Any] = {
            "action": f"sync.{op.collection}.{'create' if plan.created else 'update'}",
            "officer_id": self.device.officer_id,
            "device_id": self.device.id,
            "commune_id": self.commune_id,
            "entity": op.collection,
            "entity_id": op.record_id,
            "detail": {
                "op": op.op_id,
                "outcome": kind.value,
                "fields": sorted(writes),
                **({"conflicts": conflict_ids} if conflict_ids else {}),
                **({"restamped": restamped} if restamped else {}),
            },
        }
        if self._batch is not None:
            self._batch.audit.append({**entry, "at": utcnow(), "remote_addr": None})
        else:
            audit.record(self.session, **entry)
        return Outcome(
            op.op_id,
            kind,
            seq=row.seq,
            conflicts=tuple(conflict_ids),
            restamped=restamped,
        )

    # -- checks ------------------------------------------------------------------------------

    def _identity(self, op: Operation) -> dict[str, Any]:
        """Who did it and when it was decided, from the authenticated device and the
        server's clock, whatever the body says (PROTOCOL.md §6 "Identity")."""
        names = IDENTITY_FIELDS.get(op.collection)
        if not names:
            return {}
        if op.collection == "sync_conflict":
            if not DECISION_FIELDS & op.fields.keys():
                return {}
            decided = datetime.fromtimestamp(self.server_now_ms // 1000, UTC)
            return {
                "resolved_by_id": self.device.officer_id,
                "resolved_at": decided.isoformat(),
            }
        if not op.create:
            return {}
        return dict.fromkeys(names, self.device.officer_id)

    def _stamp(self, op: Operation) -> tuple[str, str | None]:
        """The stamp to merge with, and the server's re-stamp if the device's ran ahead."""
        try:
            stamp = Timestamp.decode(op.stamp)
        except ValueError as error:
            raise self._refuse(
                op, Reason.INVALID, f"Dấu thời gian không hợp lệ (bad stamp: {error})"
            ) from error
        if stamp.node != str(self.device.device_no):
            raise self._refuse(
                op,
                Reason.INVALID,
                f"Dấu thời gian phải mang số máy {self.device.device_no} "
                f"(the stamp's node {stamp.node!r} must be this device's number, "
                f"{self.device.device_no})",
            )
        if stamp.wall_ms > self.server_now_ms + self.max_skew_ms:
            fresh = self.clock.now().encode()
            self._restamped[fresh] = stamp.node
            return fresh, fresh
        self.clock.observe(stamp)
        return op.stamp, None

    def _check_clock(self, spec: Collection, op: Operation, sent_stamp: str) -> None:
        """Hold the legal dates of a device whose clock is more than a day behind
        (PROTOCOL.md §4): the dates it wrote may be off by as much. The operation is
        rejected ``clock_confirm`` with the reason; the officer confirms or corrects the
        date, and the tablet, its clock corrected by this answer's ``skew``, sends it
        again as a new operation."""
        if -self.skew_ms <= CLOCK_CONFIRM_MS:
            return
        written_ms = Timestamp.decode(sent_stamp).wall_ms
        if self.server_now_ms - written_ms <= CLOCK_CONFIRM_MS:
            return  # written after the tablet corrected its clock (its stamp is near now)
        dates = {
            name: value
            for name, value in op.fields.items()
            if value is not None
            and (field := spec.fields.get(name)) is not None
            and field.legal_time
        }
        if not dates:
            return
        behind_vi = describe_duration(self.skew_ms, vietnamese=True)
        behind_en = describe_duration(self.skew_ms, vietnamese=False)
        errors = {
            name: (
                f"{name} = {value}: đồng hồ máy tính bảng chậm {behind_vi} so với máy chủ, "
                "ngày này có thể sai; cán bộ kiểm tra, sửa hoặc xác nhận rồi lưu lại "
                f"(the tablet's clock is {behind_en} behind the server's, so this date may "
                "be wrong; check it, correct or confirm it, and save again)"
            )
            for name, value in dates.items()
        }
        names = ", ".join(sorted(dates))
        raise self._refuse(
            op,
            Reason.CLOCK_CONFIRM,
            f"Cần xác nhận {names}: đồng hồ máy tính bảng chậm {behind_vi} so với máy chủ "
            f"(confirm {names}: the tablet's clock was {behind_en} behind the server's)",
            errors,
        )

    def _check_legal_times(self, spec: Collection, op: Operation) -> None:
        for name, value in op.fields.items():
            field = spec.fields.get(name)
            if field is None or not field.legal_time or not isinstance(value, str):
                continue
            try:
                when = datetime.fromisoformat(value)
            except ValueError:
                continue  # the schema check names it
            if when.tzinfo is None:
                continue
            ahead_ms = int(when.timestamp() * 1000) - self.server_now_ms
            if ahead_ms <= self.max_skew_ms:
                continue
            server_now = datetime.fromtimestamp(self.server_now_ms / 1000, UTC)
            clock_note_vi = clock_note_en = ""
            if abs(self.skew_ms) > self.max_skew_ms:
                way_vi = "nhanh" if self.skew_ms > 0 else "chậm"
                way_en = "ahead of" if self.skew_ms > 0 else "behind"
                clock_note_vi = (
                    f"; đồng hồ máy tính bảng đang {way_vi} "
                    f"{describe_duration(self.skew_ms, vietnamese=True)} so với máy chủ, "
                    "hãy chỉnh lại ngày giờ của máy"
                )
                clock_note_en = (
                    f"; the tablet's clock is {describe_duration(self.skew_ms, vietnamese=False)}"
                    f" {way_en} the server's: set the tablet's date and time"
                )
            message = (
                f"{name} = {value} ở tương lai, sau giờ máy chủ "
                f"{describe_duration(ahead_ms, vietnamese=True)}{clock_note_vi}; "
                "sửa lại thời điểm rồi lưu "
                f"({name} {value} is {describe_duration(ahead_ms, vietnamese=False)} after the "
                f"server's time {server_now.isoformat(timespec='seconds')}{clock_note_en}; "
                "correct it and save again)"
            )
            raise self._refuse(op, Reason.DATE_IN_FUTURE, message, {name: message})

    def _check_references(self, op: Operation) -> None:
        """Every record the operation names must exist and belong to this commune."""
        for name, value in op.fields.items():
            if value is None or isinstance(value, bool):
                continue
            if name == "village_id" and isinstance(value, int):
                unit = self._reference(AdminUnit, value)
                if unit is None:
                    self._invalid(op, name, f"Thôn/bản {value} không tồn tại (unknown village)")
                if unit.level != UnitLevel.VILLAGE:
                    self._invalid(op, name, f"{value} không phải thôn/bản (not a village)")
                if unit.parent_id != self.commune_id:
                    raise self._refuse(
                        op,
                        Reason.FORBIDDEN,
                        f"Thôn/bản {value} không thuộc xã này (village not in this commune)",
                        {name: "Không thuộc xã này (not in this commune)"},
                    )
            elif name in OFFICER_FIELDS and isinstance(value, int):
                officer = self._reference(Officer, value)
                if officer is None:
                    self._invalid(op, name, f"Cán bộ {value} không tồn tại (unknown officer)")
                if officer.unit_id != self.commune_id:
                    raise self._refuse(
                        op,
                        Reason.FORBIDDEN,
                        f"Cán bộ {value} không thuộc xã này (officer not of this commune)",
                        {name: "Không thuộc xã này (not in this commune)"},
                    )
            elif name == "procedure_id" and isinstance(value, int):
                if self._reference(Procedure, value) is None:
                    self._invalid(op, name, f"Thủ tục {value} không tồn tại (unknown procedure)")
            elif name == "form_id" and isinstance(value, int):
                self._check_form(op, value)
            elif name == "dossier_id" and isinstance(value, str):
                self._check_parent(op, Dossier, value, name)
            elif name == "owner_id" and isinstance(value, str):
                owner = OWNER_MODELS.get(str(op.fields.get("owner_collection")))
                if owner is not None:
                    self._check_parent(op, owner, value, name)

    def _check_shared(self, op: Operation, row: Any) -> None:
        """Who may do what on a dossier received anywhere in the province (Decree
        118/2025/NĐ-CP; server/services/handover.py, PROTOCOL.md §7 "Shared dossiers").

        The settling commune processes and decides; the receiving commune sees it all,
        may hand it over again, write timeline notes and, when the result is returned
        at its centre, record that return. A creation naming another settling commune
        is checked as the web intake is.
        """
        if op.collection == "dossier" and row is None:
            procedure_id = op.fields.get("procedure_id")
            procedure = (
                self._reference(Procedure, procedure_id) if isinstance(procedure_id, int) else None
            )
            settling = op.fields.get("settling_commune_id")
            returned = op.fields.get("return_commune_id")
            problems = handover.settling_problems(
                self.session,
                procedure,
                self.commune_id,
                settling if isinstance(settling, int) else None,
                returned if isinstance(returned, int) else None,
            )
            if problems:
                problems = {name: both_languages(text) for name, text in problems.items()}
                message = "; ".join(problems.values())
                raise self._refuse(op, Reason.INVALID, message, problems)
            return
        record = row if row is not None else op.fields
        dossier = shared.dossier_of(self.session, op.collection, record, self.store.row)
        if dossier is None or involved_communes(dossier) == {self.commune_id}:
            return
        if row is None and self._handed_over_here(op):
            self._check_handover_event(op, dossier)
            return
        own = self.commune_id
        settling = dossier.settling_commune_id
        returns_here = dossier.return_commune_id == own
        returning = (
            op.fields.get("status") == DossierStatus.RESULT_RETURNED.value
            or op.fields.get("to_status") == DossierStatus.RESULT_RETURNED.value
            or "result_returned_at" in op.fields
        )
        if op.collection == "dossier":
            self._check_handover_fields(op, dossier)
            allowed = {"settling_commune_id", "return_commune_id"}
            if returns_here:
                allowed.add("result_returned_at")
                if op.fields.get("status") == DossierStatus.RESULT_RETURNED.value:
                    allowed.add("status")
            if own != settling and not set(op.fields) <= allowed:
                self._not_settling(op, dossier, sorted(set(op.fields) - allowed))
            if returning and not returns_here:
                self._not_returning(op, dossier)
        elif op.collection == "dossier_event" and row is None:
            kind = op.fields.get("kind")
            if kind == handover.HANDED_OVER:
                self._check_handover_event(op, dossier)
            elif returning and not returns_here:
                self._not_returning(op, dossier)
            elif own != settling and kind not in RECEIVER_EVENTS and not returning:
                self._not_settling(op, dossier, [f"kind={kind}"])
        elif op.collection in ("dossier_apology", "sync_conflict") and own != settling:
            self._not_settling(op, dossier, sorted(op.fields))

    def _commune_name(self, commune_id: int) -> str:
        unit = self._reference(AdminUnit, commune_id)
        return unit.full_name if unit is not None else str(commune_id)

    def _not_settling(self, op: Operation, dossier: Dossier, names: list[str]) -> NoReturn:
        settling = self._commune_name(dossier.settling_commune_id)
        message = (
            f"Hồ sơ do {settling} giải quyết: xã tiếp nhận chỉ theo dõi, ghi chú, chuyển hồ sơ "
            f"và trả kết quả ({', '.join(names)}) "
            f"(the dossier is settled by {settling}: the receiving commune follows it, writes "
            "notes, hands it over and returns the result)"
        )
        raise self._refuse(op, Reason.FORBIDDEN, message, dict.fromkeys(names, message))

    def _not_returning(self, op: Operation, dossier: Dossier) -> NoReturn:
        at = self._commune_name(dossier.return_commune_id)
        message = (
            f"Kết quả của hồ sơ này được trả tại {at} "
            f"(the result of this dossier is returned at {at})"
        )
        raise self._refuse(op, Reason.FORBIDDEN, message, {"status": message})

    def _check_handover_fields(self, op: Operation, dossier: Dossier) -> None:
        """A dossier operation changing the settling or return commune (a handover)."""
        settling = op.fields.get("settling_commune_id", dossier.settling_commune_id)
        if "settling_commune_id" in op.fields and settling != dossier.settling_commune_id:
            # The reason of a second handover is on its event (``_check_handover_event``).
            problem = handover.handover_problem(self.session, dossier, settling, "-")
            if problem:
                self._invalid(op, "settling_commune_id", both_languages(problem))
            if settling not in (self.commune_id, dossier.commune_id):
                # Its event follows in this push (``_handed_over_here``).
                self._handed_away.add(dossier.id)
        returned = op.fields.get("return_commune_id", dossier.return_commune_id)
        if "return_commune_id" in op.fields or "settling_commune_id" in op.fields:
            problem = handover.return_problem(dossier.commune_id, settling, returned)
            if problem:
                self._invalid(op, "return_commune_id", both_languages(problem))

    def _handed_over_here(self, op: Operation) -> bool:
        """A ``handed_over`` event after this push handed its dossier away: this commune
        no longer sees the dossier, but records the handover it just made."""
        return (
            op.collection == "dossier_event"
            and op.fields.get("kind") == handover.HANDED_OVER
            and op.fields.get("dossier_id") in self._handed_away
        )

    def _check_handover_event(self, op: Operation, dossier: Dossier) -> None:
        """A ``handed_over`` event names the dossier's settling commune as it is now (the
        dossier operation goes first) and, for a second handover, a reason."""
        data = op.fields.get("data")
        data = data if isinstance(data, dict) else {}
        if data.get("to_commune_id") != dossier.settling_commune_id:
            self._invalid(
                op,
                "data",
                "Sự kiện chuyển hồ sơ phải ghi đúng xã giải quyết hiện tại "
                "(a handed_over event must name the dossier's current settling commune)",
            )
        reason = str(data.get("reason") or op.fields.get("note") or "").strip()
        earlier = self.session.scalar(
            select(func.count())
            .select_from(DossierEvent)
            .where(
                DossierEvent.dossier_id == dossier.id,
                DossierEvent.kind == handover.HANDED_OVER,
                DossierEvent.id != op.record_id,
            )
        )
        if not reason and earlier:
            self._invalid(
                op,
                "note",
                "Chuyển lại hồ sơ lần nữa cần ghi lý do "
                "(a dossier handed over again needs a reason)",
            )

    def _check_form_values(self, op: Operation, row: Any) -> None:
        """Parties and facts as the procedure's form asks (``sync.forms``), field by field."""
        procedure_id = op.fields.get("procedure_id", getattr(row, "procedure_id", None))
        procedure = (
            self._reference(Procedure, procedure_id) if isinstance(procedure_id, int) else None
        )
        form = procedure.form if procedure is not None else {}
        today = datetime.fromtimestamp(self.server_now_ms / 1000, UTC).astimezone(OFFICE_TZ)
        problems = value_problems(
            form,
            op.fields.get("parties", getattr(row, "parties", None)),
            op.fields.get("facts", getattr(row, "facts", None)),
            today=today.date(),
        )
        # Only what this operation writes: an edit of one party is not refused for a
        # fact written under an older form.
        errors = {k: v for k, v in problems.items() if k.split(".")[0] in op.fields}
        if errors:
            names = ", ".join(sorted(errors))
            raise self._refuse(
                op, Reason.INVALID, f"Dữ liệu không hợp lệ: {names} (invalid: {names})", errors
            )

    def _invalid(self, op: Operation, name: str, message: str) -> NoReturn:
        raise self._refuse(op, Reason.INVALID, message, {name: message})

    def _check_parent(
        self, op: Operation, model: type[SyncRecord], record_id: str, name: str
    ) -> None:
        collection = str(model.__tablename__)
        parent = self.store.row(collection, record_id)
        if parent is None:
            label = PARENT_LABELS.get(collection, "Bản ghi")
            raise self._refuse(
                op,
                Reason.MISSING_PARENT,
                f"{label} {record_id} chưa có trên máy chủ, sẽ gửi lại sau "
                f"(its {collection} is not on the server yet; will retry)",
            )
        if not self.store.sees(collection, parent) and not self._handed_over_here(op):
            raise self._refuse(op, Reason.FORBIDDEN, FORBIDDEN_MESSAGE, {name: FORBIDDEN_MESSAGE})

    def _check_form(self, op: Operation, form_id: int) -> None:
        form = self._reference(SurveyForm, form_id)
        if form is None:
            self._invalid(op, "form_id", f"Phiếu khảo sát {form_id} không tồn tại (unknown form)")
        linked = self._form_links.get(form_id)
        if linked is None:
            linked = self._form_links[form_id] = (
                self.session.scalar(
                    select(survey_form_commune.c.form_id).where(
                        survey_form_commune.c.form_id == form_id,
                        survey_form_commune.c.commune_id == self.commune_id,
                    )
                )
                is not None
            )
        if not linked or form.status == FormStatus.DRAFT:
            raise self._refuse(
                op,
                Reason.FORBIDDEN,
                f"Phiếu khảo sát {form_id} không được phát hành cho xã này "
                "(this survey form is not published to this commune)",
                {"form_id": "Không phát hành cho xã này (not published here)"},
            )

    def _check_creation(self, spec: Collection, op: Operation) -> None:
        if spec.name == "dossier":
            self._check_receipt_number(op, str(op.fields["receipt_number"]))
        elif spec.name == "attachment":
            self._check_attachment_blob(op)

    def _check_attachment_blob(self, op: Operation) -> None:
        """Records travel before photo bytes (PROTOCOL.md §8): an attachment naming a
        photo this commune has not uploaded whole is taken as *on its way*; its bytes
        become readable only once the commune's own upload is verified (proof of
        possession: naming a hash another commune uploaded gives nothing)."""
        sha256 = str(op.fields["sha256"])
        size = int(op.fields["size"])
        if size > MAX_BLOB_BYTES:
            self._invalid(
                op,
                "size",
                f"Ảnh quá lớn ({size} byte) (a photo is at most {MAX_BLOB_BYTES} bytes)",
            )
        upload = holder_of(self.session, sha256, self.commune_id)
        if upload is not None and upload.size != size:
            self._invalid(
                op,
                "size",
                f"Kích thước {size} khác với ảnh đã khai báo ({upload.size}) "
                f"(size differs from the announced photo's {upload.size} bytes)",
            )
        expect_blob(self.session, sha256, size, str(op.fields["content_type"]))

    def _check_receipt_number(self, op: Operation, number: str) -> None:
        commune = self._reference(AdminUnit, self.commune_id)
        assert commune is not None
        code = commune.code or str(commune.id)
        try:
            parsed = read_receipt_number(number)
        except ReceiptNumberError as error:
            self._invalid(op, "receipt_number", str(error))
        commune_code, device_no = parsed.commune, parsed.device_no
        if commune_code != code:
            self._invalid(
                op,
                "receipt_number",
                f"Số biên nhận {number} không mang mã xã {code} "
                f"(receipt number must start with this commune's code {code})",
            )
        if device_no != self.device.device_no:
            self._invalid(
                op,
                "receipt_number",
                f"Số biên nhận {number} không mang số máy {self.device.device_no:02d} "
                f"(receipt number must carry this device's number {self.device.device_no:02d})",
            )
        if self._receipts is not None:
            holder = self._receipts.get(number)
            taken = holder if holder != op.record_id else None
        else:
            taken = self.session.scalar(
                select(Dossier.id).where(
                    Dossier.receipt_number == number, Dossier.id != op.record_id
                )
            )
        if taken is not None:
            self._invalid(
                op,
                "receipt_number",
                f"Số biên nhận {number} đã được dùng cho hồ sơ khác "
                "(receipt number already used by another dossier)",
            )

    # -- server-owned values and conflicts ---------------------------------------------------

    def _server_values(
        self,
        spec: Collection,
        op: Operation,
        writes: dict[str, tuple[Any, str]],
        lost: list[LostWrite],
    ) -> None:
        """Compute the server's own values of a new record (PROTOCOL.md §3 ``server``)."""
        if spec.name not in ("dossier", "feedback"):
            return
        values: dict[str, Any] = {}
        try:
            received = datetime.fromisoformat(str(op.fields["received_at"]))
            if spec.name == "dossier":
                procedure = self._reference(Procedure, op.fields["procedure_id"])
                assert procedure is not None
                due, verification_due = day_offs.due_dates(
                    self.session, procedure, received, self._day_offs()
                )
                values["due_date"] = due.isoformat()
                values["verification_due_date"] = (
                    None if verification_due is None else verification_due.isoformat()
                )
                if op.fields.get("check_code") is None:
                    # An app that made no check code: the server makes one (PROTOCOL.md §9).
                    values["check_code"] = new_check_code()
                for name in ("settling_commune_id", "return_commune_id"):
                    if op.fields.get(name) is None:
                        # Settled and returned where received unless told (older apps).
                        values[name] = self.commune_id
                # Only the province's one-stop system issues it (sync/dossier_code.py) and
                # an officer records it on the web later: none yet, whatever a device
                # proposed. Written so that every replica holds the field (PROTOCOL.md §9).
                values["official_code"] = None
            elif spec.name == "feedback":
                days = FEEDBACK_RESPONSE_DAYS.get(FeedbackKind(op.fields["kind"]))
                values["response_due_date"] = (
                    None if days is None else due_date(received, days).isoformat()
                )
        except (KeyError, ValueError) as error:
            self._invalid(
                op,
                "received_at",
                f"Không tính được hạn xử lý (cannot compute the due date: {error})",
            )
        if not values:
            return
        server_stamp = self.clock.now().encode()
        for name, value in values.items():
            proposed = op.fields.get(name)
            writes[name] = (value, server_stamp)
            if proposed is not None and proposed != value:
                lost.append(
                    LostWrite(name, "server_value", value, server_stamp, proposed, op.stamp)
                )

    def _resume_after_supplement(self, current: RecordState, writes: dict[str, Any]) -> None:
        """Restart the stopped clock when a dossier leaves ``needs_supplement``.

        Form 02 stops the clock (Decree 61/2018/NĐ-CP art. 16(3); the article of Decree
        118/2025/NĐ-CP that replaced it could not be read, docs/LAW.md): the working days
        left when the supplement was requested count again from the day the dossier goes
        back to work (``sync.workdays.resume_due_date``).
        The new dates are server values, written with the server's stamp.
        """
        status = writes.get("status")
        if status is None or current.fields.get("status") != DossierStatus.NEEDS_SUPPLEMENT:
            return
        if status[0] not in {s.value for s in CLOCK_RUNNING}:
            return
        paused_clock, resumed_clock = current.clocks.get("status"), status[1]
        if not paused_clock:
            return
        paused_on = _office_day(paused_clock)
        resumed_on = _office_day(resumed_clock)
        decisions = self._day_offs()
        server_stamp = self.clock.now().encode()
        for name in ("due_date", "verification_due_date"):
            old = current.fields.get(name)
            if not old:
                continue
            new = resume_due_date(date.fromisoformat(str(old)), paused_on, resumed_on, decisions)
            if new.isoformat() != old:
                writes[name] = (new.isoformat(), server_stamp)

    def _day_offs(self) -> DayOffDecisions:
        """The active day-off decisions, read once a push (a push cannot change them:
        they are reference data). Read without a flush, so the chunk's new rows still
        go to the database together."""
        if self._decisions is None:
            with self.session.no_autoflush:
                self._decisions = day_offs.current(self.session)
        return self._decisions

    def _device_for(self, clock: str) -> Device | None:
        """The device that made a stamp (None for the server or an unknown node)."""
        node = self._restamped.get(clock)
        if node is None:
            try:
                node = Timestamp.decode(clock).node
            except ValueError:
                return None
        if is_server_node(node) or not node.isdigit():
            return None
        number = int(node)
        if number not in self._devices:
            self._devices[number] = self.session.scalar(
                select(Device).where(
                    Device.commune_id == self.commune_id, Device.device_no == number
                )
            )
        return self._devices[number]

    def _record_conflict(self, op: Operation, lost: LostWrite) -> str:
        conflict_id = lost.conflict_id(op.collection, op.record_id)
        if self.session.get(SyncConflict, conflict_id) is not None:
            return conflict_id
        kept_device = self._device_for(lost.kept_clock)
        lost_device = self._device_for(lost.lost_clock)
        values: dict[str, Any] = {
            "collection": op.collection,
            "record_id": op.record_id,
            "field": lost.field,
            "reason": lost.reason,
            "kept_value": lost.kept_value,
            "kept_clock": lost.kept_clock,
            "kept_device_id": kept_device.id if kept_device else None,
            "lost_value": lost.lost_value,
            "lost_clock": lost.lost_clock,
            "lost_device_id": lost_device.id if lost_device else None,
            "lost_officer_id": lost_device.officer_id if lost_device else None,
            "kept_officer_name": kept_device.officer.full_name if kept_device else None,
            "lost_officer_name": lost_device.officer.full_name if lost_device else None,
            "status": "open",
            "resolution": None,
            "resolved_by_id": None,
            "resolved_at": None,
        }
        stamp = self.clock.now().encode()
        self.server_store.write(
            "sync_conflict", conflict_id, {name: (value, stamp) for name, value in values.items()}
        )
        return conflict_id


def push(
    session: Session,
    device: Device,
    operations: Sequence[Operation],
    *,
    device_now_ms: int,
    max_skew_ms: int,
    app_version: str | None = None,
    unreadable: dict[str, tuple[str, str]] | None = None,
) -> PushResult:
    """Apply ``operations`` from ``device``; the caller commits (one transaction).

    ``unreadable``: operations rejected for NUL or lone surrogates in their fields
    (op id → field, problem), each rejected on its own (G12).
    """
    result = Pusher(
        session,
        device,
        device_now_ms=device_now_ms,
        max_skew_ms=max_skew_ms,
        unreadable=unreadable,
    ).push(operations)
    device.last_sync_at = utcnow()
    if app_version:
        device.app_version = app_version[:32]
    return result


def _office_day(clock: str) -> date:
    """The office-time day of a stamp's wall clock."""
    wall = Timestamp.decode(clock).wall_ms
    return datetime.fromtimestamp(wall / 1000, UTC).astimezone(OFFICE_TZ).date()
