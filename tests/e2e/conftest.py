"""Playwright fixtures: Debian's chromium driven headless against the live test server.

The browser is never downloaded (no ``playwright install``): ``/usr/bin/chromium`` from
Debian is launched directly. One browser per test session (per xdist worker); each
test gets fresh pages. End-to-end tests run on SQLite only: the server tests already
cover both databases, and SQLite needs nothing running.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from server.demo import DEMO_PASSWORD, seed_demo_province
from server.models import Base
from server.services.reports import office_today
from tests.conftest import LiveServer, fresh_database_url

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"
DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = fresh_database_url("sqlite", tmp_path_factory.mktemp("e2e"), "e2e")
    engine = create_engine(url)
    Base.metadata.create_all(engine)
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield launched
        launched.close()


def _context(browser: Browser, **options: Any) -> BrowserContext:
    context = browser.new_context(locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh", **options)
    context.set_default_timeout(10_000)
    return context


@pytest.fixture
def desktop(browser: Browser) -> Iterator[Page]:
    """A 1366×768 office screen."""
    context = _context(browser, viewport=DESKTOP, accept_downloads=True)
    yield context.new_page()
    context.close()


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    """A 390×844 phone, as a citizen scanning the QR code would use."""
    context = _context(
        browser, viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    yield context.new_page()
    context.close()


@dataclass
class DemoSite:
    url: str
    password: str
    session: Session


@pytest.fixture
def demo_site(live_server: LiveServer, session: Session) -> DemoSite:
    """The live server holding the demo province (15 dossiers per commune)."""
    seed_demo_province(session, dossiers_per_commune=15, today=office_today())
    session.commit()
    return DemoSite(live_server.url, DEMO_PASSWORD, session)


def screenshot(page: Page, name: str) -> Path:
    """Save a full-page screenshot under test-artifacts/e2e/ (gitignored)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def log_in(page: Page, site: DemoSite, username: str) -> None:
    page.goto(f"{site.url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", site.password)
    page.click("form button[type=submit]")
    page.wait_for_url(f"{site.url}/")
