"""Record ids made on the device: UUIDv7, time-ordered so indexes stay compact.

A record id is text in the canonical lowercase 8-4-4-4-12 form. Ids made on a tablet or
the server are UUIDv7 (version digit ``7``, RFC 9562 variant ``8``–``b``); the one other
kind of record id is a conflict's, the UUIDv5 of the write that lost (``sync.merge``).
"""

from __future__ import annotations

import re

import uuid6

_HEX = "[0-9a-f]"
_V7_RE = re.compile(rf"{_HEX}{{8}}-{_HEX}{{4}}-7{_HEX}{{3}}-[89ab]{_HEX}{{3}}-{_HEX}{{12}}")
_V5_RE = re.compile(rf"{_HEX}{{8}}-{_HEX}{{4}}-5{_HEX}{{3}}-[89ab]{_HEX}{{3}}-{_HEX}{{12}}")


def new_id() -> str:
    return str(uuid6.uuid7())


def is_valid_id(value: str) -> bool:
    """Whether ``value`` is an id made by ``new_id``: a canonical UUIDv7."""
    return bool(_V7_RE.fullmatch(value))


def is_record_id(value: str) -> bool:
    """Whether ``value`` may name a synchronised record: a UUIDv7, or a conflict's UUIDv5."""
    return bool(_V7_RE.fullmatch(value) or _V5_RE.fullmatch(value))
