"""Filing anywhere in the province on the admin web: the province's list in the catalog,
and the province dashboard's per-commune table (Decree 118/2025/NĐ-CP)."""

from __future__ import annotations

import re
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import AuditEntry, Dossier
from tests import factories
from tests.server.conftest import World, add_dossier
from tests.server.web.helpers import csrf_token, log_in

PROCEDURE_FORM = {
    "name_vi": "Chứng thực bản sao từ bản chính",
    "name_en": "Certified copy",
    "processing_days": "0",
    "active": "1",
}


def _post(client: FlaskClient, url: str, data: dict[str, Any]) -> Any:
    return client.post(url, data={"csrf_token": csrf_token(client, "/"), **data})


def _cells(table: str, key: object) -> list[str]:
    """The figures of one row of the filing table, tags stripped."""
    row = table.split(f'data-commune="{key}"')[1].split("</tr>")[0]
    return [re.sub(r"<[^>]+>", "", cell) for cell in re.findall(r'<td class="num">(.*?)</td>', row)]


def test_the_province_administrator_puts_a_procedure_on_the_list(
    client: FlaskClient, world: World, session: Session
) -> None:
    url = f"/admin/procedures/{world.procedure.id}"
    assert world.procedure.receivable_anywhere is False
    log_in(client, world.a.leader)
    assert _post(client, url, {**PROCEDURE_FORM, "receivable_anywhere": "1"}).status_code == 403
    log_in(client, world.province_admin)
    page = client.get(url).get_data(as_text=True)
    assert (
        'name="receivable_anywhere"' in page
        and "checked" not in page.split('name="receivable_anywhere"')[1].split(">")[0]
    )
    seq = world.procedure.seq
    assert _post(client, url, {**PROCEDURE_FORM, "receivable_anywhere": "1"}).status_code == 302
    session.refresh(world.procedure)
    assert world.procedure.receivable_anywhere is True
    assert world.procedure.seq > seq  # every tablet pulls it again
    entry = session.scalar(
        select(AuditEntry)
        .where(AuditEntry.action == "procedure.update")
        .order_by(AuditEntry.id.desc())
    )
    assert entry is not None
    assert "receivable_anywhere" in entry.detail["fields"]
    assert entry.detail["from"]["receivable_anywhere"] is False
    assert entry.detail["to"]["receivable_anywhere"] is True
    listing = client.get("/admin/procedures").get_data(as_text=True)
    assert "Nộp tại mọi xã" in listing
    # Unticked: off the list again.
    assert _post(client, url, PROCEDURE_FORM).status_code == 302
    session.refresh(world.procedure)
    assert world.procedure.receivable_anywhere is False


def test_the_dashboard_shows_the_per_commune_table(
    client: FlaskClient, world: World, session: Session
) -> None:
    for_b = add_dossier(session, world.a, world.procedure)
    for_b.settling_commune_id = world.b.commune.id
    add_dossier(session, world.b, world.procedure)
    session.commit()
    log_in(client, world.province_admin)
    html = client.get("/dashboard").get_data(as_text=True)
    table = html.split('id="filing-table"')[1].split("</table>")[0]
    # received, for others, settled for others, on time, overdue, waiting, satisfaction
    assert _cells(table, world.a.commune.id) == ["1", "1", "0", "0", "0", "1", "—"]
    assert 'class="badge warn">1<' in table  # the waiting handover stands out
    assert _cells(table, world.b.commune.id) == ["1", "0", "1", "0", "0", "0", "—"]
    assert _cells(table, "total") == ["2", "1", "1", "0", "0", "1", "—"]
    assert 'data-commune="total"' in table
    # A commune leader gets the own row, no total.
    log_in(client, world.b.leader)
    html = client.get("/dashboard").get_data(as_text=True)
    table = html.split('id="filing-table"')[1].split("</table>")[0]
    assert f'data-commune="{world.a.commune.id}"' not in table
    assert 'data-commune="total"' not in table


# -- intake on the web, handover, the slip and the citizens' page ---------------------------


def _pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "slip.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True, text=True)
    return " ".join(out.stdout.split())


