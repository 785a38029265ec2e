"""End to end in chromium: a conflict two tablets made, revoking a tablet, publishing a form.

The tablets are scripted ones speaking the sync protocol over real HTTP to the live
server, with their own device tokens (as in ``tests/server/sync``).
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.demo import DEMO_PASSWORD, seed_demo_province
from server.models import AdminUnit, Device, Officer, Procedure, SurveyForm, SyncConflict
from server.services.devices import register_device
from server.services.reports import office_today
from server.services.sipas import DEFAULT_FORM_KEY
from tests.conftest import LiveServer
from tests.e2e.conftest import DemoSite, log_in, screenshot
from tests.server.sync.conftest import LiveHttp, Tablet, latest, make_tablet


@pytest.fixture
def demo_site(live_server: LiveServer, session: Session) -> DemoSite:
    """The demo province with a few dossiers per commune: these pages need no more."""
    seed_demo_province(session, dossiers_per_commune=3, today=office_today())
    session.commit()
    return DemoSite(live_server.url, DEMO_PASSWORD, session)


def _tablet(site: DemoSite, username: str, name: str) -> Tablet:
    """A new tablet registered to a demo officer, talking to the live server."""
    session = site.session
    officer = session.scalars(select(Officer).where(Officer.username == username)).one()
    device, token = register_device(session, officer, name=name, app_version="0.1.0")
    session.commit()
    return make_tablet(device, token, LiveHttp(site.url))


def test_leader_resolves_a_conflict_two_tablets_made(desktop: Page, demo_site: DemoSite) -> None:
    page, site = desktop, demo_site
    one = _tablet(site, "hotich.tavan", "Máy tính bảng lưu động")
    two = _tablet(site, "vanphong.tavan", "Máy tính bảng văn phòng")
    procedure = site.session.scalars(select(Procedure).order_by(Procedure.code)).first()
    assert procedure is not None
    dossier_id, create = one.new_dossier(procedure, applicant_name="Thào A Dinh")
    one.push([create])
    _changes, cursor = two.pull_all()
    # Offline, each corrects the name differently; the second to sync loses nothing.
    base = {"applicant_name": create["t"]}
    one.push([one.op("dossier", dossier_id, {"applicant_name": "Thào A Dính"}, base=base)])
    result = two.push_one(
        two.op("dossier", dossier_id, {"applicant_name": "Thào A Dình"}, base=base)
    )
    assert result["o"] == "conflict"
    conflict_id = result["x"][0]

    log_in(page, site, "lanhdao.tavan")
    page.click("nav.menu >> text=Xung đột")
    card = page.locator(f"#conflict-{conflict_id}")
    expect(card.locator(".kept-value")).to_have_text("Thào A Dình")
    expect(card.locator(".lost-value")).to_have_text("Thào A Dính")
    expect(card.locator(".kept .device")).to_contain_text("Máy tính bảng văn phòng")
    expect(card.locator(".lost .device")).to_contain_text("Máy tính bảng lưu động")
    officers = {
        o.username: o.full_name
        for o in site.session.scalars(select(Officer).where(Officer.username.like("%.tavan")))
    }
    expect(card.locator(".kept .who")).to_have_text(officers["vanphong.tavan"])
    expect(card.locator(".lost .who")).to_have_text(officers["hotich.tavan"])
    screenshot(page, "20-conflicts-queue")

    card.locator("button[value=overturned]").click()
    expect(page.locator(".flash.ok")).to_be_visible()
    expect(page.locator(f"#conflict-{conflict_id}")).to_have_count(0)
    page.select_option("select[name=status]", "resolved")
    page.click("form.filters button[type=submit]")
    expect(page.locator(f"#conflict-{conflict_id}")).to_contain_text("Khôi phục giá trị bị ghi đè")
    screenshot(page, "21-conflict-resolved")

    # The tablet that lost the merge pulls the decision, stamped by the server.
    changes = two.pull(cursor)["changes"]
    assert latest(changes, "dossier", dossier_id)["f"]["applicant_name"] == "Thào A Dính"
    assert latest(changes, "sync_conflict", conflict_id)["f"]["resolution"] == "overturned"
    site.session.expire_all()
    conflict = site.session.get(SyncConflict, conflict_id)
    assert conflict is not None and conflict.status == "resolved"


def test_leader_revokes_a_lost_tablet(desktop: Page, demo_site: DemoSite) -> None:
    page, site = desktop, demo_site
    lost = _tablet(site, "hotich.tavan", "Máy tính bảng bị mất")
    assert lost.request("GET", "/api/v1/feedback").status == 200

    log_in(page, site, "lanhdao.tavan")
    page.click("nav.menu >> text=Quản trị")
    page.click("nav.tabs >> text=Thiết bị")
    row = page.locator(f"#device-{lost.device_id}")
    expect(row).to_contain_text("Máy tính bảng bị mất")
    expect(page.locator("#device-table")).not_to_contain_text("Phường Sa Pa")
    screenshot(page, "22-devices")
    row.locator("text=Thu hồi").click()
    expect(page.locator("h1")).to_contain_text("Thu hồi thiết bị?")
    screenshot(page, "23-revoke-confirm")
    page.click("#confirm-revoke")
    expect(page.locator(".flash.ok")).to_contain_text("Máy tính bảng bị mất")
    expect(row).to_contain_text("Đã thu hồi")
    screenshot(page, "24-device-revoked")

    reply = lost.request("GET", "/api/v1/feedback")
    assert reply.status == 401
    assert reply.json()["status"] == "device_revoked"
    site.session.expire_all()
    device = site.session.get(Device, lost.device_id)
    assert device is not None and device.revoked_at is not None


def _fill_question(page: Page, index: int, **values: Any) -> None:
    page.select_option(f"select[name=q-{index}-type]", values.pop("type"))
    for name, value in values.items():
        if name == "required":
            page.check(f"input[name=q-{index}-required]")
        else:
            page.fill(f"textarea[name=q-{index}-{name}]", value)


def test_province_admin_publishes_a_survey_form(desktop: Page, demo_site: DemoSite) -> None:
    page, site = desktop, demo_site
    device = _tablet(site, "hotich.tavan", "Máy khảo sát")
    _changes, cursor = device.pull_all()

    log_in(page, site, "tinh.laocai")
    page.click("nav.menu >> text=Khảo sát")
    # The demo seeds the default Decision 1001/QĐ-BNV form (server.services.sipas).
    expect(page.locator("#survey-table")).to_contain_text(DEFAULT_FORM_KEY)
    screenshot(page, "25-survey-list")
    page.click("text=Tạo phiếu mới")
    page.fill("input[name=title_vi]", "Khảo sát đường vào bản mùa mưa")
    page.fill("input[name=title_en]", "Village road survey, rainy season")
    page.fill("input[name=key]", "duong-vao-ban")
    _fill_question(
        page,
        0,
        type="likert5",
        text_vi="Ông/bà hài lòng với đường vào bản không?",
        text_en="Are you satisfied with the road to the village?",
        required=True,
    )
    _fill_question(
        page,
        1,
        type="single_choice",
        text_vi="Đường bị sạt lở ở đâu?",
        text_en="Where is the landslide?",
        options="Đầu bản | Village entrance\nGiữa bản | Village centre\nCuối bản | Village end",
    )
    screenshot(page, "26-survey-editor")
    page.click("form.survey-editor .form-end button[type=submit]")
    expect(page.locator("h1")).to_contain_text("Khảo sát đường vào bản mùa mưa")
    expect(page.locator(".question-list > li")).to_have_count(2)

    tavan = site.session.scalars(select(AdminUnit).where(AdminUnit.name == "Tả Van")).one()
    page.check(f"input[name=communes][value='{tavan.id}']")
    page.click("#publish button[type=submit]")
    expect(page.locator(".flash.ok")).to_contain_text("1 xã, phường")
    expect(page.locator("h1 .badge")).to_have_text("Đang phát hành")
    expect(page.locator("#publish")).to_have_count(0)  # read-only now
    screenshot(page, "27-survey-published")

    changes, _ = device.pull_all(cursor)
    forms = [c for c in changes if c["c"] == "survey_form"]
    assert [f["f"]["key"] for f in forms] == ["duong-vao-ban"]
    pulled = forms[0]["f"]
    assert pulled["status"] == "published" and pulled["version"] == 1
    assert [q["type"] for q in pulled["questions"]] == ["likert5", "single_choice"]
    assert [o["value"] for o in pulled["questions"][1]["options"]] == [
        "dau-ban",
        "giua-ban",
        "cuoi-ban",
    ]
    form = site.session.scalars(select(SurveyForm).where(SurveyForm.key == DEFAULT_FORM_KEY)).one()
    page.goto(f"{site.url}/surveys/{form.id}/results")
    expect(page.locator("#chart-survey-communes svg.pygal-chart")).to_be_visible()
    expect(page.locator("#chart-likert svg.pygal-chart")).to_be_visible()
    screenshot(page, "28-survey-results")
