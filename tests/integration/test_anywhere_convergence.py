"""Property: shared dossiers converge on the tablets of exactly the communes involved.

Five tablets of four communes of one province (two in A, one each in B, C and D) work
against the live server over HTTP. Hypothesis draws a run: intakes in A, B or C for a
settling commune among A, B, C; notes; decisions by the settling commune; handovers
(with a reason) between A, B and C; and syncs of single tablets, so that the others are
cut off (a partition) for as long as they do not sync. Then every tablet syncs until
nothing moves (the partition heals). For every dossier of the run:

- the tablets of the communes involved at the end hold every record the server has of
  it, with the same values (they converge);
- the tablets of a commune involved earlier but not any more hold none of them (the
  removals reached them);
- a tablet of a commune that was never involved never RECEIVED any record of it: every
  change the server sent to each tablet is recorded and checked (commune D is never
  named, so its tablet is the control).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from mobile.tablet import InvalidInput, Tablet
from mobile.transport import HttpTransport
from server.models import Attachment, Dossier, DossierApology, DossierEvent, SyncConflict
from server.services.handover import involved_communes
from sync.ops import Cursor
from sync.storage import PullPage
from tests import factories
from tests.server.conftest import CommuneKit, World, _kit

SHARED = ("dossier", "dossier_event", "dossier_apology", "attachment", "sync_conflict")


class RecordingTransport(HttpTransport):
    """The tablet's HTTP transport, keeping every change the server sent."""

    def __init__(self, *args: Any, received: set[str], **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.received = received

    def pull(self, cursor: Cursor, budget: int) -> PullPage:
        page = super().pull(cursor, budget)
        self.received.update(change.record_id for change in page.changes)
        return page


@dataclass
class Device:
    name: str
    commune: str
    tablet: Tablet
    received: set[str] = field(default_factory=set)

    def sync(self) -> None:
        registration = self.tablet.registration
        transport = RecordingTransport(
            registration.server_url,
            registration.token,
            self.tablet.app_version,
            received=self.received,
        )
        try:
            report = self.tablet.sync(transport)
        finally:
            transport.close()
        # Rejections are allowed (a tablet acting on a dossier it lost), failures not.
        assert report.ok, report.error


@dataclass
class Province:
    kits: dict[str, CommuneKit]
    devices: list[Device]
    procedure_id: int

    def __repr__(self) -> str:  # short, for Hypothesis' report of a failing run
        return f"Province({', '.join(d.name for d in self.devices)})"


@pytest.fixture
def province(
    live_server: Any, world: World, session: Session, tmp_path: Path
) -> Iterator[Province]:
    world.procedure.receivable_anywhere = True
    kits = {"A": world.a, "B": world.b}
    kits["C"] = _kit(session, world.province, "Sa Pa")
    kits["D"] = _kit(session, world.province, "Bản Hồ")
    second_a = factories.officer(session, world.a.commune)
    session.commit()
    people = [
        ("a1", "A", world.a.officer),
        ("a2", "A", second_a),
        ("b1", "B", world.b.officer),
        ("c1", "C", kits["C"].officer),
        ("d1", "D", kits["D"].officer),
    ]
    devices = []
    for name, commune, officer in people:
        tablet = Tablet(tmp_path / f"{name}.db")
        tablet.register(live_server.url, officer.username, factories.PASSWORD, f"Máy {name}")
        devices.append(Device(name, commune, tablet))
    for device in devices:
        device.sync()
    yield Province(kits, devices, world.procedure.id)
    for device in devices:
        device.tablet.close()


ACTING = [0, 1, 2, 3]  # a1, a2, b1, c1: D's tablet only syncs
NAMED = ["A", "B", "C"]  # communes a run may name as settling commune

steps = st.lists(
    st.one_of(
        st.tuples(st.just("intake"), st.sampled_from(ACTING), st.sampled_from(NAMED)),
        st.tuples(st.just("note"), st.sampled_from(ACTING), st.integers(0, 5)),
        st.tuples(st.just("decide"), st.sampled_from(ACTING), st.integers(0, 5)),
        st.tuples(
            st.just("handover"),
            st.sampled_from(ACTING),
            st.integers(0, 5),
            st.sampled_from(NAMED),
        ),
        st.tuples(st.just("sync"), st.integers(0, 4)),
    ),
    min_size=4,
    max_size=18,
)


def _server_records(session: Session, dossier_id: str) -> set[str]:
    session.expire_all()
    ids = {dossier_id}
    ids |= set(
        session.scalars(select(DossierEvent.id).where(DossierEvent.dossier_id == dossier_id))
    )
    ids |= set(
        session.scalars(select(DossierApology.id).where(DossierApology.dossier_id == dossier_id))
    )
    ids |= set(session.scalars(select(Attachment.id).where(Attachment.owner_id == dossier_id)))
    ids |= set(session.scalars(select(SyncConflict.id).where(SyncConflict.record_id == dossier_id)))
    return ids


def _held(tablet: Tablet, ids: set[str]) -> dict[str, dict[str, Any]]:
    held = {}
    for collection in SHARED:
        for record in tablet.store.list_records(collection):
            if record["id"] in ids:
                held[record["id"]] = record
    return held


@settings(
    max_examples=6,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(run=steps)
def test_involved_communes_converge_and_no_one_else_receives(
    province: Province, session: Session, run: list[tuple[Any, ...]]
) -> None:
    devices = province.devices
    commune_ids = {name: kit.commune.id for name, kit in province.kits.items()}
    names_by_id = {commune_id: name for name, commune_id in commune_ids.items()}
    dossiers: list[str] = []
    ever_involved: dict[str, set[str]] = {}

    def local(device: Device, index: int) -> str | None:
        if not dossiers:
            return None
        dossier_id = dossiers[index % len(dossiers)]
        return dossier_id if device.tablet.dossier(dossier_id) is not None else None

    for step in run:
        kind = step[0]
        if kind == "sync":
            devices[step[1]].sync()
            continue
        device = devices[step[1]]
        tablet = device.tablet
        try:
            if kind == "intake":
                settling = commune_ids[step[2]]
                dossier_id = tablet.create_dossier(
                    province.procedure_id, "Thào Thị Mai", settling_commune_id=settling
                )
                dossiers.append(dossier_id)
                ever_involved[dossier_id] = {device.commune, step[2]}
                continue
            dossier_id_or_none = local(device, step[2])
            if dossier_id_or_none is None:
                continue
            dossier_id = dossier_id_or_none
            if kind == "note":
                tablet.add_note(dossier_id, f"Ghi chú của {device.name}")
            elif kind == "decide":
                record = tablet.dossier(dossier_id) or {}
                if record.get("settling_commune_id") == commune_ids[device.commune]:
                    tablet.change_status(dossier_id, "in_progress", "Đang giải quyết")
            elif kind == "handover":
                tablet.hand_over(dossier_id, commune_ids[step[3]], f"Lý do của {device.name}")
                # Involved once this reaches the server (it may still be refused there).
                ever_involved[dossier_id].add(step[3])
        except InvalidInput:
            pass  # the tablet refused it offline, as the officer would be told

    # Heal the partition: everyone syncs until nothing moves.
    for _ in range(3):
        for device in devices:
            device.sync()

    for dossier_id in dossiers:
        session.expire_all()
        stored = session.get(Dossier, dossier_id)
        assert stored is not None
        involved = {names_by_id[c] for c in involved_communes(stored)}
        on_server = _server_records(session, dossier_id)
        holdings = {}
        for device in devices:
            held = _held(device.tablet, on_server)
            if device.commune in involved:
                assert held.keys() == on_server, (device.name, involved)
                holdings[device.name] = held
            else:
                assert held == {}, (device.name, involved)
            if device.commune not in ever_involved[dossier_id]:
                # Never involved: the server never sent it any record of the dossier.
                assert not device.received & on_server, (device.name, ever_involved)
        first = next(iter(holdings.values()))
        for name, held in holdings.items():
            assert held == first, name
    # The control commune's tablet never received a shared record at all.
    assert not devices[4].received & set(dossiers)
