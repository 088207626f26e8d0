"""In a real Chromium: the export list at the bottom of the results page downloads a CSV at
once and an XLSX through a background job with its progress bar. Screenshot in artifacts/."""

import os
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect, sync_playwright

from actions.services.actions import action_send
from actions.services.contacts import contacts_upload
from reporting.exports.models import ExportJob
from tests.factories import PASSWORD

from . import expected
from .conftest import TRICKY_CONTACTS, csv_bytes, csv_table, xlsx_sheets

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
def page(live_server, admin_user):
    # Playwright's sync API runs an event loop in this thread; Django's ORM must still be usable.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        context = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 1000})
        page = context.new_page()
        page.goto(f"{live_server.url}/login/")
        page.fill("input[name=username]", admin_user.username)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_load_state()
        yield page
        browser.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_results_page_downloads_a_csv_and_an_xlsx(page, live_server, action, volunteer, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.EXPORTS_SYNC_MAX_ROWS = {"csv": 100_000, "xlsx": 0}  # the XLSX takes the job path
    contacts_upload(action=action, data=csv_bytes(TRICKY_CONTACTS))
    action_send(action=action, user_ids=[volunteer.id])
    want = expected.contacts(action)

    page.goto(f"{live_server.url}/actions/{action.id}/results/")
    section = page.locator("#exports")
    row = section.locator('tr[data-kind="contacts"]')
    expect(row).to_be_visible()  # the panel loaded into the results page

    with page.expect_download() as csv_download:
        row.locator("a", has_text="CSV").first.click()
    assert csv_download.value.suggested_filename == f"action-{action.id}-contacts.csv"
    header, rows = csv_table(Path(csv_download.value.path()).read_bytes())
    assert header == list(want[0])
    assert [list(r.values()) for r in rows] == [[expected.cell(v, "csv") for v in r.values()] for r in want]

    with page.expect_download() as xlsx_download:
        row.locator("a", has_text="XLSX").click()
    assert xlsx_download.value.suggested_filename == f"action-{action.id}-contacts.xlsx"
    sheet = xlsx_sheets(Path(xlsx_download.value.path()).read_bytes())["contacts"]
    assert [list(r) for r in sheet[1:]] == [[expected.cell(v, "xlsx") for v in r.values()] for r in want]

    job = ExportJob.objects.get(action=action)
    history = section.locator(f"#job-{job.id}")
    expect(history).to_contain_text("contacts.xlsx")
    expect(history.locator("a.job-download")).to_be_visible()
    section.scroll_into_view_if_needed()
    section.screenshot(path=str(ARTIFACTS / "exports-results-page.png"))
