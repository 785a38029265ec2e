"""Dossier pages: list, filters, diacritic-insensitive search, detail, slips, the log."""

from __future__ import annotations

import subprocess
from datetime import date
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import AuditEntry, Dossier, DossierEvent
from server.scoping import Scope
from server.services.dossier_admin import DossierListFilter, list_dossiers, search_terms
from server.services.reports import office_today
from sync.domain import DossierStatus
from sync.workdays import OFFICE_TZ, is_working_day
from tests.server.conftest import World, add_dossier
from tests.server.web.helpers import csrf_token, log_in, overdue_dossier, working_days_ago


@pytest.fixture
def named(world: World, session: Session) -> dict[str, Dossier]:
    made = {
        "nguyen": add_dossier(session, world.a, world.procedure, name="Nguyễn Văn Đức"),
        "giang": add_dossier(session, world.a, world.procedure, name="Giàng A Páo"),
        "lu": add_dossier(session, world.a, world.procedure, name="Lù Thị Lan"),
    }
    session.commit()
    return made


def _receipts(html: str, dossiers: dict[str, Dossier]) -> set[str]:
    return {key for key, d in dossiers.items() if d.receipt_number in html}


SEARCHES = [
    ("nguyen van", {"nguyen"}),
    ("NGUYỄN văn", {"nguyen"}),
    ("duc", {"nguyen"}),  # đ folds to d
    ("giang pao", {"giang"}),  # every word, in any order
    ("thi lan", {"lu"}),
    ("%", set()),  # LIKE wildcards are escaped
    ("_", set()),
    ("", {"nguyen", "giang", "lu"}),
]


def test_search_ignores_diacritics_and_case(
    client: FlaskClient, world: World, named: dict[str, Dossier]
) -> None:
    log_in(client, world.a.officer)
    for query, expected in SEARCHES:
        html = client.get("/dossiers", query_string={"q": query}).get_data(as_text=True)
        assert _receipts(html, named) == expected, query


def test_search_by_receipt_number_and_citizen_id(
    client: FlaskClient, world: World, named: dict[str, Dossier]
) -> None:
    log_in(client, world.a.officer)
    target = named["giang"]
    for query in (target.receipt_number, target.receipt_number.lower(), target.applicant_cccd):
        html = client.get("/dossiers", query_string={"q": query}).get_data(as_text=True)
        assert _receipts(html, named) == {"giang"}, query


def test_search_key_follows_every_write(
    world: World, named: dict[str, Dossier], session: Session
) -> None:
    dossier = named["lu"]
    assert dossier.search_key.startswith("lu thi lan ")
    dossier.applicant_name = "Đỗ Thị Hằng"
    session.commit()
    scope = Scope(None)
    found = list_dossiers(session, scope, DossierListFilter(q="do thi hang"), today=office_today())
    assert [row.dossier.id for row in found.items] == [dossier.id]
    # i = y and no hyphens, as sync.text folds names (Lý = Lí, H'Mông = Hmông).
    assert search_terms("  Nguyễn   VĂN ") == ["nguien", "van"]
    assert search_terms("Lý H'Mông") == ["li", "hmong"]


def test_search_finds_names_spelt_another_way(
    client: FlaskClient, world: World, session: Session
) -> None:
    """i/y, apostrophes, spaces and tone placement (sync.text) in the admin web's search."""
    mi = add_dossier(session, world.a, world.procedure, name="Sùng Thị Mỷ")
    hoa = add_dossier(session, world.a, world.procedure, name="Vì Thị Hoà")
    session.commit()
    log_in(client, world.system_admin)
    for query, wanted in (
        ("sung thi mi", mi),
        ("sungthimỉ", mi),
        ("vi thi hòa", hoa),
        ("vì thị hoà", hoa),
    ):
        html = client.get("/dossiers", query_string={"q": query}).get_data(as_text=True)
        assert wanted.receipt_number in html, query
        other = hoa if wanted is mi else mi
        assert other.receipt_number not in html, query


def test_filters_status_overdue_due_today_period(
    client: FlaskClient, world: World, session: Session
) -> None:
    late = overdue_dossier(session, world.a, world.procedure, name="Quá Hạn")
    fresh = add_dossier(session, world.a, world.procedure, name="Mới Nhận")
    # Three working days ago with a three-day procedure: due today (on a working day).
    due = add_dossier(
        session, world.a, world.procedure, name="Hôm Nay", received_at=working_days_ago(3)
    )
    done = add_dossier(session, world.a, world.procedure, name="Đã Xong")
    done.status = DossierStatus.RESULT_RETURNED
    session.commit()
    log_in(client, world.a.leader)

    def shown(**args: str) -> set[str]:
        html = client.get("/dossiers", query_string=args).get_data(as_text=True)
        return {d.applicant_name for d in (late, fresh, due, done) if d.receipt_number in html}

    everyone = {"Quá Hạn", "Mới Nhận", "Hôm Nay", "Đã Xong"}
    assert shown() == everyone
    assert shown(overdue="1") == {"Quá Hạn"}
    assert shown(status="result_returned") == {"Đã Xong"}
    assert shown(status="not-a-status") == everyone
    assert shown(procedure=str(world.procedure.id)) == everyone
    assert shown(procedure="999999") == set()
    assert shown(to=late.received_at.date().isoformat()) == {"Quá Hạn"}
    assert shown(**{"from": office_today().isoformat()}) == {"Mới Nhận", "Đã Xong"}
    today_is_working = is_working_day(office_today())
    assert shown(due_today="1") == ({"Hôm Nay"} if today_is_working else set())


