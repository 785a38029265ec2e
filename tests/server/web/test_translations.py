"""The English catalog: complete, compiled, and used when a user picks English."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask.testing import FlaskClient
from flask_babel import refresh

from tests.server.conftest import World
from tests.server.web.helpers import log_in

ROOT = Path(__file__).resolve().parents[3]
CATALOG = ROOT / "server" / "translations" / "en" / "LC_MESSAGES"


def _extracted() -> set[str]:
    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    keywords = {"_": None, "gettext": None, "lazy_gettext": None, "msg": None}
    found = extract_from_dir(str(ROOT), method_map, options_map, keywords=keywords, comment_tags=())
    return {message if isinstance(message, str) else message[0] for *_, message, _, _ in found}


def test_every_message_has_an_english_translation() -> None:
    with (CATALOG / "messages.po").open("rb") as po:
        catalog = read_po(po)
    translated = {m.id for m in catalog if m.id and m.string and not m.fuzzy}
    missing = sorted(_extracted() - translated)
    assert missing == [], "run the steps in babel.cfg"


def test_the_compiled_catalog_is_up_to_date() -> None:
    with (CATALOG / "messages.po").open("rb") as po:
        source = {m.id: m.string for m in read_po(po) if m.id}
    with (CATALOG / "messages.mo").open("rb") as mo:
        compiled = {m.id: m.string for m in read_mo(mo) if m.id}
    assert compiled == source, "run: pybabel compile -d server/translations"


def test_pages_switch_to_english(client: FlaskClient, world: World) -> None:
    log_in(client, world.a.leader)
    assert "Hồ sơ theo tháng" in client.get("/dashboard").get_data(as_text=True)
    client.get("/lang/en")
    refresh()  # the test's app context (and its cached locale) outlives each request
    html = client.get("/dashboard").get_data(as_text=True)
    assert "Dossiers by month" in html
    assert "Hồ sơ theo tháng" not in html
    assert "Receipt number" in client.get("/dossiers").get_data(as_text=True)
