"""Where a dossier filed anywhere in the province is settled and where its result goes.

A procedure on the province's list (``Procedure.receivable_anywhere``, set by the
province administrator from the decision of the chairman of the provincial People's
Committee) may be filed at any commune centre of the province, whatever the citizen's
residence (Decree 118/2025/NĐ-CP art. 14(2), "không phụ thuộc vào địa giới hành
chính"). The receiving centre names the commune competent to settle it and sends it
there (art. 20); the citizen collects the result at the centre they chose — the
receiving one or the settling one.

``Dossier.commune_id`` is the receiving commune, ``settling_commune_id`` the competent
one, ``return_commune_id`` where the result is returned; the rules of a pick and of a
handover are :mod:`server.services.handover`'s.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import AdminUnit, Dossier, UnitLevel
from sync.domain import OPEN_STATUSES

#: The two places a citizen may collect the result (the intake page's choice).
RETURN_AT_RECEIVING = "receiving"
RETURN_AT_SETTLING = "settling"


def centre_name(commune: AdminUnit) -> str:
    """ "Trung tâm Phục vụ hành chính công xã Tả Van" (the commune's one-stop)."""
    return f"Trung tâm Phục vụ hành chính công {commune.kind.lower()} {commune.name}"


def province_communes(session: Session, commune: AdminUnit) -> list[AdminUnit]:
    """The communes of ``commune``'s province, by name (the settling commune's choices)."""
    if commune.parent_id is None:
        return [commune]
    return list(
        session.scalars(
            select(AdminUnit)
            .where(AdminUnit.parent_id == commune.parent_id, AdminUnit.level == UnitLevel.COMMUNE)
            .order_by(AdminUnit.name, AdminUnit.id)
        )
    )


@dataclass(frozen=True)
class Places:
    """The centres of one dossier, as pages and slips name them."""

    receiving: AdminUnit
    settling: AdminUnit
    returning: AdminUnit

    @property
    def elsewhere(self) -> bool:
        """Received by one commune for another, or returned elsewhere."""
        return self.settling.id != self.receiving.id or self.returning.id != self.receiving.id


def places(session: Session, dossier: Dossier) -> Places:
    receiving = dossier.commune
    settling = _unit(session, dossier.settling_commune_id) or receiving
    returning = _unit(session, dossier.return_commune_id) or receiving
    return Places(receiving, settling, returning)


def _unit(session: Session, unit_id: int | None) -> AdminUnit | None:
    return session.get(AdminUnit, unit_id) if unit_id is not None else None


def slip_lines(session: Session, dossier: Dossier) -> tuple[str, str]:
    """Slip 01's settling centre and place of return, "" where it is the receiving one.

    Circular 03/2025/TT-VPCP's form 01 has no line for a second centre that we could
    read; these two are ours, printed only when the centres differ.
    """
    where = places(session, dossier)
    settling = centre_name(where.settling) if where.settling.id != where.receiving.id else ""
    returning = centre_name(where.returning) if where.returning.id != where.receiving.id else ""
    return settling, returning


def commune_names(session: Session, dossier: Dossier) -> dict[int, str]:
    """Commune id → full name, for every commune its handovers name (timeline rows)."""
    ids: set[int] = {dossier.commune_id}
    for unit_id in (dossier.settling_commune_id, dossier.return_commune_id):
        if unit_id is not None:
            ids.add(unit_id)
    for event in dossier.events:
        for key in ("from_commune_id", "to_commune_id"):
            value = (event.data or {}).get(key)
            if isinstance(value, int) and not isinstance(value, bool):
                ids.add(value)
    units = session.scalars(select(AdminUnit).where(AdminUnit.id.in_(ids)))
    return {unit.id: unit.full_name for unit in units}


@dataclass(frozen=True)
class HandoverChoice:
    """What the dossier page offers an officer who may hand the dossier over."""

    communes: list[AdminUnit]  # the other communes of the province
    reason_required: bool  # a dossier handed over again needs a reason


def handover_choice(
    session: Session, dossier: Dossier, commune_id: int | None, *, handed_over_before: bool
) -> HandoverChoice | None:
    """The handover form for an officer of ``commune_id``, or None when there is none.

    Only the receiving or the settling commune hands over, only an open dossier of a
    procedure on the province's list (the rules themselves are
    :func:`server.services.handover.handover_problem`'s).
    """
    settling = dossier.settling_commune_id or dossier.commune_id
    if commune_id not in (dossier.commune_id, settling):
        return None
    if dossier.status not in OPEN_STATUSES or not dossier.procedure.receivable_anywhere:
        return None
    others = [c for c in province_communes(session, dossier.commune) if c.id != settling]
    if not others:
        return None
    return HandoverChoice(others, reason_required=handed_over_before)
