"""Texts: both languages everywhere, the same placeholders, switchable at run time."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from mobile.app.fmt import bilingual
from mobile.app.i18n import STRINGS, Translator

APP = Path(__file__).resolve().parents[3] / "mobile" / "app"
#: tr("key"…), app.t("key"…), tr.enum("prefix", …) in Python and kv files.
_KEY = re.compile(r"""(?:\btr|\bapp\.t|\bself\.t|\bt)\(\s*["']([a-z_]+(?:\.[a-z_0-9]+)+)["']""")


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("key", sorted(STRINGS))
def test_every_text_has_both_languages_with_the_same_placeholders(key: str) -> None:
    vietnamese, english = STRINGS[key]
    assert vietnamese.strip() and english.strip()
    assert _fields(vietnamese) == _fields(english)


def test_every_key_the_app_uses_exists() -> None:
    used: dict[str, str] = {}
    for path in [*APP.rglob("*.py"), *APP.rglob("*.kv")]:
        for key in _KEY.findall(path.read_text(encoding="utf-8")):
            used.setdefault(key, str(path.relative_to(APP)))
    assert len(used) > 100
    missing = {key: where for key, where in used.items() if key not in STRINGS}
    assert missing == {}


def test_switching_language_tells_the_listeners() -> None:
    tr = Translator()
    heard: list[str] = []
    tr.on_change(heard.append)
    assert tr("nav.home") == "Việc hôm nay"
    tr.set_language("en")
    assert tr("nav.home") == "Today"
    assert tr("bar.pending", count=3) == "Not sent: 3"
    tr.set_language("en")
    assert heard == ["en"]
    with pytest.raises(ValueError, match="unknown language"):
        tr.set_language("fr")
    assert tr("no.such.key") == "no.such.key"


def test_enum_and_pick() -> None:
    tr = Translator("en")
    assert tr.enum("status", "result_returned") == "Result returned"
    assert tr.enum("status", "mystery") == "mystery"
    procedure = {"name_vi": "Đăng ký khai sinh", "name_en": "Birth registration"}
    assert tr.pick(procedure, "name") == "Birth registration"
    assert tr.pick({"name_vi": "Đăng ký khai sinh"}, "name") == "Đăng ký khai sinh"
    tr.set_language("vi")
    assert tr.pick(procedure, "name") == "Đăng ký khai sinh"


@pytest.mark.parametrize(
    ("text", "vi", "en"),
    [
        (
            "Mã PIN không đúng, còn 4 lần thử (wrong PIN, 4 tries left)",
            "Mã PIN không đúng, còn 4 lần thử",
            "wrong PIN, 4 tries left",
        ),
        (
            "Thủ tục 9 chưa có (procedure 9 unknown (sync first))",
            "Thủ tục 9 chưa có",
            "procedure 9 unknown (sync first)",
        ),
        ("Chỉ tiếng Việt", "Chỉ tiếng Việt", "Chỉ tiếng Việt"),
        ("(only brackets)", "(only brackets)", "(only brackets)"),
    ],
)
def test_bilingual_messages_are_split(text: str, vi: str, en: str) -> None:
    assert bilingual(text, "vi") == vi
    assert bilingual(text, "en") == en