def test_list_is_paginated(client: FlaskClient, world: World, session: Session) -> None:
    for n in range(27):
        add_dossier(session, world.a, world.procedure, name=f"Người {n:02d}")
    session.commit()
    log_in(client, world.a.officer)
    first = client.get("/dossiers").get_data(as_text=True)
    assert "1–25" in first
    assert "27" in first
    assert 'rel="next"' in first
    second = client.get("/dossiers?page=2").get_data(as_text=True)
    assert "26–27" in second
    assert 'rel="prev"' in second
    assert second.count('<td class="applicant">') == 2
    # A page past the end shows the last page, not an error.
    assert client.get("/dossiers?page=99").status_code == 200


def test_detail_shows_timeline_checklist_apologies_and_audit(
    client: FlaskClient, world: World, session: Session
) -> None:
    dossier = overdue_dossier(session, world.a, world.procedure)
    session.add(
        AuditEntry(
            action="dossier.update",
            officer_id=world.a.officer.id,
            commune_id=world.a.commune.id,
            entity="dossier",
            entity_id=dossier.id,
            device_id=world.a.device.id,
        )
    )
    session.commit()
    log_in(client, world.a.leader)
    html = client.get(f"/dossiers/{dossier.id}").get_data(as_text=True)
    assert dossier.receipt_number in html
    assert dossier.applicant_cccd in html
    assert "Tiếp nhận hồ sơ" in html  # the "received" timeline event
    assert "Tờ khai" in html  # documents checklist
    assert "dossier.update" in html  # audit trail
    assert world.a.officer.full_name in html
    assert "Quá hạn" in html
    assert f"/dossiers/{dossier.id}/apology" in html  # the leader may apologise
    assert f"/dossiers/{dossier.id}/slips/01.pdf" in html
    assert f"/dossiers/{dossier.id}/slips/04.pdf" not in html  # no apology yet


def test_unknown_dossier_is_404(client: FlaskClient, world: World) -> None:
    log_in(client, world.system_admin)
    response = client.get("/dossiers/01900000-0000-7000-8000-000000000000")
    assert response.status_code == 404
    assert "Không tìm thấy" in response.get_data(as_text=True)


