"""The audit log and timelines in words, and tablets told apart (issue 10 §16)."""

from __future__ import annotations

import re
from pathlib import Path

from flask.testing import FlaskClient
from flask_babel import refresh
from sqlalchemy.orm import Session

from server.services import audit
from tests import factories
from tests.server.conftest import World
from tests.server.web.helpers import log_in


def test_audit_log_shows_words_and_tells_two_tablets_apart(
    client: FlaskClient, world: World, session: Session
) -> None:
    first, _ = factories.device(session, world.a.officer, name="Máy tính bảng")
    second, _ = factories.device(session, world.a.officer, name="Máy tính bảng")
    for device in (first, second):
        audit.record(
            session,
            "sync.dossier.update",
            officer_id=world.a.officer.id,
            device_id=device.id,
            commune_id=world.a.commune.id,
            entity="dossier",
            entity_id="x",
            detail={"op": "o", "outcome": "applied", "fields": ["status", "note"]},
        )
    audit.record(
        session,
        "login.failed",
        commune_id=world.a.commune.id,
        detail={"username": "canbo", "reason": "wrong_password", "failed_logins": 2},
    )
    session.commit()
    log_in(client, world.a.leader)
    html = client.get("/admin/audit").get_data(as_text=True)
    assert "sync.dossier.update" not in html.replace('value="sync.dossier.update"', "")
    assert "Máy tính bảng gửi: sửa hồ sơ" in html
    assert "Trường thay đổi: Trạng thái, Ghi chú" in html
    assert "Lý do: sai tên đăng nhập hoặc mật khẩu" in html
    assert '{"' not in html  # no raw JSON
    for device in (first, second):
        label = f"Máy tính bảng #{device.device_no:02d} (…{device.id[-8:]})"
        assert label in html
    assert first.id[-8:] != second.id[-8:]

    client.get("/lang/en")
    refresh()
    english = client.get("/admin/audit").get_data(as_text=True)
    assert "Sent by a tablet: dossier changed" in english
    assert "Failed log-in" in english and "Máy tính bảng gửi" not in english


#: An action code as the server writes it: ``area.verb`` (``sync.*`` codes are built).
_ACTION = re.compile(r'"((?:login|officer|device|dossier|day_off|feedback|procedure|unit|rating)'
                     r'(?:\.[a-z_]+)?)"')  # fmt: skip


def test_every_action_the_server_logs_has_words(app: object) -> None:
    """A new audit action without a label would show its code in the log."""
    from server.web.audit_labels import AUDIT_ACTION

    root = Path(__file__).resolve().parents[3] / "server"
    written: set[str] = set()
    for path in root.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for call in re.finditer(r"(?:audit\.record|_audit)\(\s*session,\s*([^,]+),", text):
            written.update(_ACTION.findall(call.group(1)))
    written |= {"dossier.apology", "dossier.verification", "dossier.official_code"}  # _log_step
    assert "dossier.hand_over" in written and "device.recovery_claim" in written
    assert sorted(written - set(AUDIT_ACTION)) == []
