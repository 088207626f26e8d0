"""In a real browser: the demo admin logs in and sees the actions list (Playwright driving
Debian's Chromium against the live server)."""

import io
import os
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from actions.models import Action

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's sync API runs an event loop

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
ARTIFACTS = Path(settings.BASE_DIR) / "artifacts"


@pytest.fixture
def demo_action_names(live_server) -> list[str]:
    """Seeded before the browser starts: Django's connections are context-local, and once
    Playwright runs its event loop the main thread would open a second connection."""
    call_command("seed_demo", scale="S", stdout=io.StringIO())
    return list(Action.objects.order_by("-created_at", "-id").values_list("name", flat=True))


@pytest.fixture
def browser_page(demo_action_names):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        try:
            yield page
        finally:
            browser.close()


@pytest.mark.browser
def test_the_demo_admin_logs_in_and_sees_the_actions_list(live_server, demo_action_names, browser_page):
    names, page = demo_action_names, browser_page

    page.goto(f"{live_server.url}/")
    assert page.url.endswith("/login/")
    page.fill("input[name=username]", "admin@demo.p2p.example")
    page.fill("input[name=password]", "demo-admin-pass")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/actions/")

    rows = page.locator("#actions-table tbody tr")
    assert rows.count() == len(names) > 0
    assert rows.first.locator("td").first.inner_text() == names[0]
    assert "admin@demo.p2p.example" in page.locator("header").inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "actions_list.png"), full_page=True)

    page.click("text=Log out")
    page.wait_for_url(f"{live_server.url}/login/")
