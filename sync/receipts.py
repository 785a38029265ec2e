"""Receipt numbers (số biên nhận) that are unique without asking the server.

Format: ``<commune code>-<yy><device no>-<serial>``, for example ``08305-2603-00042``:
commune 08305, year 2026, device 03 of that commune, its 42nd dossier of the year.
Each device number is issued once per commune and never reused, and each device
counts its own serials, so two tablets offline at the same time can never produce the
same number. Device number 0 is the server itself (online intake, the admin web).
The number is fixed when the dossier is created and never changes after sync.
"""

from __future__ import annotations

import re

SERVER_DEVICE_NO = 0

_RECEIPT_RE = re.compile(
    r"(?P<commune>\d{3,8})-(?P<yy>\d{2})(?P<device>\d{2,4})-(?P<serial>\d{5,})"
)


def format_receipt_number(commune_code: str, year: int, device_no: int, serial: int) -> str:
    if not commune_code.isdigit():
        raise ValueError(f"commune code must be digits, got {commune_code!r}")
    if not 0 <= device_no <= 9999:
        raise ValueError(f"device number out of range: {device_no}")
    if serial < 1:
        raise ValueError(f"serial must be positive, got {serial}")
    return f"{commune_code}-{year % 100:02d}{device_no:02d}-{serial:05d}"


def parse_receipt_number(value: str) -> tuple[str, int, int, int] | None:
    """``(commune code, yy, device no, serial)``, or None if ``value`` is not a receipt number."""
    match = _RECEIPT_RE.fullmatch(value.strip())
    if match is None:
        return None
    return (
        match["commune"],
        int(match["yy"]),
        int(match["device"]),
        int(match["serial"]),
    )
