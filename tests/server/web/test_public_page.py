"""The citizens' page: a receipt number and its secret, masked name, ratings, rate limits."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import CommentStatus, Dossier, DossierApology, ServiceRating
from server.services.changes import stamp
from server.services.public_status import mask_name, receipt_candidates
from server.services.reports import office_today
from sync.domain import DossierStatus
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


def _open(client: FlaskClient, dossier: Dossier) -> str:
    """Open the dossier as its slip's QR link does; the clean status URL."""
    url = f"/tra-cuu/{dossier.receipt_number}"
    response = client.get(url, query_string={"k": dossier.check_code})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(url)  # the code leaves the address bar
    return url


def _returned(session: Session, dossier: Dossier) -> Dossier:
    dossier.status = DossierStatus.RESULT_RETURNED
    dossier.result_returned_at = datetime.now(UTC)
    session.commit()
    return dossier


def test_status_page_shows_only_what_the_receipt_shows(
    client: FlaskClient, world: World, session: Session
) -> None:
    dossier = add_dossier(session, world.a, world.procedure, name="Nguyễn Văn An")
    dossier.applicant_phone = "0912345678"
    dossier.applicant_address = "Bản Lao Chải"
    session.commit()
    response = client.get(_open(client, dossier))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Nguyễn V** A**" in html
    assert "Nguyễn Văn An" not in html
    assert dossier.applicant_cccd not in html
    assert "0912345678" not in html
    assert "Lao Chải" not in html
    assert dossier.check_code not in html
    assert world.procedure.name_vi in html
    assert "đang chờ xử lý" in html  # the plain-words status
    assert dossier.due_date.strftime("%d/%m/%Y") in html
    assert "Đăng xuất" not in html  # no admin chrome


def test_the_receipt_number_alone_shows_nothing(
    client: FlaskClient, world: World, session: Session
) -> None:
    """Issue 10 §11: sequential receipt numbers could be walked through; now they open
    nothing without the check code, and a real number looks exactly like a made-up one."""
    dossier = add_dossier(session, world.a, world.procedure, name="Nguyễn Văn An")
    session.commit()
    real = client.get(f"/tra-cuu/{dossier.receipt_number}")
    made_up = client.get("/tra-cuu/99999-2600-00001")
    assert real.status_code == made_up.status_code == 200
    for response, number in ((real, dossier.receipt_number), (made_up, "99999-2600-00001")):
        html = response.get_data(as_text=True)
        assert "Nguyễn V** A**" not in html and world.procedure.name_vi not in html
        assert html.replace(number, "N") == made_up.get_data(as_text=True).replace(
            "99999-2600-00001", "N"
        )
    # A wrong code and an unknown number: the same 404 page, word for word.
    wrong = client.get("/tra-cuu", query_string={"ma": dossier.receipt_number, "k": "AAAAAA"})
    unknown = client.get("/tra-cuu", query_string={"ma": "99999-2600-00001", "k": "AAAAAA"})
    assert wrong.status_code == unknown.status_code == 404
    assert wrong.get_data(as_text=True).replace(dossier.receipt_number, "N") == (
        unknown.get_data(as_text=True).replace("99999-2600-00001", "N")
    )
    # Without any secret the form asks for one, without looking the number up.
    missing = client.get("/tra-cuu", query_string={"ma": dossier.receipt_number})
    assert missing.status_code == 422
    assert "Xin nhập cả mã kiểm tra" in missing.get_data(as_text=True)


def test_receipt_typed_with_spaces_or_without_dashes_and_code_in_any_case(
    client: FlaskClient, world: World, session: Session
) -> None:
    dossier = add_dossier(session, world.a, world.procedure)
    session.commit()
    number, code = dossier.receipt_number, dossier.check_code
    spellings = [
        (f"  {number} ", code),
        (number.replace("-", " "), code.lower()),
        (number.replace("-", ""), f"{code[:3]}-{code[3:]}"),
        (
            number.replace("-", "").translate(str.maketrans("0123456789", "０１２３４５６７８９")),
            code,
        ),
    ]
    for typed, typed_code in spellings:
        fresh = client.application.test_client()
        response = fresh.get("/tra-cuu", query_string={"ma": typed, "k": typed_code})
        assert response.status_code == 302, typed
        assert response.headers["Location"].endswith(f"/tra-cuu/{number}")
        assert "Giàng A** P**" in fresh.get(f"/tra-cuu/{number}").get_data(as_text=True)


