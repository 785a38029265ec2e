"""Text helpers shared by the tablet and the server: diacritic-insensitive search keys.

An officer typing "nguyen van" must find "Nguyễn Văn", and "giang a pao" must find
"Giàng A Páo". ``fold`` maps both to the same key.
"""

from __future__ import annotations

import re
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


_LABELLED = re.compile(r"([^()]*\S) \(([^()]+)\)(: .*)", re.DOTALL)


def bilingual(text: str, lang: str) -> str:
    """One language of a ``"Tiếng Việt (English)"`` message from the shared library.

    The server, ``sync`` and ``mobile.tablet`` write messages as Vietnamese followed by
    the English in brackets; each reader gets the language they chose (the tablet, the
    web, API answers to ``Accept-Language``, the CLI). A message without the bracketed
    part is returned as is.
    """
    stripped = text.strip()
    if not stripped.endswith(")"):
        # "Không tìm thấy cán bộ (officer not found): 42" — the detail after the brackets
        # belongs to both languages.
        match = _LABELLED.fullmatch(stripped)
        if match is None:
            return stripped
        vietnamese, english, detail = match.groups()
        return (english if lang == "en" else vietnamese) + detail
    depth = 0
    for index in range(len(stripped) - 1, -1, -1):
        char = stripped[index]
        if char == ")":
            depth += 1
        elif char == "(":
            depth -= 1
            if depth == 0:
                vietnamese = stripped[:index].rstrip()
                english = stripped[index + 1 : -1].strip()
                if not vietnamese or not english:
                    return stripped
                return english if lang == "en" else vietnamese
    return stripped
