"""Diacritic-insensitive search keys."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from sync.text import fold, matches


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
