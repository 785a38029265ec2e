"""Device bearer tokens: random, shown once, stored only as a SHA-256 digest.

A slow hash is unnecessary here: the token has 256 bits of entropy, so a leaked digest
cannot be brute-forced, and every API request must check it quickly.
"""

from __future__ import annotations

import hashlib
import secrets

TOKEN_PREFIX = "mcf_"  # noqa: S105 - a marker, not a secret


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