def _intake(world: World, **changes: str) -> dict[str, Any]:
    return {
        "applicant_name": "Sùng Thị Mai",
        "applicant_cccd": factories.valid_cccd(date(1995, 3, 8), sex_female=True),
        "applicant_dob": "1995-03-08",
        "applicant_phone": "0912345678",
        "village_id": str(world.a.village.id),
        "channel": "counter",
        "doc": ["0", "1"],
        **changes,
    }


def test_the_officer_receives_for_another_commune(
    client: FlaskClient, world: World, session: Session, tmp_path: Path
) -> None:
    world.procedure.receivable_anywhere = True
    session.commit()
    log_in(client, world.a.officer)
    assert 'id="new-dossier"' in client.get("/dossiers").get_data(as_text=True)
    url = f"/dossiers/new?procedure={world.procedure.id}"
    page = client.get(url).get_data(as_text=True)
    assert 'name="settling_commune_id"' in page
    assert world.b.commune.full_name in page  # a commune of the same province
    answer = _post(
        client,
        url,
        _intake(world, settling_commune_id=str(world.b.commune.id), return_to="settling"),
    )
    assert answer.status_code == 302, answer.get_data(as_text=True)[:3000]
    dossier = session.scalar(select(Dossier).where(Dossier.applicant_name == "Sùng Thị Mai"))
    assert dossier is not None
    assert dossier.commune_id == world.a.commune.id  # received in Tả Van
    assert dossier.settling_commune_id == world.b.commune.id  # settled in Y Tý
    assert dossier.return_commune_id == world.b.commune.id  # collected in Y Tý
    assert [d["provided"] for d in dossier.documents] == [True, True]
    kinds = [e.kind for e in dossier.events]
    assert kinds == ["received", "handed_over"]
    html = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert 'id="just-received"' in html
    assert f'id="settling-centre"><strong>{world.b.commune.full_name}<' in html
    assert f'id="return-centre">{world.b.commune.full_name}<' in html
    assert f"{world.a.commune.full_name} → {world.b.commune.full_name}" in html

    # Slip 01 names the receiving centre, the settling centre and the place of return.
    pdf = client.get(f"/dossiers/{dossier.id}/slips/01.pdf").data
    text = _pdf_text(pdf, tmp_path)
    assert "Trung tâm Phục vụ hành chính công xã Tả Van tiếp nhận hồ sơ" in text
    assert "chuyển đến Trung tâm Phục vụ hành chính công xã Y Tý để giải quyết" in text
    assert "Đăng ký nhận kết quả tại: Trung tâm Phục vụ hành chính công xã Y Tý" in text

    # The citizens' page shows both centres and where to collect the result.
    public = client.get(
        f"/tra-cuu/{dossier.receipt_number}?k={dossier.check_code}", follow_redirects=True
    ).get_data(as_text=True)
    assert 'id="receiving-centre">Trung tâm Phục vụ hành chính công xã Tả Van<' in public
    assert 'id="settling-centre">Trung tâm Phục vụ hành chính công xã Y Tý<' in public
    assert "<strong>Trung tâm Phục vụ hành chính công xã Y Tý</strong>" in public


def test_the_usual_dossier_shows_one_commune_everywhere(
    client: FlaskClient, world: World, session: Session, tmp_path: Path
) -> None:
    dossier = add_dossier(session, world.a, world.procedure)
    session.commit()
    log_in(client, world.a.officer)
    html = client.get(f"/dossiers/{dossier.id}").get_data(as_text=True)
    assert 'id="settling-centre"' not in html and 'id="handover"' not in html
    text = _pdf_text(client.get(f"/dossiers/{dossier.id}/slips/01.pdf").data, tmp_path)
    assert "chuyển đến" not in text
    public = client.get(
        f"/tra-cuu/{dossier.receipt_number}?k={dossier.check_code}", follow_redirects=True
    ).get_data(as_text=True)
    assert 'id="settling-centre"' not in public
    assert "<strong>Trung tâm Phục vụ hành chính công xã Tả Van</strong>" in public


