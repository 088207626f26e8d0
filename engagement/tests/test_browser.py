"""In a real Chromium on the results page: filter the User Engagement table and see the
count, send an inbox message to the matches, and re-assign a row's needs-attention contacts
through the three-dot menu. Screenshots go to artifacts/."""

import pytest
from playwright.sync_api import expect

from actions.models import Conversation
from actions.services.actions import action_send, recipient_record
from engagement.models import InboxMessage
from orgs.models import Membership
from reporting.recompute import recompute_stats
from tests.browser import ARTIFACTS, chromium_page, log_in
from tests.factories import PASSWORD, make_member

from .helpers import conversations, reply, send


@pytest.fixture
def page_as_admin(live_server, org):
    admin = make_member(org, Membership.Role.ADMIN)
    with chromium_page(width=1400) as page:
        log_in(page, live_server.url, admin.email, PASSWORD)
        yield page


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_filter_message_and_reassign_from_the_results_page(page_as_admin, live_server, org, action, twilio):
    ann = make_member(org, first_name="Ann", last_name="Able")
    bob = make_member(org, first_name="Bob", last_name="Brown")
    cyd = make_member(org, first_name="Cyd", last_name="Cole")
    action_send(action=action, user_ids=[ann.id, bob.id, cyd.id])
    held = conversations(action, ann, 4)
    for conv in held[:3]:
        send(conv, ann)
    reply(held[0])
    reply(held[1])
    recipient_record(action=action, user=ann, event="start")
    recipient_record(action=action, user=bob, event="seen")
    page = page_as_admin

    page.goto(f"{live_server.url}/actions/{action.id}/results/")
    section = page.locator("#user-engagement")
    expect(section.locator("#eng-table tbody tr")).to_have_count(3)
    section.locator(".eng-filters-toggle").click()
    section.locator("input[name=has_needs_attention]").check()
    section.get_by_role("button", name="Apply Filters").click()
    expect(section.locator("[data-eng-count]")).to_have_text("1")
    expect(section.locator("#eng-table tbody tr")).to_have_count(1)
    expect(section.locator(f'tr[data-user="{ann.id}"] [data-col="needs_attention"]')).to_have_text("2")
    assert "has_needs_attention=true" in page.url  # the filtered view is a shareable link
    section.screenshot(path=str(ARTIFACTS / "engagement-filtered.png"))

    section.locator('[data-bulk="inbox"]').click()
    dialog = page.locator("#eng-bulk-dialog")
    expect(dialog.locator("input[name=title]")).to_be_hidden()  # push only
    dialog.locator("textarea[name=body]").fill("Two of your contacts are waiting for an answer.")
    dialog.locator("[data-eng-bulk-send]").click()
    expect(dialog.locator("[data-eng-bulk-status]")).to_have_text("Done: 1 sent, 0 failed.", timeout=15_000)
    dialog.screenshot(path=str(ARTIFACTS / "engagement-bulk-message.png"))
    dialog.get_by_role("button", name="Close").click()
    assert list(InboxMessage.objects.values_list("user_id", "body")) == [
        (ann.id, "Two of your contacts are waiting for an answer.")
    ]

    section.locator(f'tr[data-user="{ann.id}"] .eng-dots').click()
    section.get_by_role("menuitem", name="Re-assign contacts").click()
    move = page.locator("#eng-reassign-dialog")
    expect(move.locator("[data-eng-from-name]")).to_have_text("Ann Able")
    move.locator("input[name=scope][value=needs_attention]").check()
    move.locator("select[name=to_users]").select_option(str(bob.id))
    move.locator("[data-eng-preview-button]").click()
    expect(move.locator("[data-eng-preview]")).to_have_text("2 conversations will move: 2 to Bob Brown.")
    move.screenshot(path=str(ARTIFACTS / "engagement-reassign-preview.png"))
    move.locator("[data-eng-confirm]").click()
    expect(move.locator("[data-eng-preview]")).to_have_text("Moved 2 conversations.")
    move.get_by_role("button", name="Close").click()
    assert set(Conversation.objects.filter(assigned_user=bob).values_list("id", flat=True)) == {held[0].id, held[1].id}
    # The table (still filtered) now shows Bob holding what needs attention, and the log offers an undo.
    expect(section.locator(f'tr[data-user="{bob.id}"] [data-col="needs_attention"]')).to_have_text("2")
    section.locator("#eng-audit summary").click()
    expect(section.locator("[data-eng-audit] [data-undo]")).to_have_count(1)
    section.screenshot(path=str(ARTIFACTS / "engagement-reassigned.png"))
    page.screenshot(path=str(ARTIFACTS / "engagement-results-page.png"), full_page=True)
    assert recompute_stats(action) == []

    # The shared link opens the same filtered view.
    page.goto(page.url)
    expect(section.locator("[data-eng-count]")).to_have_text("1")
    expect(section.locator("input[name=has_needs_attention]")).to_be_checked()
