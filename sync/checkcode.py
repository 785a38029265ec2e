"""The citizen's check code (mã kiểm tra): the secret that opens a dossier on the citizens' page.

Receipt numbers follow a pattern (commune, year, device, serial), so anyone could guess
them. The check code is random: made on the tablet (or by the server for online intake)
when the dossier is received, printed on slip 01 and carried in its QR link. Only the
citizen holding the slip knows it. It never changes after creation.

Six characters from an alphabet without look-alikes (no 0/O, 1/I/L, 5/S, 8/B): 27⁶ ≈
3.9·10⁸ codes, so guessing one by trial through a rate-limited page is hopeless. It is
printed in two groups of three ("K7M-4QX"); case, spaces and the dash are ignored when
a citizen types it.
"""

from __future__ import annotations

import re
import secrets
import unicodedata

ALPHABET = "234679ACDEFGHJKMNPQRTUVWXYZ"
LENGTH = 6
CHECK_CODE_RE = re.compile(f"[{ALPHABET}]{{{LENGTH}}}")


def new_check_code() -> str:
    """A fresh random code (canonical form, no dash), from the OS's secure random source."""
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalise_check_code(text: str) -> str | None:
    """What a citizen typed, as the canonical code; None when it cannot be one.

    Fullwidth characters are folded (NFKC), case, spaces and dashes are ignored.
    """
    folded = unicodedata.normalize("NFKC", text).upper()
    compact = "".join(ch for ch in folded if ch not in " -\t\u00a0")
    return compact if CHECK_CODE_RE.fullmatch(compact) else None


def display_check_code(code: str) -> str:
    """``"K7M4QX"`` → ``"K7M-4QX"``: how it is printed, easier to read out and type."""
    half = LENGTH // 2
    return f"{code[:half]}-{code[half:]}" if len(code) == LENGTH else code


def check_code_problem(value: object) -> str | None:
    """The sync schema's check: a canonical code or null (PROTOCOL.md §2)."""
    if value is None:
        return None
    if not isinstance(value, str) or CHECK_CODE_RE.fullmatch(value) is None:
        return (
            f"Mã kiểm tra phải gồm {LENGTH} ký tự trong {ALPHABET} "
            f"(check code must be {LENGTH} characters of {ALPHABET})"
        )
    return None
