"""GET /api/v1/actions/<id>/exports/<kind>.<fmt> (CONTRACT §3): the file now, or 202 and a
job whose URL reports progress and ends in a download link that expires; tenancy and bad
input answered like every other endpoint."""

from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from reporting.exports.models import ExportJob
from reporting.exports.render import export_spec
from reporting.exports.selectors import FILE, JOB, export_plan
from reporting.exports.services import export_job_run, export_jobs_tidy

from . import expected
from .conftest import body_of, csv_table, xlsx_sheets

pytestmark = pytest.mark.django_db


def url(action, name: str = "contacts.csv") -> str:
    return f"/api/v1/actions/{action.id}/exports/{name}"


@pytest.fixture
def background(settings, tmp_path):
    """Every export, even of no rows, big enough for a job; files in a scratch MEDIA_ROOT."""
    settings.EXPORTS_SYNC_MAX_ROWS = {"csv": -1, "xlsx": -1}
    settings.MEDIA_ROOT = tmp_path


def start_job(api, action, name: str, capture) -> dict:
    with capture(execute=True):
        response = api.get(url(action, name))
    assert response.status_code == 202, response.content[:300]
    assert response["Location"] == response.json()["job"]
    assert set(response.json()) == {"job"}
    return api.get(response.json()["job"]).json()