def test_receipt_candidates() -> None:
    assert receipt_candidates("02965-2603-00042") == ["02965-2603-00042"]
    assert receipt_candidates(" 02965 2603 00042 ") == ["02965-2603-00042"]
    assert "02965-2603-00042" in receipt_candidates("02965260300042")
    assert receipt_candidates("abc") == receipt_candidates("<script>") == []


def test_birth_year_and_phone_digits_open_a_dossier_without_the_slip(
    client: FlaskClient, world: World, session: Session
) -> None:
    dossier = add_dossier(session, world.a, world.procedure)  # born 17/05/1990
    dossier.applicant_phone = "0912345678"
    session.commit()
    ask = {"ma": dossier.receipt_number}
    only_year = client.get("/tra-cuu", query_string={**ask, "nam-sinh": "1990"})
    assert only_year.status_code == 422  # one of them alone is too easy to guess
    wrong = client.get("/tra-cuu", query_string={**ask, "nam-sinh": "1991", "dien-thoai": "5678"})
    assert wrong.status_code == 404
    right = client.get("/tra-cuu", query_string={**ask, "nam-sinh": "1990", "dien-thoai": "5678"})
    assert right.status_code == 302
    html = client.get(f"/tra-cuu/{dossier.receipt_number}").get_data(as_text=True)
    assert "Giàng A** P**" in html


