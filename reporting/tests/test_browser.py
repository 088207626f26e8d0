"""In a real Chromium: the results page and View Reports of a seeded action show the
aggregates, and a live action's figures refresh in place. Screenshots go to artifacts/."""

import os

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from actions.models import Action
from reporting.breakdowns import action_reports
from reporting.models import ActionStats
from reporting.seed import plan
from reporting.selectors import action_results
from tests.browser import ARTIFACTS, chromium_page, log_in


@pytest.fixture
def seeded_page(live_server):
    call_command("seed_demo", "--scale", "S", "--contacts", "1500", stdout=open(os.devnull, "w"))  # noqa: SIM115
    with chromium_page(height=1100) as page:
        log_in(page, live_server.url, plan.ADMIN_EMAIL, plan.ADMIN_PASSWORD)
        yield page


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_results_and_reports_pages_of_a_seeded_action(seeded_page, live_server):
    page = seeded_page
    action = Action.objects.get(organization__name=plan.ORG_NAME, status=Action.Status.LIVE)
    figures = action_results(action=action)
    page.goto(f"{live_server.url}/actions/")
    expect(page.locator(f'tr[data-action="{action.id}"]')).to_contain_text(action.name)
    page.click(f'tr[data-action="{action.id}"] >> text={action.name}')
    expect(page.locator("h1")).to_contain_text(action.name)
    for section in ("overview", "message_performance"):
        for key in ("sent_to", "reports", "initial_messages", "responses", "opt_outs", "delivered", "needs_attention"):
            if key in figures[section]:
                expect(page.locator(f'[data-metric="{key}"]')).to_have_text(f"{figures[section][key]:,}")
    expect(page.locator('[data-rate="delivery_rate"]')).to_have_text(f"{figures['rates']['delivery_rate'] * 100:.1f}%")
    assert (
        page.locator('[data-metric="opt_outs"]')
        .locator("xpath=..")
        .get_attribute("title")
        .startswith("Conversations in which the contact opted out")
    )
    expect(page.locator("#charts svg")).to_have_count(2)
    expect(page.locator("#errors-table tr[data-error='30007']")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "results-page.png"), full_page=True)

    # Live: a figure that moves in the aggregates moves on the page without a reload.
    ActionStats.objects.filter(action=action).update(responses=0)
    ActionStats.objects.filter(action=action, shard=0).update(responses=123456)
    expect(page.locator('[data-metric="responses"]')).to_have_text("123,456", timeout=15_000)

    page.click("#view-reports")
    expect(page.locator("h1")).to_contain_text("View Reports")
    reports = action_reports(action=action)
    for tag in reports["tags"][:3]:
        expect(page.locator(f'[data-report="tag:{tag["tag"]}"]')).to_have_text(f"{tag['count']:,}")
    age = next(f for f in reports["custom_fields"] if f["key"] == "age")
    expect(page.locator('[data-report="median:age"]')).to_have_text(age["stats"]["median"])
    expect(page.locator("#report-charts svg").first).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "reports-page.png"), full_page=True)
