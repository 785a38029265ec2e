"""Conflict records: listing them and resolving them (tablet API and admin web).

A conflict keeps a value that lost a merge (PROTOCOL.md §3). A person looks at both
values and decides:

- ``kept``: the merge's choice stands; only the conflict is closed;
- ``overturned``: the value that lost is written back;
- ``edited``: a third value is written.

A written value gets a fresh server stamp later than every clock the field has had, so
it wins every merge and reaches every tablet by pull. The conflict record itself is
updated the same way (status, resolution, who and when), so tablets see it resolved.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session

from server.models import Dossier, SyncConflict, utcnow
from server.scoping import Scope, SelectT
from server.services import audit
from server.services.errors import Conflict, Invalid, NotFound
from server.sync import shared
from server.sync.clock import fresh_stamp_after
from server.sync.store import ServerFieldStore, clock_entries, lock_commune, normalise
from server.translatable import msg
from sync.domain import ConflictResolution, ConflictStatus
from sync.schema import COLLECTIONS


class _Missing:
    def __repr__(self) -> str:
        return "NO_VALUE"


#: ``value`` not given (``None`` is a value: it clears the field).
NO_VALUE: Any = _Missing()


@dataclass(frozen=True)
class ConflictFilter:
    status: ConflictStatus | None = None
    collection: str | None = None
    record_id: str | None = None


def _deciding(stmt: SelectT, scope: Scope) -> SelectT:
    """Limit to the conflicts the scope decides: those of its own records, except that a
    conflict about a dossier settled by another commune goes to that commune (filing
    anywhere, Decree 118/2025/NĐ-CP: the settling commune decides)."""
    if scope.commune_ids is None:
        return stmt
    ids = scope.commune_ids
    settled_here = select(Dossier.id).where(Dossier.settling_commune_id.in_(ids))
    settled_elsewhere = select(Dossier.id).where(
        Dossier.commune_id.in_(ids), Dossier.settling_commune_id.not_in(ids)
    )
    return stmt.where(
        or_(
            and_(
                SyncConflict.commune_id.in_(ids),
                or_(
                    SyncConflict.collection != "dossier",
                    SyncConflict.record_id.not_in(settled_elsewhere),
                ),
            ),
            and_(SyncConflict.collection == "dossier", SyncConflict.record_id.in_(settled_here)),
        )
    )


def get_conflict(session: Session, conflict_id: str, scope: Scope) -> SyncConflict:
    """A conflict the scope decides; 404 otherwise (nothing leaks)."""
    found = session.scalar(
        _deciding(select(SyncConflict), scope).where(SyncConflict.id == conflict_id)
    )
    if found is None:
        raise NotFound(
            msg(
                "Không tìm thấy: %(value)s %(record_id)s",
                value="syncconflict",
                record_id=conflict_id,
            )
        )
    conflict: SyncConflict = found
    return conflict


def conflict_query(scope: Scope, filters: ConflictFilter | None = None) -> Select[Any]:
    """Conflicts visible in ``scope``, open ones first, newest first."""
    filters = filters or ConflictFilter()
    stmt = _deciding(select(SyncConflict), scope).where(SyncConflict.deleted.is_(False))
    if filters.status is not None:
        stmt = stmt.where(SyncConflict.status == filters.status.value)
    if filters.collection is not None:
        stmt = stmt.where(SyncConflict.collection == filters.collection)
    if filters.record_id is not None:
        stmt = stmt.where(SyncConflict.record_id == filters.record_id)
    # "open" sorts before "resolved".
    return stmt.order_by(SyncConflict.status, SyncConflict.created_at.desc(), SyncConflict.id)


def count_open(session: Session, scope: Scope) -> int:
    """How many conflicts in ``scope`` wait for a person."""
    stmt = _deciding(select(func.count()).select_from(SyncConflict), scope).where(
        SyncConflict.status == ConflictStatus.OPEN.value, SyncConflict.deleted.is_(False)
    )
    return int(session.scalar(stmt) or 0)


def resolve_conflict(
    session: Session,
    conflict_id: str,
    *,
    scope: Scope,
    choice: ConflictResolution | str,
    value: Any = NO_VALUE,
    officer_id: int | None,
    device_id: str | None = None,
    remote_addr: str | None = None,
) -> SyncConflict:
    """Resolve one conflict; the caller commits.

    Raises ``NotFound`` outside ``scope``, ``Conflict`` (409) if already resolved,
    ``Invalid`` (422) for a bad choice or value.
    """
    try:
        resolution = ConflictResolution(choice)
    except ValueError:
        allowed = ", ".join(c.value for c in ConflictResolution)
        raise Invalid(
            msg(
                "Lựa chọn %(choice)s không hợp lệ; chọn một trong %(allowed)s",
                choice=repr(choice),
                allowed=allowed,
            ),
            errors={"choice": f"one of {allowed}"},
        ) from None
    conflict = get_conflict(session, conflict_id, scope)
    # Serialise with the pushes of every commune the record is numbered in (in order),
    # then look again under the lock.
    for commune_id in sorted(shared.communes_seeing(session, "sync_conflict", conflict)):
        lock_commune(session, commune_id)
    session.refresh(conflict)
    if conflict.status != ConflictStatus.OPEN.value:
        raise Conflict(
            msg(
                "Xung đột %(conflict_id)s đã được xử lý: %(resolution)s",
                conflict_id=conflict_id,
                resolution=conflict.resolution,
            )
        )

    store = ServerFieldStore(session, conflict.commune_id)
    written: Any = NO_VALUE
    if resolution is ConflictResolution.EDITED:
        if value is NO_VALUE:
            raise Invalid(
                msg("Cần nhập giá trị mới"),
                errors={"value": "required for 'edited'"},
            )
        written = value
    elif resolution is ConflictResolution.OVERTURNED:
        written = conflict.lost_value
    elif value is not NO_VALUE:
        raise Invalid(
            msg("Lựa chọn '%(value)s' không nhận giá trị", value=resolution.value),
            errors={"value": "only for 'edited'"},
        )

    target_spec = COLLECTIONS.get(conflict.collection)
    if written is not NO_VALUE:
        if target_spec is None:
            raise Invalid(
                msg("Không rõ loại dữ liệu %(collection)s", collection=conflict.collection)
            )
        field = target_spec.fields.get(conflict.field)
        if field is None:
            raise Invalid(msg("Không rõ trường %(field)s", field=conflict.field))
        written = normalise(conflict.collection, conflict.field, written)
        problem = field.check(written)
        if problem:
            raise Invalid(
                f"Giá trị mới của {conflict.field} không hợp lệ: {problem}",
                errors={"value": problem},
            )
        target = store.row(conflict.collection, conflict.record_id)
        if target is None or target.commune_id != conflict.commune_id:
            raise Invalid(
                msg("Bản ghi %(record_id)s không còn trên máy chủ", record_id=conflict.record_id)
            )
        previous = clock_entries(target).get(conflict.field, ("", 0))[0]
        clock = fresh_stamp_after(previous, conflict.kept_clock, conflict.lost_clock)
        store.write(conflict.collection, conflict.record_id, {conflict.field: (written, clock)})

    store.server_write(
        "sync_conflict",
        conflict.id,
        {
            "status": ConflictStatus.RESOLVED.value,
            "resolution": resolution.value,
            "resolved_by_id": officer_id,
            "resolved_at": utcnow().isoformat(),
        },
    )
    # A conflict about a dossier another commune settles is that commune's decision: it is
    # in that commune's audit log (filing anywhere, Decree 118/2025/NĐ-CP).
    dossier = shared.dossier_of(session, "sync_conflict", conflict)
    audit.record(
        session,
        "sync.conflict.resolve",
        officer_id=officer_id,
        device_id=device_id,
        commune_id=dossier.settling_commune_id
        if dossier is not None and dossier.settling_commune_id is not None
        else conflict.commune_id,
        entity="sync_conflict",
        entity_id=conflict.id,
        detail={
            "choice": resolution.value,
            "collection": conflict.collection,
            "record_id": conflict.record_id,
            "field": conflict.field,
            **({"value": written} if written is not NO_VALUE else {}),
        },
        remote_addr=remote_addr,
    )
    session.flush()
    return conflict