def test_lookup_form_redirects_to_the_status_page(
    client: FlaskClient, world: World, session: Session
) -> None:
    dossier = add_dossier(session, world.a, world.procedure)
    session.commit()
    assert client.get("/tra-cuu").status_code == 200
    response = client.get(
        "/tra-cuu",
        query_string={"ma": f"  {dossier.receipt_number.lower()} ", "k": dossier.check_code},
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/tra-cuu/{dossier.receipt_number}")


@pytest.mark.parametrize("code", ["99999-2600-00001", "không có", "<script>"])
def test_unknown_receipt_is_a_friendly_404(client: FlaskClient, world: World, code: str) -> None:
    response = client.get("/tra-cuu", query_string={"ma": code, "k": "ACDEFG"})
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "Không tìm thấy hồ sơ" in html
    assert "<script>" not in html.split("<body", 1)[1]


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
    html = client.get(_open(client, dossier)).get_data(as_text=True)
    assert later.strftime("%d/%m/%Y") in html
    assert "đã hẹn lại" in html


def _rate(client: FlaskClient, url: str, **data: str) -> Any:
    return client.post(f"{url}/danh-gia", data={"csrf_token": csrf_token(client, url), **data})


def test_rating_is_stored(client: FlaskClient, world: World, session: Session) -> None:
    dossier = _returned(session, add_dossier(session, world.a, world.procedure))
    url = _open(client, dossier)
    response = _rate(client, url, stars="4", comment="Cán bộ nhiệt tình")
    assert response.status_code == 302
    rating = session.scalars(select(ServiceRating)).one()
    assert (rating.stars, rating.comment) == (4, "Cán bộ nhiệt tình")
    assert (rating.dossier_id, rating.commune_id) == (dossier.id, world.a.commune.id)
    assert rating.comment_status == CommentStatus.PENDING
    thanks = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Cảm ơn ông/bà đã đánh giá" in thanks
    assert "rating-form" not in thanks
    again = client.get(url).get_data(as_text=True)
    assert "Cảm ơn ông/bà đã đánh giá" not in again
    assert "có thể sửa lại đánh giá" in again


def test_one_rating_per_dossier_which_can_be_changed(
    client: FlaskClient, world: World, session: Session
) -> None:
    """Issue 10 §12: four 1-star posts made a commune's score 1.2/5; now the dossier
    holds one rating, and posting again changes it."""
    dossier = _returned(session, add_dossier(session, world.a, world.procedure))
    url = _open(client, dossier)
    for _ in range(4):
        assert _rate(client, url, stars="1").status_code == 302
    assert _rate(client, url, stars="5", comment="Đã nghĩ lại").status_code == 302
    ratings = session.scalars(select(ServiceRating)).all()
    assert [(r.stars, r.comment) for r in ratings] == [(5, "Đã nghĩ lại")]


def test_rating_needs_a_returned_result(
    client: FlaskClient, world: World, session: Session
) -> None:
    dossier = add_dossier(session, world.a, world.procedure)
    session.commit()
    url = _open(client, dossier)
    html = client.get(url).get_data(as_text=True)
    assert "rating-form" not in html
    assert "sau khi nhận kết quả" in html
    token = csrf_token(client, "/login")
    response = client.post(f"{url}/danh-gia", data={"csrf_token": token, "stars": "1"})
    assert response.status_code == 409
    assert session.scalars(select(ServiceRating)).all() == []


def test_rating_needs_the_check_code(client: FlaskClient, world: World, session: Session) -> None:
    dossier = _returned(session, add_dossier(session, world.a, world.procedure))
    dossier.applicant_phone = "0912345678"
    session.commit()
    url = f"/tra-cuu/{dossier.receipt_number}"
    token = csrf_token(client, "/login")
    blind = client.post(f"{url}/danh-gia", data={"csrf_token": token, "stars": "1"})
    assert blind.status_code == 403
    opened = client.get(
        "/tra-cuu",
        query_string={"ma": dossier.receipt_number, "nam-sinh": "1990", "dien-thoai": "5678"},
    )
    assert opened.status_code == 302
    assert "rating-form" not in client.get(url).get_data(as_text=True)
    by_birth_year = client.post(f"{url}/danh-gia", data={"csrf_token": token, "stars": "1"})
    assert by_birth_year.status_code == 403
    assert session.scalars(select(ServiceRating)).all() == []


@pytest.mark.parametrize(
    "data",
    [{"stars": "7"}, {"stars": "0"}, {"stars": ""}, {"stars": "5", "comment": "x" * 501}],
)
def test_bad_ratings_are_refused(
    client: FlaskClient, world: World, session: Session, data: dict[str, str]
) -> None:
    dossier = _returned(session, add_dossier(session, world.a, world.procedure))
    response = _rate(client, _open(client, dossier), **data)
    assert response.status_code == 422
    assert session.scalars(select(ServiceRating)).all() == []


def test_rating_needs_the_csrf_token(client: FlaskClient, world: World, session: Session) -> None:
    dossier = _returned(session, add_dossier(session, world.a, world.procedure))
    url = _open(client, dossier)
    response = client.post(f"{url}/danh-gia", data={"stars": "5"})
    assert response.status_code == 400
    assert session.scalars(select(ServiceRating)).all() == []


def test_public_routes_are_rate_limited(app_factory: Any, world: World, session: Session) -> None:
    dossier = _returned(session, add_dossier(session, world.a, world.procedure))
    app = app_factory(PUBLIC_RATE_LIMIT="3 per minute", PUBLIC_RATING_RATE_LIMIT="2 per minute")
    client = app.test_client()
    url = f"/tra-cuu/{dossier.receipt_number}"
    codes = [client.get(url).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert client.get("/tra-cuu").status_code == 200  # each route has its own budget

    app = app_factory(PUBLIC_RATING_RATE_LIMIT="2 per minute")
    client = app.test_client()
    _open(client, dossier)
    token = csrf_token(client, url)
    posts = [
        client.post(f"{url}/danh-gia", data={"csrf_token": token, "stars": "5"}).status_code
        for _ in range(3)
    ]
    assert posts == [302, 302, 429]


def test_guessing_one_dossiers_code_is_limited_per_receipt(
    app_factory: Any, world: World, session: Session
) -> None:
    """Failed attempts count per receipt number, whatever address they come from."""
    dossier = add_dossier(session, world.a, world.procedure)
    session.commit()
    app = app_factory(PUBLIC_RECEIPT_RATE_LIMIT="3 per hour")
    ask = {"ma": dossier.receipt_number, "k": "AAAAAA"}
    codes = [
        app.test_client()
        .get("/tra-cuu", query_string=ask, environ_base={"REMOTE_ADDR": f"10.0.0.{n}"})
        .status_code
        for n in range(4)
    ]
    assert codes == [404, 404, 404, 429]
    other = add_dossier(session, world.a, world.procedure)
    session.commit()
    fine = app.test_client().get(
        "/tra-cuu", query_string={"ma": other.receipt_number, "k": other.check_code}
    )
    assert fine.status_code == 302


def test_public_page_in_english(client: FlaskClient, world: World, session: Session) -> None:
    dossier = _returned(session, add_dossier(session, world.a, world.procedure))
    client.get("/lang/en")
    html = client.get(_open(client, dossier)).get_data(as_text=True)
    assert world.procedure.name_en in html
    assert "Rate our service" in html
