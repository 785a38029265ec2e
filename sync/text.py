"""Text helpers shared by the tablet and the server: search keys for Vietnamese names.

An officer typing "nguyen van" must find "Nguyễn Văn", and "giang a pao" must find
"Giàng A Páo". Names of the Mông, Dao, Thái and Tày peoples are written several ways,
all of which are correct on somebody's papers, so search treats as the same:

- diacritics and their placement: "hoà" / "hòa", "Thuỷ" / "Thủy" (old and new tone
  placement), precomposed or combining characters;
- i and y: "Mỷ" / "Mỉ", "Lý" / "Lí", "Thị Ly" / "Thị Li";
- apostrophes and hyphens inside a name: "H'Mông" / "Hmông" / "H-Mông";
- spaces: "Vàng A Dế" / "Vàng Adế", "Lò Văn Pẻng" / "Lòvăn Pẻng" (see :func:`search_key`).

``fold`` makes the search key of a text, ``search_key`` the stored key of a record
(the server's ``dossier.search_key`` column and the tablet's in-memory index), and
``matches`` / :func:`query_words` are what a search compares with it.
"""

from __future__ import annotations

import re
import unicodedata

# Đ/đ is a letter of its own, not D with a combining mark, so NFD leaves it alone.
_SPECIAL = str.maketrans({"đ": "d", "Đ": "d"})
#: Apostrophes and hyphens written inside names (H'Mông, K'Ho, Pa-cô): dropped.
_JOINERS = re.compile(r"['’‘ʼ`´\-‐‑–]")


def plain(text: str) -> str:
    """Lower-case ``text``, drop Vietnamese diacritics and collapse white space.

    No other change: what slugs and exact comparisons (an officer's title) need.
    """
    decomposed = unicodedata.normalize("NFD", text.translate(_SPECIAL))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.lower().split())


def fold(text: str) -> str:
    """The search form of ``text``: :func:`plain`, without apostrophes and hyphens, and
    with every y written i (so "Lý Thị Mỷ" and "Lí Thị Mỉ" both give "li thi mi")."""
    return " ".join(_JOINERS.sub("", plain(text)).replace("y", "i").split())


def search_key(*texts: str | None) -> str:
    """The stored key of a record made of ``texts``: their folded words, then the same
    without spaces, so that a query written with or without spaces between syllables
    finds it ("vang a de" and "vangade" both find "Vàng A Dế")."""
    folded = fold(" ".join(t for t in texts if t))
    if " " not in folded:
        return folded
    return f"{folded} {folded.replace(' ', '')}"


def query_words(query: str) -> list[str]:
    """The words a search looks for, each of which must occur in the record's key."""
    return fold(query).split()


def matches(query: str, *texts: str | None) -> bool:
    """Whether every word of ``query`` occurs in the search key of ``texts``."""
    haystack = search_key(*texts)
    return all(word in haystack for word in query_words(query))


_LABELLED = re.compile(r"([^()]*\S) \(([^()]+)\)(: .*)", re.DOTALL)


def bilingual(text: str, lang: str) -> str:
    """One language of a ``"Tiếng Việt (English)"`` message from the shared library.

    ``sync`` and ``mobile.tablet`` (which have no Babel catalog) write messages as
    Vietnamese followed by the English in brackets, and so do the server's push
    outcomes and its API answers to a request naming no language; each reader gets the
    language they chose (the tablet, the web, API answers to ``Accept-Language``, the
    CLI). A message without the bracketed part is returned as is.
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
