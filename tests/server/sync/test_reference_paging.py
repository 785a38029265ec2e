"""Reference data that spans several pull pages arrives whole (G10, G4).

A page cut inside the reference data must resume at the cut, not at the top of the
reference sequence: a catalog of 60 procedures pulled with a 4 KiB budget fills several
pages, and every one of them must reach the tablet. The same holds for each reference
collection (administrative units, procedures, survey forms), alone and interleaved.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.orm import Session

from server.models import SurveyForm
from server.models.surveys import FormStatus
from server.services.changes import stamp_global
from sync.ops import Cursor
from tests import factories
from tests.server.conftest import World
from tests.server.sync.conftest import Tablet, now_utc

BUDGET = 4 * 1024
_numbers = itertools.count(1)


def _villages(session: Session, world: World, count: int) -> set[str]:
    return {
        str(factories.village(session, world.a.commune, name=f"Bản Séo Mý Tỷ số {n}").id)
        for n in itertools.islice(_numbers, count)
    }


def _procedures(session: Session, world: World, count: int) -> set[str]:
    return {
        str(factories.procedure(session, name_vi=f"Đăng ký khai sinh, mẫu {n}").id)
        for n in itertools.islice(_numbers, count)
    }


def _forms(session: Session, world: World, count: int) -> set[str]:
    made = set()
    for n in itertools.islice(_numbers, count):
        form = SurveyForm(
            key=f"hai-long-{n}",
            title_vi=f"Khảo sát mức độ hài lòng số {n}",
            title_en=f"Satisfaction survey {n}",
            questions=[
                {
                    "id": f"q{q}",
                    "type": "likert5",
                    "text_vi": "Cán bộ có hướng dẫn rõ ràng không?",
                    "text_en": "Did the officer explain clearly?",
                    "required": True,
                }
                for q in range(3)
            ],
            status=FormStatus.PUBLISHED,
            published_at=now_utc(),
            communes=[world.a.commune],
        )
        session.add(form)
        session.flush()
        stamp_global(session, form)
        made.add(str(form.id))
    return made


MAKERS: dict[str, Callable[[Session, World, int], set[str]]] = {
    "admin_unit": _villages,
    "procedure": _procedures,
    "survey_form": _forms,
}
#: Enough records of each collection to fill well over three 4 KiB pages.
COUNTS = {"admin_unit": 80, "procedure": 60, "survey_form": 30}


def _pull_pages(tablet: Tablet) -> list[dict[str, Any]]:
    pages = []
    cursor = ""
    for _ in range(500):
        page = tablet.pull(cursor, budget=BUDGET)
        pages.append(page)
        old, new = Cursor.decode(cursor), Cursor.decode(page["cursor"])
        assert (new.reference, new.commune) >= (old.reference, old.commune)
        cursor = page["cursor"]
        if not page["more"]:
            return pages
    raise AssertionError("pull never ended")


def _check_every_record_arrives_once(
    pages: list[dict[str, Any]], collection: str, made: set[str]
) -> None:
    pulled = Counter(c["r"] for p in pages for c in p["changes"] if c["c"] == collection)
    missing = made - set(pulled)
    assert not missing, f"{len(missing)} of {len(made)} {collection} records never pulled"
    assert max(pulled.values()) == 1, "a reference record was sent twice"
    spanned = sum(1 for p in pages if any(c["c"] == collection for c in p["changes"]))
    assert spanned >= 3, f"{collection} fit in {spanned} pages: the test proves nothing"


@pytest.mark.parametrize("collection", sorted(MAKERS))
def test_g10_reference_data_cut_by_the_page_budget_resumes_at_the_cut(
    collection: str, tablet_a: Tablet, world: World, session: Session
) -> None:
    made = MAKERS[collection](session, world, COUNTS[collection])
    session.commit()
    pages = _pull_pages(tablet_a)
    _check_every_record_arrives_once(pages, collection, made)


def test_g10_a_60_procedure_catalog_and_interleaved_reference_data_arrive_whole(
    tablet_a: Tablet, world: World, session: Session
) -> None:
    made: dict[str, set[str]] = {name: set() for name in MAKERS}
    # Interleaved in the reference sequence: a page cut falls between collections too.
    for _ in range(10):
        for name, maker in MAKERS.items():
            made[name] |= maker(session, world, COUNTS[name] // 10)
    session.commit()
    _dossier_id, create = tablet_a.new_dossier(world.procedure)
    assert tablet_a.push_one(create)["o"] == "applied"
    pages = _pull_pages(tablet_a)
    assert len(made["procedure"]) == 60
    for name, ids in made.items():
        _check_every_record_arrives_once(pages, name, ids)
    # Commune data follows only once the reference data is all sent.
    kinds = [c["c"] for p in pages for c in p["changes"]]
    last_reference = max(i for i, kind in enumerate(kinds) if kind in MAKERS)
    assert kinds.index("dossier") > last_reference