def test_a_procedure_off_the_list_is_settled_where_it_is_received(
    client: FlaskClient, world: World, session: Session
) -> None:
    log_in(client, world.a.officer)
    url = f"/dossiers/new?procedure={world.procedure.id}"
    assert 'name="settling_commune_id"' not in client.get(url).get_data(as_text=True)
    answer = _post(client, url, _intake(world, settling_commune_id=str(world.b.commune.id)))
    assert answer.status_code == 422
    assert "không thuộc danh mục" in answer.get_data(as_text=True)
    assert session.scalar(select(Dossier).where(Dossier.applicant_name == "Sùng Thị Mai")) is None
    # Bad input is named, nothing is saved, nothing crashes.
    bad = _post(client, url, _intake(world, applicant_name="", applicant_dob="1995-02-30"))
    assert bad.status_code == 422
    assert "Ngày không hợp lệ" in bad.get_data(as_text=True)
    assert _post(client, url, _intake(world, applicant_name="")).status_code == 422
    assert _post(client, url, _intake(world, village_id="x1")).status_code == 422
    # A province administrator does not receive dossiers at a counter.
    log_in(client, world.province_admin)
    assert client.get(url).status_code == 403


def test_handover_from_the_dossier_page(
    client: FlaskClient, world: World, session: Session
) -> None:
    world.procedure.receivable_anywhere = True
    third = factories.commune(session, world.province, name="Bản Hồ")
    third_officer = factories.officer(session, third)
    dossier = add_dossier(session, world.a, world.procedure, settling_commune_id=world.b.commune.id)
    session.commit()
    url = f"/dossiers/{dossier.id}"
    # The settling commune's officer sees the handover form, a reason required (the
    # intake handed it over once already).
    log_in(client, world.b.officer)
    html = client.get(url).get_data(as_text=True)
    form = html.split('id="handover"')[1].split("</form>")[0]
    assert third.full_name in form and world.a.commune.full_name in form
    assert world.b.commune.full_name not in form  # not to itself
    assert "required" in form.split('name="reason"')[1].split(">")[0]
    refused = _post(client, f"{url}/handover", {"to_commune_id": str(third.id), "reason": " "})
    assert refused.status_code == 302
    session.refresh(dossier)
    assert dossier.settling_commune_id == world.b.commune.id
    assert "cần ghi lý do" in client.get(url).get_data(as_text=True)
    reason = "Người nộp thường trú tại Bản Hồ"
    moved = _post(client, f"{url}/handover", {"to_commune_id": str(third.id), "reason": reason})
    assert moved.status_code == 302
    session.refresh(dossier)
    assert dossier.settling_commune_id == third.id
    # The timeline: who, when, from → to, why.
    log_in(client, third_officer)
    html = client.get(url).get_data(as_text=True)
    timeline = html.split('class="timeline"')[1].split("</ol>")[0]
    last = timeline.split('class="ev-handed_over"')[-1]
    assert f"{world.b.commune.full_name} → {third.full_name}" in last
    assert f"Lý do: {reason}" in last
    assert world.b.officer.full_name in last
    assert 'class="when"' in last
    # A commune not involved sees nothing and may not hand over.
    log_in(client, world.b.officer)
    stranger = factories.commune(session, world.province, name="Mường Hum")
    stranger_officer = factories.officer(session, stranger)
    session.commit()
    log_in(client, stranger_officer)
    assert client.get(url).status_code == 404
    assert (
        _post(
            client, f"{url}/handover", {"to_commune_id": str(stranger.id), "reason": "x"}
        ).status_code
        == 404
    )


def test_the_intake_page_shows_the_forms_defaults(
    client: FlaskClient, world: World, session: Session
) -> None:
    form = {
        "version": 1,
        "parties": [
            {
                "role": "requester",
                "label_vi": "Người yêu cầu",
                "label_en": "Requester",
                "required": True,
                "fields": [
                    {"key": "full_name", "label_vi": "Họ tên", "label_en": "Name",
                     "type": "text", "required": True},
                    {"key": "nationality", "label_vi": "Quốc tịch", "label_en": "Nationality",
                     "type": "text", "default": "Việt Nam"},
                ],
            }
        ],
    }  # fmt: skip
    procedure = factories.procedure(session, form=form)
    session.commit()
    log_in(client, world.a.officer)
    page = client.get(f"/dossiers/new?procedure={procedure.id}").get_data(as_text=True)
    assert 'name="parties.requester.nationality"  value="Việt Nam"' in page
    assert 'name="parties.requester.full_name"  value=""' in page
