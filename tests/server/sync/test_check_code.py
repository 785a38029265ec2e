"""The citizen's check code travels as an immutable creation field (issue 10 §11)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from server.models import Dossier
from sync.checkcode import CHECK_CODE_RE
from tests.server.conftest import World
from tests.server.sync.conftest import Tablet, latest


def test_the_tablets_code_is_kept(tablet_a: Tablet, world: World, session: Session) -> None:
    dossier_id, create = tablet_a.new_dossier(world.procedure, check_code="K7M4QX")
    assert tablet_a.push_one(create)["o"] == "applied"
    dossier = session.get(Dossier, dossier_id)
    assert dossier is not None and dossier.check_code == "K7M4QX"


def test_a_creation_without_a_code_gets_one_from_the_server(
    tablet_a: Tablet, tablet_b: Tablet, world: World, session: Session
) -> None:
    dossier_id, create = tablet_a.new_dossier(world.procedure)
    assert "check_code" not in create["f"]
    assert tablet_a.push_one(create)["o"] == "applied"
    dossier = session.get(Dossier, dossier_id)
    assert dossier is not None and CHECK_CODE_RE.fullmatch(dossier.check_code)
    changes, _ = tablet_a.pull_all()
    assert latest(changes, "dossier", dossier_id)["f"]["check_code"] == dossier.check_code


def test_the_code_never_changes(tablet_a: Tablet, world: World) -> None:
    dossier_id, create = tablet_a.new_dossier(world.procedure, check_code="K7M4QX")
    tablet_a.push([create])
    edit = tablet_a.op("dossier", dossier_id, {"check_code": "ACDEFG"})
    result = tablet_a.push_one(edit)
    assert (result["o"], result["r"]) == ("rejected", "immutable_field")


def test_a_malformed_code_is_refused_naming_the_field(tablet_a: Tablet, world: World) -> None:
    for bad in ("k7m4qx", "K7M-4QX", "K7M4Q", "OOOOOO", 123456, "Ｋ７Ｍ４ＱＸ"):
        _id, create = tablet_a.new_dossier(world.procedure, check_code=bad)
        result = tablet_a.push_one(create)
        assert result["o"] == "rejected", bad
        assert "check_code" in result["e"], bad
