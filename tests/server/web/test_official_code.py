"""The official dossier code ("mã hồ sơ") issued by the province's one-stop system:
recorded once on the web, kept on the dossier (Decree 61/2018/NĐ-CP art. 26(1): used in
every transaction about the dossier), printed on the slips beside the receipt number."""

from __future__ import annotations

import subprocess
from datetime import timedelta
from pathlib import Path

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from server.models import AuditEntry, Dossier, DossierEvent
from sync.workdays import OFFICE_TZ
from tests.server.conftest import World, add_dossier
from tests.server.web.helpers import csrf_token, log_in


def _code_for(dossier: Dossier, sequence: int = 7, *, days_later: int = 0) -> str:
    day = dossier.received_at.astimezone(OFFICE_TZ) + timedelta(days=days_later)
    return f"000.00.21.H37-{day:%y%m%d}-{sequence:04d}"


def _post(client: FlaskClient, dossier: Dossier, code: str) -> TestResponse:
    return client.post(
        f"/dossiers/{dossier.id}/official-code",
        data={"csrf_token": csrf_token(client, "/"), "official_code": code},
    )


def _stored(session: Session, dossier: Dossier) -> str | None:
    session.expire_all()
    stored = session.get(Dossier, dossier.id)
    assert stored is not None
    return stored.official_code


def _pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "slip.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True, text=True)
    return " ".join(out.stdout.split())


def test_officer_records_the_code_and_slip_01_prints_it(
    client: FlaskClient, world: World, session: Session, tmp_path: Path
) -> None:
    dossier = add_dossier(session, world.a, world.procedure)
    session.commit()
    code = _code_for(dossier)
    log_in(client, world.a.officer)
    page = client.get(f"/dossiers/{dossier.id}").get_data(as_text=True)
    assert 'id="official-code"' in page and "Ghi mã hồ sơ" in page
    assert _post(client, dossier, code).status_code == 302
    assert _stored(session, dossier) == code
    stored = session.get(Dossier, dossier.id)
    assert stored is not None
    assert "official_code" in stored.field_clocks  # server-written: tablets pull it
    (event,) = session.scalars(
        select(DossierEvent).where(
            DossierEvent.dossier_id == dossier.id, DossierEvent.kind == "official_code"
        )
    ).all()
    assert event.data == {"official_code": code} and event.officer_id == world.a.officer.id
    audit = session.scalar(select(AuditEntry).where(AuditEntry.action == "dossier.official_code"))
    assert audit is not None and audit.entity_id == dossier.id
    page = client.get(f"/dossiers/{dossier.id}").get_data(as_text=True)
    assert f"<strong>{code}</strong>" in page
    text = _pdf_text(client.get(f"/dossiers/{dossier.id}/slips/01.pdf").data, tmp_path)
    assert f"Mã hồ sơ: {code}" in text
    assert f"Số biên nhận tại xã: {dossier.receipt_number}" in text
    # The same code again changes nothing; another code is refused, the first one stays.
    assert _post(client, dossier, code).status_code == 302
    other = _post(client, dossier, _code_for(dossier, 8))
    assert other.status_code == 422
    assert "không thay được" in other.get_data(as_text=True)
    assert _stored(session, dossier) == code


def test_a_wrong_code_is_a_422_naming_the_problem_and_nothing_is_stored(
    client: FlaskClient, world: World, session: Session
) -> None:
    dossier = add_dossier(session, world.a, world.procedure)
    session.commit()
    log_in(client, world.a.officer)
    for code, says in (
        ("08305-2603-00042", "000.00.00.H00-YYMMDD-0000"),  # a receipt number
        (_code_for(dossier, days_later=1), "ngày tiếp nhận"),  # not the day of receipt
        ("", "000.00.00.H00-YYMMDD-0000"),
    ):
        reply = _post(client, dossier, code)
        assert reply.status_code == 422, code
        html = reply.get_data(as_text=True)
        assert says in html and 'aria-invalid="true"' in html
    assert _stored(session, dossier) is None


def test_a_code_already_on_another_dossier_is_refused(
    client: FlaskClient, world: World, session: Session
) -> None:
    first = add_dossier(session, world.a, world.procedure)
    second = add_dossier(session, world.a, world.procedure)
    session.commit()
    code = _code_for(first)
    assert _code_for(second) == code  # received the same day
    log_in(client, world.a.officer)
    assert _post(client, first, code).status_code == 302
    reply = _post(client, second, code)
    assert reply.status_code == 422 and "hồ sơ khác" in reply.get_data(as_text=True)
    assert _stored(session, second) is None


def test_only_the_communes_officers_record_it(
    client: FlaskClient, world: World, session: Session
) -> None:
    dossier = add_dossier(session, world.a, world.procedure)
    session.commit()
    log_in(client, world.b.officer)  # another commune
    assert _post(client, dossier, _code_for(dossier)).status_code == 404
    assert _stored(session, dossier) is None
