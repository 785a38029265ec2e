"""The one place that decides which communes' data a person or a device may touch.

Every query over commune-owned data goes through :func:`restrict`, and every write
through :meth:`Scope.require`, so tenant isolation is a property of one small module.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from server.models import AdminUnit, Device, Dossier, Officer, Role, UnitLevel
from server.services.errors import Forbidden, NotFound

SelectT = TypeVar("SelectT", bound=Select[*tuple[Any, ...]])


#: Why a write to another commune's record is refused (shown to officers).
OTHER_COMMUNE_MESSAGE = (
    "Không có quyền với dữ liệu của xã khác (you may not touch another commune's data)"
)


@dataclass(frozen=True)
class Scope:
    """The communes visible to a principal; ``None`` means every commune."""

    commune_ids: frozenset[int] | None

    @property
    def is_everything(self) -> bool:
        return self.commune_ids is None

    def allows(self, commune_id: int | None) -> bool:
        if self.commune_ids is None:
            return True
        return commune_id is not None and commune_id in self.commune_ids

    def require(self, commune_id: int | None) -> None:
        """Refuse a write outside the scope, naming the problem."""
        if not self.allows(commune_id):
            raise Forbidden(OTHER_COMMUNE_MESSAGE)


NOTHING = Scope(frozenset())


def scope_for_officer(session: Session, officer: Officer) -> Scope:
    if not officer.active:
        return NOTHING
    if officer.role == Role.SYSTEM_ADMIN:
        return Scope(None)
    if officer.unit_id is None:
        return NOTHING
    if officer.role == Role.PROVINCE_ADMIN:
        ids = session.scalars(
            select(AdminUnit.id).where(
                AdminUnit.parent_id == officer.unit_id, AdminUnit.level == UnitLevel.COMMUNE
            )
        ).all()
        return Scope(frozenset(ids))
    return Scope(frozenset({officer.unit_id}))


def scope_for_device(device: Device) -> Scope:
    """A device sees exactly the commune it was registered to, nothing else."""
    if device.revoked:
        return NOTHING
    return Scope(frozenset({device.commune_id}))


def restrict(stmt: SelectT, commune_column: Any, scope: Scope) -> SelectT:
    """Limit a SELECT to the scope, by the given commune-owner column."""
    if scope.commune_ids is None:
        return stmt
    return stmt.where(commune_column.in_(scope.commune_ids))


def get_scoped(session: Session, model: type[Any], record_id: Any, scope: Scope) -> Any:
    """Load one commune-owned record, answering 404 whether it is absent or out of scope.

    Out-of-scope records are reported as missing so that ids do not leak across
    communes.
    """
    record = session.get(model, record_id)
    if record is None or not scope.allows(record.commune_id):
        raise NotFound(f"Không tìm thấy (not found): {model.__name__.lower()} {record_id}")
    return record


# -- dossiers shared between communes (filing anywhere, Decree 118/2025/NĐ-CP) -------------

#: Why a commune that only received a dossier may not decide it (shown to officers).
NOT_SETTLING_MESSAGE = (
    "Hồ sơ do xã khác giải quyết: xã tiếp nhận chỉ theo dõi và trả kết quả "
    "(another commune settles this dossier: the receiving commune follows it and returns "
    "the result)"
)


def restrict_dossiers(stmt: SelectT, scope: Scope) -> SelectT:
    """Limit a SELECT over dossiers to those the scope is involved in: received, settled
    or returned by one of its communes."""
    if scope.commune_ids is None:
        return stmt
    ids = scope.commune_ids
    return stmt.where(
        or_(
            Dossier.commune_id.in_(ids),
            Dossier.settling_commune_id.in_(ids),
            Dossier.return_commune_id.in_(ids),
        )
    )


def allows_dossier(scope: Scope, dossier: Dossier) -> bool:
    return any(
        scope.allows(commune_id)
        for commune_id in (
            dossier.commune_id,
            dossier.settling_commune_id,
            dossier.return_commune_id,
        )
    )


def get_dossier_scoped(session: Session, dossier_id: str, scope: Scope) -> Dossier:
    """A dossier the scope is involved in; 404 (not 403) otherwise, so nothing leaks."""
    dossier = session.get(Dossier, dossier_id)
    if dossier is None or not allows_dossier(scope, dossier):
        raise NotFound(f"Không tìm thấy (not found): dossier {dossier_id}")
    return dossier


def require_settling(scope: Scope, dossier: Dossier) -> None:
    """Decisions on a dossier belong to its settling commune."""
    if not scope.allows(dossier.settling_commune_id):
        raise Forbidden(NOT_SETTLING_MESSAGE)
