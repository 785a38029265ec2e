"""Merge rules as pure functions: given a record's state and an operation, decide.

Nothing here touches a database. The server store asks :func:`plan_operation` what to
do and writes the answer; tests run the same functions over simulated replicas to prove
that every order of delivery ends in the same state (PROTOCOL.md §3).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from sync.domain import DossierStatus, can_transition
from sync.ops import Operation, Reason
from sync.schema import COLLECTIONS, Collection, Rule

#: Pseudo-field every non-append-only record has: the tombstone.
DELETED = "deleted"

_CONFLICT_NAMESPACE = uuid.UUID("6f1f7d1e-3c1a-4b5e-9a57-6d6f74637561")

_STAGE = {
    DossierStatus.APPROVED.value: 1,
    DossierStatus.REJECTED.value: 1,
    DossierStatus.REFUSED.value: 2,
    DossierStatus.WITHDRAWN.value: 2,
    # Processing stopped (form 05, Circular 03/2025/TT-VPCP) is final like a withdrawal.
    DossierStatus.STOPPED.value: 2,
    # The result is in the citizen's hands: nothing a tablet wrote without having seen
    # it undoes that (PROTOCOL.md §3), whatever its stamp and in whatever order the
    # server meets the two writes.
    DossierStatus.RESULT_RETURNED.value: 3,
}


def status_stage(value: Any) -> int:
    """0 while a dossier is open, 1 once decided, 2 once closed without a result
    (refused, withdrawn), 3 once the result is returned."""
    return _STAGE.get(value, 0)


@dataclass
class RecordState:
    """A record as a replica holds it: field values and the clock of each field."""

    fields: dict[str, Any] = field(default_factory=dict)
    clocks: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class LostWrite:
    """A value that lost a merge; it becomes a conflict record a person can overturn."""

    field: str
    reason: str  # concurrent_edit, stale_status, server_value
    kept_value: Any
    kept_clock: str
    lost_value: Any
    lost_clock: str

    def conflict_id(self, collection: str, record_id: str) -> str:
        """The same lost write always gives the same conflict record id."""
        name = f"{collection}/{record_id}/{self.field}/{self.lost_clock}"
        return str(uuid.uuid5(_CONFLICT_NAMESPACE, name))


@dataclass(frozen=True)
class Accepted:
    """The operation goes through: write ``writes`` (value, clock) and keep ``lost``."""

    writes: dict[str, tuple[Any, str]]
    lost: tuple[LostWrite, ...] = ()
    #: The device had not seen every current value it overwrote or left alone.
    concurrent: bool = False
    created: bool = False


@dataclass(frozen=True)
class Refused:
    reason: Reason
    message: str
    errors: dict[str, str] = field(default_factory=dict)


Plan = Accepted | Refused


def _check_values(collection: Collection, op: Operation) -> Refused | None:
    errors: dict[str, str] = {}
    for name, value in op.fields.items():
        if name == DELETED and not collection.append_only:
            if not isinstance(value, bool):
                errors[name] = "Phải là đúng/sai (must be true or false)"
            continue
        spec = collection.fields.get(name)
        if spec is None:
            errors[name] = f"Trường không tồn tại (unknown field {name!r})"
            continue
        problem = spec.check(value)
        if problem:
            errors[name] = problem
    if errors:
        names = ", ".join(sorted(errors))
        return Refused(Reason.INVALID, f"Dữ liệu không hợp lệ: {names} (invalid: {names})", errors)
    return None


def _plan_creation(collection: Collection, op: Operation) -> Plan:
    missing = [
        name
        for name, spec in collection.fields.items()
        if spec.required and op.fields.get(name) is None
    ]
    if missing:
        names = ", ".join(missing)
        return Refused(
            Reason.INVALID,
            f"Thiếu thông tin bắt buộc: {names} (missing required fields: {names})",
            dict.fromkeys(missing, "Không được để trống (required)"),
        )
    writes = {name: (value, op.stamp) for name, value in op.fields.items()}
    return Accepted(writes=writes, created=True)


def _decide_field(
    rule: Rule, name: str, current: RecordState, value: Any, op: Operation
) -> tuple[bool, LostWrite | None, bool]:
    """(take the incoming value?, what lost if anything, was it concurrent?)."""
    current_value = current.fields.get(name)
    current_clock = current.clocks.get(name, "")
    concurrent = op.base.get(name, "") != current_clock
    if rule is Rule.STATUS:
        take = (status_stage(value), op.stamp) > (status_stage(current_value), current_clock)
        reason = "stale_status" if status_stage(value) != status_stage(current_value) else None
    else:
        take = op.stamp > current_clock
        reason = None
    if value == current_value:
        # Same value: nothing is lost whichever clock is kept.
        return take, None, concurrent
    if take:
        lost = LostWrite(
            name, reason or "concurrent_edit", value, op.stamp, current_value, current_clock
        )
        # A sequential overwrite is what the officer meant: nothing to show.
        return True, lost if concurrent else None, concurrent
    lost = LostWrite(
        name, reason or "concurrent_edit", current_value, current_clock, value, op.stamp
    )
    return False, lost, concurrent


def plan_operation(
    collection: Collection,
    current: RecordState | None,
    op: Operation,
    *,
    from_device: bool = True,
) -> Plan:
    """Decide what applying ``op`` to a record in state ``current`` (None: absent) does.

    Pure and deterministic. Whole operations are refused or accepted: a refused
    operation changes nothing.
    """
    invalid = _check_values(collection, op)
    if invalid:
        return invalid
    if current is None:
        if not op.create:
            return Refused(
                Reason.MISSING_PARENT,
                "Bản ghi chưa có trên máy chủ, sẽ gửi lại sau "
                "(the record is not on the server yet; will retry)",
            )
        return _plan_creation(collection, op)

    writes: dict[str, tuple[Any, str]] = {}
    lost: list[LostWrite] = []
    concurrent = False
    for name, value in op.fields.items():
        spec = collection.fields.get(name)
        rule = spec.rule if spec else Rule.LWW
        unchanged = current.fields.get(name) == value
        if collection.append_only or rule is Rule.IMMUTABLE:
            if unchanged:
                continue
            return Refused(
                Reason.IMMUTABLE_FIELD,
                f"Không được sửa trường {name} sau khi đã tạo (field {name} cannot change)",
                {name: "Không được sửa (cannot change)"},
            )
        if from_device and (rule is Rule.SERVER or not collection.writable_by_device(name)):
            if unchanged:
                continue
            return Refused(
                Reason.SERVER_OWNED_FIELD,
                f"Trường {name} do máy chủ tính, máy tính bảng không sửa được "
                f"(field {name} is set by the server)",
                {name: "Do máy chủ tính (server-owned)"},
            )
        if rule is Rule.STATUS and op.base.get(name, "") == current.clocks.get(name, ""):
            old = DossierStatus(current.fields[name]) if name in current.fields else None
            if old is not None and not unchanged and not can_transition(old, DossierStatus(value)):
                return Refused(
                    Reason.INVALID_TRANSITION,
                    f"Không thể chuyển hồ sơ từ '{old.value}' sang '{value}' "
                    f"(a dossier cannot go from {old.value} to {value})",
                    {name: f"{old.value} → {value}"},
                )
        take, lost_write, was_concurrent = _decide_field(rule, name, current, value, op)
        concurrent = concurrent or was_concurrent
        if lost_write is not None:
            lost.append(lost_write)
        if take:
            writes[name] = (value, op.stamp)
    return Accepted(writes=writes, lost=tuple(lost), concurrent=concurrent)


def apply_plan(state: RecordState | None, plan: Accepted) -> RecordState:
    """The record after an accepted plan (for replicas that hold records in memory)."""
    new = RecordState(dict(state.fields), dict(state.clocks)) if state else RecordState()
    for name, (value, clock) in plan.writes.items():
        new.fields[name] = value
        new.clocks[name] = clock
    return new


def collection_of(name: str) -> Collection | None:
    return COLLECTIONS.get(name)
