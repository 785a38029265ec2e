"""An in-memory server that follows PROTOCOL.md, for client tests without HTTP.

It merges with the same pure functions as the real server (``sync.merge``), stores
outcomes by operation id (exactly once, retryable rejections not stored), makes
conflict records, pages pulls by a byte budget and keeps resumable photo uploads.
``FakeTransport`` is one device's ``Transport`` to it, with fault injection: a request
lost before it reaches the server, or a response lost after the server applied it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from sync.errors import DeviceRevoked, ServerRefused, TransportError
from sync.hlc import Clock, HybridClock, SystemClock, Timestamp
from sync.merge import Accepted, RecordState, apply_plan, plan_operation
from sync.ops import Change, Cursor, Operation, Outcome, OutcomeKind, Reason
from sync.schema import COLLECTIONS, Scope
from sync.storage import BlobRef, BlobStatus, PullPage, PushResult

T = TypeVar("T")
MAX_AHEAD_MS = 5 * 60 * 1000
COMMUNE_ID = 7
COMMUNE_CODE = "02965"
#: The officers registered on tablets 1, 2, 3… (as the real server names them in conflicts).
OFFICER_NAMES = ("Sùng Thị Mai", "Lò Văn Pằng", "Giàng Thị Dua", "Hầu A Lử")
VILLAGE_IDS = (71, 72, 73)
OTHER_VILLAGE_ID = 99
#: The catalog's form definitions (procedure code → parties and facts, ``sync.forms``).
SHIPPED_FORMS: dict[str, Any] = json.loads(
    (Path(__file__).resolve().parents[2] / "server/catalog/forms.json").read_text(encoding="utf-8")
)


@dataclass
class Stored:
    collection: str
    scope: str  # "reference" or "commune"
    state: RecordState
    seq: int
    device_no: int | None = None


def survey_questions() -> list[dict[str, Any]]:
    """A 12-question form shaped like the published demo survey."""
    questions: list[dict[str, Any]] = [
        {"id": f"q{n}", "type": "likert5", "text_vi": f"Câu {n}", "required": True}
        for n in range(1, 9)
    ]
    questions += [
        {"id": "q9", "type": "yes_no", "text_vi": "Đi lại nhiều lần?", "required": True},
        {"id": "q10", "type": "yes_no", "text_vi": "Nộp thêm giấy tờ?", "required": True},
        {
            "id": "q11",
            "type": "single_choice",
            "text_vi": "Ngôn ngữ",
            "options": [{"value": v} for v in ("vi", "hmn", "dao", "tay_giay", "hni")],
            "required": True,
        },
        {"id": "q12", "type": "text", "text_vi": "Góp ý khác", "required": False},
    ]
    return questions


class FakeServer:
    def __init__(self, *, physical: Clock | None = None) -> None:
        self.physical: Clock = physical or SystemClock()
        self.clock = HybridClock("s1", self.physical)
        self.records: dict[tuple[str, str], Stored] = {}
        self.last_seq = {"reference": 0, "commune": 0}
        self.outcomes: dict[str, Outcome] = {}
        self.received: list[str] = []  # every operation id pushed, repeats included
        self.applied: list[str] = []  # operation ids whose effects were applied
        self.blob_data: dict[str, bytearray] = {}
        self.blob_meta: dict[str, BlobRef] = {}
        self.complete: set[str] = set()
        self.revoked: set[int] = set()
        self.officer_names: dict[int, str] = {}
        self.min_app: str | None = None
        self.devices = 0

    # -- setup --------------------------------------------------------------------------------

    def registration(self, username: str = "hotich.tavan") -> dict[str, Any]:
        self.devices += 1
        self.officer_names[self.devices] = OFFICER_NAMES[(self.devices - 1) % len(OFFICER_NAMES)]
        return {
            "device": {
                "id": f"00000000-0000-7000-8000-{self.devices:012d}",
                "device_no": self.devices,
                "name": f"Máy {self.devices}",
                "commune": {"id": COMMUNE_ID, "code": COMMUNE_CODE, "name": "Tả Van", "kind": "Xã"},
                "officer": {
                    "id": 10 + self.devices,
                    "username": username,
                    "full_name": self.officer_names[self.devices],
                },
            },
            "token": f"token-{self.devices}",
        }

    def _officer_name(self, clock: str) -> str | None:
        node = _node(clock)
        return self.officer_names.get(int(node)) if node else None

    def _next(self, scope: str) -> int:
        self.last_seq[scope] += 1
        return self.last_seq[scope]

    def add_reference(self, collection: str, record_id: int, fields: dict[str, Any]) -> None:
        key = (collection, str(record_id))
        stored = self.records.get(key)
        state = stored.state if stored else RecordState()
        state.fields.update(fields)
        self.records[key] = Stored(collection, "reference", state, self._next("reference"))

    def seed_reference(self) -> None:
        self.add_reference(
            "admin_unit", COMMUNE_ID, {"name": "Tả Van", "level": "commune", "code": COMMUNE_CODE}
        )
        for number, vid in enumerate(VILLAGE_IDS, start=1):
            self.add_reference(
                "admin_unit",
                vid,
                {
                    "name": f"Thôn {number}",
                    "kind": "Thôn",
                    "level": "village",
                    "parent_id": COMMUNE_ID,
                },
            )
        self.add_reference(
            "admin_unit",
            OTHER_VILLAGE_ID,
            {"name": "Thôn xã khác", "kind": "Thôn", "level": "village", "parent_id": 8},
        )
        documents = [
            {"name_vi": "Tờ khai", "name_en": "Declaration form", "required": True},
            {"name_vi": "CCCD", "name_en": "Citizen ID card", "required": True},
        ]
        for pid, code, name, days in (
            (1, "1.001193", "Đăng ký khai sinh", 0),
            (2, "2.000815", "Chứng thực bản sao từ bản chính", 1),
            (3, "1.004946", "Đăng ký kết hôn", 5),
            # With its form (server/catalog/forms.json): bên nữ and bên nam.
            (4, "1.000894", "Đăng ký kết hôn trong nước", 0),
        ):
            self.add_reference(
                "procedure",
                pid,
                {
                    "code": code,
                    "name_vi": name,
                    "name_en": name,
                    "processing_days": days,
                    "required_documents": documents,
                    "active": True,
                    "form": SHIPPED_FORMS.get(code, {}) if pid == 4 else {},
                },
            )
        self.add_reference(
            "survey_form",
            1,
            {
                "key": "hai-long-2026",
                "version": 1,
                "title_vi": "Khảo sát mức độ hài lòng",
                "status": "published",
                "questions": survey_questions(),
            },
        )

    # -- server-side writes (the web, a colleague) -------------------------------------------------

    def edit(self, collection: str, record_id: str, **fields: Any) -> None:
        """A sequential edit made on the server (it has seen the current values)."""
        stored = self.records[(collection, record_id)]
        stamp = self.clock.now().encode()
        for name, value in fields.items():
            stored.state.fields[name] = value
            stored.state.clocks[name] = stamp
        stored.seq = self._next(stored.scope)

    # -- push ---------------------------------------------------------------------------------

    def _reject(self, op: Operation, reason: Reason, message: str) -> Outcome:
        outcome = Outcome(op.op_id, OutcomeKind.REJECTED, reason=reason, message=message)
        if not outcome.retryable:
            self.outcomes[op.op_id] = outcome
        return outcome

    def _apply(self, op: Operation, device_no: int) -> Outcome:
        collection = COLLECTIONS.get(op.collection)
        if collection is None or collection.scope is not Scope.COMMUNE:
            return self._reject(op, Reason.UNKNOWN_COLLECTION, "unknown collection")
        now_ms = self.physical.now_ms()
        if collection.parent is not None and op.create:
            parent_field, parent_collection = collection.parent
            if (parent_collection, str(op.fields.get(parent_field))) not in self.records:
                return self._reject(op, Reason.MISSING_PARENT, "parent not here yet")
        if op.collection == "attachment" and op.create:
            # Records before photos (PROTOCOL.md §8): taken as on its way until the bytes
            # arrive; a size that differs from the announced one is refused.
            meta = self.blob_meta.get(str(op.fields.get("sha256")))
            if meta is not None and meta.size != op.fields.get("size"):
                return self._reject(op, Reason.INVALID, "size differs from the photo")
        for name, spec in collection.fields.items():
            value = op.fields.get(name)
            if spec.legal_time and isinstance(value, str) and "T" in value:
                moment = datetime.fromisoformat(value)
                if moment.timestamp() * 1000 > now_ms + MAX_AHEAD_MS:
                    return self._reject(
                        op, Reason.DATE_IN_FUTURE, f"Thời điểm {name} ở tương lai (in the future)"
                    )
        restamped: str | None = None
        stamp = Timestamp.decode(op.stamp)
        if stamp.wall_ms > now_ms + MAX_AHEAD_MS:
            restamped = self.clock.now().encode()
            op = replace(op, stamp=restamped)
        else:
            self.clock.observe(stamp)
        key = (op.collection, op.record_id)
        stored = self.records.get(key)
        plan = plan_operation(collection, stored.state if stored else None, op)
        if not isinstance(plan, Accepted):
            outcome = Outcome(
                op.op_id,
                OutcomeKind.REJECTED,
                reason=plan.reason,
                message=plan.message,
                errors=plan.errors or None,
            )
            if not outcome.retryable:
                self.outcomes[op.op_id] = outcome
            return outcome
        state = apply_plan(stored.state if stored else None, plan)
        if plan.created:  # like the real server: absent fields hold their empty value
            for name, value in collection.canonical({}, create=True).items():
                state.fields.setdefault(name, value)
        seq = stored.seq if stored else 0
        if plan.writes or plan.created:
            seq = self._next("commune")
        self.records[key] = Stored(op.collection, "commune", state, seq, device_no)
        conflict_ids: list[str] = []
        for lost in plan.lost:
            cid = lost.conflict_id(op.collection, op.record_id)
            conflict_ids.append(cid)
            if ("sync_conflict", cid) in self.records:
                continue
            fields = {
                "collection": op.collection,
                "record_id": op.record_id,
                "field": lost.field,
                "reason": lost.reason,
                "kept_value": lost.kept_value,
                "kept_clock": lost.kept_clock,
                "kept_device_id": _device_id(lost.kept_clock),
                "lost_value": lost.lost_value,
                "lost_clock": lost.lost_clock,
                "lost_device_id": _device_id(lost.lost_clock),
                # As the real server: the officer registered on the losing tablet.
                "lost_officer_id": 10 + int(node) if (node := _node(lost.lost_clock)) else None,
                "kept_officer_name": self._officer_name(lost.kept_clock),
                "lost_officer_name": self._officer_name(lost.lost_clock),
                "status": "open",
            }
            server_stamp = self.clock.now().encode()
            self.records[("sync_conflict", cid)] = Stored(
                "sync_conflict",
                "commune",
                RecordState(fields, dict.fromkeys(fields, server_stamp)),
                self._next("commune"),
            )
        kind = (
            OutcomeKind.CONFLICT
            if plan.lost
            else OutcomeKind.MERGED
            if plan.concurrent
            else OutcomeKind.APPLIED
        )
        self.applied.append(op.op_id)
        outcome = Outcome(op.op_id, kind, seq, conflicts=tuple(conflict_ids), restamped=restamped)
        self.outcomes[op.op_id] = outcome
        return outcome

    def push(self, device_no: int, ops: Sequence[Operation], device_now_ms: int) -> PushResult:
        if device_no in self.revoked:
            raise DeviceRevoked(401, "Thiết bị đã bị thu hồi (device revoked)", "device_revoked")
        now = self.physical.now_ms()
        results = []
        for op in ops:
            self.received.append(op.op_id)
            stored = self.outcomes.get(op.op_id)
            results.append(stored if stored is not None else self._apply(op, device_no))
        return PushResult(now_ms=now, skew_ms=device_now_ms - now, outcomes=results)

    # -- pull ---------------------------------------------------------------------------------

    def pull(self, device_no: int, cursor: Cursor, budget: int) -> PullPage:
        if device_no in self.revoked:
            raise DeviceRevoked(401, "Thiết bị đã bị thu hồi (device revoked)", "device_revoked")
        reference = sorted(
            (
                s
                for s in self.records.items()
                if s[1].scope == "reference" and s[1].seq > cursor.reference
            ),
            key=lambda item: item[1].seq,
        )
        commune = sorted(
            (
                s
                for s in self.records.items()
                if s[1].scope == "commune" and s[1].seq > cursor.commune
            ),
            key=lambda item: item[1].seq,
        )
        changes: list[Change] = []
        size = 0
        ref_last, com_last = cursor.reference, cursor.commune
        queue = reference + commune
        for index, ((collection, record_id), stored) in enumerate(queue):
            if changes and size > budget:
                break
            change = Change(
                collection,
                record_id,
                stored.seq,
                dict(stored.state.fields),
                dict(stored.state.clocks),
                bool(stored.state.fields.get("deleted", False)),
            )
            size += len(json.dumps(change.to_wire(), ensure_ascii=False).encode())
            changes.append(change)
            if stored.scope == "reference":
                ref_last = stored.seq
            else:
                com_last = stored.seq
            del index
        more = len(changes) < len(queue)
        return PullPage(self.physical.now_ms(), changes, Cursor(ref_last, com_last), more)

    # -- photos -------------------------------------------------------------------------------

    def start_blob(self, blob: BlobRef) -> BlobStatus:
        if blob.sha256 in self.complete:
            return BlobStatus(self.blob_meta[blob.sha256].size, True)
        self.blob_meta.setdefault(blob.sha256, blob)
        data = self.blob_data.setdefault(blob.sha256, bytearray())
        return BlobStatus(len(data), False)

    def start_blobs(self, blobs: Sequence[BlobRef]) -> list[BlobStatus]:
        return [self.start_blob(blob) for blob in blobs]

    def append_blob(self, sha256: str, offset: int, chunk: bytes) -> BlobStatus:
        data = self.blob_data[sha256]
        meta = self.blob_meta[sha256]
        if offset != len(data):
            return BlobStatus(len(data), False)  # 409: the client takes our offset
        data.extend(chunk)
        if len(data) >= meta.size:
            if hashlib.sha256(bytes(data)).hexdigest() != sha256:
                data.clear()
                raise ServerRefused(422, "SHA-256 mismatch", "invalid")
            self.complete.add(sha256)
            return BlobStatus(len(data), True)
        return BlobStatus(len(data), False)

    # -- inspection ---------------------------------------------------------------------------

    def get(self, collection: str, record_id: str) -> dict[str, Any] | None:
        stored = self.records.get((collection, record_id))
        return dict(stored.state.fields) if stored else None

    def count(self, collection: str) -> int:
        return sum(1 for c, _ in self.records if c == collection)


@dataclass
class Fault:
    """Make a request fail: ``before`` it reaches the server or ``after`` it was applied."""

    method: str  # push, pull, start_blob, append_blob or any
    mode: str = "before"
    skip: int = 0  # let this many matching calls through first
    times: int = 1


@dataclass
class FakeTransport:
    server: FakeServer
    device_no: int = 1
    faults: list[Fault] = field(default_factory=list)
    calls: list[tuple[str, Any]] = field(default_factory=list)

    def _fault(self, method: str) -> str | None:
        for fault in self.faults:
            if fault.method not in (method, "any") or fault.times <= 0:
                continue
            if fault.skip > 0:
                fault.skip -= 1
                return None
            fault.times -= 1
            return fault.mode
        return None

    def _run(self, method: str, detail: Any, action: Callable[[], T]) -> T:
        self.calls.append((method, detail))
        mode = self._fault(method)
        if mode == "before":
            raise TransportError(f"injected: {method} lost before the server")
        result = action()
        if mode == "after":
            raise TransportError(f"injected: {method} response lost")
        return result

    def push(self, operations: Sequence[Operation], device_now_ms: int) -> PushResult:
        ops = list(operations)
        return self._run(
            "push",
            [op.op_id for op in ops],
            lambda: self.server.push(self.device_no, ops, device_now_ms),
        )

    def pull(self, cursor: Cursor, budget: int) -> PullPage:
        return self._run(
            "pull", cursor.encode(), lambda: self.server.pull(self.device_no, cursor, budget)
        )

    def start_blob(self, blob: BlobRef) -> BlobStatus:
        return self._run("start_blob", blob.sha256, lambda: self.server.start_blob(blob))

    def start_blobs(self, blobs: Sequence[BlobRef]) -> list[BlobStatus]:
        return self._run(
            "start_blobs",
            [blob.sha256 for blob in blobs],
            lambda: self.server.start_blobs(blobs),
        )

    def append_blob(self, sha256: str, offset: int, chunk: bytes) -> BlobStatus:
        return self._run(
            "append_blob",
            (sha256, offset, len(chunk)),
            lambda: self.server.append_blob(sha256, offset, chunk),
        )

    def count(self, method: str) -> int:
        return sum(1 for name, _ in self.calls if name == method)


def _node(clock: str | None) -> str | None:
    """The tablet number that wrote ``clock`` (None for the server's own stamps)."""
    node = Timestamp.decode(clock).node if clock else ""
    return node if node.isdigit() else None


def _device_id(clock: str | None) -> str | None:
    node = _node(clock)
    return f"00000000-0000-7000-8000-{int(node):012d}" if node else None
