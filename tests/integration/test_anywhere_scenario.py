"""Filing anywhere in the province, end to end over real HTTP on loopback.

A citizen of Sa Pa files a birth registration at the Tả Van centre (Decree
118/2025/NĐ-CP: any commune centre of the province may receive it, "không phụ thuộc
vào địa giới hành chính"). The Tả Van tablet receives it for Sa Pa; a Sa Pa tablet
processes and approves it and photographs the papers; the result is returned in Tả Van,
where the citizen asked. Both tablets end with the same dossier; a tablet of a third
commune (Y Tý) never receives any record of it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from mobile.tablet import Tablet
from server.models import Dossier
from tests import factories
from tests.server.conftest import CommuneKit, World, _kit

SHARED = ("dossier", "dossier_event", "dossier_apology", "attachment", "sync_conflict")


@pytest.fixture
def sapa(session: Session, world: World) -> CommuneKit:
    world.procedure.receivable_anywhere = True
    kit = _kit(session, world.province, "Sa Pa")
    session.commit()
    return kit


@pytest.fixture
def tablets(
    live_server: Any, world: World, sapa: CommuneKit, tmp_path: Path
) -> Iterator[dict[str, Tablet]]:
    made = {}
    for name, officer in (
        ("ta_van", world.a.officer),
        ("sa_pa", sapa.officer),
        ("y_ty", world.b.officer),
    ):
        tablet = Tablet(tmp_path / f"{name}.db")
        tablet.register(live_server.url, officer.username, factories.PASSWORD, f"Máy {name}")
        made[name] = tablet
    yield made
    for tablet in made.values():
        tablet.close()


def _sync_ok(tablet: Tablet) -> None:
    report = tablet.sync()
    assert report.ok, report.error
    assert report.rejected == 0, tablet.status().rejected


def _records(tablet: Tablet, dossier_id: str) -> dict[str, dict[str, Any]]:
    """Every record of the dossier the tablet holds, by id."""
    found: dict[str, dict[str, Any]] = {}
    for collection in SHARED:
        for record in tablet.store.list_records(collection):
            owner = record.get("dossier_id") or record.get("owner_id") or record.get("record_id")
            if record["id"] == dossier_id or owner == dossier_id:
                found[record["id"]] = record
    return found


def test_received_in_ta_van_settled_in_sa_pa_returned_in_ta_van(
    tablets: dict[str, Tablet], world: World, sapa: CommuneKit, session: Session, tmp_path: Path
) -> None:
    ta_van, sa_pa, y_ty = tablets["ta_van"], tablets["sa_pa"], tablets["y_ty"]
    for tablet in (ta_van, sa_pa, y_ty):
        _sync_ok(tablet)
    assert {c["name"] for c in ta_van.communes()} >= {"Tả Van", "Sa Pa", "Y Tý"}

    # At the Tả Van counter, for a citizen of Sa Pa: the officer picks Sa Pa.
    dossier_id = ta_van.create_dossier(
        world.procedure.id, "Lý Thị Sử", settling_commune_id=sapa.commune.id
    )
    _sync_ok(ta_van)

    # The Sa Pa tablet gets it by its normal pull, with the handover on the timeline.
    _sync_ok(sa_pa)
    received = sa_pa.dossier(dossier_id)
    assert received is not None and received["applicant_name"] == "Lý Thị Sử"
    assert sa_pa.receiving_commune_id(received) == world.a.commune.id
    kinds = [e["kind"] for e in sa_pa.timeline(dossier_id)]
    assert kinds == ["received", "handed_over"]

    # Sa Pa processes and decides, and photographs the birth certificate.
    sa_pa.change_status(dossier_id, "in_progress", "Đã xác minh với trạm y tế")
    sa_pa.change_status(dossier_id, "approved")
    photo = tmp_path / "giay-chung-sinh.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xe0 giay chung sinh " * 200)
    sa_pa.attach_photo("dossier", dossier_id, photo)
    _sync_ok(sa_pa)

    # Tả Van sees the decision and returns the result at its counter.
    _sync_ok(ta_van)
    assert ta_van.dossier(dossier_id)["status"] == "approved"  # type: ignore[index]
    assert len(ta_van.photos("dossier", dossier_id)) == 1
    ta_van.change_status(dossier_id, "result_returned", "Công dân đã nhận kết quả")
    ta_van.add_note(dossier_id, "Đã gọi điện báo công dân")
    _sync_ok(ta_van)
    _sync_ok(sa_pa)
    _sync_ok(ta_van)

    # Both tablets hold the same dossier, its timeline and its photo.
    mine, theirs = _records(ta_van, dossier_id), _records(sa_pa, dossier_id)
    assert mine == theirs
    assert mine[dossier_id]["status"] == "result_returned"
    # the dossier; received, handed_over, in_progress, approved, returned, a note; a photo
    assert len(mine) == 1 + 6 + 1
    session.expire_all()
    stored = session.get(Dossier, dossier_id)
    assert stored is not None
    assert (stored.commune_id, stored.settling_commune_id, stored.return_commune_id) == (
        world.a.commune.id,
        sapa.commune.id,
        world.a.commune.id,
    )

    # The third commune's tablet never received anything of it.
    _sync_ok(y_ty)
    assert _records(y_ty, dossier_id) == {}
    assert y_ty.store.count_records("dossier") == 0
