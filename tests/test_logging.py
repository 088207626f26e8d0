"""Structured logs: a web request's lines and the lines of the Celery task it enqueued carry
the same request id, in-process (eager tasks) and across processes (gunicorn and a real
worker, JSON lines); a valid incoming X-Request-ID is reused, anything else replaced.

The scenario is the one request ids exist for: an admin's bulk push fails in the background
(FCM is misconfigured), and the operator finds every line about it from the request's id."""

import copy
import io
import json
import logging.config
import time
import uuid

import pytest
import requests
from django.conf import settings as django_settings
from rest_framework.authtoken.models import Token

from actions.tests import procs
from conftest import client_for
from engagement.models import BulkJob
from orgs.models import Membership
from p2p_admin.ops.failures import FAILURES_KEY, task_failures_latest
from p2p_admin.ops.store import redis_client
from tests.factories import ActionFactory, OrganizationFactory, make_member, send_action

WEB_PORT = 8931


@pytest.fixture
def json_log():
    """The project's LOGGING with its console handler writing JSON lines into a buffer."""
    stream = io.StringIO()
    config = copy.deepcopy(django_settings.LOGGING)
    config["handlers"]["console"] = {**config["handlers"]["console"], "formatter": "json", "stream": stream}
    logging.config.dictConfig(config)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines() if line.startswith("{")]
    logging.config.dictConfig(django_settings.LOGGING)


@pytest.fixture
def failing_push(settings):
    """Push through FCM without a service account: every bulk push job fails in its task."""
    settings.ENGAGEMENT_PUSH_BACKEND = "fcm"
    settings.FCM_SERVICE_ACCOUNT_FILE = ""
    redis_client().delete(FAILURES_KEY)


def world():
    org = OrganizationFactory()
    admin = make_member(org, Membership.Role.ADMIN)
    action = ActionFactory(organization=org)
    send_action(action, make_member(org))
    return admin, action


def bulk_push() -> dict:
    return {"kind": "push", "title": "Polls close at 8", "body": "Send your last texts!"}


def json_lines(output: list[str]) -> list[dict]:
    return [json.loads(line) for line in output if line.startswith("{")]


@pytest.mark.django_db(transaction=True)
def test_a_request_and_its_eager_task_log_the_same_request_id(json_log, failing_push):
    admin, action = world()
    response = client_for(admin).post(f"/api/v1/actions/{action.id}/engagement/bulk/", bulk_push(), format="json")
    assert response.status_code == 201, response.content
    rid = response["X-Request-ID"]
    assert BulkJob.objects.get(pk=response.json()["id"]).status == BulkJob.Status.FAILED

    lines = json_log()
    access = [line for line in lines if line["logger"] == "p2p_admin.request"]
    assert [(a["request_id"], a["status"], a["method"]) for a in access] == [(rid, 201, "POST")]
    failed = [line for line in lines if line["logger"] == "engagement.services.bulk"]
    assert failed and all(line["request_id"] == rid and line["level"] == "ERROR" for line in failed)
    assert "ImproperlyConfigured" in failed[0]["exc_info"]
    # The operations page's record of the failed task names the same request.
    assert task_failures_latest(limit=1)[0]["request_id"] == rid


@pytest.mark.django_db
def test_a_valid_incoming_request_id_is_reused(client, json_log):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="lb-probe.42_A")
    assert response["X-Request-ID"] == "lb-probe.42_A"
    assert any(line["request_id"] == "lb-probe.42_A" and line.get("path") == "/healthz" for line in json_log())


@pytest.mark.django_db
@pytest.mark.parametrize("incoming", ["", "has spaces", "x" * 65, "semi;colon", "ünïcode"])
def test_an_unsafe_incoming_request_id_is_replaced(client, json_log, incoming):
    response = client.get("/healthz", HTTP_X_REQUEST_ID=incoming)
    rid = response["X-Request-ID"]
    assert rid != incoming and len(rid) == 32 and int(rid, 16) >= 0
    assert {line["request_id"] for line in json_log() if line["logger"] == "p2p_admin.request"} == {rid}


@pytest.mark.django_db
def test_every_request_gets_its_own_id(client):
    assert client.get("/healthz")["X-Request-ID"] != client.get("/healthz")["X-Request-ID"]


@pytest.mark.worker
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_gunicorn_and_a_real_worker_log_the_same_request_id(monkeypatch):
    admin, action = world()
    token, _ = Token.objects.get_or_create(user=admin)
    broker = django_settings.REDIS_URL
    redis_client().delete("celery", "unacked", "unacked_index", FAILURES_KEY)
    for name, value in {"LOG_FORMAT": "json", "ENGAGEMENT_PUSH_BACKEND": "fcm", "FCM_SERVICE_ACCOUNT_FILE": ""}.items():
        monkeypatch.setenv(name, value)
    rid = f"trace-{uuid.uuid4().hex[:12]}"
    with procs.gunicorn(WEB_PORT, broker) as web, procs.worker(broker) as worker:
        response = requests.post(
            f"http://127.0.0.1:{WEB_PORT}/api/v1/actions/{action.id}/engagement/bulk/",
            json=bulk_push(),
            headers={"Authorization": f"Token {token.key}", "X-Request-ID": rid},
            timeout=10,
        )
        assert response.status_code == 201, response.text
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not any(
            line.get("logger") == "p2p_admin.task" and line["request_id"] == rid for line in json_lines(worker.output)
        ):
            time.sleep(0.2)
        web_lines, worker_lines = json_lines(web.output), json_lines(worker.output)

    assert response.headers["X-Request-ID"] == rid
    assert any(line["logger"] == "p2p_admin.request" and line["status"] == 201 for line in web_lines if line["request_id"] == rid)
    mine = [line for line in worker_lines if line["request_id"] == rid]
    by_logger = {line["logger"]: line for line in mine}
    assert by_logger["p2p_admin.task"]["task"] == "engagement.tasks.bulk_job_run_task", worker.output[-20:]
    assert by_logger["p2p_admin.task"]["state"] == "FAILURE"
    assert by_logger["engagement.services.bulk"]["level"] == "ERROR"
    # The worker recorded the failure for the operations page, under the same request.
    failure = task_failures_latest(limit=1)[0]
    assert (failure["task"], failure["request_id"]) == ("engagement.tasks.bulk_job_run_task", rid)
    assert BulkJob.objects.get(pk=response.json()["id"]).status == BulkJob.Status.FAILED
