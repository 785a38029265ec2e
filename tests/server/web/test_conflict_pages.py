"""The conflicts queue: both values with who and which tablet; resolutions sync back."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from server.models import Dossier, SyncConflict
from server.services.conflict_admin import parse_value
from server.services.errors import Invalid
from tests.server.conftest import World
from tests.server.sync.conftest import latest
from tests.server.web.admin_helpers import make_conflict
from tests.server.web.helpers import csrf_token, log_in


def _resolve(client: FlaskClient, conflict_id: str, **data: str) -> int:
    token = csrf_token(client, "/conflicts")
    response = client.post(f"/conflicts/{conflict_id}/resolve", data={"csrf_token": token, **data})
    return response.status_code


def test_queue_shows_both_values_and_their_origin(
    client: FlaskClient, world: World, session: Session
) -> None:
    dossier_id, conflict_id, _one, _two = make_conflict(
        session, world, client, first="Sùng A Chứ", second="Sùng A Chư"
    )
    dossier = session.get(Dossier, dossier_id)
    assert dossier is not None
    log_in(client, world.a.leader)
    html = client.get("/conflicts").get_data(as_text=True)
    assert f'id="conflict-{conflict_id}"' in html
    kept = html.index("Giá trị đang giữ")
    lost = html.index("Giá trị bị ghi đè")
    assert kept < html.index("Sùng A Chư", kept) < lost < html.index("Sùng A Chứ", lost)
    # Who wrote each (officer names) and on which tablet.
    assert world.a.leader.full_name in html[kept:lost]
    assert "Máy của lãnh đạo" in html[kept:lost]
    assert world.a.officer.full_name in html[lost:]
    assert world.a.device.name in html[lost:]
    assert dossier.receipt_number in html and "Họ tên người nộp" in html
    # Commune B sees nothing; officers have no queue.
    log_in(client, world.b.leader)
    assert conflict_id not in client.get("/conflicts").get_data(as_text=True)
    assert _resolve(client, conflict_id, choice="kept") == 404
    log_in(client, world.a.officer)
    assert client.get("/conflicts").status_code == 403


def test_overturn_from_the_web_reaches_both_tablets(
    client: FlaskClient, world: World, session: Session
) -> None:
    dossier_id, conflict_id, one, two = make_conflict(
        session, world, client, first="Sùng A Chứ", second="Sùng A Chư"
    )
    _c, cursor_one = one.pull_all()
    _c, cursor_two = two.pull_all()
    log_in(client, world.province_admin)
    assert _resolve(client, conflict_id, choice="overturned") == 302
    conflict = session.get(SyncConflict, conflict_id)
    assert conflict is not None
    session.refresh(conflict)
    assert (conflict.status, conflict.resolution) == ("resolved", "overturned")
    assert conflict.resolved_by_id == world.province_admin.id
    for device, cursor in ((one, cursor_one), (two, cursor_two)):
        changes = device.pull(cursor)["changes"]
        assert latest(changes, "sync_conflict", conflict_id)["f"]["status"] == "resolved"
        if device is two:  # the one whose value lost the decision now
            assert latest(changes, "dossier", dossier_id)["f"]["applicant_name"] == "Sùng A Chứ"
    # Resolved ones are listed apart, with who decided; a second decision is refused.
    resolved = client.get("/conflicts?status=resolved").get_data(as_text=True)
    assert world.province_admin.full_name in resolved
    assert "Khôi phục giá trị bị ghi đè" in resolved
    assert _resolve(client, conflict_id, choice="kept") == 302
    assert "đã được xử lý" in client.get("/conflicts").get_data(as_text=True)


def test_edit_a_third_value_and_refuse_bad_ones(
    client: FlaskClient, world: World, session: Session
) -> None:
    dossier_id, conflict_id, one, _two = make_conflict(
        session, world, client, first="Giàng A Páo", second="Giàng A Pao"
    )
    _c, cursor = one.pull_all()
    log_in(client, world.a.leader)
    assert _resolve(client, conflict_id, choice="edited", value="  ") == 422
    assert _resolve(client, conflict_id, choice="sideways") == 422
    assert _resolve(client, conflict_id, choice="edited", value="Giàng A Pảo") == 302
    dossier = session.get(Dossier, dossier_id)
    assert dossier is not None
    session.refresh(dossier)
    assert dossier.applicant_name == "Giàng A Pảo"
    changes = one.pull(cursor)["changes"]
    assert latest(changes, "dossier", dossier_id)["f"]["applicant_name"] == "Giàng A Pảo"


def test_edited_values_take_the_fields_type() -> None:
    assert parse_value("dossier", "handler_id", " 12 ") == 12
    assert parse_value("dossier", "handler_id", "") is None
    assert parse_value("feedback", "public", "có") is True
    assert parse_value("dossier", "documents", '[{"name_vi": "Tờ khai"}]') == [
        {"name_vi": "Tờ khai"}
    ]
    assert parse_value("dossier", "applicant_dob", "1990-05-17") == "1990-05-17"
    assert parse_value("dossier", "note", "  giữ nguyên  ") == "  giữ nguyên  "
    for field, text in (("handler_id", "mười"), ("documents", "[oops")):
        with pytest.raises(Invalid) as raised:
            parse_value("dossier", field, text)
        assert "value" in raised.value.errors
