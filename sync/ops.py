"""Operations, outcomes, changes and cursors, and their compact wire form (PROTOCOL.md §2, §6, §7).

Wire keys are single letters because every byte counts on a 2G link; the dataclasses
give them names in code.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from typing import Any

from sync.errors import WireError
from sync.hlc import Timestamp
from sync.ids import is_record_id, is_valid_id
from sync.wire import bad_text_problem

PROTOCOL_VERSION = 1


class OutcomeKind(enum.StrEnum):
    APPLIED = "applied"
    MERGED = "merged"
    CONFLICT = "conflict"
    REJECTED = "rejected"


class Reason(enum.StrEnum):
    """Why an operation was rejected (machine-readable; the message is for people)."""

    INVALID = "invalid"
    FORBIDDEN = "forbidden"
    IMMUTABLE_FIELD = "immutable_field"
    SERVER_OWNED_FIELD = "server_owned_field"
    INVALID_TRANSITION = "invalid_transition"
    DATE_IN_FUTURE = "date_in_future"
    MISSING_PARENT = "missing_parent"
    UNKNOWN_COLLECTION = "unknown_collection"
    BLOB_MISSING = "blob_missing"
    #: A date with legal weight from a device whose clock was more than a day behind:
    #: held for the officer to confirm (PROTOCOL.md §4). Schema version 2.
    CLOCK_CONFIRM = "clock_confirm"


#: Rejections that depend on something still to arrive; they are not remembered, so
#: the same operation can succeed later (PROTOCOL.md §6).
RETRYABLE_REASONS = frozenset({Reason.MISSING_PARENT, Reason.BLOB_MISSING})


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise WireError(message)


_COLLECTION = re.compile(r"[a-z_]{1,40}")
#: A device's stamp node: its device number in decimal, without leading zeros.
_DEVICE_NODE = re.compile(r"0|[1-9][0-9]{0,8}")


def stamp_problem(stamp: Any) -> str | None:
    """Why ``stamp`` is not a device stamp in canonical form (PROTOCOL.md §1), or None."""
    if not isinstance(stamp, str) or not 0 < len(stamp) <= 64:
        return "must be an HLC stamp string (12 base-36 characters, then the node)"
    try:
        node = Timestamp.decode(stamp).node
    except ValueError as error:
        return str(error)
    if not _DEVICE_NODE.fullmatch(node):
        return (
            f"bad stamp {stamp!r}: the node must be the device number in ASCII decimal "
            "without leading zeros (e.g. 3, not 03 or 003)"
        )
    return None


class UnreadableRecord(WireError):
    """An operation whose fields hold NUL or a lone surrogate: it is rejected on its own
    (``invalid``), the others in the push still apply (G12)."""

    def __init__(self, operation: Operation, field_name: str, problem: str) -> None:
        super().__init__(f"{field_name}: {problem}")
        self.operation = operation
        self.field_name = field_name
        self.problem = problem


@dataclass(frozen=True)
class Operation:
    op_id: str
    collection: str
    record_id: str
    stamp: str
    fields: dict[str, Any]
    base: dict[str, str] = field(default_factory=dict)
    create: bool = False

    def to_wire(self) -> dict[str, Any]:
        wire: dict[str, Any] = {
            "i": self.op_id,
            "c": self.collection,
            "r": self.record_id,
            "t": self.stamp,
            "f": self.fields,
        }
        if self.create:
            wire["n"] = 1
        if self.base:
            wire["b"] = self.base
        return wire

    @classmethod
    def from_wire(cls, wire: Any) -> Operation:
        _require(isinstance(wire, dict), "an operation must be a JSON object")
        unknown = set(wire) - {"i", "c", "r", "t", "f", "n", "b"}
        _require(not unknown, f"unknown keys in operation: {', '.join(sorted(unknown))}")
        op_id, collection, record_id = wire.get("i"), wire.get("c"), wire.get("r")
        stamp, fields, base = wire.get("t"), wire.get("f"), wire.get("b", {})
        _require(isinstance(op_id, str) and is_valid_id(op_id), f"bad operation id {op_id!r}")
        _require(
            isinstance(collection, str) and _COLLECTION.fullmatch(collection) is not None,
            f"c: bad collection {str(collection)[:40]!r} (lowercase ASCII letters and _)",
        )
        _require(
            isinstance(record_id, str) and is_record_id(record_id), f"bad record id {record_id!r}"
        )
        problem = stamp_problem(stamp)
        _require(problem is None, f"t: {problem}")
        _require(isinstance(fields, dict) and bool(fields), "f: an operation needs fields")
        _require(
            isinstance(base, dict) and all(isinstance(v, str) for v in base.values()),
            "b: bad base clocks",
        )
        create = wire.get("n", 0)
        # Booleans are not integers: ``true`` is not 1 (json.loads makes it True == 1).
        _require(type(create) is int and create in (0, 1), "n: must be the integer 0 or 1")
        _require(
            not (create and "deleted" in fields),
            "f.deleted: a creation cannot carry the tombstone",
        )
        op = cls(
            op_id=op_id,
            collection=collection,
            record_id=record_id,
            stamp=stamp,
            fields=fields,
            base=base,
            create=create == 1,
        )
        for part, values in (("f", fields), ("b", base)):
            for name, value in values.items():
                problem = bad_text_problem(name) or bad_text_problem(value)
                if problem:
                    shown = name if bad_text_problem(name) is None else part
                    raise UnreadableRecord(
                        cls(op_id, collection, record_id, stamp, {}, {}, op.create),
                        shown,
                        problem,
                    )
        return op


@dataclass(frozen=True)
class Outcome:
    op_id: str
    kind: OutcomeKind
    seq: int | None = None
    reason: Reason | None = None
    message: str | None = None
    errors: dict[str, str] | None = None
    conflicts: tuple[str, ...] = ()
    restamped: str | None = None

    @property
    def retryable(self) -> bool:
        return self.reason in RETRYABLE_REASONS

    def to_wire(self) -> dict[str, Any]:
        wire: dict[str, Any] = {"i": self.op_id, "o": self.kind.value}
        if self.seq is not None:
            wire["s"] = self.seq
        if self.reason is not None:
            wire["r"] = self.reason.value
        if self.message:
            wire["m"] = self.message
        if self.errors:
            wire["e"] = self.errors
        if self.conflicts:
            wire["x"] = list(self.conflicts)
        if self.restamped:
            wire["t"] = self.restamped
        return wire

    @classmethod
    def from_wire(cls, wire: dict[str, Any]) -> Outcome:
        try:
            return cls(
                op_id=wire["i"],
                kind=OutcomeKind(wire["o"]),
                seq=wire.get("s"),
                reason=Reason(wire["r"]) if "r" in wire else None,
                message=wire.get("m"),
                errors=wire.get("e"),
                conflicts=tuple(wire.get("x", ())),
                restamped=wire.get("t"),
            )
        except (KeyError, ValueError, TypeError) as error:
            raise WireError(f"malformed outcome: {wire!r}") from error


@dataclass(frozen=True)
class Change:
    """The state of one record as the server sends it in a pull."""

    collection: str
    record_id: str
    seq: int
    fields: dict[str, Any]
    clocks: dict[str, str] = field(default_factory=dict)
    deleted: bool = False
    #: The record left the device's scope (a shared dossier handed over away from its
    #: commune, PROTOCOL.md §7 "Shared dossiers"): the device forgets it. No fields.
    gone: bool = False

    def to_wire(self) -> dict[str, Any]:
        wire: dict[str, Any] = {"c": self.collection, "r": self.record_id, "s": self.seq}
        wire["f"] = self.fields
        if self.clocks:
            wire["k"] = self.clocks
        if self.deleted:
            wire["d"] = 1
        if self.gone:
            wire["g"] = 1
        return wire

    @classmethod
    def from_wire(cls, wire: dict[str, Any]) -> Change:
        try:
            return cls(
                collection=wire["c"],
                record_id=str(wire["r"]),
                seq=int(wire["s"]),
                fields=dict(wire.get("f", {})),
                clocks=dict(wire.get("k", {})),
                deleted=bool(wire.get("d", 0)),
                gone=bool(wire.get("g", 0)),
            )
        except (KeyError, ValueError, TypeError) as error:
            raise WireError(f"malformed change: {wire!r}") from error


_CURSOR = re.compile(r"([0-9]{1,18})\.([0-9]{1,18})")


@dataclass(frozen=True)
class Cursor:
    """How far a device has pulled: one sequence number per scope it sees."""

    reference: int = 0
    commune: int = 0

    def encode(self) -> str:
        return f"{self.reference}.{self.commune}"

    @classmethod
    def decode(cls, value: str | None) -> Cursor:
        if not value:
            return cls()
        match = _CURSOR.fullmatch(value)
        if match is None:
            raise WireError(f"bad cursor {value[:40]!r}: expected '<n>.<n>' in ASCII digits 0-9")
        return cls(int(match[1]), int(match[2]))
