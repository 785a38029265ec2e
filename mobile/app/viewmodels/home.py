"""Today's work: what is due, late, waiting for papers or for an answer; and search.

Rows are plain dicts ready for a Kivy ``RecycleView`` (``data`` items), so tens of
thousands of dossiers scroll smoothly. A refresh reads only the few fields the rows
show (``SQLiteDeviceStore.list_fields``, not each dossier whole, and no citizen ID to
open) and builds the rows of the buckets. The first search after it adds a
diacritic-folded search key per dossier (``sync.text.fold``, with the citizen IDs opened
then); searches filter in memory and build the rows they find (the closed dossiers, most
of a commune's, are only ever shown as search results).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from mobile.app.context import AppContext
from mobile.app.fmt import fmt_date, office_today, parse_iso_date, parse_iso_datetime
from mobile.tablet import Tablet
from sync.domain import (
    CLOCK_RUNNING,
    FEEDBACK_RESPONSE_DAYS,
    OPEN_STATUSES,
    DossierStatus,
    FeedbackKind,
    FeedbackStatus,
)
from sync.forms import party_names
from sync.text import fold, search_key
from sync.workdays import days_overdue, due_date

__all__ = ["BUCKETS", "BucketView", "HomeModel", "effective_due", "feedback_due"]

BUCKETS = ("overdue", "today", "supplement", "to_return", "open", "feedback")
_OPEN = frozenset(s.value for s in OPEN_STATUSES)
#: Open and the clock running: waiting for a supplement (form 02) is never overdue.
_RUNNING = frozenset(s.value for s in CLOCK_RUNNING)
_TO_RETURN = frozenset({DossierStatus.APPROVED.value, DossierStatus.REJECTED.value})
_FEEDBACK_WAITING = frozenset(
    {FeedbackStatus.NEW.value, FeedbackStatus.IN_HANDLING.value, FeedbackStatus.FORWARDED.value}
)
#: What a refresh reads of each dossier: what its row shows.
_DOSSIER_FIELDS = (
    "status",
    "due_date",
    "verification_needed",
    "verification_due_date",
    "procedure_id",
    "receipt_number",
    "applicant_name",
    "village_id",
)


def unsent_records(tablet: Tablet) -> set[tuple[str, str]]:
    """(collection, id) of the records with a change not yet on the server.

    A dossier counts as not sent while any of its parts is not (a timeline event, an
    apology, a photo), so its row on the home list and its dossier screen say the same.
    """
    unsent: set[tuple[str, str]] = set()
    for entry in tablet.store.outbox():
        op = entry.op
        unsent.add((op.collection, op.record_id))
        if op.collection in ("dossier_event", "dossier_apology") and op.fields.get("dossier_id"):
            unsent.add(("dossier", str(op.fields["dossier_id"])))
        elif op.collection == "attachment" and op.fields.get("owner_id"):
            owner = str(op.fields.get("owner_collection") or "")
            unsent.add((owner, str(op.fields["owner_id"])))
    return unsent


@dataclass(frozen=True)
class BucketView:
    key: str
    label: str
    count: int
    danger: bool
    selected: bool


def effective_due(dossier: dict[str, Any], new_dates: dict[str, date]) -> date | None:
    """The due date, moved by the latest apology's new appointment if any.

    Once verification is recorded the longer date applies (Law on Civil Status 2014
    art. 18(2)): the dossier is never shown overdue by the shorter limit.
    """
    due = parse_iso_date(dossier.get("due_date"))
    if dossier.get("verification_needed"):
        due = parse_iso_date(dossier.get("verification_due_date")) or due
    moved = new_dates.get(str(dossier.get("id")))
    if moved is not None and (due is None or moved > due):
        return moved
    return due


def feedback_due(feedback: dict[str, Any]) -> date | None:
    """The answer's due date: the server's, else computed the same way here."""
    due = parse_iso_date(feedback.get("response_due_date"))
    if due is not None:
        return due
    try:
        days = FEEDBACK_RESPONSE_DAYS.get(FeedbackKind(str(feedback.get("kind"))))
    except ValueError:
        return None
    moment = parse_iso_datetime(feedback.get("received_at"))
    if days is None or moment is None or moment.tzinfo is None:
        return None
    return due_date(moment, days)


class HomeModel:
    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self.bucket = "overdue"
        self.query = ""
        self.today = office_today(ctx.tablet.now())
        self._buckets: dict[str, list[dict[str, Any]]] = {key: [] for key in BUCKETS}
        self._dossiers: list[dict[str, Any]] = []  # _DOSSIER_FIELDS, newest first
        self._all: list[tuple[str, dict[str, Any]]] | None = None  # (search key, dossier)
        self._rows: dict[str, dict[str, Any]] = {}  # dossier id -> its row, once built
        self._procedures: dict[str, dict[str, Any]] = {}
        self._villages: dict[str, str] = {}
        self._new_dates: dict[str, date] = {}
        self._unsent: set[tuple[str, str]] = set()
        self._results: tuple[tuple[str, ...], list[dict[str, Any]]] | None = None  # last search

    # -- loading -------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Reload from the store (on entering the screen and after a sync)."""
        tablet = self.ctx.tablet
        self.today = office_today(tablet.now())
        unsent = unsent_records(tablet)
        procedures = {str(p["id"]): p for p in tablet.store.list_records("procedure")}
        new_dates: dict[str, date] = {}
        for apology in tablet.store.list_records("dossier_apology"):
            moved = parse_iso_date(apology.get("new_due_date"))
            key = str(apology.get("dossier_id"))
            if moved is not None and (key not in new_dates or moved > new_dates[key]):
                new_dates[key] = moved
        self._procedures, self._new_dates, self._unsent = procedures, new_dates, unsent
        # The village on each row: an officer plans the day by village.
        self._villages = {
            str(v["id"]): f"{v.get('kind') or ''} {v.get('name') or ''}".strip()
            for v in tablet.villages()
        }
        self._rows = {}
        buckets: dict[str, list[dict[str, Any]]] = {key: [] for key in BUCKETS}
        dossiers = tablet.store.list_fields(
            "dossier", _DOSSIER_FIELDS, order_by="received_at", descending=True
        )
        for dossier in dossiers:  # newest first, as Tablet.dossiers()
            status = str(dossier.get("status"))
            in_buckets = list(self._dossier_buckets(status, effective_due(dossier, new_dates)))
            if in_buckets:
                row = self._row(dossier)
                for key in in_buckets:
                    buckets[key].append(row)
        for key in ("overdue", "today", "supplement", "open"):
            buckets[key].sort(key=lambda r: (r["_due"] or date.max, r["title"]))
        for feedback in tablet.store.list_records(
            "feedback", {"status": sorted(_FEEDBACK_WAITING)}, order_by="received_at"
        ):
            buckets["feedback"].append(self._feedback_row(feedback, unsent))
        buckets["feedback"].sort(key=lambda r: r["_due"] or date.max)
        self._buckets = buckets
        self._dossiers = dossiers
        self._all = None
        self._results = None

    def _dossier_buckets(self, status: str, due: date | None) -> Iterable[str]:
        if status in _OPEN:
            yield "open"
            if due is not None and due < self.today and status in _RUNNING:
                yield "overdue"
            elif due == self.today:
                yield "today"
        if status == DossierStatus.NEEDS_SUPPLEMENT.value:
            yield "supplement"
        if status in _TO_RETURN:
            yield "to_return"

    def _row(self, dossier: dict[str, Any]) -> dict[str, Any]:
        """The dossier's row, built once per refresh."""
        row = self._rows.get(str(dossier["id"]))
        if row is None:
            row = self._dossier_row(dossier)
            self._rows[str(dossier["id"])] = row
        return row

    def _dossier_row(self, dossier: dict[str, Any]) -> dict[str, Any]:
        tr = self.ctx.tr
        procedures, new_dates, unsent = self._procedures, self._new_dates, self._unsent
        status = str(dossier.get("status"))
        due = effective_due(dossier, new_dates)
        overdue = status in _RUNNING and due is not None and due < self.today
        procedure = tr.pick(procedures.get(str(dossier.get("procedure_id"))), "name")
        parts = [procedure or str(dossier.get("procedure_id", ""))]
        village = self._villages.get(str(dossier.get("village_id")))
        if village:
            parts.append(village)
        parts.append(tr.enum("status", status))
        if overdue and due is not None:
            late = days_overdue(due, self.today)
            parts.append(tr("home.row_late", days=late) if late else tr("home.row_late_short"))
        elif due is not None:
            parts.append(tr("home.row_due", date=fmt_date(due)))
        moved = new_dates.get(str(dossier["id"]))
        if moved is not None:
            parts.append(tr("home.row_new_date", date=fmt_date(moved)))
        receipt = str(dossier.get("receipt_number") or "")
        name = str(dossier.get("applicant_name") or "")
        on_server = ("dossier", str(dossier["id"])) not in unsent
        return {
            "kind": "dossier",
            "record_id": str(dossier["id"]),
            "title": f"{receipt} · {name}",
            "subtitle": " · ".join(parts),
            "danger": overdue,
            "synced": on_server,
            "sync_label": tr("common.on_server") if on_server else tr("common.not_on_server"),
            "_due": due,
        }

    def _feedback_row(
        self, feedback: dict[str, Any], unsent: set[tuple[str, str]]
    ) -> dict[str, Any]:
        tr = self.ctx.tr
        due = feedback_due(feedback)
        late = due is not None and due < self.today
        who = (
            tr("feedback.anonymous_person")
            if feedback.get("anonymous") or not feedback.get("citizen_name")
            else str(feedback.get("citizen_name"))
        )
        parts = [tr.enum("feedback_status", feedback.get("status"))]
        parts.append(tr("home.feedback_due", date=fmt_date(due)) if due else tr("feedback.no_due"))
        on_server = ("feedback", str(feedback["id"])) not in unsent
        content = " ".join(str(feedback.get("content", "")).split())
        return {
            "kind": "feedback",
            "record_id": str(feedback["id"]),
            "title": f"{tr.enum('feedback_kind', feedback.get('kind'))} · {who}: {content[:60]}",
            "subtitle": " · ".join(parts),
            "danger": late,
            "synced": on_server,
            "sync_label": tr("common.on_server") if on_server else tr("common.not_on_server"),
            "_due": due,
        }

    def _search_index(self) -> list[tuple[str, dict[str, Any]]]:
        """(search key, dossier) for every dossier, made at the first search after a refresh.

        The keys need every citizen ID opened (sealed on the tablet), which the buckets do
        not: the home screen shows sooner, and the first search pays for it once.
        """
        if self._all is None:
            store = self.ctx.tablet.store
            # The citizen ID and every party's name (``sync.forms.party_names``).
            sealed = {
                str(d["id"]): " ".join(
                    [d.get("applicant_cccd") or "", *party_names(d.get("parties"))]
                )
                for d in store.list_fields("dossier", ("applicant_cccd", "parties"))
            }
            self._all = [
                (
                    search_key(
                        d.get("receipt_number"),
                        d.get("applicant_name"),
                        sealed.get(str(d["id"]), ""),
                    ),
                    d,
                )
                for d in self._dossiers
            ]
        return self._all

    # -- what the screen shows -----------------------------------------------------------------

    def buckets(self) -> list[BucketView]:
        tr = self.ctx.tr
        return [
            BucketView(
                key=key,
                label=tr(f"bucket.{key}"),
                count=len(self._buckets[key]),
                danger=key == "overdue" and bool(self._buckets[key]),
                selected=key == self.bucket and not self.query.strip(),
            )
            for key in BUCKETS
        ]

    def select(self, bucket: str) -> None:
        if bucket not in BUCKETS:
            raise ValueError(f"unknown bucket {bucket!r}")
        self.bucket = bucket
        self.query = ""

    def search(self, query: str) -> None:
        self.query = query

    def _found(self) -> list[dict[str, Any]]:
        """The search results (kept until the query or the data change), or the bucket."""
        words = tuple(fold(self.query).split())
        if not words:
            return self._buckets[self.bucket]
        if self._results is None or self._results[0] != words:
            index = self._search_index()
            found = [self._row(d) for key, d in index if all(w in key for w in words)]
            self._results = (words, found)
        return self._results[1]

    def rows(self) -> list[dict[str, Any]]:
        """The rows to list: the search results, or the chosen bucket."""
        return [{k: v for k, v in row.items() if not k.startswith("_")} for row in self._found()]

    def heading(self) -> str:
        tr = self.ctx.tr
        if fold(self.query).split():
            return tr("home.results", count=len(self._found()))
        return tr("home.title", day=fmt_date(self.today))
