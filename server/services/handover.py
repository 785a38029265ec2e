"""Filing anywhere in the province: the settling commune, and handing a dossier over.

Decree 118/2025/NĐ-CP lets a citizen file a dossier for a procedure on the province's
published list at any commune centre of the province, "không phụ thuộc vào địa giới
hành chính" (art. 14(2): commune centres receive dossiers of every commune of the
province; the list is the provincial chairman's decision); the receiving centre sends
the electronic and the paper dossier to the competent commune (art. 20), and the result
is returned where the citizen asked (the decree's definition: "nộp hồ sơ và nhận kết
quả … tại bất kỳ bộ phận một cửa nào"). Here:

- ``Dossier.commune_id`` is the receiving commune (the record's home), unchanged;
- ``Dossier.settling_commune_id`` the commune that processes and decides;
- ``Dossier.return_commune_id`` where the result is returned (receiving or settling).

The due date is not changed by a handover: it runs from receipt of the complete
dossier at the receiving centre, and the time the handover takes counts against it (no
text on transfer time was found; this reading never makes a late dossier look on time,
docs/ANYWHERE.md).

The same rule (:func:`settling_problems`) checks an intake on the web and a dossier
created by a tablet's push; :func:`hand_over` is the handover from the web, and a
tablet's push of ``settling_commune_id`` with its ``handed_over`` event is checked by
:func:`handover_problem` (server/sync/push.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import (
    AdminUnit,
    Device,
    Dossier,
    DossierEvent,
    Officer,
    Procedure,
    UnitLevel,
    utcnow,
)
from server.scoping import scope_for_officer
from server.services import audit
from server.services.errors import Invalid, NotFound
from server.sync import shared
from server.sync.clock import server_clock
from server.sync.store import ServerFieldStore
from sync.domain import HANDED_OVER as HANDED_OVER
from sync.domain import OPEN_STATUSES
from sync.ids import new_id

MAX_REASON = 2000

involved_communes = shared.involved_communes


def _commune_label(unit: AdminUnit | None, commune_id: int) -> str:
    return unit.full_name if unit is not None else str(commune_id)


def target_problem(
    session: Session, procedure: Procedure | None, receiving_id: int, target_id: Any
) -> str | None:
    """Why ``target_id`` cannot settle a dossier received by ``receiving_id`` (None: it can).

    The receiving commune may always settle its own dossiers. Another commune only for
    a procedure on the province's list (``Procedure.receivable_anywhere``, Decree
    118/2025/NĐ-CP), and only an active commune of the same province.
    """
    if isinstance(target_id, bool) or not isinstance(target_id, int):
        return "Phải là mã xã (must be a commune id)"
    if target_id == receiving_id:
        return None
    if procedure is None or not procedure.receivable_anywhere:
        return (
            "Thủ tục này không thuộc danh mục tiếp nhận không phụ thuộc địa giới hành chính "
            "của tỉnh: chỉ xã tiếp nhận được giải quyết "
            "(this procedure is not on the province's list of procedures receivable "
            "anywhere: only the receiving commune may settle it)"
        )
    target = session.get(AdminUnit, target_id)
    receiving = session.get(AdminUnit, receiving_id)
    if target is None or target.level != UnitLevel.COMMUNE:
        return f"Xã {target_id} không tồn tại (unknown commune {target_id})"
    if not target.active:
        return f"{target.full_name} không còn hoạt động (the commune {target.name} is not active)"
    if receiving is None or target.parent_id != receiving.parent_id:
        return (
            f"{target.full_name} không cùng tỉnh với xã tiếp nhận "
            f"({target.name} is not in the receiving commune's province)"
        )
    return None


def return_problem(receiving_id: int, settling_id: int, return_id: Any) -> str | None:
    """The result is returned at the receiving or the settling commune, nowhere else."""
    if return_id in (receiving_id, settling_id) and not isinstance(return_id, bool):
        return None
    return (
        "Nơi trả kết quả phải là xã tiếp nhận hoặc xã giải quyết "
        "(the result is returned at the receiving or the settling commune)"
    )


def settling_problems(
    session: Session,
    procedure: Procedure | None,
    receiving_id: int,
    settling_id: int | None,
    return_id: int | None,
) -> dict[str, str]:
    """Field → message for an intake naming a settling and a return commune (None: the
    receiving commune). Used by the web intake and by a tablet's push alike."""
    problems: dict[str, str] = {}
    settling = receiving_id if settling_id is None else settling_id
    problem = target_problem(session, procedure, receiving_id, settling)
    if problem:
        problems["settling_commune_id"] = problem
    if return_id is not None:
        problem = return_problem(receiving_id, settling, return_id)
        if problem:
            problems["return_commune_id"] = problem
    return problems


