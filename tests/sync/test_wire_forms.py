"""Outcomes and changes as they travel (PROTOCOL.md §6–§7), read back by the tablet.

Absent keys have fixed meanings: no ``f``/``k`` is no fields/clocks, no ``d`` is *not*
deleted. A re-stamp (``t``) must reach the tablet, which replaces its wrong-clock stamp
with the server's (G8). Found by mutation testing: these went unchecked.
"""

from __future__ import annotations

import pytest

from sync.errors import WireError
from sync.ops import Change, Outcome, OutcomeKind, Reason

OP_ID = "01a207ff-2d79-7682-a170-f74bde464639"
SERVER_STAMP = "0mic5ef4g0001sab12c"


def test_g8_a_restamp_survives_the_wire() -> None:
    outcome = Outcome.from_wire({"i": OP_ID, "o": "applied", "s": 12, "t": SERVER_STAMP})
    assert outcome.restamped == SERVER_STAMP
    assert (outcome.kind, outcome.seq) == (OutcomeKind.APPLIED, 12)
    assert Outcome.from_wire(outcome.to_wire()) == outcome
    plain = Outcome.from_wire({"i": OP_ID, "o": "applied", "s": 13})
    assert plain.restamped is None
    assert "t" not in plain.to_wire()


def test_a_rejection_keeps_its_reason_message_and_errors() -> None:
    wire = {
        "i": OP_ID,
        "o": "rejected",
        "r": "invalid",
        "m": "Dữ liệu không hợp lệ: note",
        "e": {"note": "Quá dài"},
    }
    outcome = Outcome.from_wire(wire)
    assert outcome.reason is Reason.INVALID
    assert outcome.errors == {"note": "Quá dài"}
    assert Outcome.from_wire(outcome.to_wire()) == outcome


def test_a_change_without_optional_keys_is_live_and_empty() -> None:
    change = Change.from_wire({"c": "dossier", "r": OP_ID, "s": "7"})
    assert (change.collection, change.record_id, change.seq) == ("dossier", OP_ID, 7)
    assert change.fields == {}
    assert change.clocks == {}
    assert change.deleted is False


def test_a_change_with_every_key_round_trips() -> None:
    wire = {
        "c": "feedback",
        "r": OP_ID,
        "s": 9,
        "f": {"content": "Đường sạt lở"},
        "k": {"content": SERVER_STAMP, "deleted": SERVER_STAMP},
        "d": 1,
    }
    change = Change.from_wire(wire)
    assert change.deleted is True
    assert change.fields == {"content": "Đường sạt lở"}
    assert change.clocks["deleted"] == SERVER_STAMP
    assert Change.from_wire(change.to_wire()) == change


@pytest.mark.parametrize(
    ("read", "wire", "named"),
    [
        (Outcome.from_wire, {"o": "applied"}, "malformed outcome"),
        (Outcome.from_wire, {"i": OP_ID, "o": "maybe"}, "maybe"),
        (Change.from_wire, {"c": "dossier", "s": 1}, "malformed change"),
        (Change.from_wire, {"c": "dossier", "r": OP_ID, "s": "x"}, "'x'"),
    ],
)
def test_malformed_wire_forms_raise_a_wire_error_that_shows_them(
    read: object, wire: dict[str, object], named: str
) -> None:
    with pytest.raises(WireError, match=named):
        read(wire)  # type: ignore[operator]
