"""Demo data of filing anywhere in the province (Decree 118/2025/NĐ-CP): a few dossiers
received by one commune's centre for another commune, at each stage a leader should see.

- received in Tả Van for Sa Pa yesterday, Sa Pa has not taken it up: *waiting for
  handover* on the province dashboard; the result is to be returned in Tả Van;
- received in Tả Van for Sa Pa, Sa Pa is processing it, the result returned in Sa Pa;
- received in Sa Pa for Tả Van, settled by Tả Van and returned there on time;
- received in Tả Van for a third commune by mistake, handed on to Sa Pa with a reason
  (a second handover, by the commune that was picked).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import AdminUnit, Dossier, DossierEvent, Officer, Procedure
from server.scoping import Scope
from server.services import handover
from server.services.changes import stamp
from server.services.dossiers import ApplicantInput, DossierInput, create_dossier
from sync.domain import Channel, DossierStatus
from sync.forms import example_values
from sync.ids import new_id
from sync.workdays import OFFICE_TZ, is_working_day

#: Procedures of the demo (national codes); each is used only if on the province's list.
BIRTH, MARRIAGE, DEATH = "1.001193", "1.000894", "1.000656"
#: How many dossiers the module makes.
DOSSIERS = 4
WRONG_PICK_REASON = "Cha mẹ cháu thường trú tại phường Sa Pa; xã tiếp nhận chọn nhầm xã giải quyết"


class DemoCommune(Protocol):
    unit: AdminUnit
    villages: list[AdminUnit]
    leader: Officer
    officers: list[Officer]
    device_of: dict[int, str]


def _days_back(today: date, n: int) -> date:
    day = today
    while n > 0:
        day -= timedelta(days=1)
        if is_working_day(day):
            n -= 1
    return day


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), OFFICE_TZ)


def _event(
    session: Session,
    counts: dict[str, int],
    dossier: Dossier,
    actor: Officer,
    status: DossierStatus,
    moment: datetime,
    note: str,
) -> None:
    event = DossierEvent(
        id=new_id(),
        commune_id=dossier.commune_id,
        dossier_id=dossier.id,
        kind="status_changed",
        occurred_at=moment,
        officer_id=actor.id,
        from_status=dossier.status.value,
        to_status=status.value,
        note=note,
    )
    session.add(event)
    stamp(session, event)
    if dossier.handler_id is None:
        dossier.handler_id = actor.id
    if status == DossierStatus.RESULT_RETURNED:
        dossier.result_returned_at = moment
    dossier.status = status
    stamp(session, dossier)
    counts["dossier_events"] += 1


def seed_filing_anywhere(
    session: Session,
    communes: Mapping[str, DemoCommune],
    person: Callable[[datetime], Mapping[str, Any]],
    *,
    today: date,
    limit: datetime,
    counts: dict[str, int],
) -> list[Dossier]:
    """Make the dossiers of the module docstring; ``person(received_at)`` is a villager
    (``full_name``, ``dob``, ``cccd``, ``ethnicity``). Needs Tả Van, Sa Pa and a third
    commune; returns what it made (nothing when the procedures are not on the list)."""
    procedures = {
        p.code: p
        for p in session.scalars(select(Procedure).where(Procedure.code.in_([BIRTH, DEATH])))
        if p.active and p.receivable_anywhere
    }
    ta_van, sa_pa = communes.get("Tả Van"), communes.get("Sa Pa")
    third = next((c for name, c in communes.items() if name not in ("Tả Van", "Sa Pa")), None)
    if ta_van is None or sa_pa is None or third is None or len(procedures) < 2:
        return []
    rng = random.Random(f"anywhere-{today.isoformat()}")  # noqa: S311 - demo data
    made: list[Dossier] = []

    def receive(
        at: DemoCommune, code: str, settling: DemoCommune, returned_at: DemoCommune, day: date
    ) -> Dossier:
        received_at = _at(day, 9, rng.randrange(0, 50))
        someone = person(received_at)
        procedure = procedures[code]
        village = rng.choice(at.villages)
        place = f"{village.full_name}, {at.unit.full_name}"
        parties, facts = example_values(
            procedure.form,
            lambda: person(received_at),
            today=day,
            place=place,
            pick=rng.choice,
        )
        receiver = at.officers[0]
        dossier = create_dossier(
            session,
            DossierInput(
                commune_id=at.unit.id,
                procedure_id=procedure.id,
                applicant=ApplicantInput(
                    name=str(someone["full_name"]),
                    cccd=str(someone["cccd"]),
                    dob=date.fromisoformat(str(someone["dob"])),
                    address=place,
                ),
                parties=parties,
                facts=facts,
                channel=Channel.COUNTER,
                village_id=village.id,
                received_at=received_at,
                provided_documents=[
                    i for i, doc in enumerate(procedure.required_documents) if doc.get("required")
                ],
                settling_commune_id=settling.unit.id,
                return_commune_id=returned_at.unit.id,
            ),
            scope=Scope(None),
            officer=receiver,
            device_id=at.device_of.get(receiver.id),
            now=limit,
        )
        counts["dossiers"] += 1
        counts["dossier_events"] += 2  # received, handed over
        made.append(dossier)
        return dossier

    # Waiting: Sa Pa has not taken it up yet.
    receive(ta_van, BIRTH, sa_pa, ta_van, _days_back(today, 1))
    # Sa Pa is processing it; the citizen collects the result in Sa Pa.
    busy = receive(ta_van, BIRTH, sa_pa, sa_pa, _days_back(today, 3))
    _event(
        session,
        counts,
        busy,
        sa_pa.officers[0],
        DossierStatus.IN_PROGRESS,
        _at(_days_back(today, 2), 10, 15),
        "Đã nhận hồ sơ giấy từ xã Tả Van, đang giải quyết",
    )
    # Received in Sa Pa for Tả Van, settled and returned in Tả Van on time.
    day = _days_back(today, 6)
    done = receive(sa_pa, DEATH, ta_van, ta_van, day)
    for status, moment, actor, note in (
        (DossierStatus.IN_PROGRESS, _at(_days_back(today, 5), 8, 40), ta_van.officers[0], ""),
        (DossierStatus.APPROVED, _at(_days_back(today, 5), 15, 10), ta_van.leader, ""),
        (
            DossierStatus.RESULT_RETURNED,
            _at(_days_back(today, 4), 9, 30),
            ta_van.officers[0],
            "Đã trả kết quả tại Trung tâm xã Tả Van",
        ),
    ):
        _event(session, counts, done, actor, status, moment, note)
    # A wrong pick: the third commune hands it on to Sa Pa, with the reason.
    wrong = receive(ta_van, BIRTH, third, ta_van, _days_back(today, 2))
    session.flush()
    handover.hand_over(
        session,
        wrong,
        sa_pa.unit.id,
        WRONG_PICK_REASON,
        officer=third.officers[0],
        now=_at(_days_back(today, 1), 14, 5),
    )
    counts["dossier_events"] += 1
    session.flush()
    return made


def communes_by_name(communes: Sequence[DemoCommune]) -> dict[str, DemoCommune]:
    return {c.unit.name: c for c in communes}
