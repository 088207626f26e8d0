"""In a real Chromium: the export list at the bottom of the results page downloads a CSV at
once and an XLSX through a background job with its progress bar. Screenshot in artifacts/."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from actions.services.actions import action_send
from actions.services.contacts import contacts_upload
from reporting.exports.models import ExportJob
from tests.browser import ARTIFACTS, chromium_page, log_in
from tests.factories import PASSWORD

from . import expected
from .conftest import TRICKY_CONTACTS, csv_bytes, csv_table, xlsx_sheets


@pytest.fixture
def page(live_server, admin_user):
    with chromium_page(downloads=True) as page:
        log_in(page, live_server.url, admin_user.username, PASSWORD)
        yield page


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
