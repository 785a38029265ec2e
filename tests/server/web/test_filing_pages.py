"""Filing anywhere in the province on the admin web: the province's list in the catalog,
and the province dashboard's per-commune table (Decree 118/2025/NĐ-CP)."""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import AuditEntry
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
    assert 'name="receivable_anywhere"' in page and "checked" not in page.split(
        'name="receivable_anywhere"'
    )[1].split(">")[0]
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
