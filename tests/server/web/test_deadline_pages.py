"""Deadline pages: verification recorded on the web, day-off decisions managed by
administrators (audited, synced, applied to new dossiers only)."""

from __future__ import annotations

from datetime import date

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import AuditEntry, DayOffDecision, Dossier, DossierEvent
from server.services.reports import office_today
from tests import factories
from tests.server.conftest import World, add_dossier
from tests.server.web.helpers import csrf_token, log_in, working_days_ago


def _post(client: FlaskClient, url: str, data: dict[str, str] | None = None) -> object:
    return client.post(url, data={"csrf_token": csrf_token(client, "/"), **(data or {})})


def test_officer_records_verification_and_it_is_not_overdue(
    client: FlaskClient, world: World, session: Session
) -> None:
    # A marriage-like procedure received 2 working days ago: overdue by the same-day
    # limit, not by the 5-working-day limit once verification is recorded (Law on Civil
    # Status 2014 art. 18(2)).
    marriage = factories.procedure(session, processing_days=0, extension_days=5)
    dossier = add_dossier(session, world.a, marriage, received_at=working_days_ago(2))
    session.commit()
    assert dossier.due_date < office_today() <= dossier.verification_due_date
    log_in(client, world.a.officer)
    page = client.get(f"/dossiers/{dossier.id}").get_data(as_text=True)
    assert "Ghi nhận cần xác minh" in page
    assert dossier.receipt_number in client.get("/dossiers/overdue").get_data(as_text=True)
    reply = _post(client, f"/dossiers/{dossier.id}/verification")
    assert reply.status_code == 302  # type: ignore[attr-defined]
    session.expire_all()
    stored = session.get(Dossier, dossier.id)
    assert stored is not None and stored.verification_needed is True
    assert "verification_needed" in stored.field_clocks  # synced to tablets
    kinds = session.scalars(
        select(DossierEvent.kind).where(DossierEvent.dossier_id == dossier.id)
    ).all()
    assert "verification_needed" in kinds
    audit = session.scalar(select(AuditEntry).where(AuditEntry.action == "dossier.verification"))
    assert audit is not None and audit.entity_id == dossier.id
    page = client.get(f"/dossiers/{dossier.id}").get_data(as_text=True)
    assert "Đã ghi nhận cần xác minh" in page
    assert dossier.receipt_number not in client.get("/dossiers/overdue").get_data(as_text=True)


def test_verification_refused_without_an_extension(
    client: FlaskClient, world: World, session: Session
) -> None:
    dossier = add_dossier(session, world.a, world.procedure)  # no extension
    session.commit()
    log_in(client, world.a.officer)
    _post(client, f"/dossiers/{dossier.id}/verification")
    session.expire_all()
    stored = session.get(Dossier, dossier.id)
    assert stored is not None and stored.verification_needed is False


def test_province_admin_manages_day_off_decisions(
    client: FlaskClient, world: World, session: Session
) -> None:
    log_in(client, world.province_admin)
    assert client.get("/admin/days-off").status_code == 200
    # Fri 02/01/2026 off, Sat 10/01/2026 worked (notice 12729/VPCP-KGVX).
    note = "Văn bản 12729/VPCP-KGVX ngày 25/12/2025"
    for day, working in (("2026-01-02", "0"), ("2026-01-10", "1")):
        reply = _post(client, "/admin/days-off", {"day": day, "working": working, "note": note})
        assert reply.status_code == 302  # type: ignore[attr-defined]
    rows = session.scalars(select(DayOffDecision).order_by(DayOffDecision.day)).all()
    assert [(r.day, r.working, r.active) for r in rows] == [
        (date(2026, 1, 2), False, True),
        (date(2026, 1, 10), True, True),
    ]
    assert all(r.seq > 0 for r in rows)  # pulled by tablets
    page = client.get("/admin/days-off").get_data(as_text=True)
    assert "02/01/2026" in page and "10/01/2026" in page
    # A working Saturday that is already a day off, a Monday "made" a working day, no
    # source: each refused with a 422 naming the field.
    bad = _post(client, "/admin/days-off", {"day": "2026-01-05", "working": "1", "note": note})
    assert bad.status_code == 422  # type: ignore[attr-defined]
    assert "vốn đã là ngày làm việc" in bad.get_data(as_text=True)  # type: ignore[attr-defined]
    no_note = _post(client, "/admin/days-off", {"day": "2026-01-03", "working": "0", "note": ""})
    assert no_note.status_code == 422  # type: ignore[attr-defined]
    # Withdrawn: kept inactive so tablets learn of it.
    _post(client, f"/admin/days-off/{rows[0].id}/withdraw")
    session.expire_all()
    assert session.get(DayOffDecision, rows[0].id).active is False  # type: ignore[union-attr]
    actions = session.scalars(
        select(AuditEntry.action).where(AuditEntry.action.like("day_off.%"))
    ).all()
    assert sorted(actions) == ["day_off.save", "day_off.save", "day_off.withdraw"]


def test_officers_and_leaders_cannot_edit_day_off_decisions(
    client: FlaskClient, world: World
) -> None:
    for who in (world.a.officer, world.a.leader):
        log_in(client, who)
        assert client.get("/admin/days-off").status_code == 403


def test_catalog_editor_sets_the_deadline_rule(
    client: FlaskClient, world: World, session: Session
) -> None:
    procedure = factories.procedure(session, processing_days=0)
    session.commit()
    assert procedure.cutoff_15h is True
    log_in(client, world.province_admin)
    page = client.get(f"/admin/procedures/{procedure.id}").get_data(as_text=True)
    assert 'name="time_unit"' in page and 'name="cutoff_15h" value="1" checked' in page
    form = {
        "name_vi": procedure.name_vi,
        "name_en": procedure.name_en,
        "processing_days": "30",
        "extension_days": "0",
        "fee_vnd": "0",
        "active": "1",
        "time_unit": "calendar_days",
    }
    reply = _post(client, f"/admin/procedures/{procedure.id}", form)
    assert reply.status_code == 302  # type: ignore[attr-defined]
    session.expire_all()
    assert (procedure.processing_days, procedure.time_unit, procedure.cutoff_15h) == (
        30,
        "calendar_days",
        False,
    )
    bad = _post(client, f"/admin/procedures/{procedure.id}", {**form, "time_unit": "weeks"})
    assert bad.status_code == 422  # type: ignore[attr-defined]
