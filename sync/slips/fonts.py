"""DejaVu Serif for the slips: the PDF base fonts (Helvetica, Times) lack Vietnamese.

Helvetica has no "ạ", "ệ", "ữ", … and prints them as boxes, so every slip is set in
DejaVu Serif, embedded (subset) into the PDF. The fonts are looked up in
``$MOTCUA_FONT_DIR`` first, then in the usual Debian/Ubuntu, Fedora and macOS places
(package ``fonts-dejavu-core`` on Debian/Ubuntu).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

SERIF = "DejaVuSerif"
SERIF_BOLD = "DejaVuSerif-Bold"
SERIF_ITALIC = "DejaVuSerif-Italic"
SERIF_BOLD_ITALIC = "DejaVuSerif-BoldItalic"
#: The condensed cut, for the many narrow columns of the tracking log (slip 07).
CONDENSED = "DejaVuSerifCondensed"
CONDENSED_BOLD = "DejaVuSerifCondensed-Bold"
CONDENSED_ITALIC = "DejaVuSerifCondensed-Italic"
CONDENSED_BOLD_ITALIC = "DejaVuSerifCondensed-BoldItalic"

_FAMILIES = {
    SERIF: (SERIF, SERIF_BOLD, SERIF_ITALIC, SERIF_BOLD_ITALIC),
    CONDENSED: (CONDENSED, CONDENSED_BOLD, CONDENSED_ITALIC, CONDENSED_BOLD_ITALIC),
}

_SEARCH_DIRS = (
    "/usr/share/fonts/truetype/dejavu",
    "/usr/share/fonts/dejavu",
    "/usr/share/fonts/dejavu-serif-fonts",
    "/usr/share/fonts/TTF",
    "/usr/local/share/fonts",
    "/Library/Fonts",
)

_lock = threading.Lock()
_registered = False


class FontNotFoundError(RuntimeError):
    """A DejaVu font file is missing: install ``fonts-dejavu-core`` or set MOTCUA_FONT_DIR."""


def _font_dirs() -> list[Path]:
    dirs = [Path(d) for d in _SEARCH_DIRS]
    env = os.environ.get("MOTCUA_FONT_DIR")
    if env:
        dirs.insert(0, Path(env))
    return dirs


def _find(face: str) -> Path:
    for directory in _font_dirs():
        candidate = directory / f"{face}.ttf"
        if candidate.is_file():
            return candidate
    searched = ", ".join(str(d) for d in _font_dirs())
    raise FontNotFoundError(
        f"{face}.ttf not found (searched {searched}); install the DejaVu fonts "
        "(apt-get install fonts-dejavu-core) or set MOTCUA_FONT_DIR"
    )


def register_fonts() -> None:
    """Register the DejaVu Serif families with reportlab, once per process.

    After this, ``<b>`` and ``<i>`` inside a Paragraph set in ``SERIF`` (or ``CONDENSED``)
    switch to the bold and italic faces.
    """
    global _registered
    if _registered:
        return
    with _lock:
        if _registered:
            return
        for family, faces in _FAMILIES.items():
            for face in faces:
                pdfmetrics.registerFont(TTFont(face, str(_find(face))))
            regular, bold, italic, bold_italic = faces
            addMapping(family, 0, 0, regular)
            addMapping(family, 1, 0, bold)
            addMapping(family, 0, 1, italic)
            addMapping(family, 1, 1, bold_italic)
        _registered = True
