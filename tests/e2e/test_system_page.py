"""End to end in chromium: the province administrator's system page after the night's
jobs ran on the demo province (one failed backup among them)."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from server.jobs import queue
from server.models import JobRun, utcnow
from tests.e2e.conftest import DemoSite, log_in, screenshot


def test_province_admin_sees_jobs_tablets_and_failures(desktop: Page, demo_site: DemoSite) -> None:
    session = demo_site.session
    for name in ("overdue_scan", "nightly_report", "device_health"):
        queue.enqueue(session, name, "night")
    queue.work_until_empty(session)
    session.add(
        JobRun(name="backup", key="2026-12-07", args={}, state="failed", attempts=3,
               max_attempts=3, run_after=utcnow(), finished_at=utcnow(),
               error="BackupError: pg_dump failed: No space left on device", result={})
    )  # fmt: skip
    session.commit()

    log_in(desktop, demo_site, "tinh.laocai")
    desktop.goto(f"{demo_site.url}/admin/system")
    expect(desktop.locator("h1")).to_contain_text("Vận hành")
    expect(desktop.locator("#failed-jobs")).to_contain_text("1")
    expect(desktop.locator("#job-backup")).to_contain_text("No space left on device")
    expect(desktop.locator("#job-overdue_scan")).to_contain_text("xong")
    expect(desktop.locator("#job-backup")).to_contain_text("thất bại")
    assert desktop.locator("#tablets tbody tr").count() > 0
    screenshot(desktop, "admin-system")
