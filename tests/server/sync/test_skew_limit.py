"""G8 at its edge: a stamp or legal time up to 5 minutes ahead of the server is kept,
a second past that is not (PROTOCOL.md §4, ``SYNC_MAX_SKEW_MS`` = 300 000 ms).

The server's clock is frozen at a known instant for these tests, so "4 min 59 s ahead"
is exactly that, whatever the machine's load.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from server.models import Feedback
from server.sync import clock as server_clock_module
from server.sync.clock import is_server_node
from sync.hlc import HybridClock, ManualClock, Timestamp
from tests.server.conftest import World
from tests.server.sync.conftest import Tablet, iso

SERVER_NOW = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
SERVER_NOW_MS = int(SERVER_NOW.timestamp() * 1000)
SECOND = 1000


@pytest.fixture(autouse=True)
def frozen_server_clock(monkeypatch: pytest.MonkeyPatch) -> HybridClock:
    frozen = HybridClock("sfrozen", ManualClock(SERVER_NOW_MS))
    monkeypatch.setattr(server_clock_module, "_clock", frozen)
    monkeypatch.setattr(server_clock_module, "_pid", os.getpid())
    return frozen


def _feedback_at(tablet: Tablet, wall_ms: int, **fields: Any) -> dict[str, Any]:
    _record_id, op = tablet.new_feedback(
        received_at=iso(SERVER_NOW - timedelta(minutes=10)), **fields
    )
    op["t"] = Timestamp(wall_ms, 0, tablet.node).encode()
    return op


def test_g8_a_stamp_4_min_59_s_ahead_is_kept(
    tablet_a: Tablet, world: World, session: Session
) -> None:
    for ahead_ms in (299 * SECOND, 300 * SECOND):  # 4 min 59 s, and the limit itself
        op = _feedback_at(tablet_a, SERVER_NOW_MS + ahead_ms)
        body = tablet_a.push([op], now_ms=SERVER_NOW_MS + ahead_ms)
        assert body["now"] == SERVER_NOW_MS
        [result] = body["results"]
        assert result["o"] == "applied"
        assert "t" not in result, f"{ahead_ms} ms ahead was re-stamped"
        stored = session.get(Feedback, op["r"])
        assert stored is not None
        assert stored.field_clocks["content"][0] == op["t"]


def test_g8_a_stamp_5_min_1_s_ahead_is_re_stamped_by_the_server(
    tablet_a: Tablet, world: World, session: Session
) -> None:
    op = _feedback_at(tablet_a, SERVER_NOW_MS + 301 * SECOND)
    body = tablet_a.push([op], now_ms=SERVER_NOW_MS + 301 * SECOND)
    assert body["skew"] == 301 * SECOND
    [result] = body["results"]
    assert result["o"] == "applied"
    fresh = Timestamp.decode(result["t"])
    assert is_server_node(fresh.node)
    assert fresh.wall_ms == SERVER_NOW_MS
    stored = session.get(Feedback, op["r"])
    assert stored is not None
    assert stored.field_clocks["content"][0] == result["t"]


def test_g8_a_legal_time_4_min_59_s_ahead_is_kept_5_min_1_s_is_refused(
    tablet_a: Tablet, world: World
) -> None:
    stamp_ms = SERVER_NOW_MS
    kept = _feedback_at(tablet_a, stamp_ms)
    kept["f"]["received_at"] = iso(SERVER_NOW + timedelta(minutes=4, seconds=59))
    refused = _feedback_at(tablet_a, stamp_ms)
    refused["f"]["received_at"] = iso(SERVER_NOW + timedelta(minutes=5, seconds=1))
    results = tablet_a.push([kept, refused], now_ms=SERVER_NOW_MS)["results"]
    assert results[0]["o"] == "applied"
    assert (results[1]["o"], results[1]["r"]) == ("rejected", "date_in_future")
    assert "received_at" in results[1]["e"]
