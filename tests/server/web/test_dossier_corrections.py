"""Correcting the applicant and the parties on the web, until the result is returned."""

from __future__ import annotations

import json

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import Dossier, DossierEvent
from server.services.catalog import DEFAULT_FORMS
from sync.domain import DossierStatus
from tests.server.conftest import World, add_dossier
from tests.server.web.helpers import csrf_token, log_in

MARRIAGE = json.loads(DEFAULT_FORMS.read_text(encoding="utf-8"))["1.000894"]
PARTIES = {
    "bride": {
        "full_name": "Triệu Thị Mẩy",
        "dob": "2000-01-02",
        "ethnicity": "Dao",
        "nationality": "Việt Nam",
        "cccd": "001300012345",
        "residence": "Bản Nậm Cang",
    },
    "groom": {
        "full_name": "Lý Văn Chài",
        "dob": "1998-06-07",
        "ethnicity": "Dao",
        "nationality": "Việt Nam",
        "cccd": "001098012345",
        "residence": "Bản Nậm Cang",
    },
}


def _marriage_dossier(session: Session, world: World) -> Dossier:
    world.procedure.form = MARRIAGE
    session.commit()
    dossier: Dossier = add_dossier(session, world.a, world.procedure, parties=PARTIES)
    session.commit()
    return dossier


def _post(client: FlaskClient, dossier: Dossier, **data: str) -> object:
    url = f"/dossiers/{dossier.id}/correct"
    form = {
        "csrf_token": csrf_token(client, url),
        "applicant_name": dossier.applicant_name,
        **{
            f"parties.{role}.{key}": str(value)
            for role, values in PARTIES.items()
            for key, value in values.items()
        },
    }
    return client.post(url, data={**form, **data})


def test_the_dossier_page_shows_each_party(
    client: FlaskClient, world: World, session: Session
) -> None:
    dossier = _marriage_dossier(session, world)
    log_in(client, world.a.officer)
    html = client.get(f"/dossiers/{dossier.id}").get_data(as_text=True)
    assert "Bên nữ" in html and "Bên nam" in html
    assert "Triệu Thị Mẩy" in html and "Lý Văn Chài" in html
    assert "02/01/2000" in html  # dates the Vietnamese way
    assert f"/dossiers/{dossier.id}/correct" in html


def test_a_name_is_corrected_field_by_field_with_a_timeline_event(
    client: FlaskClient, world: World, session: Session
) -> None:
    dossier = _marriage_dossier(session, world)
    seq_before = dossier.seq
    log_in(client, world.a.officer)
    response = _post(client, dossier, **{"parties.groom.full_name": "Lý Văn Chàn"})
    assert response.status_code == 302  # type: ignore[attr-defined]
    session.expire_all()
    stored = session.get(Dossier, dossier.id)
    assert stored is not None
    assert stored.parties["groom"]["full_name"] == "Lý Văn Chàn"
    assert stored.parties["bride"] == PARTIES["bride"]
    assert stored.seq > seq_before  # tablets pull it
    assert "parties" in stored.field_clocks
    [event] = session.scalars(
        select(DossierEvent).where(
            DossierEvent.dossier_id == dossier.id, DossierEvent.kind == "corrected"
        )
    ).all()
    assert event.data == {"fields": ["parties.groom.full_name"]}
    # folded the way search folds ("Lý" and "Li" alike: i = y)
    assert "li van chan" in stored.search_key


def test_a_wrong_citizen_id_is_refused_and_named(
    client: FlaskClient, world: World, session: Session
) -> None:
    dossier = _marriage_dossier(session, world)
    log_in(client, world.a.officer)
    response = _post(client, dossier, **{"parties.bride.cccd": "12345"})
    assert response.status_code == 422  # type: ignore[attr-defined]
    html = response.get_data(as_text=True)  # type: ignore[attr-defined]
    assert "12 chữ số" in html
    session.expire_all()
    assert session.get(Dossier, dossier.id).parties["bride"]["cccd"] == "001300012345"  # type: ignore[union-attr]


def test_no_correction_after_the_result_is_returned(
    client: FlaskClient, world: World, session: Session
) -> None:
    dossier = _marriage_dossier(session, world)
    dossier.status = DossierStatus.RESULT_RETURNED
    session.commit()
    log_in(client, world.a.officer)
    html = client.get(f"/dossiers/{dossier.id}").get_data(as_text=True)
    assert f"/dossiers/{dossier.id}/correct" not in html
    response = _post(client, dossier, **{"parties.groom.full_name": "Lý Văn Chàn"})
    assert response.status_code == 422  # type: ignore[attr-defined]
    session.expire_all()
    assert session.get(Dossier, dossier.id).parties["groom"]["full_name"] == "Lý Văn Chài"  # type: ignore[union-attr]
