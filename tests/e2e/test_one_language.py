"""In chromium: a service's form error is in the language of the screen (issue 10 §16).

The officer creates an account with a user name the rules refuse; the message under the
field is Vietnamese on the Vietnamese screen and English on the English one, never the
two together.
"""

from __future__ import annotations

import re

from playwright.sync_api import Page

from tests.e2e.conftest import DemoSite, log_in, screenshot

VIETNAMESE = re.compile(r"[à-ỹÀ-Ỹđ]")
REFUSED_VI = "Tên đăng nhập 3–64 ký tự: chữ không dấu, số, dấu chấm, gạch"
REFUSED_EN = "3-64 characters: letters, digits, dot, dash, underscore"


def _refused_user_name(page: Page, site: DemoSite) -> str:
    page.goto(f"{site.url}/admin/officers/new")
    page.fill("input[name=full_name]", "Hầu A Lử")
    page.fill("input[name=username]", "x!")
    page.fill("input[name=password]", "mat-khau-dai")
    page.click("form.stacked button[type=submit]")
    page.wait_for_selector(".field-error")
    return page.inner_text(".field-error")


def test_a_form_error_on_a_vietnamese_and_an_english_screen(
    desktop: Page, demo_site: DemoSite
) -> None:
    page, site = desktop, demo_site
    log_in(page, site, "lanhdao.tavan")
    error = _refused_user_name(page, site)
    assert error == REFUSED_VI
    screenshot(page, "one-language-form-error-vi")
    page.goto(f"{site.url}/lang/en")
    error = _refused_user_name(page, site)
    assert error == REFUSED_EN and not VIETNAMESE.search(error)
    assert "Create account" in page.inner_text("h1")
    screenshot(page, "one-language-form-error-en")
