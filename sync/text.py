"""Text helpers shared by the tablet and the server: diacritic-insensitive search keys.

An officer typing "nguyen van" must find "Nguyễn Văn", and "giang a pao" must find
"Giàng A Páo". ``fold`` maps both to the same key.
"""

from __future__ import annotations

import unicodedata

# Đ/đ is a letter of its own, not D with a combining mark, so NFD leaves it alone.
_SPECIAL = str.maketrans({"đ": "d", "Đ": "d"})


def fold(text: str) -> str:
    """Lower-case ``text``, drop Vietnamese diacritics and collapse white space."""
    decomposed = unicodedata.normalize("NFD", text.translate(_SPECIAL))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.lower().split())


def matches(query: str, *texts: str | None) -> bool:
    """Whether every word of ``query`` occurs in one of ``texts``, ignoring diacritics."""
    haystack = " ".join(fold(t) for t in texts if t)
    return all(word in haystack for word in fold(query).split())
