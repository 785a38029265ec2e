"""End to end in chromium: log-in, dashboard charts, search, an apology slip printed."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect
from sqlalchemy import select

from server.models import AdminUnit, Dossier, DossierApology
from sync.domain import OPEN_STATUSES
from sync.text import fold
from tests.e2e.conftest import ARTIFACTS, DemoSite, log_in, screenshot


def test_leader_dashboard_search_and_apology(desktop: Page, demo_site: DemoSite) -> None:
    page, site = desktop, demo_site
    page.goto(f"{site.url}/login")
    screenshot(page, "01-login")
    log_in(page, site, "lanhdao.tavan")

    # The dashboard, with its three charts drawn.
    page.click("nav.menu >> text=Bảng điều khiển")
    expect(page.locator("h1")).to_contain_text("Bảng điều khiển")
    expect(page.locator("h1")).to_contain_text("Tả Van")
    for chart in ("#chart-months", "#chart-procedures", "#chart-satisfaction"):
        svg = page.locator(f"{chart} svg.pygal-chart")
        expect(svg).to_be_visible()
        box = svg.bounding_box()
        assert box is not None and box["width"] > 300 and box["height"] > 150, chart
        assert page.locator(f"{chart} svg rect.rect, {chart} svg path.line").count() > 0
    assert page.locator("#chart-months svg .bar rect").count() >= 4
    expect(page.locator(".kpi .satisfaction")).to_contain_text("%")
    screenshot(page, "02-dashboard-leader")

    # Search without diacritics finds the applicant.
    tavan = site.session.scalar(select(AdminUnit).where(AdminUnit.name == "Tả Van"))
    assert tavan is not None
    target = site.session.scalars(
        select(Dossier).where(Dossier.commune_id == tavan.id).order_by(Dossier.receipt_number)
    ).first()
    assert target is not None
    typed = fold(target.applicant_name)
    page.click("nav.menu >> text=Hồ sơ")
    page.fill("input[name=q]", typed)
    page.press("input[name=q]", "Enter")
    expect(page.locator("#dossier-table")).to_contain_text(target.receipt_number)
    expect(page.locator("#dossier-table")).to_contain_text(target.applicant_name)
    screenshot(page, "03-dossier-search")

    # The overdue list, then an apology with the default new date, then slip 04.
    page.click("nav.menu >> text=Hồ sơ quá hạn")
    rows = page.locator("#overdue-table tbody tr")
    assert rows.count() > 0
    screenshot(page, "04-overdue")
    receipt = rows.first.locator("td").first.inner_text().strip()
    rows.first.locator("text=Lập phiếu xin lỗi").click()
    expect(page.locator("h1")).to_contain_text("Văn bản xin lỗi")
    assert page.input_value("input[name=new_due_date]")  # prefilled working day
    page.fill("textarea[name=reason]", "Cần xác minh thêm tại thôn, bản nên chưa kịp trả kết quả.")
    screenshot(page, "05-apology-form")
    page.click("form.stacked button[type=submit]")
    expect(page.locator("#new-apology")).to_be_visible()
    expect(page.locator("h1")).to_contain_text(receipt)
    with page.expect_download() as download_info:
        page.click("#download-apology")
    download = download_info.value
    pdf = ARTIFACTS / "apology-mau-04.pdf"
    download.save_as(pdf)
    assert Path(pdf).read_bytes().startswith(b"%PDF")
    assert download.suggested_filename == f"{receipt}-mau-04.pdf"
    screenshot(page, "06-dossier-after-apology")

    dossier = site.session.scalar(select(Dossier).where(Dossier.receipt_number == receipt))
    assert dossier is not None and dossier.status in OPEN_STATUSES
    site.session.expire_all()
    reasons = site.session.scalars(
        select(DossierApology.reason).where(DossierApology.dossier_id == dossier.id)
    ).all()
    assert "Cần xác minh thêm tại thôn, bản nên chưa kịp trả kết quả." in reasons


def test_province_dashboard(desktop: Page, demo_site: DemoSite) -> None:
    page, site = desktop, demo_site
    log_in(page, site, "tinh.laocai")
    page.goto(f"{site.url}/dashboard")
    expect(page.locator("h1")).to_contain_text("6 xã, phường")
    expect(page.locator("#chart-satisfaction svg.pygal-chart")).to_be_visible()
    assert page.locator("#chart-satisfaction svg .bar rect").count() == 6
    screenshot(page, "07-dashboard-province")
    # The index of Decision 1001/QĐ-BNV: five elements and the overall index, per commune.
    table = page.locator("#sipas-table")
    table.scroll_into_view_if_needed()
    expect(table).to_be_visible()
    assert table.locator("thead th").count() == 7
    assert table.locator("tbody tr").count() == 7  # six communes and the total
    screenshot(page, "07b-dashboard-sipas")
    page.select_option("select[name=period]", "this_month")
    page.click("form.filters button[type=submit]")
    expect(page.locator("select[name=period]")).to_have_value("this_month")
    page.goto(f"{site.url}/dossiers")
    screenshot(page, "08-dossiers-province")