def test_a_small_export_is_the_file_itself(admin_api, seeded):
    response = admin_api.get(url(seeded, "messages.csv"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="action-{seeded.id}-messages.csv"'
    assert "no-store" in response["Cache-Control"]
    response = admin_api.get(url(seeded, "users.xlsx"))
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"] == f'attachment; filename="action-{seeded.id}-users.xlsx"'


def test_a_client_asking_for_csv_gets_it_and_still_gets_json_errors(admin_api, seeded):
    assert admin_api.get(url(seeded), HTTP_ACCEPT="text/csv").status_code == 200
    response = admin_api.get(url(seeded, "nope.csv"), HTTP_ACCEPT="text/csv")
    assert response.status_code == 404 and "detail" in response.json()


@pytest.mark.parametrize(
    ("name", "says"),
    [
        (
            "nope.csv",
            "There is no 'nope' export; the kinds are contacts, messages, users, opt_outs, link_clicks, datasync, everything.",
        ),
        ("contacts.pdf", "There is no 'pdf' format; the formats are csv, xlsx."),
        ("everything.csv", "The everything export is a workbook: ask for everything.xlsx."),
    ],
)
def test_an_unknown_kind_or_format_is_a_404_that_says_what_exists(admin_api, action, name, says):
    response = admin_api.get(url(action, name))
    assert response.status_code == 404
    assert response.json() == {"detail": says}


def test_roles_and_tenancy(action, outsider_api, volunteer_api, admin_api):
    job = ExportJob.objects.create(organization=action.organization, action=action, kind="contacts", format="csv")
    paths = [url(action), url(action, "everything.xlsx"), f"/api/v1/actions/{action.id}/exports/"]
    paths += [f"/api/v1/exports/jobs/{job.id}/", f"/api/v1/exports/jobs/{job.id}/download/"]
    for path in paths:
        assert APIClient().get(path).status_code == 401, path
        assert volunteer_api.get(path).status_code == 403, path
        assert outsider_api.get(path).status_code == 404, path
    assert admin_api.get(paths[3]).status_code == 200
    assert ExportJob.objects.count() == 1, "nobody but the admin started an export"


@pytest.mark.parametrize("name", ["contacts.csv", "messages.xlsx", "everything.xlsx", "users.csv"])
def test_a_big_export_runs_as_a_job_and_ends_in_the_same_file(
    admin_api, seeded, background, name, django_capture_on_commit_callbacks
):
    job = start_job(admin_api, seeded, name, django_capture_on_commit_callbacks)
    assert job["status"] == "done" and job["progress"] == 100 and job["download"]
    assert job["rows_done"] == job["rows_total"] > 0
    assert job["expires_at"] and not job["expired"]
    download = admin_api.get(job["download"])
    assert download.status_code == 200
    assert download["Content-Disposition"] == f'attachment; filename="action-{seeded.id}-{name}"'
    kind, fmt = name.split(".")
    content = body_of(download)
    if kind == "everything":
        assert list(xlsx_sheets(content)) == ["summary", "contacts", "messages", "users", "opt_outs", "link_clicks", "datasync"]
        return
    want = [[expected.cell(v, fmt) for v in row.values()] for row in expected.ROWS[kind](seeded)]
    if fmt == "csv":
        _, rows = csv_table(content)
        assert [list(r.values()) for r in rows] == want
    else:
        assert [list(r) for r in xlsx_sheets(content)[kind][1:]] == want


def test_the_same_export_still_running_is_reused(admin_api, seeded, background):
    first = admin_api.get(url(seeded)).json()["job"]
    again = admin_api.get(url(seeded)).json()["job"]
    other = admin_api.get(url(seeded, "contacts.xlsx")).json()["job"]
    assert first == again != other
    assert ExportJob.objects.filter(action=seeded).count() == 2
    assert admin_api.get(first).json()["status"] == "pending"
    response = admin_api.get(first + "download/")
    assert response.status_code == 409 and response.json() == {"detail": "The export is pending, not ready to download."}


def test_the_download_link_expires_and_the_file_is_purged(admin_api, seeded, background, django_capture_on_commit_callbacks):
    job = start_job(admin_api, seeded, "messages.csv", django_capture_on_commit_callbacks)
    stored = ExportJob.objects.get(pk=job["id"])
    assert default_storage.exists(stored.file)
    ExportJob.objects.filter(pk=stored.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = admin_api.get(job["url"] + "download/")
    assert response.status_code == 410 and "expired" in response.json()["detail"]
    assert admin_api.get(job["url"]).json().items() >= {"download": None, "expired": True}.items()
    assert export_jobs_tidy() == 1
    assert not default_storage.exists(stored.file)
    assert ExportJob.objects.get(pk=stored.pk).file == ""
    history = admin_api.get(f"/api/v1/actions/{seeded.id}/exports/").json()
    assert history["count"] == 1 and history["results"][0]["id"] == stored.pk


def test_a_failed_export_says_why_and_a_second_run_changes_nothing(
    admin_api, seeded, background, monkeypatch, django_capture_on_commit_callbacks
):
    from reporting.exports.kinds.users import UsersExporter

    monkeypatch.setattr(UsersExporter, "get_columns", lambda self: 1 / 0)
    job = start_job(admin_api, seeded, "users.csv", django_capture_on_commit_callbacks)
    assert job["status"] == "failed" and job["download"] is None
    assert "ZeroDivisionError" in job["error"]
    monkeypatch.undo()
    export_job_run(job_id=job["id"])
    assert ExportJob.objects.get(pk=job["id"]).status == "failed"


def test_a_redelivered_task_does_not_rebuild_a_done_export(admin_api, seeded, background, django_capture_on_commit_callbacks):
    job = start_job(admin_api, seeded, "opt_outs.csv", django_capture_on_commit_callbacks)
    before = ExportJob.objects.get(pk=job["id"])
    export_job_run(job_id=job["id"])
    after = ExportJob.objects.get(pk=job["id"])
    assert (after.file, after.finished_at, after.status) == (before.file, before.finished_at, "done")


def test_deciding_file_or_job_reads_the_aggregates_not_the_messages(seeded, settings):
    spec = export_spec(action=seeded, kind="messages", fmt="csv")
    with CaptureQueriesContext(connection) as queries:
        assert export_plan(spec=spec) == FILE
    assert not any("actions_message" in q["sql"] for q in queries.captured_queries)
    settings.EXPORTS_SYNC_MAX_ROWS = {"csv": 5, "xlsx": 5}
    assert export_plan(spec=spec) == JOB


def test_the_everything_summary_holds_the_results_figures(admin_api, seeded):
    from reporting.tests.recount import recount

    sheets = xlsx_sheets(body_of(admin_api.get(url(seeded, "everything.xlsx"))))
    summary = {row[2]: row[3] for row in sheets["summary"][1:]}
    figures = recount(seeded)
    assert {k: summary[k] for k in figures} == figures
    assert summary["name"] == seeded.name
    for kind in ("contacts", "messages", "opt_outs"):
        want = [[expected.cell(v, "xlsx") for v in row.values()] for row in expected.ROWS[kind](seeded)]
        assert [list(r) for r in sheets[kind][1:]] == want


def test_a_job_whose_worker_died_is_failed_and_no_longer_reused(admin_api, action, background):
    now = timezone.now()
    lost = ExportJob.objects.create(
        organization=action.organization,
        action=action,
        kind="messages",
        format="csv",
        status="running",
        started_at=now - timedelta(hours=2),
    )
    ExportJob.objects.filter(pk=lost.pk).update(created_at=now - timedelta(hours=2))
    busy = ExportJob.objects.create(
        organization=action.organization, action=action, kind="users", format="csv", status="running", started_at=now
    )
    job = admin_api.get(url(action, "messages.csv")).json()["job"]
    assert not job.endswith(f"/{lost.pk}/")
    assert admin_api.get(f"/api/v1/exports/jobs/{lost.pk}/").json()["status"] == "failed"
    assert admin_api.get(url(action, "users.csv")).json()["job"].endswith(f"/{busy.pk}/")
    assert ExportJob.objects.get(pk=busy.pk).status == "running"
