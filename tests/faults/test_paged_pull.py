"""A pull spread over several pages must deliver whole records (G4, G10).

Found by the pull-cut scenario (``test_cuts.py``): a tablet that pulled a colleague's
field day in small pages held dossiers with most fields missing, even on a fault-free
run. Minimal reproduction, no proxy needed:

1. tablet B creates dossier D (all fields get sequence number s1), then 30 timeline
   events (s1+1 … s1+30), then edits D's ``note`` (s2 > s1+30; D's row now has seq s2);
2. a new tablet A pulls from the start with a small budget. Page 1 ends at some cursor
   k with s1 ≤ k < s2: D is not on it (its row's seq is s2). On the page holding s2,
   ``server.sync.pull.record_change`` was called with ``since = k``; D's creation fields
   have seq s1 ≤ k, so D was treated as "known to the device" and only ``note`` was sent.

A never received D's applicant, receipt number, procedure… (bug B1 of
docs/RELIABILITY.md). Fixed in ``record_change``: a change carries every field of the
record, whatever the page's cursor (PROTOCOL.md §7); this test keeps it that way.
"""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.server.conftest import World
from tests.server.sync.conftest import FlaskHttp, Tablet, latest, second_tablet
from tests.server.sync.conftest import tablet_a as tablet_a


def test_a_record_edited_after_a_page_boundary_arrives_whole(
    tablet_a: Tablet, world: World, session: Session, client: FlaskClient
) -> None:
    dossier_id, create = tablet_a.new_dossier(world.procedure, applicant_name="Giàng A Páo")
    events = [tablet_a.new_event(dossier_id, note="ghi chú " * 20)[1] for _ in range(30)]
    edit = tablet_a.op("dossier", dossier_id, {"note": "sửa sau"}, base={})
    results = tablet_a.push([create, *events, edit])["results"]
    assert {r["o"] for r in results} <= {"applied", "merged"}, results

    reader = second_tablet(session, world.a, FlaskHttp(client))
    paged: list[dict[str, object]] = []
    cursor, pages = "", 0
    while True:
        page = reader.pull(cursor, budget=4096)
        paged += page["changes"]
        cursor, pages = page["cursor"], pages + 1
        if not page["more"]:
            break
    assert pages > 1
    whole, _ = reader.pull_all("", budget=4 * 1024 * 1024)
    expected = latest(whole, "dossier", dossier_id)["f"]
    got = latest(paged, "dossier", dossier_id)["f"]
    missing = sorted(set(expected) - set(got))
    assert not missing, (
        f"paged pull delivered dossier {dossier_id} without {missing} "
        "(server.sync.pull.record_change filters fields by the page's cursor)"
    )
