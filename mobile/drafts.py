"""Work being typed, kept encrypted so a killed app or a restarted tablet loses nothing.

An intake half filled, a feedback being written, the survey respondent being asked:
each screen's view model gives its state as a JSON-ready dict (``Drafted``), and
``DraftStore`` keeps it in the tablet's store, sealed with the data key
(``FieldCipher.encrypt``: AES-GCM, the same key as citizens' fields, so the PIN
protects drafts as it protects records). One draft per ``key`` ("intake",
"feedback", "survey"): saving again replaces it.

- **Durability.** Each save is one SQLite transaction in the store's WAL database with
  ``synchronous=FULL``: once ``save`` returns, the draft survives the app being killed
  or the battery dying (the same guarantee as records, ``mobile.store``).
- **Encryption.** A draft is never written in clear: without the key ``save`` and
  ``load`` raise ``StoreLocked``. What stays readable without the key is only the
  draft's key, its kind and when it was saved (``drafts()``, to say "an intake is
  waiting" before the PIN is typed, with nothing personal).
- **Photos** taken during an intake are already sealed in the store's blob folder
  (``add_blob``; not uploaded until a record references them): a draft only names them
  by SHA-256.

The table is created here, on first use (``CREATE TABLE IF NOT EXISTS``), so the
store's schema does not change for it. Nothing here knows Kivy.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from mobile.store import SQLiteDeviceStore, StoreLocked

__all__ = ["Draft", "DraftInfo", "DraftStore", "Drafted"]

_TABLE = """
CREATE TABLE IF NOT EXISTS draft (
    key        TEXT PRIMARY KEY,   -- "intake", "feedback", "survey"
    kind       TEXT NOT NULL,
    state      TEXT NOT NULL,      -- the view model's state, JSON sealed with the data key
    summary    TEXT NOT NULL,      -- a short line for the list, sealed too
    saved_at   TEXT NOT NULL       -- UTC, ISO 8601
)
"""
#: Largest sealed state kept (a draft is form fields and photo hashes, never photos).
MAX_STATE_BYTES = 256 * 1024


class Drafted(Protocol):
    """A view model whose unsaved work can be kept and given back."""

    def draft_state(self) -> dict[str, Any] | None:
        """JSON-ready state, or None when there is nothing worth keeping."""
        ...

    def restore_draft(self, state: Mapping[str, Any]) -> None:
        """Put back a state given by ``draft_state`` (unknown keys ignored)."""
        ...

    def draft_summary(self) -> str:
        """One line naming the work (an applicant's name, a form's title)."""
        ...


@dataclass(frozen=True)
class DraftInfo:
    key: str
    kind: str
    saved_at: datetime


@dataclass(frozen=True)
class Draft:
    key: str
    kind: str
    saved_at: datetime
    state: dict[str, Any]
    summary: str


class DraftStore:
    """Encrypted drafts in the tablet's store (see the module docs)."""

    def __init__(self, store: SQLiteDeviceStore) -> None:
        self.store = store
        #: The state last kept per key (JSON), so an unchanged screen writes nothing.
        self._kept: dict[str, str | None] = {}
        with store.transaction() as conn:
            conn.execute(_TABLE)

    def _rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        with self.store.transaction() as conn:
            return conn.execute(sql, params).fetchall()

    def _cipher(self, what: str) -> Any:
        cipher = self.store.cipher
        if cipher is None:
            raise StoreLocked(what)
        return cipher

    def save(self, key: str, kind: str, state: Mapping[str, Any], summary: str = "") -> None:
        """Keep ``state`` (replacing the draft of ``key``); sealed, durable on return."""
        cipher = self._cipher(f"draft {key}")
        sealed = cipher.encrypt(dict(state))
        if len(sealed) > MAX_STATE_BYTES:
            raise ValueError(f"draft {key} too large ({len(sealed)} bytes)")
        with self.store.transaction() as conn:
            conn.execute(
                "INSERT INTO draft (key, kind, state, summary, saved_at) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (key) DO UPDATE SET kind = excluded.kind,"
                " state = excluded.state, summary = excluded.summary,"
                " saved_at = excluded.saved_at",
                (key, kind, sealed, cipher.encrypt(summary), datetime.now(UTC).isoformat()),
            )

    def load(self, key: str) -> Draft | None:
        """The draft of ``key`` opened, or None. ``StoreLocked`` without the key."""
        rows = self._rows("SELECT kind, state, summary, saved_at FROM draft WHERE key = ?", key)
        if not rows:
            return None
        kind, sealed, summary, saved_at = rows[0]
        cipher = self._cipher(f"draft {key}")
        state = cipher.decrypt(str(sealed))
        if not isinstance(state, dict):
            return None
        return Draft(
            key=key,
            kind=str(kind),
            saved_at=datetime.fromisoformat(str(saved_at)),
            state=state,
            summary=str(cipher.decrypt(str(summary)) or ""),
        )

    def discard(self, key: str) -> bool:
        self._kept.pop(key, None)
        with self.store.transaction() as conn:
            return conn.execute("DELETE FROM draft WHERE key = ?", (key,)).rowcount > 0

    def drafts(self) -> list[DraftInfo]:
        """The drafts waiting, newest first (no personal data: readable while locked)."""
        rows = self._rows("SELECT key, kind, saved_at FROM draft ORDER BY saved_at DESC")
        return [DraftInfo(str(k), str(kind), datetime.fromisoformat(str(t))) for k, kind, t in rows]

    def keep(self, key: str, model: Drafted) -> bool:
        """Save ``model``'s state under ``key``, or drop the draft when it has none.

        Returns whether a draft is kept. The kind is the key (one draft per screen).
        """
        state = model.draft_state()
        text = None if state is None else json.dumps(state, sort_keys=True)
        if key in self._kept and self._kept[key] == text:
            return text is not None  # unchanged since the last time: nothing to write
        if state is None:
            self.discard(key)
        else:
            self.save(key, key, state, model.draft_summary())
        self._kept[key] = text
        return text is not None