def has_handover(session: Session, dossier_id: str) -> bool:
    return (
        session.scalar(
            select(DossierEvent.id)
            .where(DossierEvent.dossier_id == dossier_id, DossierEvent.kind == HANDED_OVER)
            .limit(1)
        )
        is not None
    )


def handover_problem(
    session: Session, dossier: Dossier, to_commune_id: Any, reason: str | None
) -> str | None:
    """Why the dossier cannot be handed over to ``to_commune_id`` now (None: it can)."""
    if dossier.status not in OPEN_STATUSES:
        return (
            "Hồ sơ đã giải quyết xong hoặc đã dừng, không chuyển được "
            "(the dossier is finished: it can no longer be handed over)"
        )
    if to_commune_id == dossier.settling_commune_id:
        return "Hồ sơ đã do xã này giải quyết (the dossier is already settled by this commune)"
    problem = target_problem(session, dossier.procedure, dossier.commune_id, to_commune_id)
    if problem:
        return problem
    if len(reason or "") > MAX_REASON:
        return f"Lý do dài quá {MAX_REASON} ký tự (reason longer than {MAX_REASON})"
    if not (reason or "").strip() and has_handover(session, dossier.id):
        return "Chuyển lại hồ sơ lần nữa cần ghi lý do (a dossier handed over again needs a reason)"
    return None


def hand_over(
    session: Session,
    dossier: Dossier,
    to_commune_id: int,
    reason: str,
    *,
    officer: Officer | None = None,
    device: Device | None = None,
    now: datetime | None = None,
    remote_addr: str | None = None,
) -> DossierEvent:
    """Hand the dossier over to ``to_commune_id`` for settling; returns the timeline event.

    The receiving or the current settling commune may do it (its officer or device; a
    province administrator of the province); anyone else gets a 404 as for a dossier
    that does not exist. The return commune follows: if the result was to be returned
    by the commune that gives the dossier up, it is returned at the receiving commune
    again. The due date does not change (it runs from receipt at the receiving centre).
    """
    allowed = {dossier.commune_id, dossier.settling_commune_id}
    if officer is not None and not any(
        scope_for_officer(session, officer).allows(c) for c in allowed
    ):
        raise NotFound(f"Không tìm thấy (not found): dossier {dossier.id}")
    if device is not None and (device.revoked or device.commune_id not in allowed):
        raise NotFound(f"Không tìm thấy (not found): dossier {dossier.id}")
    problem = handover_problem(session, dossier, to_commune_id, reason)
    if problem:
        raise Invalid(problem, errors={"to_commune_id": problem})
    from_commune_id = dossier.settling_commune_id
    with shared.lock_communes(session, involved_communes(dossier) | {to_commune_id}):
        store = ServerFieldStore(session, None, device_id=device.id if device else None)
        values: dict[str, Any] = {"settling_commune_id": to_commune_id}
        if dossier.return_commune_id not in (dossier.commune_id, to_commune_id):
            values["return_commune_id"] = dossier.commune_id
        store.server_write("dossier", dossier.id, values)
        occurred = now or utcnow()
        event_id = new_id()
        stamp = server_clock().now().encode()
        event_values = {
            "dossier_id": dossier.id,
            "kind": HANDED_OVER,
            "occurred_at": occurred.isoformat(),
            "officer_id": officer.id if officer else (device.officer_id if device else None),
            "from_status": None,
            "to_status": None,
            "note": (reason or "").strip(),
            "data": {
                "from_commune_id": from_commune_id,
                "to_commune_id": to_commune_id,
                "reason": (reason or "").strip(),
            },
        }
        bound = ServerFieldStore(
            session, dossier.commune_id, device_id=device.id if device else None
        )
        bound.write(
            "dossier_event", event_id, {name: (v, stamp) for name, v in event_values.items()}
        )
        audit.record(
            session,
            "dossier.hand_over",
            officer_id=officer.id if officer else (device.officer_id if device else None),
            device_id=device.id if device else None,
            commune_id=dossier.commune_id,
            entity="dossier",
            entity_id=dossier.id,
            detail={"from": from_commune_id, "to": to_commune_id, "reason": event_values["note"]},
            remote_addr=remote_addr,
        )
        session.flush()
    event = session.get(DossierEvent, event_id)
    assert event is not None
    return event
