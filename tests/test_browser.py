"""In a real browser: the demo admin logs in and sees the actions list (Playwright driving
Debian's Chromium against the live server)."""

import io

import pytest
from django.core.management import call_command

from actions.models import Action
from tests.browser import ARTIFACTS, chromium_page


@pytest.fixture
def demo_action_names(live_server) -> list[str]:
    """Seeded before the browser starts: Django's connections are context-local, and once
    Playwright runs its event loop the main thread would open a second connection."""
    call_command("seed_demo", scale="S", stdout=io.StringIO())
    return list(Action.objects.order_by("-created_at", "-id").values_list("name", flat=True))


@pytest.fixture
def browser_page(demo_action_names):
    with chromium_page(height=900) as page:
        yield page


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
    page.screenshot(path=str(ARTIFACTS / "actions_list.png"), full_page=True)

    page.click("text=Log out")
    page.wait_for_url(f"{live_server.url}/login/")
