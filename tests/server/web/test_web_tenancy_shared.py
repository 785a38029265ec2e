"""The tenant matrix for a dossier shared by two communes (filing anywhere in the
province, Decree 118/2025/NĐ-CP), on the admin web and the tablet API.

A dossier received in commune A for commune B: officers and tablets of A and B see it
(list, detail, search, photos); the settling commune B decides (stop, apology,
corrections); a third commune C gets 404 everywhere, as for a dossier that does not
exist.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from server.models import (
    Attachment,
    Blob,
    BlobHolder,
    DossierApology,
    Officer,
    SyncConflict,
)
from server.scoping import Scope
from server.services import audit, dossier_admin
from server.services.changes import stamp
from server.sync import shared
from server.sync.blobs import BlobFiles
from server.sync.conflicts import resolve_conflict
from sync.ids import new_id
from sync.workdays import OFFICE_TZ
from tests.server.conftest import CommuneKit, World, _kit
from tests.server.web.helpers import csrf_token, log_in, overdue_dossier
from tests.sync.slips.test_slips import pdf_text


@pytest.fixture
def shared_dossier(app: Flask, world: World, session: Session) -> dict[str, Any]:
    world.procedure.receivable_anywhere = True
    third = _kit(session, world.province, "Bản Hồ")
    dossier = overdue_dossier(
        session,
        world.a,
        world.procedure,
        name="Lý Thị Sử",
        settling_commune_id=world.b.commune.id,
    )
    blob = Blob(sha256="c" * 64, size=3, content_type="image/jpeg", verified=True)
    session.add(blob)
    # Tả Van uploaded the bytes whole (its proof of possession, PROTOCOL.md §8).
    session.add(
        BlobHolder(
            sha256=blob.sha256,
            commune_id=world.a.commune.id,
            size=3,
            content_type="image/jpeg",
            received=3,
            verified=True,
        )
    )
    session.flush()
    attachment = Attachment(
        id=new_id(),
        commune_id=world.a.commune.id,
        owner_collection="dossier",
        owner_id=dossier.id,
        sha256=blob.sha256,
        filename="to-khai.jpg",
        content_type="image/jpeg",
        size=3,
    )
    session.add(attachment)
    session.flush()
    shared.after_write(session, "attachment", attachment)  # as every writer of it does
    session.commit()
    path = BlobFiles(Path(app.config["MOTCUA_BLOB_DIR"])).final(blob.sha256)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"abc")
    return {"dossier": dossier, "attachment": attachment, "third": third}


def _officer(world: World, shared_dossier: dict[str, Any], who: str) -> Officer:
    kit: CommuneKit = {"a": world.a, "b": world.b, "c": shared_dossier["third"]}[who]
    return kit.leader


@pytest.mark.parametrize(("who", "sees"), [("a", True), ("b", True), ("c", False)])
def test_web_reads_of_a_shared_dossier(
    client: FlaskClient, world: World, shared_dossier: dict[str, Any], who: str, sees: bool
) -> None:
    log_in(client, _officer(world, shared_dossier, who))
    dossier_id = shared_dossier["dossier"].id
    detail = client.get(f"/dossiers/{dossier_id}")
    assert detail.status_code == (200 if sees else 404)
    listing = client.get("/dossiers?q=Lý Thị Sử").get_data(as_text=True)
    assert (f"/dossiers/{dossier_id}" in listing) is sees
    attachment_id = shared_dossier["attachment"].id
    with client.get(f"/dossiers/{dossier_id}/attachments/{attachment_id}") as photo:
        assert photo.status_code == (200 if sees else 404)
    slip = client.get(f"/dossiers/{dossier_id}/slips/01.pdf")
    assert slip.status_code == (200 if sees else 404)
    if not sees:
        assert "Lý Thị Sử" not in detail.get_data(as_text=True)


@pytest.mark.parametrize(("who", "status"), [("a", 403), ("b", 302), ("c", 404)])
def test_only_the_settling_commune_stops_processing(
    client: FlaskClient, world: World, shared_dossier: dict[str, Any], who: str, status: int
) -> None:
    dossier_id = shared_dossier["dossier"].id
    log_in(client, _officer(world, shared_dossier, who))
    if who == "c":
        assert client.get(f"/dossiers/{dossier_id}/stop").status_code == 404
        return
    token = csrf_token(client, f"/dossiers/{dossier_id}/stop")
    reply = client.post(
        f"/dossiers/{dossier_id}/stop",
        data={"csrf_token": token, "reason": "Công dân không bổ sung giấy tờ"},
    )
    assert reply.status_code == status, reply.get_data(as_text=True)[:500]


@pytest.mark.parametrize(("who", "offered"), [("a", False), ("b", True)])
def test_the_overdue_list_offers_the_apology_to_the_settling_commune_only(
    client: FlaskClient, world: World, shared_dossier: dict[str, Any], who: str, offered: bool
) -> None:
    log_in(client, _officer(world, shared_dossier, who))
    page = client.get("/dossiers/overdue").get_data(as_text=True)
    dossier_id = shared_dossier["dossier"].id
    assert f'/dossiers/{dossier_id}"' in page  # both see it late
    assert (f"/dossiers/{dossier_id}/apology" in page) is offered


@pytest.mark.parametrize(("who", "sees"), [("a", True), ("b", True), ("c", False)])
def test_api_reads_of_a_shared_dossier(
    client: FlaskClient, world: World, shared_dossier: dict[str, Any], who: str, sees: bool
) -> None:
    kit: CommuneKit = {"a": world.a, "b": world.b, "c": shared_dossier["third"]}[who]
    dossier_id = shared_dossier["dossier"].id
    one = client.get(f"/api/v1/dossiers/{dossier_id}", headers=kit.headers)
    assert one.status_code == (200 if sees else 404)
    if sees:
        body = one.get_json()
        assert (body["commune_id"], body["settling_commune_id"]) == (
            world.a.commune.id,
            world.b.commune.id,
        )
    listed = client.get("/api/v1/dossiers", headers=kit.headers).get_json()
    assert (dossier_id in {d["id"] for d in listed["items"]}) is sees


def _apologise_and_stop(
    session: Session, world: World, dossier_id: str, officer: Officer
) -> DossierApology:
    """Y Tý's ``officer`` apologises for the late shared dossier, then stops it."""
    b = Scope(frozenset({world.b.commune.id}))
    now = datetime(2026, 12, 7, 9, 0, tzinfo=OFFICE_TZ)
    apology = dossier_admin.issue_apology(
        session, b, dossier_id, reason="Chờ xác minh", officer=officer, now=now,
        new_due_date=date(2026, 12, 18),
    )  # fmt: skip
    dossier_admin.stop_processing(
        session, b, dossier_id, reason="Công dân rút hồ sơ", officer=officer, now=now
    )
    session.commit()
    return apology


