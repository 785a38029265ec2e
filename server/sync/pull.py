"""Sending a tablet what changed since its cursor (PROTOCOL.md §7).

The cursor holds one sequence number per scope: the global scope of reference data and
the device's commune. A pull first reads each scope's counter as committed (a plain
read, no lock) and only sends changes up to it. Writers hold their scope's counter row
lock from the moment they take a number until they commit, and commit their records
with the counter, so every change numbered up to the committed counter is already
visible, and every change still in flight has a larger number. The cursor therefore
never passes a change that commits later (G4), whatever the isolation level, and even
though the collections are read by separate queries.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from server.models import (
    AdminUnit,
    Device,
    Procedure,
    SurveyForm,
    SyncRecord,
    UnitLevel,
    survey_form_commune,
    utcnow,
)
from server.models.surveys import FormStatus
from server.services.changes import GLOBAL_SCOPE, commune_scope, current_seq
from server.sync.clock import server_clock
from server.sync.store import MODELS, clock_entries, to_wire, wire_fields
from sync import wire
from sync.hlc import Timestamp
from sync.merge import DELETED
from sync.ops import Change, Cursor
from sync.schema import COLLECTIONS

MIN_BUDGET = 4 * 1024
MAX_BUDGET = 4 * 1024 * 1024
DEFAULT_BUDGET = 256 * 1024
#: Rows read per query and page: enough for the budget, within bounds.
MIN_ROWS = 100
MAX_ROWS = 5000
#: Bytes of the response around the changes: {"now":…,"cursor":"…","more":false,"changes":[]}
_ENVELOPE_BYTES = 96

ADMIN_UNIT_FIELDS = ("code", "name", "kind", "level", "parent_id", "active")
PROCEDURE_FIELDS = (
    "code",
    "name_vi",
    "name_en",
    "field",
    "processing_days",
    "extension_days",
    "extension_when_vi",
    "extension_when_en",
    "required_documents",
    "fee_vnd",
    "fee_note_vi",
    "fee_note_en",
    "legal_basis",
    "result_vi",
    "result_en",
    "active",
)
SURVEY_FORM_FIELDS = (
    "key",
    "version",
    "title_vi",
    "title_en",
    "questions",
    "status",
    "published_at",
)


def clamp_budget(budget: int | None) -> int:
    if budget is None:
        return DEFAULT_BUDGET
    return max(MIN_BUDGET, min(MAX_BUDGET, budget))


@dataclass(frozen=True)
class PullPage:
    now_ms: int
    cursor: Cursor
    more: bool
    changes: list[dict[str, Any]]  # wire form

    def to_wire(self) -> dict[str, Any]:
        return {
            "now": self.now_ms,
            "cursor": self.cursor.encode(),
            "more": self.more,
            "changes": self.changes,
        }


@dataclass
class _Candidate:
    seq: int
    build: Callable[[], dict[str, Any] | None]


def _page_of(
    session: Session,
    queries: Iterable[tuple[Select[Any], Callable[[Any], dict[str, Any] | None]]],
    limit: int,
) -> tuple[list[_Candidate], int | None]:
    """Merge several seq-ordered queries (each cut at ``limit`` rows) by seq.

    Returns the candidates and, if a query was cut, the highest seq up to which the
    merge is complete (nothing is missing at or below it); otherwise None.
    """
    candidates: list[_Candidate] = []
    bound: int | None = None
    for stmt, build in queries:
        rows = list(session.scalars(stmt.limit(limit)))
        if len(rows) == limit:
            # Rows past the limit may share the last row's seq: stop just before it
            # (unless every row has that seq, which leaves no choice).
            last = int(rows[-1].seq)
            if int(rows[0].seq) < last:
                last -= 1
            bound = last if bound is None else min(bound, last)
        candidates.extend(_Candidate(int(row.seq), _bind(build, row)) for row in rows)
    if bound is not None:
        candidates = [c for c in candidates if c.seq <= bound]
    candidates.sort(key=lambda c: c.seq)
    return candidates, bound


def _bind(
    build: Callable[[Any], dict[str, Any] | None], row: Any
) -> Callable[[], dict[str, Any] | None]:
    return lambda: build(row)


def _reference_change(collection: str, names: Sequence[str]) -> Callable[[Any], dict[str, Any]]:
    def build(row: Any) -> dict[str, Any]:
        fields = {name: to_wire(getattr(row, name)) for name in names}
        return Change(collection, str(row.id), int(row.seq), fields).to_wire()

    return build


def record_change(
    collection: str,
    row: SyncRecord,
    since: int,
    own_node: str | None = None,
    own_device_id: str | None = None,
) -> dict[str, Any] | None:
    """A commune record as a change for a device whose cursor in the scope is ``since``.

    Every field goes (``since`` is kept for the signature's sake), except those whose
    current value was written by the pulling device itself (clock node ``own_node``):
    the device has them already. None when nothing is left to send.
    """
    spec = COLLECTIONS[collection]
    entries = clock_entries(row)
    known = {n: e for n, e in entries.items() if n in spec.fields or n == DELETED}
    # Every field goes, not only those written after ``since``: a record updated after
    # the device's cursor passed its creation (between two pages) would otherwise
    # arrive without the fields it was created with.
    del since
    fields = wire_fields(spec, row)
    clocks = {name: clock for name, (clock, _seq) in known.items()}
    deleted = bool(row.deleted) and not spec.append_only
    if own_node is not None:
        own = {name for name, clock in clocks.items() if Timestamp.decode(clock).node == own_node}
        if row.origin_device_id == own_device_id:
            # The device created it: fields never written since hold the empties it has.
            own |= {name for name in fields if name not in clocks}
        fields = {name: value for name, value in fields.items() if name not in own}
        clocks = {name: clock for name, clock in clocks.items() if name not in own}
        if not clocks and not fields:
            return None
    return Change(collection, row.id, int(row.seq), fields, clocks, deleted).to_wire()


def _reference_queries(
    device: Device, commune: AdminUnit, low: int, high: int
) -> list[tuple[Select[Any], Callable[[Any], dict[str, Any]]]]:
    province_id = commune.parent_id
    unit_scope = [AdminUnit.id == commune.id]
    if province_id is not None:
        unit_scope += [
            AdminUnit.id == province_id,
            (AdminUnit.parent_id == province_id) & (AdminUnit.level == UnitLevel.COMMUNE),
        ]
    unit_scope.append((AdminUnit.parent_id == commune.id) & (AdminUnit.level == UnitLevel.VILLAGE))
    units = (
        select(AdminUnit)
        .where(AdminUnit.seq > low, AdminUnit.seq <= high, or_(*unit_scope))
        .order_by(AdminUnit.seq, AdminUnit.id)
    )
    procedures = (
        select(Procedure)
        .where(Procedure.seq > low, Procedure.seq <= high)
        .order_by(Procedure.seq, Procedure.id)
    )
    forms = (
        select(SurveyForm)
        .join(survey_form_commune, survey_form_commune.c.form_id == SurveyForm.id)
        .where(
            survey_form_commune.c.commune_id == device.commune_id,
            SurveyForm.status != FormStatus.DRAFT,
            SurveyForm.seq > low,
            SurveyForm.seq <= high,
        )
        .order_by(SurveyForm.seq, SurveyForm.id)
    )
    return [
        (units, _reference_change("admin_unit", ADMIN_UNIT_FIELDS)),
        (procedures, _reference_change("procedure", PROCEDURE_FIELDS)),
        (forms, _reference_change("survey_form", SURVEY_FORM_FIELDS)),
    ]


def _commune_queries(
    commune_id: int, low: int, high: int, own_node: str, own_device_id: str
) -> list[tuple[Select[Any], Callable[[Any], dict[str, Any] | None]]]:
    queries: list[tuple[Select[Any], Callable[[Any], dict[str, Any] | None]]] = []
    for collection, model in MODELS.items():
        stmt = (
            select(model)
            .where(model.commune_id == commune_id, model.seq > low, model.seq <= high)
            .order_by(model.seq, model.id)
        )
        queries.append((stmt, _commune_change(collection, low, own_node, own_device_id)))
    return queries


def _commune_change(
    collection: str, since: int, own_node: str, own_device_id: str
) -> Callable[[Any], dict[str, Any] | None]:
    return lambda row: record_change(collection, row, since, own_node, own_device_id)


def pull(session: Session, device: Device, cursor: Cursor, budget: int | None) -> PullPage:
    """The next page of changes for ``device`` after ``cursor``, about ``budget`` bytes."""
    budget = clamp_budget(budget)
    device.last_sync_at = utcnow()
    commune = session.get(AdminUnit, device.commune_id)
    assert commune is not None
    # Committed counters first: every change numbered up to them is visible (G4).
    top_reference = current_seq(session, GLOBAL_SCOPE)
    top_commune = current_seq(session, commune_scope(device.commune_id))
    # A cursor from before a server restore is ahead of the counters: start that scope
    # again rather than never sending anything.
    reference_from = cursor.reference if cursor.reference <= top_reference else 0
    commune_from = cursor.commune if cursor.commune <= top_commune else 0
    limit = max(MIN_ROWS, min(MAX_ROWS, budget // 48))

    changes: list[dict[str, Any]] = []
    size = _ENVELOPE_BYTES

    def take(candidates: list[_Candidate]) -> int | None:
        """Add candidates within the budget; the seq of the last one if cut short."""
        nonlocal size
        last: int | None = None
        for candidate in candidates:
            change = candidate.build()
            if change is None:  # only the device's own writes: nothing to send
                last = candidate.seq
                continue
            grow = len(wire.dumps(change)) + 1
            # Always at least one change; never cut between changes of the same seq.
            if changes and size + grow > budget and candidate.seq != last:
                return last if last is not None else -1
            changes.append(change)
            size += grow
            last = candidate.seq
        return None

    reference_candidates, reference_bound = _page_of(
        session, _reference_queries(device, commune, reference_from, top_reference), limit
    )
    cut = take(reference_candidates)
    if cut is not None or reference_bound is not None:
        # Reference data is not all sent yet: commune data waits for the next page.
        reached = reference_bound if cut is None else cut
        new_cursor = Cursor(reached if reached and reached > 0 else reference_from, commune_from)
        return PullPage(server_clock().physical_ms(), new_cursor, True, changes)

    commune_candidates, commune_bound = _page_of(
        session,
        _commune_queries(
            device.commune_id, commune_from, top_commune, str(device.device_no), device.id
        ),
        limit,
    )
    cut = take(commune_candidates)
    if cut is not None:
        reached = cut if cut > 0 else commune_from
        more = True
    elif commune_bound is not None:
        reached, more = commune_bound, True
    else:
        reached, more = top_commune, False
    return PullPage(server_clock().physical_ms(), Cursor(top_reference, reached), more, changes)
