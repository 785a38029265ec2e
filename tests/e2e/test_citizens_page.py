"""End to end on a phone: a citizen checks a dossier from its receipt number and rates it."""

from __future__ import annotations

from playwright.sync_api import Page, expect
from sqlalchemy import select

from server.models import Dossier, ServiceRating
from server.services.public_status import mask_name
from tests.e2e.conftest import DemoSite, screenshot


def test_citizen_checks_status_and_rates(phone: Page, demo_site: DemoSite) -> None:
    page, site = phone, demo_site
    dossier = site.session.scalars(select(Dossier).order_by(Dossier.receipt_number)).first()
    assert dossier is not None

    page.goto(f"{site.url}/tra-cuu")
    screenshot(page, "10-public-lookup-phone")
    page.fill("input[name=ma]", dossier.receipt_number)
    page.click("form.public-search button[type=submit]")
    page.wait_for_url(f"**/tra-cuu/{dossier.receipt_number}")
    expect(page.locator(".public-facts")).to_contain_text(mask_name(dossier.applicant_name))
    expect(page.locator("body")).not_to_contain_text(dossier.applicant_name)
    if dossier.applicant_cccd:
        expect(page.locator("body")).not_to_contain_text(dossier.applicant_cccd)
    expect(page.locator(".status-title")).to_be_visible()
    # Nothing wider than the phone: no sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "11-public-status-phone")

    page.locator(".stars label[for=stars-1]").click()  # the fourth star
    page.fill("textarea[name=comment]", "Cán bộ hướng dẫn tận tình.")
    screenshot(page, "12-public-rating-phone")
    page.click("form.rating-form button[type=submit]")
    expect(page.locator(".rated-thanks")).to_contain_text("Cảm ơn")
    rating = site.session.scalars(
        select(ServiceRating).where(ServiceRating.dossier_id == dossier.id)
    ).one()
    assert (rating.stars, rating.comment) == (4, "Cán bộ hướng dẫn tận tình.")
    screenshot(page, "13-public-rated-phone")

    page.goto(f"{site.url}/tra-cuu/99999-2699-00001")
    expect(page.locator("h1")).to_contain_text("Không tìm thấy hồ sơ")
    screenshot(page, "14-public-not-found-phone")
