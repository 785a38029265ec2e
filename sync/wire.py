"""Request and response bodies: compact JSON, gzip-compressed (PROTOCOL.md §5).

Decompression is bounded, so a small hostile body cannot inflate into gigabytes.
"""

from __future__ import annotations

import gzip
import json
import re
import zlib
from typing import Any

from sync.errors import WireError

#: The largest body accepted once inflated.
MAX_INFLATED_BYTES = 32 * 1024 * 1024
#: Below this size gzip costs more than it saves.
MIN_COMPRESS_BYTES = 200
#: The deepest nesting of arrays and objects a body may have (PROTOCOL.md §5). The
#: deepest legitimate body (a push of survey answers) is about 6 levels.
MAX_JSON_DEPTH = 64

# A JSON string (escapes included), and anything that is not a bracket.
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(rb"[^\[\]{}]+")


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


class TooDeep(WireError):
    pass


def check_depth(body: bytes, max_depth: int = MAX_JSON_DEPTH) -> None:
    """Raise :class:`TooDeep` if the JSON text ``body`` nests arrays and objects more
    than ``max_depth`` levels, without parsing it (a parser would recurse that deep).

    Brackets inside strings do not count. Malformed JSON is left to the parser.
    """
    if body.count(b"[") + body.count(b"{") <= max_depth:
        return
    brackets = _NOT_BRACKET.sub(b"", _JSON_STRING.sub(b"", body))
    depth = 0
    for byte in brackets:
        if byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > max_depth:
                raise TooDeep(f"JSON nested deeper than {max_depth} levels of arrays and objects")
        else:
            depth -= 1


def decode(
    body: bytes,
    content_encoding: str | None = None,
    *,
    limit: int = MAX_INFLATED_BYTES,
    refuse_bad_text: bool = True,
) -> Any:
    """Parse a body, gunzipping it first when ``content_encoding`` says gzip.

    With ``refuse_bad_text`` (the default) a body holding NUL or a lone surrogate is
    refused whole; a push passes False and checks each operation with
    :func:`bad_text_problem` instead, so one bad record blocks nothing (G12).
    """
    encoding = (content_encoding or "").strip().lower()
    if encoding == "gzip":
        body = inflate(body, limit)
    elif encoding not in ("", "identity"):
        raise WireError(f"unsupported Content-Encoding {content_encoding!r}; use gzip")
    if len(body) > limit:
        raise BodyTooLarge(f"body larger than {limit} bytes")
    if refuse_bad_text and b"\\u0000" in body:
        # Never meaningful here, and PostgreSQL cannot store NUL in text.
        raise WireError("NUL characters (\\u0000) are not allowed in a body")
    check_depth(body)
    try:
        value = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise WireError(f"malformed JSON body: {error}") from error
    if refuse_bad_text and (b"\\ud" in body or b"\\uD" in body):
        refuse_lone_surrogates(value)
    return value


def bad_text_problem(value: Any) -> str | None:
    """Why decoded JSON ``value`` cannot be stored as text (NUL, a lone surrogate, in a
    key or a value), or None. ``value`` is depth-bounded by :func:`decode`."""
    if isinstance(value, str):
        if "\x00" in value:
            return "NUL characters (\\u0000) are not allowed"
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return "lone surrogate escapes (\\ud800–\\udfff) are not text"
        return None
    if isinstance(value, dict):
        items: list[Any] = [*value.keys(), *value.values()]
    elif isinstance(value, list):
        items = value
    else:
        return None
    for item in items:
        problem = bad_text_problem(item)
        if problem:
            return problem
    return None


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
