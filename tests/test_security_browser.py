"""In a real browser, under the content security policy: every page an admin uses loads and
runs without one refused script, style or connection (Chromium reports each refusal on the
console), the API docs included."""

import pytest

from actions.links import link_for
from engagement.models import AuditEvent
from engagement.services.audit import audit_record
from tests.browser import ARTIFACTS, chromium_page, log_in
from tests.factories import PASSWORD, add_conversation

PAGES = [
    "/actions/",
    "/actions/{action}/results/",
    "/actions/{action}/reports/",
    "/actions/{action}/exports/",
    "/actions/{action}/datasync/",
    "/audit/",
    "/api/v1/docs/",
    "/admin/",
    "/admin/orgs/organization/",
    "/no-such-page/",
]


@pytest.fixture
def world(transactional_db, admin_user, volunteer, action):
    """Built before the browser starts (the ORM and Playwright's loop do not mix)."""
    link_for(add_conversation(action, user=volunteer), "https://example.org/")
    audit_record(organization_id=action.organization_id, actor=admin_user, verb=AuditEvent.Verb.ACTION_CREATE, action=action)
    return {"action": action.id, "email": admin_user.email}


@pytest.mark.browser
def test_admin_pages_run_under_the_policy_without_a_refusal(live_server, world):
    refusals: list[str] = []
    with chromium_page() as page:
        page.on("console", lambda m: refusals.append(f"{page.url}: {m.text}") if "Content Security Policy" in m.text else None)
        page.on("pageerror", lambda e: refusals.append(f"{page.url}: {e}"))
        log_in(page, live_server.url, world["email"], PASSWORD)
        assert page.url.endswith("/actions/")
        for path in PAGES:
            page.goto(live_server.url + path.format(**world))
            page.wait_for_load_state("networkidle")
            if path == "/audit/":
                assert page.locator("#audit-table tbody tr").count() == 1
                page.screenshot(path=str(ARTIFACTS / "security-audit-log.png"), full_page=True)
            if path == "/api/v1/docs/":
                page.wait_for_selector("#swagger-ui .information-container", timeout=15_000)
                page.screenshot(path=str(ARTIFACTS / "security-api-docs.png"))
            if path == "/no-such-page/":
                assert "No page at /no-such-page/" in page.inner_text("main")
    assert refusals == []
