"""Request and response bodies: compact JSON, gzip-compressed (PROTOCOL.md §5).

Decompression is bounded, so a small hostile body cannot inflate into gigabytes.
"""

from __future__ import annotations

import gzip
import json
import zlib
from typing import Any

from sync.errors import WireError

#: The largest body accepted once inflated.
MAX_INFLATED_BYTES = 32 * 1024 * 1024
#: Below this size gzip costs more than it saves.
MIN_COMPRESS_BYTES = 200


def dumps(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def encode(obj: Any, *, compress: bool = True) -> tuple[bytes, str | None]:
    """``(body, content_encoding)``: gzip when it helps, plain JSON otherwise."""
    raw = dumps(obj)
    if not compress or len(raw) < MIN_COMPRESS_BYTES:
        return raw, None
    return gzip.compress(raw, compresslevel=6, mtime=0), "gzip"


def inflate(body: bytes, limit: int = MAX_INFLATED_BYTES) -> bytes:
    """Gunzip ``body``, refusing more than ``limit`` bytes of output."""
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(body, limit + 1)
    except zlib.error as error:
        raise WireError(f"malformed gzip body: {error}") from error
    if len(out) > limit or inflater.unconsumed_tail:
        raise BodyTooLarge(f"body inflates beyond {limit} bytes")
    if not inflater.eof:
        raise WireError("truncated gzip body")
    return out


class BodyTooLarge(WireError):
    pass


def decode(
    body: bytes, content_encoding: str | None = None, *, limit: int = MAX_INFLATED_BYTES
) -> Any:
    """Parse a body, gunzipping it first when ``content_encoding`` says gzip."""
    encoding = (content_encoding or "").strip().lower()
    if encoding == "gzip":
        body = inflate(body, limit)
    elif encoding not in ("", "identity"):
        raise WireError(f"unsupported Content-Encoding {content_encoding!r}; use gzip")
    if len(body) > limit:
        raise BodyTooLarge(f"body larger than {limit} bytes")
    if b"\\u0000" in body:
        # Never meaningful here, and PostgreSQL cannot store NUL in text.
        raise WireError("NUL characters (\\u0000) are not allowed in a body")
    try:
        value = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise WireError(f"malformed JSON body: {error}") from error
    if b"\\ud" in body or b"\\uD" in body:
        refuse_lone_surrogates(value)
    return value


class LoneSurrogate(WireError):
    pass


def refuse_lone_surrogates(value: Any) -> None:
    """Raise ``LoneSurrogate`` if decoded JSON holds a lone ``\\ud800``–``\\udfff``
    escape: an escaped surrogate pair is a character, a lone one is not text (it cannot
    be stored or sent on as UTF-8)."""
    try:
        dumps(value)
    except UnicodeEncodeError as error:
        raise LoneSurrogate(
            "lone surrogate escapes (\\ud800–\\udfff) are not text; "
            f"send characters as UTF-8: {error.reason}"
        ) from error
