"""Status writes that change nothing (sync/merge.py, PROTOCOL.md §3).

A tablet that saves a dossier again with the status it already has (the officer opened
the form and saved without changing it) writes the same status after having seen the
current one. That is not a transition: it must be accepted, not refused as
``invalid_transition`` (``received → received`` is not in the state machine).
"""

from __future__ import annotations

from sync.domain import DOSSIER_TRANSITIONS, DossierStatus
from sync.merge import Accepted, Refused, apply_plan, plan_operation
from sync.ops import Reason
from sync.schema import DOSSIER
from tests.sync.test_merge import created, op


def test_g6_a_sequential_write_of_the_same_status_is_accepted() -> None:
    state = created("000000001000a")
    assert state.fields["status"] == "received"
    # The worked example needs a status that cannot go to itself.
    assert DossierStatus.RECEIVED not in DOSSIER_TRANSITIONS[DossierStatus.RECEIVED]
    same = op(
        {"status": "received", "note": "đã xem lại"},
        "000000002000a",
        base={"status": "000000001000a", "note": ""},
    )
    plan = plan_operation(DOSSIER, state, same)
    assert isinstance(plan, Accepted), plan
    after = apply_plan(state, plan)
    assert after.fields["status"] == "received"
    assert after.fields["note"] == "đã xem lại"


def test_g6_a_sequential_write_of_another_status_still_follows_the_state_machine() -> None:
    state = created("000000001000a")
    jump = op({"status": "result_returned"}, "000000002000a", base={"status": "000000001000a"})
    plan = plan_operation(DOSSIER, state, jump)
    assert isinstance(plan, Refused)
    assert plan.reason is Reason.INVALID_TRANSITION
