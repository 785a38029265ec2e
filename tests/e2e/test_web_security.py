"""End to end in Chromium: security headers, log-out that ends the session (issue 10 §13, §15)."""

from __future__ import annotations

from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import DemoSite, log_in, screenshot


def test_headers_on_every_kind_of_page(desktop: Page, demo_site: DemoSite) -> None:
    page, site = desktop, demo_site
    for path in ("/login", "/tra-cuu", "/api/v1/docs/", "/khong-co-trang-nay"):
        response = page.goto(f"{site.url}{path}")
        assert response is not None
        headers = response.headers
        assert "script-src 'self'" in headers["content-security-policy"], path
        assert "frame-ancestors 'none'" in headers["content-security-policy"], path
        assert headers["x-frame-options"] == "DENY", path
        assert headers["x-content-type-options"] == "nosniff", path
        assert headers["referrer-policy"] == "same-origin", path


def test_api_docs_run_under_the_policy(desktop: Page, demo_site: DemoSite) -> None:
    """Swagger UI starts from a static file: the CSP blocks nothing it needs."""
    page, site = desktop, demo_site
    violations: list[str] = []
    page.on(
        "console", lambda m: violations.append(m.text) if "Content Security" in m.text else None
    )
    page.goto(f"{site.url}/api/v1/docs/")
    expect(page.locator(".swagger-ui .info")).to_be_visible(timeout=15_000)
    assert violations == []


def test_a_page_cannot_be_framed(desktop: Page, demo_site: DemoSite) -> None:
    page, site = desktop, demo_site
    page.goto(f"{site.url}/tra-cuu")
    page.set_content(f'<iframe id="f" src="{site.url}/login" width="600" height="400"></iframe>')
    page.wait_for_timeout(500)
    frame = page.frame_locator("#f")
    expect(frame.locator("input[name=username]")).to_have_count(0)


def test_a_copied_cookie_dies_with_the_log_out(
    browser: Browser, desktop: Page, demo_site: DemoSite
) -> None:
    page, site = desktop, demo_site
    log_in(page, site, "lanhdao.tavan")
    cookies = page.context.cookies()
    assert any(c["name"] == "session" for c in cookies)

    other = browser.new_context()
    other.add_cookies(cookies)  # someone copied the cookie
    thief = other.new_page()
    thief.goto(f"{site.url}/")
    assert thief.url == f"{site.url}/"  # it works while the officer is logged in

    page.click("form.inline button[type=submit]")  # Đăng xuất
    page.wait_for_url("**/login**")
    screenshot(page, "20-logged-out")

    thief.goto(f"{site.url}/dossiers")
    assert "/login" in thief.url
    expect(thief.locator("input[name=username]")).to_be_visible()
    other.close()


def test_next_brings_the_officer_back_after_log_in(desktop: Page, demo_site: DemoSite) -> None:
    page, site = desktop, demo_site
    page.goto(f"{site.url}/dossiers/overdue")
    assert "/login" in page.url and "next=" in page.url
    page.fill("input[name=username]", "lanhdao.tavan")
    page.fill("input[name=password]", site.password)
    page.click("form button[type=submit]")
    page.wait_for_url(f"{site.url}/dossiers/overdue")
    screenshot(page, "21-next-after-login")
