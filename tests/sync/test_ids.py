"""Record ids (G1): UUIDv7 made on the device, checked by version, not by shape.

The oracle here is the standard library's ``uuid`` module and the RFC 9562 layout, never
``sync.ids`` itself: the version is the 13th hex digit, the variant the 17th, and the
first 48 bits are the Unix time in milliseconds.
"""

from __future__ import annotations

import time
import uuid

import pytest

from sync.ids import is_record_id, is_valid_id, new_id
from sync.merge import LostWrite

V7 = "01a207ff-2d79-7682-a170-f74bde464639"  # a UUIDv7 of 2026-11-23 10:41:33.561 UTC
V4 = "9b2e4c1e-4a6f-4d3b-8f0e-2b1c3d4e5f60"
V5_CONFLICT = str(uuid.uuid5(uuid.NAMESPACE_URL, "dossier/x/note/1a"))


def test_g1_new_ids_are_uuid7_carrying_the_current_time() -> None:
    before_ms = int(time.time() * 1000)
    made = [new_id() for _ in range(200)]
    after_ms = int(time.time() * 1000)
    for text in made:
        parsed = uuid.UUID(text)
        assert str(parsed) == text  # canonical lowercase 8-4-4-4-12
        assert parsed.version == 7, text
        assert parsed.variant == uuid.RFC_4122
        # (uuid6 may move the time a few ms on to keep ids of the same ms ordered.)
        assert before_ms - 1 <= parsed.int >> 80 <= after_ms + 1000
    assert len(set(made)) == len(made)
    assert made == sorted(made)  # time-ordered, so indexes stay compact


def test_g1_is_valid_id_takes_only_canonical_uuid7() -> None:
    assert uuid.UUID(V7).version == 7
    assert is_valid_id(V7)
    assert uuid.UUID(V4).version == 4
    assert not is_valid_id(V4)
    assert not is_valid_id(V5_CONFLICT)
    assert not is_valid_id(V7.upper())
    assert not is_valid_id("{" + V7 + "}")
    assert not is_valid_id(V7.replace("-", ""))
    # The variant digit must be 8, 9, a or b (RFC 9562).
    assert not is_valid_id(V7[:19] + "7" + V7[20:])
    assert not is_valid_id(str(uuid.UUID(int=0)))


@pytest.mark.parametrize("version", [1, 3, 4, 5, 6, 8])
def test_g1_other_uuid_versions_are_not_device_ids(version: int) -> None:
    text = V7[:14] + str(version) + V7[15:]
    assert uuid.UUID(text).version == version
    assert not is_valid_id(text)
    assert is_record_id(text) is (version == 5)


def test_conflict_ids_are_record_ids_but_not_device_ids() -> None:
    lost = LostWrite("note", "concurrent", "hai", "000000003000b", "một", "000000002000a")
    conflict_id = lost.conflict_id("dossier", V7)
    assert uuid.UUID(conflict_id).version == 5
    assert is_record_id(conflict_id)
    assert not is_valid_id(conflict_id)
    assert is_record_id(V7)
    assert not is_record_id(V4)
