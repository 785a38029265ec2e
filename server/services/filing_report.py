"""The province's table of filing anywhere (tiếp nhận không phụ thuộc địa giới hành chính).

A citizen may file a procedure of the province's list at any commune centre of the
province; the receiving centre hands the dossier over to the commune competent to
settle it (Decree 118/2025/NĐ-CP). The province watches, per commune, for dossiers
received in the period (office days, as the rest of the dashboard):

- *received*: dossiers the commune's centre received (``commune_id``);
- *for other communes*: of those, the ones another commune settles
  (``settling_commune_id`` set and different);
- *settled for others*: dossiers the commune settles that another centre received;
- *on time* / *overdue*: of the dossiers the commune settles (its own and the ones
  received for it elsewhere), classified as on the dashboard
  (:func:`server.services.reports.classify`): the deadline runs from receipt at the
  receiving centre, so the days a handover takes count against it;
- *waiting for handover*: of the dossiers the commune received for another commune
  and still open now, the ones the settling commune has not yet taken up — no event
  of their timeline, at or after the latest handover to it (or the receipt), was
  recorded by an officer of the settling commune;
- *satisfaction*: the commune's survey satisfaction of the period
  (:func:`server.services.reports.satisfaction`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from server.models import AdminUnit, Dossier, DossierEvent, Officer
from server.scoping import Scope
from server.services.reports import (
    DossierCounts,
    Period,
    Rate,
    classify,
    communes_in_scope,
    satisfaction,
)
from sync.domain import OPEN_STATUSES

#: The timeline event a handover appends (server/services/handover.py).
HANDED_OVER = "handed_over"


@dataclass
class FilingRow:
    commune: AdminUnit | None  # None: the total
    received: int = 0
    for_others: int = 0
    settled_for_others: int = 0
    settled: DossierCounts = field(default_factory=DossierCounts)
    waiting: int = 0
    satisfaction: Rate = field(default_factory=Rate)

    @property
    def on_time(self) -> int:
        return self.settled.on_time

    @property
    def overdue(self) -> int:
        return self.settled.overdue


@dataclass
class FilingTable:
    rows: list[FilingRow]

    @property
    def total(self) -> FilingRow:
        total = FilingRow(commune=None)
        for row in self.rows:
            total.received += row.received
            total.for_others += row.for_others
            total.settled_for_others += row.settled_for_others
            total.settled.add(row.settled)
            total.waiting += row.waiting
            total.satisfaction.satisfied += row.satisfaction.satisfied
            total.satisfaction.answers += row.satisfaction.answers
            total.satisfaction.responses += row.satisfaction.responses
        return total

    @property
    def any_elsewhere(self) -> bool:
        """Whether any dossier of the period was received for another commune."""
        return any(row.for_others or row.waiting for row in self.rows)


def settling_of(dossier_commune_id: int, settling_commune_id: int | None) -> int:
    """The commune competent to settle: the receiving one unless another was picked."""
    return settling_commune_id if settling_commune_id is not None else dossier_commune_id


def _involves(scope: Scope) -> object:
    if scope.commune_ids is None:
        return True
    ids = scope.commune_ids
    return or_(Dossier.commune_id.in_(ids), Dossier.settling_commune_id.in_(ids))


def waiting_for_handover(session: Session, scope: Scope) -> dict[int, int]:
    """Receiving commune → open dossiers the settling commune has not taken up yet."""
    stmt = select(Dossier.id, Dossier.commune_id, Dossier.settling_commune_id).where(
        Dossier.deleted.is_(False),
        Dossier.settling_commune_id.is_not(None),
        Dossier.settling_commune_id != Dossier.commune_id,
        Dossier.status.in_(list(OPEN_STATUSES)),
    )
    if scope.commune_ids is not None:
        stmt = stmt.where(Dossier.commune_id.in_(scope.commune_ids))
    pending = {
        did: (receiving, settling_of(receiving, settling))
        for did, receiving, settling in session.execute(stmt)
    }
    if not pending:
        return {}
    events = session.execute(
        select(
            DossierEvent.dossier_id,
            DossierEvent.kind,
            DossierEvent.occurred_at,
            DossierEvent.data,
            Officer.unit_id,
        )
        .outerjoin(Officer, Officer.id == DossierEvent.officer_id)
        .where(DossierEvent.dossier_id.in_(list(pending)), DossierEvent.deleted.is_(False))
        .order_by(DossierEvent.occurred_at)
    )
    by_dossier: dict[str, list[tuple[str, datetime, dict[str, object], int | None]]] = defaultdict(
        list
    )
    for dossier_id, kind, occurred_at, data, unit_id in events:
        by_dossier[dossier_id].append((kind, occurred_at, data or {}, unit_id))
    waiting: dict[int, int] = defaultdict(int)
    for dossier_id, (receiving, settling) in pending.items():
        if not taken_up(by_dossier.get(dossier_id, []), settling):
            waiting[receiving] += 1
    return dict(waiting)


def taken_up(
    events: list[tuple[str, datetime, dict[str, object], int | None]], settling: int
) -> bool:
    """Whether an officer of ``settling`` recorded an event since it was handed the dossier.

    ``events`` are (kind, occurred_at, data, officer's commune) in time order. The
    handover that counts is the latest one to ``settling``; before any, the receipt.
    """
    since = 0
    for index, (kind, _at, data, _unit) in enumerate(events):
        if kind == HANDED_OVER and data.get("to_commune_id") == settling:
            since = index + 1
    return any(unit == settling for _k, _a, _d, unit in events[since:])


def filing_table(session: Session, scope: Scope, period: Period, *, today: date) -> FilingTable:
    """One row per commune of ``scope`` (see the module docstring for each column)."""
    rows = {c.id: FilingRow(commune=c) for c in communes_in_scope(session, scope)}
    stmt = select(
        Dossier.commune_id,
        Dossier.settling_commune_id,
        Dossier.status,
        Dossier.effective_due_date,
        Dossier.result_returned_at,
    ).where(
        Dossier.deleted.is_(False),
        Dossier.received_at >= period.starts_at,
        Dossier.received_at < period.ends_before,
        _involves(scope),  # type: ignore[arg-type]
    )
    for receiving, settling_id, status, due, returned_at in session.execute(stmt):
        settling = settling_of(receiving, settling_id)
        if receiving in rows:
            rows[receiving].received += 1
            if settling != receiving:
                rows[receiving].for_others += 1
        if settling in rows:
            rows[settling].settled.add(classify(status, due, returned_at, today=today))
            if settling != receiving:
                rows[settling].settled_for_others += 1
    for commune_id, count in waiting_for_handover(session, scope).items():
        if commune_id in rows:
            rows[commune_id].waiting = count
    for rate in satisfaction(session, scope, period).by_commune:
        if rate.commune_id in rows:
            rows[rate.commune_id].satisfaction = rate.rate
    return FilingTable(rows=list(rows.values()))
