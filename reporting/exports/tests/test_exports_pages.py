"""The export list: at the bottom of the results page (loaded from the panel), on a page of
its own, one click per kind and format; downloads for session users; admins only."""

import pytest
from django.test import Client
from django.urls import reverse

from reporting.exports.models import ExportJob
from reporting.exports.registry import exporters

from .conftest import csv_table

pytestmark = pytest.mark.django_db


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_results_page_carries_the_exports_section(admin_user, action):
    page = logged_in(admin_user).get(f"/actions/{action.id}/results/").content.decode()
    assert f'data-exports-panel="/actions/{action.id}/exports/panel/"' in page
    assert f'href="/actions/{action.id}/exports/"' in page  # without JavaScript
    assert "js/exports.js" in page


@pytest.mark.parametrize("name", ["action-exports", "action-exports-panel"])
def test_the_list_offers_every_kind_in_each_format_and_the_everything_workbook(admin_user, action, name):
    page = logged_in(admin_user).get(reverse(name, args=[action.id])).content.decode()
    for kind in exporters():
        for fmt in ("csv", "xlsx"):
            assert f'href="/actions/{action.id}/exports/{kind}.{fmt}"' in page
            assert f'data-api="/api/v1/actions/{action.id}/exports/{kind}.{fmt}"' in page
        assert f'href="/actions/{action.id}/exports/{kind}.csv?bom=1"' in page
    assert f'href="/actions/{action.id}/exports/everything.xlsx"' in page


def test_the_history_shows_progress_downloads_and_expiry(admin_user, action):
    running = ExportJob.objects.create(
        organization=action.organization, action=action, kind="messages", format="csv", status="running", progress=42
    )
    page = logged_in(admin_user).get(reverse("action-exports-panel", args=[action.id])).content.decode()
    assert f'id="job-{running.id}"' in page and 'data-status="running"' in page
    assert '<progress max="100" value="42">' in page


@pytest.mark.parametrize("path", ["/actions/{id}/exports/", "/actions/{id}/exports/panel/", "/actions/{id}/exports/contacts.csv"])
def test_pages_are_for_admins_of_the_organization(admin_user, volunteer, outsider, action, path):
    path = path.format(id=action.id)
    assert logged_in(volunteer).get(path).status_code == 403
    assert logged_in(outsider).get(path).status_code == 404
    assert Client().get(path)["Location"].startswith("/login/")
    assert logged_in(admin_user).get(path).status_code == 200


def test_one_click_gives_the_file_or_starts_a_job(admin_user, seeded, settings, tmp_path, django_capture_on_commit_callbacks):
    client = logged_in(admin_user)
    response = client.get(f"/actions/{seeded.id}/exports/contacts.csv")
    header, rows = csv_table(b"".join(response.streaming_content))
    assert response["Content-Disposition"].startswith("attachment;") and header[0] == "conversation_id" and rows
    settings.EXPORTS_SYNC_MAX_ROWS, settings.MEDIA_ROOT = {"csv": 0, "xlsx": 0}, tmp_path
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(f"/actions/{seeded.id}/exports/contacts.xlsx")
    job = ExportJob.objects.get(action=seeded)
    assert response.status_code == 302 and response["Location"] == f"/actions/{seeded.id}/exports/#job-{job.id}"
    page = client.get(response["Location"]).content.decode()
    assert f'href="/api/v1/exports/jobs/{job.id}/download/"' in page
    download = client.get(f"/api/v1/exports/jobs/{job.id}/download/")  # the session is enough
    assert download.status_code == 200 and download["Content-Disposition"].endswith('.xlsx"')
    assert client.get(f"/actions/{seeded.id}/exports/nope.csv").status_code == 404
