"""Conflicts as an officer reads them: one card per disagreement.

The server records one conflict per field that lost a merge (``sync_conflict``). Fields
written together — by the same save on the same tablet, so with the same losing clock —
disagree together: they make one card, decided with one tap. Each card names the record,
each field by its Vietnamese label (a party's field as "Bên nữ · Họ, chữ đệm và tên"),
both values as a person writes them (dates ``07/12/2026``, times ``07/12/2026 12:36`` in
office time), and on each side who wrote it, from which tablet (or the web) and when.

The top bar counts cards too (:func:`open_card_count`), so both screens say the same
number.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from mobile.app.context import AppContext
from mobile.app.fmt import fmt_date, parse_iso_date, short
from mobile.tablet import Tablet
from sync.forms import changed_paths, field_label
from sync.hlc import Timestamp
from sync.workdays import OFFICE_TZ

__all__ = ["ConflictCard", "ConflictRow", "conflict_cards", "fmt_moment", "open_card_count"]

#: Fields holding a date-time, shown in office time.
_MOMENTS = frozenset(
    {"received_at", "result_returned_at", "answered_at", "occurred_at", "resolved_at"}
)
_ENUMS = {"status": "status", "channel": "channel", "kind": "feedback_kind"}


@dataclass(frozen=True)
class ConflictRow:
    label: str
    kept: str
    lost: str


@dataclass(frozen=True)
class ConflictCard:
    conflict_ids: tuple[str, ...]
    title: str
    rows: tuple[ConflictRow, ...]
    kept_by: str  # "Lò Văn Sính · máy số 1 · 07/12/2026 12:36"
    lost_by: str
    can_overturn: bool
    note: str

    @property
    def key(self) -> str:
        return self.conflict_ids[0]


def fmt_moment(value: Any) -> str:
    """``07/12/2026 12:36`` in office time (Asia/Ho_Chi_Minh) from a datetime or ISO text."""
    moment = value
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
    if not isinstance(moment, datetime):
        return "—"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(OFFICE_TZ).strftime("%d/%m/%Y %H:%M")


def _group_key(conflict: Mapping[str, Any]) -> tuple[str, str, str]:
    return (
        str(conflict.get("collection", "")),
        str(conflict.get("record_id", "")),
        str(conflict.get("lost_clock") or conflict.get("id")),
    )


def _groups(conflicts: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for conflict in conflicts:
        groups.setdefault(_group_key(conflict), []).append(conflict)
    return list(groups.values())


def open_card_count(tablet: Tablet) -> int:
    """How many cards the sync screen shows (the top bar's count)."""
    return len(_groups(tablet.conflicts()))


class _Describer:
    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self.tr = ctx.tr
        self.registration = ctx.tablet.registration

    # -- who wrote it --------------------------------------------------------------------------

    def _when(self, clock: Any) -> str:
        try:
            stamp = Timestamp.decode(str(clock))
        except (ValueError, TypeError):
            return ""
        return fmt_moment(datetime.fromtimestamp(stamp.wall_ms / 1000, UTC))

    def _node(self, clock: Any) -> str:
        try:
            return Timestamp.decode(str(clock)).node
        except (ValueError, TypeError):
            return ""

    def side(self, clock: Any, device_id: Any, officer_id: Any, officer_name: Any = None) -> str:
        """Who wrote one side: the officer (by name: the server writes it into the conflict
        record, schema 9), which tablet or the web, and when."""
        tr = self.tr
        own = self.registration
        node = self._node(clock)
        if device_id and str(device_id) == own.device_id:
            where = tr("conflict.this_tablet", number=own.device_no)
        elif node and not node.isdigit():
            where = tr("conflict.web")
        elif node:
            where = tr("conflict.tablet", number=node)
        else:
            where = tr("conflict.unknown_device")
        parts = []
        if isinstance(officer_name, str) and officer_name.strip():
            parts.append(officer_name.strip())
        elif officer_id == own.officer_id or (device_id and str(device_id) == own.device_id):
            parts.append(own.officer_name)
        # Otherwise (a conflict made before the server named officers) the tablet says
        # which tablet and when: an officer's number would mean nothing to anyone.
        parts.append(where)
        when = self._when(clock)
        if when:
            parts.append(when)
        return " · ".join(p for p in parts if p)

    # -- what was written ------------------------------------------------------------------------

    def value(self, name: str, value: Any) -> str:
        tr = self.tr
        if value is None or value == "" or value == {} or value == []:
            return "—"
        if isinstance(value, bool):
            return tr("common.yes") if value else tr("common.no")
        if name in _ENUMS:
            return tr.enum(_ENUMS[name], value)
        if name in _MOMENTS:
            return fmt_moment(value)
        if isinstance(value, str) and len(value) == 10 and parse_iso_date(value) is not None:
            return fmt_date(parse_iso_date(value))
        if name == "documents" and isinstance(value, list):
            given = sum(1 for d in value if isinstance(d, dict) and d.get("provided"))
            return tr("conflict.documents", given=given, total=len(value))
        return short(value, 200)

    def rows(
        self, collection: str, record: Mapping[str, Any], conflict: Mapping[str, Any]
    ) -> list[ConflictRow]:
        name = str(conflict.get("field", ""))
        kept, lost = conflict.get("kept_value"), conflict.get("lost_value")
        if collection == "dossier" and name in ("parties", "facts"):
            procedure = self.ctx.tablet.procedure(record.get("procedure_id") or 0) or {}
            form = procedure.get("form") or {}
            kept_map = kept if isinstance(kept, Mapping) else {}
            lost_map = lost if isinstance(lost, Mapping) else {}
            rows = []
            order = _form_order(form)
            paths = changed_paths({name: kept_map}, {name: lost_map})
            for path in sorted(paths, key=lambda p: order.get(p, len(order))):
                keys = path.split(".")[1:]
                rows.append(
                    ConflictRow(
                        field_label(form, path, self.tr.lang),
                        self.value(keys[-1], _dig(kept_map, keys)),
                        self.value(keys[-1], _dig(lost_map, keys)),
                    )
                )
            if rows:
                return rows
        return [
            ConflictRow(self.tr.enum("field", name), self.value(name, kept), self.value(name, lost))
        ]


def _form_order(form: Mapping[str, Any]) -> dict[str, int]:
    """Each party field and fact path → its place in the form (cards follow the form)."""
    paths = [
        f"parties.{party.get('role')}.{spec.get('key')}"
        for party in form.get("parties") or []
        for spec in party.get("fields") or []
    ] + [f"facts.{spec.get('key')}" for spec in form.get("facts") or []]
    return {path: index for index, path in enumerate(paths)}


def _dig(values: Mapping[str, Any], keys: list[str]) -> Any:
    found: Any = values
    for key in keys:
        found = found.get(key) if isinstance(found, Mapping) else None
    return found


def conflict_cards(ctx: AppContext, describe: Any) -> list[ConflictCard]:
    """Open conflicts, one card per save that lost (``describe`` titles a record)."""
    tr = ctx.tr
    describer = _Describer(ctx)
    cards = []
    for group in _groups(ctx.tablet.conflicts()):
        first = group[0]
        collection = str(first.get("collection", ""))
        record_id = str(first.get("record_id", ""))
        record = ctx.tablet.store.get(collection, record_id) or {}
        rows: list[ConflictRow] = []
        for conflict in group:
            rows += describer.rows(collection, record, conflict)
        fixed_status = collection == "dossier" and any(c.get("field") == "status" for c in group)
        cards.append(
            ConflictCard(
                conflict_ids=tuple(str(c["id"]) for c in group),
                title=describe(collection, record_id, {}),
                rows=tuple(rows),
                kept_by=describer.side(
                    first.get("kept_clock"),
                    first.get("kept_device_id"),
                    None,
                    first.get("kept_officer_name"),
                ),
                lost_by=describer.side(
                    first.get("lost_clock"),
                    first.get("lost_device_id"),
                    first.get("lost_officer_id"),
                    first.get("lost_officer_name"),
                ),
                can_overturn=not fixed_status,
                note=tr("sync.cannot_overturn") if fixed_status else "",
            )
        )
    return cards
