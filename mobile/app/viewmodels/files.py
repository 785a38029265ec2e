"""Choosing a photo file on a desktop or laptop (the camera facade's fallback), no Kivy.

The screen (``mobile.app.widgets.PhotoChooserPopup``) shows one folder at a time as big
rows — its sub-folders first, then the photos in it with their size and date — in the
officer's language, with the way up and a few usual places (home, Pictures, Downloads).
Hidden files and folders are left out; a folder that cannot be read says so instead of
failing.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mobile.app.fmt import fmt_datetime
from mobile.app.i18n import Translator
from sync.text import fold

__all__ = ["IMAGE_SUFFIXES", "FileBrowser", "Place"]

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp"})


@dataclass(frozen=True)
class Place:
    label: str
    path: Path


def _size_text(size: int, tr: Translator) -> str:
    if size >= 1024 * 1024:
        text = f"{size / (1024 * 1024):.1f} MB"
    else:
        text = f"{max(1, round(size / 1024))} KB"
    return text.replace(".", ",") if tr.lang == "vi" else text


class FileBrowser:
    """One folder's sub-folders and photos, as rows for a ``RowList``."""

    def __init__(self, tr: Translator, start: Path) -> None:
        self.tr = tr
        self.folder = start if start.is_dir() else Path.home()
        self.selected: Path | None = None
        #: Why the folder could not be read ("" when it could).
        self.problem = ""

    def places(self) -> list[Place]:
        home = Path.home()
        candidates = [
            (self.tr("files.home"), home),
            (self.tr("files.pictures"), home / "Pictures"),
            (self.tr("files.pictures"), home / "Ảnh"),
            (self.tr("files.downloads"), home / "Downloads"),
            (self.tr("files.downloads"), home / "Tải về"),
        ]
        seen: set[str] = set()
        places = []
        for label, path in candidates:
            if path.is_dir() and label not in seen:
                seen.add(label)
                places.append(Place(label, path))
        return places

    def open(self, folder: Path) -> bool:
        """Show ``folder`` (False, and nothing changes, if it is not a folder)."""
        if not folder.is_dir():
            return False
        self.folder = folder.resolve()
        self.selected = None
        return True

    def up(self) -> bool:
        parent = self.folder.parent
        return parent != self.folder and self.open(parent)

    @property
    def can_go_up(self) -> bool:
        return self.folder.parent != self.folder

    def select(self, path: Path) -> bool:
        if path.parent.resolve() != self.folder or not self._is_photo(path):
            return False
        self.selected = path
        return True

    @staticmethod
    def _is_photo(path: Path) -> bool:
        return path.suffix.lower() in IMAGE_SUFFIXES and path.is_file()

    def rows(self) -> list[dict[str, Any]]:
        """Folders first, then photos; each sorted by name, ignoring case and accents."""
        tr = self.tr
        self.problem = ""
        try:
            entries = [e for e in os.scandir(self.folder) if not e.name.startswith(".")]
        except OSError as error:
            self.problem = tr("files.unreadable", error=error.strerror or str(error))
            return []
        folders, photos = [], []
        for entry in entries:
            try:
                if entry.is_dir():
                    folders.append(entry)
                elif Path(entry.name).suffix.lower() in IMAGE_SUFFIXES and entry.is_file():
                    photos.append((entry, entry.stat()))
            except OSError:
                continue  # a broken link, a file removed meanwhile
        rows: list[dict[str, Any]] = [
            {
                "kind": "folder",
                "record_id": entry.path,
                "title": entry.name,
                "subtitle": tr("files.folder"),
            }
            for entry in sorted(folders, key=lambda e: _sort_key(e.name))
        ]
        for entry, stat in sorted(photos, key=lambda pair: _sort_key(pair[0].name)):
            when = fmt_datetime(datetime.fromtimestamp(stat.st_mtime, UTC))
            rows.append(
                {
                    "kind": "photo",
                    "record_id": entry.path,
                    "title": entry.name,
                    "subtitle": f"{_size_text(stat.st_size, tr)} · {when}",
                    "selected": self.selected is not None and entry.path == str(self.selected),
                }
            )
        return rows

    def heading(self) -> str:
        return str(self.folder)

    def empty_text(self) -> str:
        return self.problem or self.tr("files.empty")


def _sort_key(name: str) -> tuple[str, str]:
    return (fold(name), name)
