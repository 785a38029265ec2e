"""Diacritic-insensitive search keys; one language of a bilingual message."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sync.text import bilingual, fold, matches


def test_vietnamese_names_fold_to_ascii() -> None:
    assert fold("Nguyễn Văn Ánh") == "nguyen van anh"
    assert fold("Giàng A Páo") == "giang a pao"
    assert fold("ĐẶNG  Thị   Đào") == "dang thi dao"
    assert fold("Séo Mí Tỷ") == "seo mi ty"


def test_search_ignores_diacritics_and_order_of_fields() -> None:
    assert matches("nguyen van", "Nguyễn Văn Ánh")
    assert matches("ánh", "Nguyen Van Anh")
    assert matches("pao 0123", "Giàng A Páo", "010090000123")
    assert not matches("nguyen thi", "Nguyễn Văn Ánh")


@given(st.text())
def test_fold_is_idempotent(text: str) -> None:
    assert fold(fold(text)) == fold(text)


@pytest.mark.parametrize(
    ("text", "vi", "en"),
    [
        ("Mật khẩu sai (wrong password)", "Mật khẩu sai", "wrong password"),
        (
            "Không tìm thấy cán bộ (officer not found): 42",
            "Không tìm thấy cán bộ: 42",
            "officer not found: 42",
        ),
        ("Số (một (1)) sai (number (one) wrong)", "Số (một (1)) sai", "number (one) wrong"),
        ("Chỉ một ngôn ngữ", "Chỉ một ngôn ngữ", "Chỉ một ngôn ngữ"),
    ],
)
def test_bilingual_gives_one_language(text: str, vi: str, en: str) -> None:
    assert (bilingual(text, "vi"), bilingual(text, "en")) == (vi, en)
