"""Merge rules (sync/merge.py): unit cases and convergence over random histories."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sync.domain import DOSSIER_TRANSITIONS, DossierStatus
from sync.hlc import HybridClock, ManualClock, Timestamp
from sync.ids import new_id
from sync.merge import Accepted, RecordState, Refused, apply_plan, plan_operation
from sync.ops import Operation, Reason
from sync.schema import COLLECTIONS, DOSSIER

NEW_DOSSIER = {
    "receipt_number": "08305-2603-00001",
    "procedure_id": 1,
    "applicant_name": "Giàng A Páo",
    "channel": "counter",
    "received_at": "2026-02-12T02:00:00+00:00",
    "status": "received",
}


def op(
    fields: dict[str, Any],
    stamp: str,
    *,
    base: dict[str, str] | None = None,
    create: bool = False,
    record_id: str = "01a207ff-2d79-7682-a170-f74bde464639",
    collection: str = "dossier",
) -> Operation:
    return Operation(new_id(), collection, record_id, stamp, fields, base or {}, create)


def created(stamp: str = "000000001000a") -> RecordState:
    plan = plan_operation(DOSSIER, None, op(NEW_DOSSIER, stamp, create=True))
    assert isinstance(plan, Accepted)
    return apply_plan(None, plan)


def test_creation_needs_required_fields() -> None:
    plan = plan_operation(DOSSIER, None, op({"applicant_name": "A"}, "1a", create=True))
    assert isinstance(plan, Refused)
    assert plan.reason is Reason.INVALID
    assert "receipt_number" in plan.errors


def test_update_of_unknown_record_waits_for_it() -> None:
    plan = plan_operation(DOSSIER, None, op({"note": "x"}, "1a"))
    assert isinstance(plan, Refused)
    assert plan.reason is Reason.MISSING_PARENT


def test_unknown_field_and_bad_value_are_named() -> None:
    plan = plan_operation(
        DOSSIER, created(), op({"colour": 1, "applicant_dob": "1990-02-30"}, "2a")
    )
    assert isinstance(plan, Refused)
    assert set(plan.errors) == {"colour", "applicant_dob"}


def test_g5_sequential_overwrite_is_no_conflict() -> None:
    state = created("000000001000a")
    plan = plan_operation(DOSSIER, state, op({"note": "một"}, "000000002000a", base={"note": ""}))
    assert isinstance(plan, Accepted)
    state = apply_plan(state, plan)
    plan = plan_operation(
        DOSSIER, state, op({"note": "hai"}, "000000003000b", base={"note": "000000002000a"})
    )
    assert isinstance(plan, Accepted)
    assert plan.lost == ()
    assert not plan.concurrent


def test_g5_concurrent_same_field_keeps_loser() -> None:
    state = created()
    first = plan_operation(DOSSIER, state, op({"note": "A viết"}, "000000002000a"))
    assert isinstance(first, Accepted)
    state = apply_plan(state, first)
    # Device b had not seen a's note (no base) and wrote later: b wins, a's value is kept.
    second = plan_operation(DOSSIER, state, op({"note": "B viết"}, "000000003000b"))
    assert isinstance(second, Accepted)
    assert second.writes == {"note": ("B viết", "000000003000b")}
    (lost,) = second.lost
    assert (lost.kept_value, lost.lost_value) == ("B viết", "A viết")
    assert lost.reason == "concurrent_edit"


def test_g5_concurrent_loser_arriving_late_is_kept_too() -> None:
    state = apply_plan(
        created(),
        plan_operation(  # type: ignore[arg-type]
            DOSSIER, created(), op({"note": "B viết"}, "000000003000b")
        ),
    )
    late = plan_operation(DOSSIER, state, op({"note": "A viết"}, "000000002000a"))
    assert isinstance(late, Accepted)
    assert late.writes == {}
    (lost,) = late.lost
    assert (lost.kept_value, lost.lost_value) == ("B viết", "A viết")


def test_g5_different_fields_both_survive() -> None:
    state = created()
    a = plan_operation(DOSSIER, state, op({"note": "ghi chú"}, "000000002000a"))
    assert isinstance(a, Accepted)
    state = apply_plan(state, a)
    b = plan_operation(DOSSIER, state, op({"applicant_phone": "0912345678"}, "000000002500b"))
    assert isinstance(b, Accepted)
    state = apply_plan(state, b)
    assert state.fields["note"] == "ghi chú"
    assert state.fields["applicant_phone"] == "0912345678"


def test_g6_stale_status_cannot_undo_returned_result() -> None:
    state = created()
    for stamp, (status, base) in enumerate(
        [("in_progress", state.clocks["status"]), ("approved", None), ("result_returned", None)],
        start=2,
    ):
        clock = f"00000000{stamp}000a"
        plan = plan_operation(
            DOSSIER,
            state,
            op({"status": status}, clock, base={"status": base or state.clocks["status"]}),
        )
        assert isinstance(plan, Accepted), plan
        state = apply_plan(state, plan)
    # An offline tablet that only saw "received" asks for a supplement, with a later clock.
    stale = plan_operation(
        DOSSIER,
        state,
        op({"status": "needs_supplement"}, "000000009000b", base={"status": "000000001000a"}),
    )
    assert isinstance(stale, Accepted)
    assert stale.writes == {}
    (lost,) = stale.lost
    assert lost.reason == "stale_status"
    assert lost.kept_value == "result_returned"


def test_g6_stopped_is_final_and_beats_a_concurrent_decision() -> None:
    """Processing stopped (form 05, Circular 03/2025/TT-VPCP) is final like a withdrawal:
    a tablet that approved offline, concurrently, loses, and its write is kept as a
    conflict a person can overturn."""
    state = created()
    base = {"status": state.clocks["status"]}
    stop = plan_operation(DOSSIER, state, op({"status": "stopped"}, "000000002000a", base=base))
    assert isinstance(stop, Accepted), stop
    state = apply_plan(state, stop)
    approve = plan_operation(DOSSIER, state, op({"status": "approved"}, "000000003000b", base=base))
    assert isinstance(approve, Accepted)
    assert approve.writes == {}
    (lost,) = approve.lost
    assert (lost.kept_value, lost.lost_value, lost.reason) == (
        "stopped",
        "approved",
        "stale_status",
    )
    # Sequentially, nothing follows a stop.
    after = plan_operation(
        DOSSIER, state, op({"status": "in_progress"}, "000000004000a", base=dict(state.clocks))
    )
    assert isinstance(after, Refused)
    assert after.reason is Reason.INVALID_TRANSITION


def test_g6_sequential_status_must_follow_the_state_machine() -> None:
    state = created()
    plan = plan_operation(
        DOSSIER,
        state,
        op({"status": "result_returned"}, "000000002000a", base={"status": state.clocks["status"]}),
    )
    assert isinstance(plan, Refused)
    assert plan.reason is Reason.INVALID_TRANSITION


def test_g6_immutable_and_server_owned_fields() -> None:
    state = created()
    plan = plan_operation(DOSSIER, state, op({"receipt_number": "x"}, "000000002000a"))
    assert isinstance(plan, Refused)
    assert plan.reason is Reason.IMMUTABLE_FIELD
    plan = plan_operation(DOSSIER, state, op({"due_date": "2026-03-01"}, "000000002000a"))
    assert isinstance(plan, Refused)
    assert plan.reason is Reason.SERVER_OWNED_FIELD
    assert isinstance(
        plan_operation(DOSSIER, state, op({"due_date": "2026-03-01"}, "2a"), from_device=False),
        Accepted,
    )


def test_g6_append_only_records_cannot_change() -> None:
    events = COLLECTIONS["dossier_event"]
    fields = {"dossier_id": new_id(), "kind": "note", "occurred_at": "2026-02-12T02:00:00+00:00"}
    first = plan_operation(events, None, op(fields, "1a", create=True, collection="dossier_event"))
    assert isinstance(first, Accepted)
    state = apply_plan(None, first)
    again = plan_operation(events, state, op(fields, "1a", create=True, collection="dossier_event"))
    assert isinstance(again, Accepted)
    assert again.writes == {}
    changed = plan_operation(events, state, op({"note": "sửa"}, "2a", collection="dossier_event"))
    assert isinstance(changed, Refused)


def test_conflict_ids_are_stable() -> None:
    state = apply_plan(
        created(),
        plan_operation(  # type: ignore[arg-type]
            DOSSIER, created(), op({"note": "B"}, "000000003000b")
        ),
    )
    one = plan_operation(DOSSIER, state, op({"note": "A"}, "000000002000a"))
    two = plan_operation(DOSSIER, state, op({"note": "A"}, "000000002000a"))
    assert isinstance(one, Accepted)
    assert isinstance(two, Accepted)
    assert one.lost[0].conflict_id("dossier", "r") == two.lost[0].conflict_id("dossier", "r")


# --- convergence over random histories ----------------------------------------------------

LWW_FIELDS = {
    "note": ["", "chờ xác minh", "đã bổ sung giấy tờ", "hẹn chiều thứ sáu"],
    "applicant_phone": ["0912345678", "0987654321", "0355555555"],
    "handler_id": [1, 2, 3],
}


@dataclass
class Replica:
    """A device or the server: records plus an HLC, applying operations as they come."""

    name: str
    physical: ManualClock
    clock: HybridClock
    records: dict[str, RecordState] = field(default_factory=dict)
    seen: set[str] = field(default_factory=set)
    waiting: list[Operation] = field(default_factory=list)

    def receive(self, operation: Operation) -> None:
        if operation.op_id in self.seen:
            return  # exactly once: a duplicate delivery changes nothing
        current = self.records.get(operation.record_id)
        plan = plan_operation(DOSSIER, current, operation, from_device=False)
        if isinstance(plan, Refused):
            assert plan.reason is Reason.MISSING_PARENT, plan
            self.waiting.append(operation)  # causal delivery: wait for the creation
            return
        self.records[operation.record_id] = apply_plan(current, plan)
        self.seen.add(operation.op_id)
        self.clock.observe(Timestamp.decode(operation.stamp))
        waiting, self.waiting = self.waiting, []
        for queued in waiting:
            self.receive(queued)

    def local_edit(self, rng: random.Random) -> Operation | None:
        stamp = self.clock.now().encode()
        if not self.records or rng.random() < 0.2:
            record_id = new_id()
            fields = dict(NEW_DOSSIER, receipt_number=f"08305-26{self.name}-{len(self.seen):05d}")
            operation = Operation(new_id(), "dossier", record_id, stamp, fields, {}, True)
        else:
            record_id = rng.choice(sorted(self.records))
            state = self.records[record_id]
            if rng.random() < 0.35:
                options = sorted(DOSSIER_TRANSITIONS.get(DossierStatus(state.fields["status"]), ()))
                if not options:
                    return None
                fields = {"status": rng.choice(options).value}
            else:
                name = rng.choice(sorted(LWW_FIELDS))
                fields = {name: rng.choice(LWW_FIELDS[name])}
            base = {name: state.clocks.get(name, "") for name in fields}
            operation = Operation(new_id(), "dossier", record_id, stamp, fields, base)
        self.receive(operation)
        return operation


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32),
    replicas=st.integers(3, 5),
    steps=st.integers(5, 60),
    skews=st.lists(st.integers(-(10**8), 10**8), min_size=5, max_size=5),
)
def test_g7_replicas_converge_whatever_the_delivery(
    seed: int, replicas: int, steps: int, skews: list[int]
) -> None:
    rng = random.Random(seed)
    start = 1_764_000_000_000
    physical = [ManualClock(start + skews[n]) for n in range(replicas)]
    nodes = [
        Replica(str(n + 1), physical[n], HybridClock(str(n + 1), physical[n]))
        for n in range(replicas)
    ]
    log: list[Operation] = []
    partition = [set(range(replicas))]
    for _ in range(steps):
        action = rng.random()
        if action < 0.45:
            replica = rng.choice(nodes)
            replica.physical.advance(rng.randint(0, 5000))
            made = replica.local_edit(rng)
            if made is not None:
                log.append(made)
        elif action < 0.9 and log:
            # Deliver a random known operation (possibly again) within a partition group.
            group = sorted(rng.choice(partition))
            src, dst = nodes[rng.choice(group)], nodes[rng.choice(group)]
            known = [o for o in log if o.op_id in src.seen]
            if known:
                dst.receive(rng.choice(known))
        else:
            members = list(range(replicas))
            rng.shuffle(members)
            cut = rng.randint(1, replicas)
            partition = (
                [set(members[:cut]), set(members[cut:])] if cut < replicas else [set(members)]
            )
    # Heal: everyone gets everything, shuffled, some twice.
    for replica in nodes:
        deliveries = log + rng.sample(log, k=min(len(log), 5))
        rng.shuffle(deliveries)
        for operation in deliveries:
            replica.receive(operation)
    reference = nodes[0]
    for replica in nodes:
        assert not replica.waiting
        assert replica.seen == {o.op_id for o in log}  # no operation lost or doubled
        assert replica.records.keys() == reference.records.keys()
        for record_id, state in replica.records.items():
            assert state.fields == reference.records[record_id].fields
            assert state.clocks == reference.records[record_id].clocks
