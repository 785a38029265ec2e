"""Administrators edit a procedure's intake form (parties and facts); tablets receive it."""

from __future__ import annotations

import json
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from server.services.catalog import DEFAULT_FORMS
from tests.server.conftest import World
from tests.server.web.admin_helpers import tablet
from tests.server.web.helpers import csrf_token, log_in

MARRIAGE = json.loads(DEFAULT_FORMS.read_text(encoding="utf-8"))["1.000894"]


def _post(client: FlaskClient, url: str, data: dict[str, Any]) -> Any:
    return client.post(url, data={"csrf_token": csrf_token(client, url), **data})


BASE = {
    "name_vi": "Đăng ký kết hôn",
    "name_en": "Marriage registration",
    "processing_days": "0",
    "extension_days": "5",
    "fee_vnd": "0",
    "active": "1",
}


def test_the_form_is_edited_checked_and_pulled(
    client: FlaskClient, world: World, session: Session
) -> None:
    device = tablet(world, client, "a")
    _c, cursor = device.pull_all()
    url = f"/admin/procedures/{world.procedure.id}"
    log_in(client, world.province_admin)
    broken = {**MARRIAGE, "parties": [{**MARRIAGE["parties"][0], "role": "Bên nữ"}]}
    bad = _post(client, url, {**BASE, "form_json": json.dumps(broken)})
    assert bad.status_code == 422
    assert "role" in bad.get_data(as_text=True)
    not_json = _post(client, url, {**BASE, "form_json": "{parties: ["})
    assert not_json.status_code == 422 and "JSON" in not_json.get_data(as_text=True)
    session.refresh(world.procedure)
    assert world.procedure.form == {}

    assert _post(client, url, {**BASE, "form_json": json.dumps(MARRIAGE)}).status_code == 302
    session.refresh(world.procedure)
    assert world.procedure.form == MARRIAGE
    page = client.get(url).get_data(as_text=True)
    assert "Bên nữ" in page or "B\\u00ean n\\u1eef" in page  # the JSON in the textarea
    changes, _ = device.pull_all(cursor)
    [pulled] = [c for c in changes if c["c"] == "procedure"]
    assert pulled["f"]["form"]["parties"][1]["label_vi"] == "Bên nam"
