"""Wire form: compact JSON, gzip with a bounded inflate, strict operation parsing."""

from __future__ import annotations

import gzip

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sync.errors import WireError
from sync.ids import new_id
from sync.ops import Change, Cursor, Operation, Outcome, OutcomeKind, Reason
from sync.wire import BodyTooLarge, decode, encode, inflate

# NUL is refused on purpose (PostgreSQL cannot store it), so the round trip leaves it out.
# Lone surrogates are not text and are refused too (test below).
texts = st.text(st.characters(exclude_characters="\x00", exclude_categories=["Cs"]), max_size=20)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | texts,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=20,
)


@given(json_values)
def test_encode_decode_round_trip(value: object) -> None:
    body, encoding = encode(value)
    assert decode(body, encoding) == value


def test_small_bodies_are_not_compressed_large_ones_are() -> None:
    assert encode({"a": 1})[1] is None
    body, encoding = encode({"text": "Nguyễn Văn A " * 200})
    assert encoding == "gzip"
    assert len(body) < 200


def test_gzip_bomb_is_refused() -> None:
    bomb = gzip.compress(b"0" * (5 * 1024 * 1024))
    with pytest.raises(BodyTooLarge):
        inflate(bomb, limit=1024 * 1024)


@pytest.mark.parametrize(
    ("body", "encoding", "fragment"),
    [
        (b"not gzip", "gzip", "gzip"),
        (gzip.compress(b'{"a": 1}', mtime=0)[:-6], "gzip", "truncated"),
        (b'{"a": ', None, "JSON"),
        (b"\xff\xfe", None, "JSON"),
        (b"{}", "br", "Content-Encoding"),
        (b'{"a": "x\\u0000y"}', None, "NUL"),
        (b'{"a": "x\\ud800y"}', None, "surrogate"),
        (b'{"\\udfff": 1}', None, "surrogate"),
    ],
    ids=[
        "not-gzip",
        "truncated-gzip",
        "bad-json",
        "not-utf8",
        "brotli",
        "nul",
        "lone-hi",
        "lone-key",
    ],
)
def test_bad_bodies_say_what_is_wrong(body: bytes, encoding: str | None, fragment: str) -> None:
    with pytest.raises(WireError, match=fragment):
        decode(body, encoding)


def test_escaped_surrogate_pairs_are_characters() -> None:
    assert decode(b'{"a": "\\ud83d\\ude00 \\uD83C\\uDF3E"}') == {"a": "\U0001f600 \U0001f33e"}


def test_operation_round_trip_and_strictness() -> None:
    operation = Operation(
        new_id(),
        "dossier",
        new_id(),
        "0midc1z400053",
        {"note": "x"},
        {"note": "0midc1z40004"},
        create=False,
    )
    assert Operation.from_wire(operation.to_wire()) == operation
    wire = operation.to_wire() | {"zz": 1}
    with pytest.raises(WireError, match="zz"):
        Operation.from_wire(wire)
    with pytest.raises(WireError, match="record id"):
        Operation.from_wire(operation.to_wire() | {"r": "nope"})
    with pytest.raises(WireError, match="fields"):
        Operation.from_wire(operation.to_wire() | {"f": {}})


def test_outcome_and_change_round_trip() -> None:
    outcome = Outcome(new_id(), OutcomeKind.REJECTED, reason=Reason.MISSING_PARENT, message="m")
    assert Outcome.from_wire(outcome.to_wire()) == outcome
    assert outcome.retryable
    change = Change("dossier", new_id(), 7, {"note": "x"}, {"note": "c"}, deleted=True)
    assert Change.from_wire(change.to_wire()) == change


def test_cursor() -> None:
    assert Cursor.decode(Cursor(3, 40).encode()) == Cursor(3, 40)
    assert Cursor.decode("") == Cursor()
    for bad in ("1", "a.b", "1.2.3", "-1.2"):
        with pytest.raises(WireError):
            Cursor.decode(bad)
