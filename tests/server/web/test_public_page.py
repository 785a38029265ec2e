"""The citizens' page: status from a receipt number, masked name, ratings, rate limits."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import DossierApology, ServiceRating
from server.services.changes import stamp
from server.services.public_status import mask_name
from server.services.reports import office_today
from sync.ids import new_id
from sync.workdays import add_working_days
from tests.server.conftest import World, add_dossier
from tests.server.web.helpers import csrf_token, overdue_dossier


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("Nguyễn Văn An", "Nguyễn V** A**"),
        ("Giàng A Páo", "Giàng A** P**"),
        ("  Lù   Thị  Lan ", "Lù T** L**"),
        ("Páo", "Páo"),
        ("", ""),
    ],
)
def test_mask_name(name: str, masked: str) -> None:
    assert mask_name(name) == masked


def test_status_page_shows_only_what_the_receipt_shows(
    client: FlaskClient, world: World, session: Session
) -> None:
    dossier = add_dossier(session, world.a, world.procedure, name="Nguyễn Văn An")
    dossier.applicant_phone = "0912345678"
    dossier.applicant_address = "Bản Lao Chải"
    session.commit()
    response = client.get(f"/tra-cuu/{dossier.receipt_number}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Nguyễn V** A**" in html
    assert "Nguyễn Văn An" not in html
    assert dossier.applicant_cccd not in html
    assert "0912345678" not in html
    assert "Lao Chải" not in html
    assert world.procedure.name_vi in html
    assert "đang chờ xử lý" in html  # the plain-words status
    assert dossier.due_date.strftime("%d/%m/%Y") in html
    assert 'name="csrf_token"' in html
    assert "Đăng xuất" not in html  # no admin chrome


def test_lookup_form_redirects_to_the_status_page(
    client: FlaskClient, world: World, session: Session
) -> None:
    dossier = add_dossier(session, world.a, world.procedure)
    session.commit()
    assert client.get("/tra-cuu").status_code == 200
    response = client.get("/tra-cuu", query_string={"ma": f"  {dossier.receipt_number.lower()} "})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/tra-cuu/{dossier.receipt_number}")


@pytest.mark.parametrize("code", ["99999-2600-00001", "không có", "<script>"])
def test_unknown_receipt_is_a_friendly_404(client: FlaskClient, world: World, code: str) -> None:
    response = client.get("/tra-cuu", query_string={"ma": code}, follow_redirects=True)
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "Không tìm thấy hồ sơ" in html
    assert "<script>" not in html.split("<body", 1)[1]
    assert client.get("/tra-cuu/99999-2600-00001").status_code == 404


def test_expected_date_is_the_latest_apology_date(
    client: FlaskClient, world: World, session: Session
) -> None:
    dossier = overdue_dossier(session, world.a, world.procedure)
    later = add_working_days(office_today(), 3)
    apology = DossierApology(
        id=new_id(),
        commune_id=dossier.commune_id,
        dossier_id=dossier.id,
        reason="Chờ xác minh",
        new_due_date=later,
        issued_at=datetime.now(UTC),
    )
    session.add(apology)
    stamp(session, apology)
    session.commit()
    html = client.get(f"/tra-cuu/{dossier.receipt_number}").get_data(as_text=True)
    assert later.strftime("%d/%m/%Y") in html
    assert "đã hẹn lại" in html


def test_rating_is_stored(client: FlaskClient, world: World, session: Session) -> None:
    dossier = add_dossier(session, world.a, world.procedure)
    session.commit()
    url = f"/tra-cuu/{dossier.receipt_number}"
    response = client.post(
        f"{url}/danh-gia",
        data={"csrf_token": csrf_token(client, url), "stars": "4", "comment": "Cán bộ nhiệt tình"},
    )
    assert response.status_code == 302
    rating = session.scalars(select(ServiceRating)).one()
    assert (rating.stars, rating.comment) == (4, "Cán bộ nhiệt tình")
    assert (rating.dossier_id, rating.commune_id) == (dossier.id, world.a.commune.id)
    thanks = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Cảm ơn ông/bà đã đánh giá" in thanks
    assert "rating-form" not in thanks
    assert "Cảm ơn ông/bà đã đánh giá" not in client.get(url).get_data(as_text=True)


@pytest.mark.parametrize(
    "data",
    [{"stars": "7"}, {"stars": "0"}, {"stars": ""}, {"stars": "5", "comment": "x" * 501}],
)
def test_bad_ratings_are_refused(
    client: FlaskClient, world: World, session: Session, data: dict[str, str]
) -> None:
    dossier = add_dossier(session, world.a, world.procedure)
    session.commit()
    url = f"/tra-cuu/{dossier.receipt_number}"
    response = client.post(f"{url}/danh-gia", data={"csrf_token": csrf_token(client, url), **data})
    assert response.status_code == 422
    assert session.scalars(select(ServiceRating)).all() == []


def test_rating_needs_the_csrf_token(client: FlaskClient, world: World, session: Session) -> None:
    dossier = add_dossier(session, world.a, world.procedure)
    session.commit()
    response = client.post(f"/tra-cuu/{dossier.receipt_number}/danh-gia", data={"stars": "5"})
    assert response.status_code == 400
    assert session.scalars(select(ServiceRating)).all() == []


def test_rating_an_unknown_dossier_is_404(
    client: FlaskClient, world: World, session: Session
) -> None:
    dossier = add_dossier(session, world.a, world.procedure)
    session.commit()
    token = csrf_token(client, f"/tra-cuu/{dossier.receipt_number}")
    response = client.post(
        "/tra-cuu/99999-2600-00001/danh-gia", data={"csrf_token": token, "stars": "5"}
    )
    assert response.status_code == 404


def test_public_routes_are_rate_limited(app_factory: Any, world: World, session: Session) -> None:
    dossier = add_dossier(session, world.a, world.procedure)
    session.commit()
    app = app_factory(PUBLIC_RATE_LIMIT="3 per minute", PUBLIC_RATING_RATE_LIMIT="2 per minute")
    client = app.test_client()
    url = f"/tra-cuu/{dossier.receipt_number}"
    codes = [client.get(url).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert client.get("/tra-cuu").status_code == 200  # each route has its own budget

    app = app_factory(PUBLIC_RATING_RATE_LIMIT="2 per minute")
    client = app.test_client()
    token = csrf_token(client, url)
    posts = [
        client.post(f"{url}/danh-gia", data={"csrf_token": token, "stars": "5"}).status_code
        for _ in range(3)
    ]
    assert posts == [302, 302, 429]


def test_public_page_in_english(client: FlaskClient, world: World, session: Session) -> None:
    dossier = add_dossier(session, world.a, world.procedure)
    session.commit()
    client.get("/lang/en")
    html = client.get(f"/tra-cuu/{dossier.receipt_number}").get_data(as_text=True)
    assert world.procedure.name_en in html
    assert "waiting to be processed" in html
    assert "Rate our service" in html
