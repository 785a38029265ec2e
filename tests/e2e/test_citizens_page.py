"""End to end on a phone: a citizen opens a dossier with the check code and rates it."""

from __future__ import annotations

from playwright.sync_api import Page, expect
from sqlalchemy import select

from server.models import Dossier, ServiceRating
from server.services.public_status import mask_name
from sync.checkcode import display_check_code
from sync.domain import DossierStatus
from tests.e2e.conftest import DemoSite, screenshot


def test_citizen_checks_status_with_the_check_code_and_rates(
    phone: Page, demo_site: DemoSite
) -> None:
    page, site = phone, demo_site
    dossier = site.session.scalars(
        select(Dossier)
        .where(Dossier.status == DossierStatus.RESULT_RETURNED)
        .order_by(Dossier.receipt_number)
    ).first()
    assert dossier is not None

    # The receipt number alone shows nothing: the page asks for the check code.
    page.goto(f"{site.url}/tra-cuu/{dossier.receipt_number}")
    expect(page.locator("input[name=k]")).to_be_visible()
    expect(page.locator("body")).not_to_contain_text(mask_name(dossier.applicant_name))
    expect(page.locator("body")).not_to_contain_text(dossier.procedure.name_vi)
    screenshot(page, "10-public-lookup-phone")

    # A wrong code: "not found", exactly as for a number that does not exist.
    page.fill("input[name=k]", "AAA-AAA")
    page.click("form.public-search button[type=submit]")
    expect(page.locator("h1")).to_contain_text("Không tìm thấy hồ sơ")
    expect(page.locator("body")).not_to_contain_text(mask_name(dossier.applicant_name))
    screenshot(page, "14-public-not-found-phone")

    # Typed the way people type it: spaces instead of dashes, the code in lower case.
    page.fill("input[name=ma]", dossier.receipt_number.replace("-", " "))
    page.fill("input[name=k]", display_check_code(dossier.check_code).lower())
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


def test_the_qr_link_opens_the_dossier_and_drops_the_code(phone: Page, demo_site: DemoSite) -> None:
    page, site = phone, demo_site
    dossier = site.session.scalars(select(Dossier).order_by(Dossier.receipt_number)).first()
    assert dossier is not None
    page.goto(f"{site.url}/tra-cuu/{dossier.receipt_number}?k={dossier.check_code}")
    assert page.url == f"{site.url}/tra-cuu/{dossier.receipt_number}"  # not left in history
    expect(page.locator(".public-facts")).to_contain_text(mask_name(dossier.applicant_name))
