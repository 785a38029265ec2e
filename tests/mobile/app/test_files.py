"""The desktop photo chooser's logic (no window): folders first, photos with size and date,
hidden files left out, an unreadable folder said plainly; plyer's picker answers."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mobile.app.i18n import Translator
from mobile.app.platform import PICKER_FILTERS, DesktopCamera, picked_file
from mobile.app.viewmodels.files import FileBrowser


def _tree(root: Path) -> Path:
    (root / "Ảnh giấy tờ").mkdir(parents=True)
    (root / "anh cu").mkdir()
    (root / ".an").mkdir()
    (root / "Đơn.JPG").write_bytes(b"\xff\xd8" + b"x" * 3000)
    (root / "cccd.png").write_bytes(b"\x89PNG" + b"x" * (3 * 1024 * 1024))
    (root / "ghi-chu.txt").write_text("không phải ảnh")
    (root / ".bi-mat.jpg").write_bytes(b"\xff\xd8")
    os.utime(root / "Đơn.JPG", (1_796_000_000, 1_796_000_000))
    return root


def test_folders_first_then_photos_in_the_officers_language(tmp_path: Path) -> None:
    root = _tree(tmp_path / "may")
    browser = FileBrowser(Translator("vi"), root)
    rows = browser.rows()
    assert [(r["kind"], r["title"]) for r in rows] == [
        ("folder", "anh cu"),
        ("folder", "Ảnh giấy tờ"),
        ("photo", "cccd.png"),
        ("photo", "Đơn.JPG"),
    ]
    assert rows[0]["subtitle"] == "Thư mục"
    assert rows[2]["subtitle"].startswith("3,0 MB · ")
    assert rows[3]["subtitle"] == "3 KB · 07:53 30/11/2026"  # 00:53 UTC, in office time
    assert FileBrowser(Translator("en"), root).rows()[2]["subtitle"].startswith("3.0 MB · ")


def test_open_up_select(tmp_path: Path) -> None:
    root = _tree(tmp_path / "may")
    browser = FileBrowser(Translator("vi"), root)
    assert not browser.select(root / "ghi-chu.txt")  # not a photo
    assert not browser.select(tmp_path / "elsewhere.jpg")  # not in this folder
    assert browser.select(root / "cccd.png") and browser.selected == root / "cccd.png"
    assert [r["selected"] for r in browser.rows() if r["kind"] == "photo"] == [True, False]
    assert browser.open(root / "Ảnh giấy tờ") and browser.selected is None
    assert browser.rows() == []
    assert browser.empty_text() == "Không có ảnh (JPG, PNG, WEBP) trong thư mục này"
    assert not browser.open(root / "cccd.png")  # a file is not a folder
    assert browser.up() and browser.folder == root.resolve()
    assert browser.can_go_up
    assert FileBrowser(Translator("vi"), tmp_path / "missing").folder == Path.home()


def test_an_unreadable_folder_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    browser = FileBrowser(Translator("vi"), tmp_path)

    def refused(_path: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "scandir", refused)  # as a folder of another user
    assert browser.rows() == []
    assert browser.empty_text() == "Không mở được thư mục này (Permission denied)"


def test_the_platform_pickers_answer(tmp_path: Path) -> None:
    photo = tmp_path / "a.jpg"
    photo.write_bytes(b"\xff\xd8")
    assert picked_file([str(photo)]) == photo
    assert picked_file((str(photo), "other")) == photo
    assert picked_file(None) is None and picked_file([]) is None  # cancelled
    assert picked_file([str(tmp_path / "gone.jpg")]) is None  # a path that is not there
    assert PICKER_FILTERS[0][0] == "Ảnh" and "*.jpg" in PICKER_FILTERS[0]
    assert DesktopCamera.can_capture is False
