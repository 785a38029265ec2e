"""Parties pushed by a tablet: checked against the procedure's form, merged as one field."""

from __future__ import annotations

import json
from datetime import date

from sqlalchemy.orm import Session

from server.models import Dossier
from server.services.catalog import DEFAULT_FORMS
from tests import factories
from tests.server.conftest import World
from tests.server.sync.conftest import Tablet

MARRIAGE = json.loads(DEFAULT_FORMS.read_text(encoding="utf-8"))["1.000894"]


def _parties(bride_cccd: str) -> dict[str, dict[str, str]]:
    common = {"ethnicity": "Dao", "nationality": "Việt Nam", "residence": "Bản Nậm Cang"}
    return {
        "bride": {"full_name": "Triệu Thị Mẩy", "dob": "2000-01-02", "cccd": bride_cccd, **common},
        "groom": {
            "full_name": "Lý Văn Chài",
            "dob": "1998-06-07",
            "cccd": factories.valid_cccd(date(1998, 6, 7)),
            **common,
        },
    }


def test_pushed_parties_are_checked_field_by_field(
    world: World, session: Session, tablet_a: Tablet
) -> None:
    world.procedure.form = MARRIAGE
    session.commit()
    _, bad = tablet_a.new_dossier(world.procedure, parties=_parties("12345678901"))
    result = tablet_a.push_one(bad)
    assert result["o"] == "rejected", result
    assert set(result["e"]) == {"parties.bride.cccd"}

    good_cccd = factories.valid_cccd(date(2000, 1, 2), sex_female=True)
    record_id, good = tablet_a.new_dossier(world.procedure, parties=_parties(good_cccd))
    assert tablet_a.push_one(good)["o"] == "applied"
    session.expire_all()
    stored = session.get(Dossier, record_id)
    assert stored is not None
    assert stored.parties["bride"]["cccd"] == good_cccd
    # search finds it by the bride's name, folded the way search folds (i = y)
    assert "trieu thi mai" in stored.search_key

    # A correction of one party is checked too, and only for what it writes.
    fixed = _parties(good_cccd)
    fixed["groom"]["full_name"] = "Lý Văn Chài Phin"
    edit = tablet_a.op("dossier", record_id, {"parties": fixed}, base={"parties": good["t"]})
    assert tablet_a.push_one(edit)["o"] == "applied"
    fixed["groom"]["dob"] = "2099-01-01"  # in the future
    again = tablet_a.op("dossier", record_id, {"parties": fixed}, base={"parties": edit["t"]})
    refused = tablet_a.push_one(again)
    assert refused["o"] == "rejected"
    assert set(refused["e"]) == {"parties.groom.dob"}
