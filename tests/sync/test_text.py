"""Search keys for Vietnamese names, with the spellings of the Mông, Dao, Thái and Tày
peoples: i/y, apostrophes and hyphens, spaces, and the placement of tone marks; one
language of a bilingual message."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sync.text import bilingual, fold, matches, plain, query_words, search_key

#: Real names as they are written on papers in Lào Cai, Hà Giang, Sơn La and Cao Bằng.
NAMES = {
    # Mông
    "Giàng A Páo",
    "Sùng Thị Mỷ",
    "Vàng Seo Chứ",
    "Thào Thị Dợ",
    "Hờ A Dình",
    "Mùa A Sử",
    # Dao
    "Triệu Thị Mẩy",
    "Bàn Văn Kiềm",
    "Đặng Thị Phấy",
    "Lý Láo Sử",
    "Tẩn Láo Lở",
    "Chảo Thị Tả",
    # Thái
    "Lò Văn Pọm",
    "Cầm Thị Ỏn",
    "Quàng Thị Ly",
    "Tòng Văn Thuỷ",
    "Vì Thị Hoà",
    # Tày
    "Nông Văn Dền",
    "Ma Thị Thúy",
    "Lèo Văn Tùy",
    "Bế Thị Hòa",
    "Hà Thị Huyền",
    # an ethnonym written into an address or a note
    "Bản H'Mông, xã Tả Van",
}


def found(query: str) -> set[str]:
    return {name for name in NAMES if matches(query, name)}


def test_vietnamese_names_fold_to_ascii() -> None:
    assert fold("Nguyễn Văn Ánh") == "nguien van anh"
    assert fold("Giàng A Páo") == "giang a pao"
    assert fold("ĐẶNG  Thị   Đào") == "dang thi dao"
    assert fold("Séo Mí Tỷ") == "seo mi ti"
    assert plain("Séo Mí Tỷ") == "seo mi ty"  # plain keeps the letters


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # i and y: "Mỷ" is also written "Mỉ", "Lý" "Lí", "Ly" "Li".
        ("sung thi mi", {"Sùng Thị Mỷ"}),
        ("Mỉ", {"Sùng Thị Mỷ"}),
        ("li lao su", {"Lý Láo Sử"}),
        ("quàng thị li", {"Quàng Thị Ly"}),
        ("trieu thi mai", {"Triệu Thị Mẩy"}),
        # tone placement, old and new style, and decomposed input.
        ("Vì Thị Hòa", {"Vì Thị Hoà"}),
        ("bế thị hoà", {"Bế Thị Hòa"}),
        ("tong van thủy", {"Tòng Văn Thuỷ"}),
        ("ma thi thuý", {"Ma Thị Thúy"}),
        (unicodedata.normalize("NFD", "Lèo Văn Tùy"), {"Lèo Văn Tùy"}),
        # apostrophes and hyphens: H'Mông, Hmông, H-Mông are one people.
        ("hmông", {"Bản H'Mông, xã Tả Van"}),
        ("H-Mông", {"Bản H'Mông, xã Tả Van"}),
        ("h’mong", {"Bản H'Mông, xã Tả Van"}),
        # spaces between syllables: with or without.
        ("vangseochu", {"Vàng Seo Chứ"}),
        ("giang apao", {"Giàng A Páo"}),
        ("hờ adình", {"Hờ A Dình"}),
        ("lovanpom", {"Lò Văn Pọm"}),
        ("nông văndền", {"Nông Văn Dền"}),
        # and nothing too broad: the family name alone still chooses.
        ("cầm", {"Cầm Thị Ỏn"}),
        ("tan lao lo", {"Tẩn Láo Lở"}),
        ("ha thi huien", {"Hà Thị Huyền"}),
    ],
)
def test_names_are_found_however_they_are_spelt(query: str, expected: set[str]) -> None:
    assert found(query) == expected


def test_different_names_stay_different() -> None:
    assert not matches("giang a pao", "Giàng A Dình")
    assert not matches("lo van pom", "Lò Văn Pẻng")
    assert not matches("hoa", "Hà Thị Huyền")


def test_search_ignores_diacritics_and_order_of_fields() -> None:
    assert matches("nguyen van", "Nguyễn Văn Ánh")
    assert matches("ánh", "Nguyen Van Anh")
    assert matches("pao 0123", "Giàng A Páo", "010090000123")
    assert not matches("nguyen thi", "Nguyễn Văn Ánh")


def test_search_key_has_the_words_and_the_compact_form() -> None:
    assert search_key("Vàng A Dế", "08305-2603-00042") == (
        "vang a de 08305260300042 vangade08305260300042"
    )
    assert search_key("Páo") == "pao"
    assert query_words("H'Mông  Lý") == ["hmong", "li"]


@given(st.text())
def test_fold_is_idempotent(text: str) -> None:
    assert fold(fold(text)) == fold(text)
    assert plain(plain(text)) == plain(text)


@given(st.text())
def test_a_text_always_finds_itself(text: str) -> None:
    assert matches(text, text)


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
