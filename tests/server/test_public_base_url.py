"""``MOTCUA_PUBLIC_BASE_URL``: the address citizens reach, in the links printed on slips.

Behind a reverse proxy or on an internal address, the request's host is not what a
citizen can open from the QR code of their receipt; the setting says what is.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from server import config
from server.web import dossiers as dossier_pages
from sync.slips import DossierSlipData
from tests.server.conftest import World, add_dossier
from tests.server.web.helpers import log_in


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        ("   ", None),
        ("https://dichvucong.laocai.gov.vn", "https://dichvucong.laocai.gov.vn"),
        (" https://dichvucong.laocai.gov.vn/ ", "https://dichvucong.laocai.gov.vn"),
        ("http://10.0.0.5:8080/motcua/", "http://10.0.0.5:8080/motcua"),
    ],
)
def test_the_setting_is_read_and_tidied(value: str | None, expected: str | None) -> None:
    assert config.public_base_url(value) == expected


@pytest.mark.parametrize(
    "value", ["dichvucong.laocai.gov.vn", "ftp://x.vn", "https://", "https://x.vn/?a=1"]
)
def test_an_address_that_is_not_one_stops_the_start(value: str) -> None:
    with pytest.raises(ValueError, match="MOTCUA_PUBLIC_BASE_URL"):
        config.public_base_url(value)


def test_the_environment_reaches_the_app(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, app_factory: Any
) -> None:
    monkeypatch.delenv("MOTCUA_PUBLIC_BASE_URL", raising=False)
    assert config.from_environment(tmp_path)["PUBLIC_BASE_URL"] is None
    monkeypatch.setenv("MOTCUA_PUBLIC_BASE_URL", "https://motcua.example.vn/")
    assert config.from_environment(tmp_path)["PUBLIC_BASE_URL"] == "https://motcua.example.vn"
    assert app_factory().config["PUBLIC_BASE_URL"] == "https://motcua.example.vn"


def _slip_links(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The status links the slips are drawn with (QR code and printed address)."""
    seen: list[str] = []
    for name in ("receipt_slip", "control_sheet"):
        drawn = getattr(dossier_pages.slips, name)

        def spy(
            office: Any, data: DossierSlipData, *args: Any, _drawn: Any = drawn, **kw: Any
        ) -> bytes:
            seen.append(data.status_url)
            return bytes(_drawn(office, data, *args, **kw))

        monkeypatch.setattr(dossier_pages.slips, name, spy)
    return seen


def test_slips_link_to_the_public_address_or_else_to_the_request_host(
    app: Flask,
    client: FlaskClient,
    world: World,
    session: Session,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    dossier = add_dossier(session, world.a, world.procedure)
    session.commit()
    links = _slip_links(monkeypatch)
    log_in(client, world.a.officer)
    number = dossier.receipt_number
    # Not set: the address the officer's browser used (here the test client's), as before.
    assert app.config["PUBLIC_BASE_URL"] is None
    response = client.get(f"/dossiers/{dossier.id}/slips/01.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    code = dossier.check_code  # the link opens the dossier with its check code
    assert links == [f"http://localhost/tra-cuu/{number}?k={code}"]
    # Set: the citizens' address, whatever address the request came to.
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://dichvucong.laocai.gov.vn/motcua")
    for slip in ("01", "06"):
        response = client.get(f"/dossiers/{dossier.id}/slips/{slip}.pdf")
        assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert links[1:] == [f"https://dichvucong.laocai.gov.vn/motcua/tra-cuu/{number}?k={code}"] * 2
