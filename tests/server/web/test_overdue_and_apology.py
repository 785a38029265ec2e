"""The overdue list and the apology action (phiếu xin lỗi, mẫu 04)."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import AuditEntry, Dossier, DossierApology, DossierEvent
from server.services.dossier_admin import default_apology_date, expected_date
from server.services.reports import office_today
from sync.domain import DossierStatus
from sync.workdays import add_working_days, is_working_day
from tests.server.conftest import World, add_dossier
from tests.server.web.helpers import csrf_token, log_in, next_day_off, overdue_dossier


def _post(client: FlaskClient, dossier: Dossier, **data: str) -> object:
    url = f"/dossiers/{dossier.id}/apology"
    return client.post(url, data={"csrf_token": csrf_token(client, url), **data})


def test_overdue_list_shows_only_open_late_dossiers(
    client: FlaskClient, world: World, session: Session
) -> None:
    late = overdue_dossier(session, world.a, world.procedure, name="Trễ Hạn")
    closed = overdue_dossier(session, world.a, world.procedure, name="Đã Trả")
    closed.status = DossierStatus.RESULT_RETURNED
    add_dossier(session, world.a, world.procedure, name="Còn Hạn")
    session.commit()
    log_in(client, world.a.leader)
    html = client.get("/dossiers/overdue").get_data(as_text=True)
    assert late.receipt_number in html
    assert closed.receipt_number not in html
    assert "Còn Hạn" not in html
    assert f"/dossiers/{late.id}/apology" in html
    assert re.search(r"Quá hạn \d+ ngày", html)


def test_apology_form_defaults_to_a_working_day_after_today(
    client: FlaskClient, world: World, session: Session
) -> None:
    dossier = overdue_dossier(session, world.a, world.procedure)
    session.commit()
    log_in(client, world.a.officer)
    html = client.get(f"/dossiers/{dossier.id}/apology").get_data(as_text=True)
    default = default_apology_date(world.procedure, office_today())
    assert default > office_today()
    assert is_working_day(default)
    assert f'value="{default.isoformat()}"' in html


def test_apology_creates_records_and_gives_the_pdf(
    client: FlaskClient, world: World, session: Session
) -> None:
    dossier = overdue_dossier(session, world.a, world.procedure)
    session.commit()
    seq_before = dossier.seq
    new_date = add_working_days(office_today(), 2)
    log_in(client, world.a.leader)
    response = _post(
        client, dossier, reason="Cần xác minh thêm tại thôn", new_due_date=new_date.isoformat()
    )
    assert response.status_code == 302
    apology = session.scalars(
        select(DossierApology).where(DossierApology.dossier_id == dossier.id)
    ).one()
    assert apology.new_due_date == new_date
    assert apology.officer_id == world.a.leader.id
    assert apology.seq > seq_before
    event = session.scalars(
        select(DossierEvent).where(
            DossierEvent.dossier_id == dossier.id, DossierEvent.kind == "apology"
        )
    ).one()
    assert event.seq == apology.seq + 1
    assert event.data == {"apology_id": apology.id, "new_due_date": new_date.isoformat()}
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "dossier.apology")).one()
    assert entry.entity_id == dossier.id
    assert entry.officer_id == world.a.leader.id
    assert response.headers["Location"].endswith(f"new_apology={apology.id}")

    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Phiếu xin lỗi đã được lập" in page
    pdf_url = f"/dossiers/{dossier.id}/slips/04.pdf?apology={apology.id}"
    assert f"/dossiers/{dossier.id}/slips/04.pdf" in page
    pdf = client.get(pdf_url + "&download=1")
    assert pdf.status_code == 200
    assert pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF")
    assert "attachment" in pdf.headers["Content-Disposition"]
    session.expire_all()
    assert expected_date(session.get(Dossier, dossier.id)) == new_date


def test_apology_is_refused_with_a_reason(
    client: FlaskClient, world: World, session: Session
) -> None:
    dossier = overdue_dossier(session, world.a, world.procedure)
    session.commit()
    log_in(client, world.a.officer)
    today = office_today()
    cases = [
        ({"reason": "", "new_due_date": add_working_days(today, 2).isoformat()}, ""),
        ({"reason": "Lý do", "new_due_date": today.isoformat()}, "phải sau hôm nay"),
        ({"reason": "Lý do", "new_due_date": next_day_off(today).isoformat()}, "ngày làm việc"),
        ({"reason": "Lý do", "new_due_date": "31/02/2026"}, ""),
        ({"reason": "x" * 2001, "new_due_date": add_working_days(today, 2).isoformat()}, ""),
    ]
    for data, message in cases:
        response = _post(client, dossier, **data)
        assert response.status_code == 422, data
        assert message in response.get_data(as_text=True)
    assert session.scalars(select(DossierApology)).all() == []
    dossier.status = DossierStatus.RESULT_RETURNED
    session.commit()
    response = _post(
        client, dossier, reason="Lý do", new_due_date=add_working_days(today, 2).isoformat()
    )
    assert response.status_code == 422
    assert "không cần xin lỗi" in response.get_data(as_text=True)


def test_administrators_do_not_write_apologies(
    client: FlaskClient, world: World, session: Session
) -> None:
    dossier = overdue_dossier(session, world.a, world.procedure)
    session.commit()
    for admin in (world.province_admin, world.system_admin):
        log_in(client, admin)
        assert client.get(f"/dossiers/{dossier.id}/apology").status_code == 403
        html = client.get("/dossiers/overdue").get_data(as_text=True)
        assert dossier.receipt_number in html
        assert f"/dossiers/{dossier.id}/apology" not in html
