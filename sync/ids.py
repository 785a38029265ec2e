"""Record ids made on the device: UUIDv7, time-ordered so indexes stay compact."""

from __future__ import annotations

import re

import uuid6

_UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def new_id() -> str:
    return str(uuid6.uuid7())


def is_valid_id(value: str) -> bool:
    return bool(_UUID_RE.fullmatch(value))
