"""Operations, outcomes, changes and cursors, and their compact wire form (PROTOCOL.md §2, §6, §7).

Wire keys are single letters because every byte counts on a 2G link; the dataclasses
give them names in code.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from sync.errors import WireError
from sync.ids import is_record_id, is_valid_id

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


#: Rejections that depend on something still to arrive; they are not remembered, so
#: the same operation can succeed later (PROTOCOL.md §6).
RETRYABLE_REASONS = frozenset({Reason.MISSING_PARENT, Reason.BLOB_MISSING})


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise WireError(message)


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
        _require(isinstance(collection, str) and 0 < len(collection) <= 40, "bad collection")
        _require(
            isinstance(record_id, str) and is_record_id(record_id), f"bad record id {record_id!r}"
        )
        _require(isinstance(stamp, str) and 0 < len(stamp) <= 64, "bad stamp")
        _require(isinstance(fields, dict) and bool(fields), "an operation needs fields")
        _require(
            isinstance(base, dict) and all(isinstance(v, str) for v in base.values()),
            "bad base clocks",
        )
        _require(wire.get("n", 0) in (0, 1), "n must be 0 or 1")
        return cls(
            op_id=op_id,
            collection=collection,
            record_id=record_id,
            stamp=stamp,
            fields=fields,
            base=base,
            create=wire.get("n", 0) == 1,
        )


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

    def to_wire(self) -> dict[str, Any]:
        wire: dict[str, Any] = {"c": self.collection, "r": self.record_id, "s": self.seq}
        wire["f"] = self.fields
        if self.clocks:
            wire["k"] = self.clocks
        if self.deleted:
            wire["d"] = 1
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
            )
        except (KeyError, ValueError, TypeError) as error:
            raise WireError(f"malformed change: {wire!r}") from error


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
        parts = value.split(".")
        if len(parts) != 2 or not all(p.isdigit() and len(p) <= 18 for p in parts):
            raise WireError(f"bad cursor {value!r}: expected '<n>.<n>'")
        return cls(int(parts[0]), int(parts[1]))
