"""In a real Chromium: the DataSync Summary on the results page, retrying a failed item, and
mapping a tag on the mapping screen. Screenshots go to artifacts/."""

import pytest
from playwright.sync_api import expect

from datasync.models import SyncItem, SyncMapping
from tests.browser import ARTIFACTS, chromium_page, log_in
from tests.factories import PASSWORD

from .helpers import VAN_SUPPORTER_CODE, assert_consistent, file_report, map_source


@pytest.fixture
def page(live_server, admin_user):
    with chromium_page() as page:
        log_in(page, live_server.url, admin_user.username, PASSWORD)
        yield page


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_admin_retries_a_failed_item_from_the_summary_and_maps_a_tag(
    page, live_server, action, volunteer, make_conversation, van_connection, fake_van
):
    map_source(action, van_connection, "tag:supporter", VAN_SUPPORTER_CODE)
    fake_van.fail_next("8002", (400, {}))
    # Each filing commits and sends at once (tasks run eagerly in this test process).
    file_report(make_conversation(van_id="8001", first_name="Ann"), volunteer, ["supporter"], support="5")
    file_report(make_conversation(van_id="8002", first_name="Bob"), volunteer, ["supporter"])
    failed = SyncItem.objects.get(action=action, status="failed")

    page.goto(f"{live_server.url}/actions/{action.id}/results/")
    summary = page.locator("#datasync-summary")
    expect(summary.locator('[data-datasync="synced"]')).to_have_text("1")
    expect(summary.locator('[data-datasync="failed"]')).to_have_text("1")
    expect(summary.locator('[data-datasync="skipped"]')).to_have_text("1")
    expect(summary.locator("#datasync-errors")).to_contain_text("VAN 400: INVALID_PARAMETER: HTTP 400.")
    summary.scroll_into_view_if_needed()
    summary.screenshot(path=str(ARTIFACTS / "datasync-summary.png"))

    summary.locator(f'[data-retry-item="{failed.id}"]').click()
    page.wait_for_load_state()
    summary = page.locator("#datasync-summary")
    expect(page.locator(".flash")).to_contain_text("1 failed item queued again.")
    # Queued again, and sent as soon as the retry committed: VAN takes it this time.
    expect(summary.locator('[data-datasync="failed"]')).to_have_text("0")
    expect(summary.locator('[data-datasync="synced"]')).to_have_text("2")
    failed.refresh_from_db()
    assert (failed.status, failed.attempts, failed.last_http_status) == ("synced", 1, 204)
    summary.screenshot(path=str(ARTIFACTS / "datasync-summary-retried.png"))

    page.click("#datasync-summary >> text=Mappings")
    row = page.locator('tr[data-source="field:support=5"]')
    row.locator("select").select_option(label="Support: Strong support")
    row.locator("button", has_text="Save").click()
    page.wait_for_load_state()
    expect(page.locator(".flash")).to_contain_text("field:support=5 → Support: Strong support")
    expect(page.locator('[data-unmapped="field:support=5"]')).to_have_count(0)
    page.screenshot(path=str(ARTIFACTS / "datasync-mappings.png"), full_page=True)
    mapping = SyncMapping.objects.get(action=action, source="field:support=5")
    assert mapping.target == {"type": "survey_response", "question_id": 101, "response_id": 1001}
    assert SyncItem.objects.get(action=action, source="field:support=5").status == "synced"
    assert_consistent(action)
