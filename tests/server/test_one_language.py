"""One language per screen: no "Tiếng Việt (English)" message left (issue 10 item 16).

Messages for people are written once, in Vietnamese, as ``msg("…")`` and translated
through the catalog (``server.translatable``). Two guards keep the old style from coming
back: a scan of the server's source for string literals written "Vietnamese (English)",
and a scan of rendered pages, in Vietnamese and in English, for a Vietnamese sentence
followed by English in brackets. A form error is checked on both screens.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from flask_babel import refresh

from server.messages import both_languages, in_language
from server.translatable import msg
from sync.text import bilingual
from tests.server.conftest import World, add_dossier
from tests.server.web.helpers import csrf_token, log_in

ROOT = Path(__file__).resolve().parents[2]
VIETNAMESE = re.compile(r"[à-ỹÀ-Ỹđ]")
#: Files whose "Tiếng Việt (English)" texts are meant for a reader that splits them.
SPLIT_BY_THE_READER = {
    # Push outcomes travel to the tablet, which has no Babel and shows one half
    # (PROTOCOL.md §4 "in Vietnamese then English"; mobile/app/i18n.Translator.message).
    "server/sync/push.py",
    # Refuses to start with a bad setting, before any language is chosen.
    "server/config.py",
}


def mixed(text: str) -> bool:
    """Whether ``text`` is a Vietnamese message with its English in brackets."""
    vietnamese, english = bilingual(text, "vi"), bilingual(text, "en")
    return (
        vietnamese != english
        and VIETNAMESE.search(vietnamese) is not None
        and VIETNAMESE.search(english) is None
    )


def _literals(tree: ast.AST) -> list[tuple[int, str]]:
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    found = []
    for node in ast.walk(tree):
        if id(node) in docstrings:
            continue
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            found.append((node.lineno, node.value))
        elif isinstance(node, ast.JoinedStr):
            parts = [v.value if isinstance(v, ast.Constant) else "{}" for v in node.values]
            found.append((node.lineno, "".join(str(p) for p in parts)))
    return found


def test_the_detector_finds_the_old_style() -> None:
    assert mixed("Không tìm thấy cán bộ (officer not found)")
    assert mixed("Không tìm thấy (not found): dossier 42")
    assert not mixed("Không tìm thấy cán bộ")
    assert not mixed("Đăng ký khai sinh (mẫu 01)")  # brackets in Vietnamese are fine


def test_no_message_in_the_server_source_mixes_two_languages() -> None:
    offenders = []
    for path in sorted((ROOT / "server").rglob("*.py")):
        name = path.relative_to(ROOT).as_posix()
        if name in SPLIT_BY_THE_READER:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        offenders += [
            f"{name}:{line}: {text[:80]}" for line, text in _literals(tree) if mixed(text)
        ]
    assert offenders == [], "write msg('Tiếng Việt') and translate it in messages.po"


def test_a_message_is_one_language_at_each_edge() -> None:
    text = msg("Không tìm thấy cán bộ: %(target_id)s", target_id=42)
    assert str(text) == in_language(text, "vi") == "Không tìm thấy cán bộ: 42"
    assert in_language(text, "en") == "officer not found: 42"
    # An API request naming no language: both, for tablets that split them themselves.
    assert both_languages(text) == "Không tìm thấy cán bộ: 42 (officer not found: 42)"
    nested = msg("Ảnh blobs.%(index)s: %(problem)s", index=3, problem=msg("Cần họ tên"))
    assert in_language(nested, "en") == "blobs.3: the full name is required"


# -- rendered pages ---------------------------------------------------------------------------

#: A Vietnamese word, then English words in brackets: "… xã khác (not allowed)".
MIXED_ON_PAGE = re.compile(r"[à-ỹÀ-Ỹđ]\w*[^<>()]{0,80}\(([a-z][a-z' ]+ [a-z' ]+)\)")
PAGES = [
    "/",
    "/dashboard",
    "/dossiers",
    "/admin",
    "/admin/officers",
    "/admin/officers/new",
    "/admin/units",
    "/admin/procedures",
    "/admin/days-off",
    "/admin/audit",
    "/account/password",
    "/khong-co-trang-nay",
    "/admin/procedures/999999",  # a service's NotFound on the error page
]


def _visible(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.DOTALL)
    return re.sub(r"<[^>]+>", " ", html)


def _english(client: FlaskClient) -> None:
    client.get("/lang/en")
    refresh()  # the test's app context (and its cached locale) outlives each request


def test_pages_show_no_mixed_message(client: FlaskClient, world: World) -> None:
    add_dossier(client.application.extensions["sqlalchemy"].session(), world.a, world.procedure)
    log_in(client, world.system_admin)
    for language in ("vi", "en"):
        if language == "en":
            _english(client)
        for url in PAGES:
            text = _visible(client.get(url).get_data(as_text=True))
            found = MIXED_ON_PAGE.findall(text)
            assert found == [], (language, url, found)


def _create_officer(client: FlaskClient, world: World, **changes: Any) -> tuple[int, str]:
    token = csrf_token(client, "/admin/officers/new")
    data = {
        "csrf_token": token,
        "full_name": "Hầu A Lử",
        "username": "hau.alu",
        "password": "mat-khau-dai",
        "role": "officer",
        "unit_id": str(world.a.commune.id),
        **changes,
    }
    response = client.post("/admin/officers/new", data=data)
    return response.status_code, _visible(response.get_data(as_text=True))


@pytest.mark.parametrize(
    ("changes", "vietnamese", "english"),
    [
        ({"password": "ngan"}, "Mật khẩu phải có ít nhất 8 ký tự", "at least 8 characters"),
        ({"username": "x"}, "Tên đăng nhập 3–64 ký tự", "3-64 characters"),
    ],
)
def test_a_form_error_is_in_the_language_of_the_screen(
    client: FlaskClient, world: World, changes: dict[str, str], vietnamese: str, english: str
) -> None:
    log_in(client, world.a.leader)
    code, page = _create_officer(client, world, **changes)
    assert code == 422
    assert vietnamese in page and english not in page
    assert MIXED_ON_PAGE.findall(page) == []
    _english(client)
    code, page = _create_officer(client, world, **changes)
    assert code == 422
    assert english in page and vietnamese not in page
    assert MIXED_ON_PAGE.findall(page) == []
    assert not VIETNAMESE.search(page.split(english)[0][-200:])