@pytest.mark.parametrize("number", ["01", "06"])
def test_slips_for_every_dossier(
    client: FlaskClient, world: World, session: Session, number: str
) -> None:
    dossier = add_dossier(session, world.a, world.procedure)
    session.commit()
    log_in(client, world.a.officer)
    response = client.get(f"/dossiers/{dossier.id}/slips/{number}.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    download = client.get(f"/dossiers/{dossier.id}/slips/{number}.pdf?download=1")
    assert "attachment" in download.headers["Content-Disposition"]
    assert dossier.receipt_number in download.headers["Content-Disposition"]


def test_supplement_refusal_and_apology_slips_need_their_event(
    client: FlaskClient, world: World, session: Session
) -> None:
    dossier = add_dossier(session, world.a, world.procedure)
    session.commit()
    log_in(client, world.a.officer)
    for number in ("02", "03", "04", "05"):
        assert client.get(f"/dossiers/{dossier.id}/slips/{number}.pdf").status_code == 404
    assert client.get(f"/dossiers/{dossier.id}/slips/07.pdf").status_code == 404
    for status, number in (
        (DossierStatus.NEEDS_SUPPLEMENT, "02"),
        (DossierStatus.REFUSED, "03"),
    ):
        event = DossierEvent(
            id=f"ev-{number}",
            commune_id=dossier.commune_id,
            dossier_id=dossier.id,
            kind="status_changed",
            occurred_at=working_days_ago(0),
            from_status=dossier.status.value,
            to_status=status.value,
            note="Thiếu tờ khai" if number == "02" else "Không thuộc thẩm quyền",
        )
        session.add(event)
        dossier.status = status
        session.commit()
        response = client.get(f"/dossiers/{dossier.id}/slips/{number}.pdf")
        assert response.status_code == 200, number
        assert response.data.startswith(b"%PDF")


def test_tracking_log_pdf(client: FlaskClient, world: World, session: Session) -> None:
    add_dossier(session, world.a, world.procedure)
    session.commit()
    log_in(client, world.a.leader)
    today = office_today()
    response = client.get(
        "/dossiers/log.pdf", query_string={"from": today.replace(day=1).isoformat()}
    )
    assert response.status_code == 200
    assert response.data.startswith(b"%PDF")
    # Someone who sees several communes must choose one.
    log_in(client, world.province_admin)
    assert client.get("/dossiers/log.pdf").status_code == 422
    ok = client.get("/dossiers/log.pdf", query_string={"commune": world.a.commune.id})
    assert ok.status_code == 200
    backwards = client.get(
        "/dossiers/log.pdf",
        query_string={"commune": world.a.commune.id, "from": "2026-05-02", "to": "2026-05-01"},
    )
    assert backwards.status_code == 422


def test_log_rows_cover_the_period(world: World, session: Session) -> None:
    from server.services.dossier_admin import log_rows

    inside = add_dossier(session, world.a, world.procedure, name="Trong Kỳ")
    add_dossier(session, world.b, world.procedure, name="Xã Khác")
    session.commit()
    # The log's days are office days (Vietnam time), not UTC days: at 20:00 UTC it is
    # already tomorrow in the office.
    day = inside.received_at.astimezone(OFFICE_TZ).date()
    rows = log_rows(session, Scope(None), world.a.commune, day, day)
    assert [r.applicant_name for r in rows] == ["Trong Kỳ"]
    assert rows[0].lead_agency.endswith(world.a.commune.name)
    assert log_rows(session, Scope(None), world.a.commune, date(2000, 1, 1), date(2000, 1, 2)) == []


def test_apology_events_show_on_timeline(
    client: FlaskClient, world: World, session: Session
) -> None:
    dossier = overdue_dossier(session, world.a, world.procedure)
    session.commit()
    log_in(client, world.a.leader)
    html = client.get(f"/dossiers/{dossier.id}").get_data(as_text=True)
    assert "Chưa có phiếu xin lỗi" in html
    events = session.scalars(select(DossierEvent).where(DossierEvent.dossier_id == dossier.id))
    assert [e.kind for e in events] == ["received"]


def test_stop_processing_changes_the_status_syncs_and_prints_form_05(
    client: FlaskClient, world: World, session: Session, tmp_path: Path
) -> None:
    """Form 05 of Circular 03/2025/TT-VPCP: the officer stops processing with a reason;
    the status becomes ``stopped`` through the sync store (a clock and a change number,
    so tablets pull it), a timeline event carries the reason, and the notice prints it."""
    dossier = add_dossier(session, world.a, world.procedure)
    session.commit()
    before_seq = dossier.seq
    log_in(client, world.a.officer)
    page = client.get(f"/dossiers/{dossier.id}").get_data(as_text=True)
    assert f"/dossiers/{dossier.id}/stop" in page
    assert client.get(f"/dossiers/{dossier.id}/stop").status_code == 200
    token = csrf_token(client, f"/dossiers/{dossier.id}/stop")
    empty = client.post(f"/dossiers/{dossier.id}/stop", data={"reason": "  ", "csrf_token": token})
    assert empty.status_code == 422
    reason = "Công dân có đơn đề nghị dừng giải quyết hồ sơ ngày 16/3/2026."
    done = client.post(f"/dossiers/{dossier.id}/stop", data={"reason": reason, "csrf_token": token})
    assert done.status_code == 302
    session.expire_all()
    stored = session.get(Dossier, dossier.id)
    assert stored is not None
    assert stored.status is DossierStatus.STOPPED
    assert stored.seq > before_seq
    assert "status" in stored.field_clocks
    (event,) = [e for e in stored.events if e.to_status == "stopped"]
    assert event.note == reason
    assert event.from_status == "received"
    assert session.scalar(select(AuditEntry).where(AuditEntry.action == "dossier.stop"))
    # The detail page offers the notice, no second stop.
    page = client.get(f"/dossiers/{dossier.id}").get_data(as_text=True)
    assert f"/dossiers/{dossier.id}/slips/05.pdf" in page
    assert 'id="stop-processing"' not in page
    pdf = client.get(f"/dossiers/{dossier.id}/slips/05.pdf?download=1")
    assert pdf.status_code == 200
    assert f"{dossier.receipt_number}-mau-05.pdf" in pdf.headers["Content-Disposition"]
    path = tmp_path / "05.pdf"
    path.write_bytes(pdf.data)
    text = " ".join(
        subprocess.run(
            ["pdftotext", str(path), "-"], check=True, capture_output=True, text=True
        ).stdout.split()
    )
    assert "THÔNG BÁO DỪNG GIẢI QUYẾT HỒ SƠ" in text
    assert reason in text
    # A stopped dossier cannot be stopped again.
    again = client.post(
        f"/dossiers/{dossier.id}/stop", data={"reason": reason, "csrf_token": token}
    )
    assert again.status_code == 422
