"""One language per screen: API messages, error pages and status styles (issue 10 §16)."""

from __future__ import annotations

from flask.testing import FlaskClient
from flask_babel import refresh

from sync.text import bilingual
from tests.server.conftest import World
from tests.server.web.helpers import log_in


def test_api_message_in_the_language_asked_with_a_stable_code(
    client: FlaskClient, world: World
) -> None:
    url = "/api/v1/dossiers/00000000-0000-7000-8000-000000000000"
    vi = client.get(url, headers={**world.a.headers, "Accept-Language": "vi"}).get_json()
    en = client.get(
        url, headers={**world.a.headers, "Accept-Language": "en-GB,en;q=0.9"}
    ).get_json()
    both = client.get(url, headers=world.a.headers).get_json()
    assert vi["status"] == en["status"] == both["status"] == "not_found"
    assert vi["code"] == en["code"] == 404
    assert "(" not in vi["message"] and "Không tìm thấy" in vi["message"]
    assert en["message"].isascii() and "not found" in en["message"]
    # No Accept-Language: "Tiếng Việt (English)", which tablets split themselves.
    assert both["message"] == f"{vi['message']} ({en['message']})"
    assert bilingual(both["message"], "vi") == vi["message"]
    assert bilingual(both["message"], "en") == en["message"]


def test_framework_errors_use_the_same_status_style(client: FlaskClient, world: World) -> None:
    missing = client.get("/api/v1/no-such-thing", headers={"Accept-Language": "vi"}).get_json()
    assert (missing["code"], missing["status"]) == (404, "not_found")
    assert missing["message"] == "Không tìm thấy trang hoặc tài nguyên này"
    wrong_method = client.delete("/api/v1/health", headers={"Accept-Language": "en"}).get_json()
    assert (wrong_method["code"], wrong_method["status"]) == (405, "method_not_allowed")
    assert wrong_method["message"] == "method not allowed here"
    invalid = client.post(
        "/api/v1/dossiers", json={"procedure_id": "abc"}, headers=world.a.headers
    ).get_json()
    assert invalid["status"] == "unprocessable_entity"


def test_404_page_in_one_language(client: FlaskClient, world: World) -> None:
    vi = client.get("/khong-co-trang-nay").get_data(as_text=True)
    assert "Không tìm thấy trang này" in vi
    assert "requested URL" not in vi and "(home)" not in vi
    client.get("/lang/en")
    refresh()  # the test shares one app context, where the locale is cached
    en = client.get("/khong-co-trang-nay").get_data(as_text=True)
    assert "Page not found" in en and "Về trang chủ" not in en and "Lỗi" not in en


def test_429_page_in_one_language(app_factory, world: World) -> None:  # type: ignore[no-untyped-def]
    client = app_factory(PUBLIC_RATE_LIMIT="1 per minute").test_client()
    client.get("/tra-cuu")
    page = client.get("/tra-cuu")
    assert page.status_code == 429
    html = page.get_data(as_text=True)
    assert "Quá nhiều yêu cầu" in html and "per 1 minute" not in html


def test_forbidden_page_in_english_is_english(client: FlaskClient, world: World) -> None:
    log_in(client, world.a.officer)
    client.get("/lang/en")
    refresh()  # the test shares one app context, where the locale is cached
    html = client.get("/admin/audit").get_data(as_text=True)
    assert "Lỗi" not in html and "Tài khoản" not in html


def test_home_page_shows_words_not_codes(client: FlaskClient, world: World) -> None:
    from tests.server.conftest import add_dossier

    add_dossier(client.application.extensions["sqlalchemy"].session(), world.a, world.procedure)
    log_in(client, world.a.leader)
    html = client.get("/").get_data(as_text=True)
    assert "commune_leader" not in html and "Lãnh đạo xã" in html
    assert ">received<" not in html and "Đã tiếp nhận" in html
    client.get("/lang/en")
    refresh()  # the test shares one app context, where the locale is cached
    en = client.get("/").get_data(as_text=True)
    assert "Commune leader" in en and "Vai trò" not in en and "Xin chào" not in en
