"""The 202 flow with a real Celery worker (a subprocess on the Redis broker, reading the
test database): the job goes pending → done, the file lands in storage and matches the
database, and a second delivery of the same task changes nothing."""

import os
import subprocess
import sys
import time

import pytest
import redis
from django.conf import settings
from django.db import connection

from actions.services.contacts import contacts_upload
from p2p_admin.celery import app
from reporting.exports.models import ExportJob

from . import expected
from .conftest import TRICKY_CONTACTS, body_of, csv_bytes, csv_table, xlsx_sheets

BROKER = "redis://127.0.0.1:6379/3"
CONTACTS = 3000


@pytest.fixture
def broker():
    """Tasks go to the real Redis broker instead of running in this process."""
    redis.Redis.from_url(BROKER).flushdb()
    saved = {"broker_url": app.conf.broker_url, "task_always_eager": app.conf.task_always_eager}
    app.conf.update(broker_url=BROKER, task_always_eager=False)
    forget_connections()
    yield BROKER
    app.conf.update(saved)
    forget_connections()


def forget_connections() -> None:
    """Connection and producer pools are built from the broker URL once: drop them so the
    next task is published with the URL now configured."""
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def worker(broker, tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{connection.settings_dict['NAME']}",
        "CELERY_BROKER_URL": broker,
        "REDIS_URL": broker,
        "MEDIA_ROOT": str(tmp_path),
        "DEBUG": "true",
    }
    command = [sys.executable, "-m", "celery", "-A", "p2p_admin", "worker", "--pool=solo", "-l", "warning"]
    command += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
    process = subprocess.Popen(command, cwd=settings.BASE_DIR, env=env, start_new_session=True, stdout=subprocess.DEVNULL)
    yield process
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def wait_for_job(api, job_url: str, seconds: float = 120) -> dict:
    deadline = time.monotonic() + seconds
    seen = []
    while time.monotonic() < deadline:
        job = api.get(job_url).json()
        seen.append((job["status"], job["progress"]))
        if job["status"] in ("done", "failed"):
            assert [p for _, p in seen] == sorted(p for _, p in seen), "progress never goes back"
            return job
        time.sleep(0.2)
    raise AssertionError(f"the job did not finish: {seen[-5:]}")


@pytest.mark.worker
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_builds_big_exports_in_the_background(admin_api, action, settings, tmp_path, worker):
    settings.MEDIA_ROOT = tmp_path
    settings.EXPORTS_SYNC_MAX_ROWS = {"csv": 100, "xlsx": 100}
    extra = [(f"+1415{2000000 + i:07d}", f"Person {i}", "Ünïcode", str(i % 9), f"=note {i}") for i in range(CONTACTS)]
    contacts_upload(action=action, data=csv_bytes(TRICKY_CONTACTS + extra))
    want = expected.contacts(action)
    assert len(want) == CONTACTS + len(TRICKY_CONTACTS) - 1

    for fmt in ("csv", "xlsx"):
        response = admin_api.get(f"/api/v1/actions/{action.id}/exports/contacts.{fmt}")
        assert response.status_code == 202, response.content[:300]
        job = wait_for_job(admin_api, response.json()["job"])
        assert (job["status"], job["progress"], job["rows_done"], job["rows_total"]) == ("done", 100, len(want), len(want))
        content = body_of(admin_api.get(job["download"]))
        cells = [[expected.cell(v, fmt) for v in row.values()] for row in want]
        if fmt == "csv":
            header, rows = csv_table(content)
            assert header == list(want[0]) and [list(r.values()) for r in rows] == cells
        else:
            sheet = xlsx_sheets(content)["contacts"]
            assert list(sheet[0]) == list(want[0]) and [list(r) for r in sheet[1:]] == cells

    done = ExportJob.objects.get(action=action, format="csv")
    app.send_task("reporting.exports.tasks.export_run", args=[done.id])  # a duplicate delivery
    # One solo worker takes tasks in order: once a later job is done, the duplicate has run.
    later = admin_api.get(f"/api/v1/actions/{action.id}/exports/contacts.csv?bom=1").json()["job"]
    assert wait_for_job(admin_api, later)["status"] == "done"
    again = ExportJob.objects.get(pk=done.pk)
    assert (again.file, again.finished_at) == (done.file, done.finished_at)
    assert worker.poll() is None, "the worker is still up"
