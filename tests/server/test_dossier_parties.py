"""The parties and facts of a dossier, checked by the server as the procedure's form asks.

Marriage (Law on Civil Status 2014, art. 17–18): bên nữ and bên nam, each with full
name, date of birth, ethnicity, nationality, citizen ID and residence; certification of
copies (Decree 23/2015/NĐ-CP, art. 20): copies and pages.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import Dossier, Procedure
from server.scoping import Scope
from server.services.catalog import DEFAULT_FORMS, load_catalog, read_catalog
from server.services.dossiers import DossierFilter, dossier_query
from tests import factories
from tests.server.conftest import World

FORMS = json.loads(DEFAULT_FORMS.read_text(encoding="utf-8"))
MARRIAGE = "1.000894"


def _person(name: str, born: date, *, female: bool) -> dict[str, Any]:
    return {
        "full_name": name,
        "dob": born.isoformat(),
        "ethnicity": "Mông",
        "nationality": "Việt Nam",
        "cccd": factories.valid_cccd(born, sex_female=female),
        "residence": "Bản Tả Van, xã Tả Van",
    }


def _marriage(world: World, session: Session) -> Procedure:
    world.procedure.form = FORMS[MARRIAGE]
    session.commit()
    return world.procedure


def _post(client: FlaskClient, world: World, **extra: Any) -> Any:
    return client.post(
        "/api/v1/dossiers",
        json={
            "procedure_id": world.procedure.id,
            "applicant": {"name": "Giàng Thị Mai"},
            **extra,
        },
        headers=world.a.headers,
    )


def test_a_marriage_dossier_carries_both_parties(
    client: FlaskClient, world: World, session: Session
) -> None:
    _marriage(world, session)
    bride = _person("Giàng Thị Mai", date(2001, 4, 5), female=True)
    groom = _person("Sùng A Páo", date(1999, 11, 20), female=False)
    response = _post(client, world, parties={"bride": bride, "groom": groom})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["parties"]["groom"]["full_name"] == "Sùng A Páo"
    assert body["parties"]["bride"]["cccd"] == bride["cccd"]
    # Search finds the dossier by the groom's name, typed without diacritics.
    found = session.scalars(
        dossier_query(Scope(None), DossierFilter(q="sung a pao")).where(
            Dossier.commune_id == world.a.commune.id
        )
    ).all()
    assert [d.id for d in found] == [body["id"]]


def test_the_server_names_each_wrong_party_field(
    client: FlaskClient, world: World, session: Session
) -> None:
    _marriage(world, session)
    bride = _person("Giàng Thị Mai", date(2001, 4, 5), female=True)
    bride["cccd"] = "01234"  # 5 digits: a CCCD has 12
    groom = _person("Sùng A Páo", date(1999, 11, 20), female=False)
    del groom["residence"]  # required for marriage (art. 18: both parties' residence)
    response = _post(client, world, parties={"bride": bride, "groom": groom})
    assert response.status_code == 422
    body = response.get_json()
    assert body["status"] == "invalid"
    assert set(body["errors"]) == {"parties.bride.cccd", "parties.groom.residence"}
    assert "12" in body["errors"]["parties.bride.cccd"]
    assert session.scalar(select(Dossier.id)) is None  # nothing saved


def test_a_missing_party_and_an_unknown_role_are_refused(
    client: FlaskClient, world: World, session: Session
) -> None:
    _marriage(world, session)
    bride = _person("Giàng Thị Mai", date(2001, 4, 5), female=True)
    response = _post(client, world, parties={"bride": bride, "witness": {"full_name": "A"}})
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert "parties.groom.full_name" in errors
    assert "parties.witness" in errors


def test_certification_facts_are_whole_numbers_in_range(
    client: FlaskClient, world: World, session: Session
) -> None:
    world.procedure.form = FORMS["2.000815"]
    session.commit()
    requester = {"requester": {"full_name": "Lò Văn Sính"}}
    bad = _post(client, world, parties=requester, facts={"copies": 0, "pages": "ba"})
    assert bad.status_code == 422
    assert set(bad.get_json()["errors"]) == {"facts.copies", "facts.pages"}
    good = _post(client, world, parties=requester, facts={"copies": 3, "pages": 2})
    assert good.status_code == 201, good.get_json()
    assert good.get_json()["facts"] == {"copies": 3, "pages": 2}


def test_the_shipped_catalog_gives_every_procedure_its_form(session: Session) -> None:
    load_catalog(session)
    procedures = {p.code: p for p in session.scalars(select(Procedure))}
    assert set(procedures) == {entry["code"] for entry in read_catalog()}
    marriage = procedures[MARRIAGE].form
    assert [p["role"] for p in marriage["parties"]] == ["bride", "groom"]
    assert [f["key"] for f in marriage["parties"][0]["fields"]] == [
        "full_name",
        "dob",
        "ethnicity",
        "nationality",
        "cccd",
        "residence",
    ]
    assert [p["role"] for p in procedures["1.001193"].form["parties"]] == [
        "child",
        "mother",
        "father",
        "declarant",
    ]
    assert [p["role"] for p in procedures["1.000656"].form["parties"]] == [
        "deceased",
        "declarant",
    ]
    assert [f["key"] for f in procedures["2.000815"].form["facts"]] == ["copies", "pages"]
    assert all(p.form.get("parties") for p in procedures.values())
