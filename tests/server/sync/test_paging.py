"""Pull pages by byte budget and resumes from a cursor (G10)."""

from __future__ import annotations

import json

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from sync.ops import Cursor
from tests.server.conftest import World
from tests.server.sync.conftest import FlaskHttp, Tablet, second_tablet


def test_g10_pull_pages_by_budget_and_resumes_from_the_cursor(
    tablet_a: Tablet, world: World, session: Session, client: FlaskClient
) -> None:
    made = []
    ops = []
    for n in range(40):
        dossier_id, op = tablet_a.new_dossier(world.procedure, note="ghi chú " * 40 + str(n))
        made.append(dossier_id)
        ops.append(op)
    assert {r["o"] for r in tablet_a.push(ops)["results"]} == {"applied"}

    reader = second_tablet(session, world.a, FlaskHttp(client))
    cursor = ""
    pages = []
    seen: list[str] = []
    while True:
        page = reader.pull(cursor, budget=4096)
        pages.append(page)
        # A page is cut near the budget (one change may overshoot a tiny budget).
        assert page["changes"]
        assert len(json.dumps(page, ensure_ascii=False).encode()) < 4096 + 2048
        seen += [c["r"] for c in page["changes"] if c["c"] == "dossier"]
        new = Cursor.decode(page["cursor"])
        old = Cursor.decode(cursor)
        assert (new.reference, new.commune) >= (old.reference, old.commune)
        cursor = page["cursor"]
        if not page["more"]:
            break
    assert len(pages) > 5
    assert seen == made  # every dossier once, oldest first, none skipped
    # Resuming from a cursor in the middle sends exactly what came after it.
    middle = pages[len(pages) // 2]
    rest, _end = reader.pull_all(middle["cursor"], budget=1 << 20)
    later = [c["r"] for p in pages[len(pages) // 2 + 1 :] for c in p["changes"]]
    assert [c["r"] for c in rest] == later
    # A big budget takes everything in one page.
    everything = reader.pull("", budget=4 * 1024 * 1024)
    assert everything["more"] is False
    assert [c["r"] for c in everything["changes"] if c["c"] == "dossier"] == made


def test_g10_budget_is_clamped(tablet_a: Tablet, world: World) -> None:
    dossier_id, op = tablet_a.new_dossier(world.procedure)
    tablet_a.push([op])
    tiny = tablet_a.pull("", budget=1)
    # 1 byte means 4 KiB: the small reference data and the dossier fit.
    assert any(c["r"] == dossier_id for c in tiny["changes"])
    huge = tablet_a.pull("", budget=10**12)
    assert huge["more"] is False


def test_g10_collections_cut_by_the_row_limit_merge_without_gaps(
    tablet_a: Tablet,
    world: World,
    monkeypatch: pytest.MonkeyPatch,
    session: Session,
    client: FlaskClient,
) -> None:
    from server.sync import pull as pull_module

    monkeypatch.setattr(pull_module, "MIN_ROWS", 3)
    monkeypatch.setattr(pull_module, "MAX_ROWS", 3)
    expected = []
    for _ in range(5):
        dossier_id, create = tablet_a.new_dossier(world.procedure)
        event_id, event = tablet_a.new_event(dossier_id)
        feedback_id, feedback = tablet_a.new_feedback()
        tablet_a.push([create, event, feedback])
        expected += [dossier_id, event_id, feedback_id]
    colleague = second_tablet(session, world.a, FlaskHttp(client))
    changes, _cursor = colleague.pull_all(budget=1 << 20)
    commune = [c for c in changes if c["c"] not in ("admin_unit", "procedure", "survey_form")]
    assert [c["r"] for c in commune] == expected
    assert [c["s"] for c in commune] == sorted(c["s"] for c in commune)