def test_the_settling_commune_audits_its_own_decisions(
    session: Session, world: World, shared_dossier: dict[str, Any]
) -> None:
    """Y Tý (B) stops and apologises for a dossier Tả Van (A) received: the decisions are
    Y Tý's (Decree 118/2025/NĐ-CP: the settling commune decides), so they are in Y Tý's
    audit log, where its leader answers for its officers; a third commune sees none."""
    dossier = shared_dossier["dossier"]
    _apologise_and_stop(session, world, dossier.id, world.b.leader)

    def logged(commune_id: int) -> set[str]:
        page = audit.search(session, frozenset({commune_id}), audit.AuditFilter())
        return {row.entry.action for row in page.items if row.entry.entity_id == dossier.id}

    assert {"dossier.apology", "dossier.stop"} <= logged(world.b.commune.id)
    assert logged(shared_dossier["third"].commune.id) == set()


def test_the_settling_commune_audits_the_conflicts_it_resolves(
    session: Session, world: World, shared_dossier: dict[str, Any]
) -> None:
    """A conflict about a dossier Y Tý settles is Y Tý's to resolve (docs/ANYWHERE.md), so
    its resolution is in Y Tý's audit log."""
    dossier = shared_dossier["dossier"]
    conflict = SyncConflict(
        id=new_id(), commune_id=world.a.commune.id, collection="dossier", record_id=dossier.id,
        field="note", reason="concurrent_edit", kept_value="giữ", kept_clock="",
        lost_value="mất", lost_clock="", status="open",
    )  # fmt: skip
    session.add(conflict)
    stamp(session, conflict)
    session.commit()
    b = Scope(frozenset({world.b.commune.id}))
    resolve_conflict(session, conflict.id, scope=b, choice="kept", officer_id=world.b.leader.id)
    session.commit()
    page = audit.search(session, frozenset({world.b.commune.id}), audit.AuditFilter())
    resolved = [row.entry.action for row in page.items if row.entry.entity_id == conflict.id]
    assert resolved == ["sync.conflict.resolve"]


def test_apology_and_stop_notice_are_signed_by_the_settling_commune(
    client: FlaskClient,
    session: Session,
    world: World,
    shared_dossier: dict[str, Any],
    tmp_path: Path,
) -> None:
    """Forms 04 (apology) and 05 (stop) of Circular 03/2025/TT-VPCP tell the citizen what
    Y Tý, which settles the dossier, decided: they are headed and signed for Y Tý's
    committee, never by Tả Van's chairman, who decided nothing (Decree 118/2025/NĐ-CP:
    the settling commune decides)."""
    dossier = shared_dossier["dossier"]
    world.b.leader.full_name = "Sần Thị Mai"
    world.a.leader.full_name = "Vàng A Chứ"
    apology = _apologise_and_stop(session, world, dossier.id, world.b.officer)
    log_in(client, world.a.leader)
    for url in ("05.pdf", f"04.pdf?apology={apology.id}"):
        pdf = client.get(f"/dossiers/{dossier.id}/slips/{url}")
        assert pdf.status_code == 200
        text = " ".join(pdf_text(pdf.data, tmp_path).split())
        assert "Sần Thị Mai" in text and "XÃ Y TÝ" in text and "TẢ VAN" not in text, url
        assert "Vàng A Chứ" not in text, url
