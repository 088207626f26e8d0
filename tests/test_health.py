"""/healthz: 200 while the database, Redis, a worker and the event applier keep up; 503 naming
the failing check otherwise. And a real Celery worker with beat does keep its heartbeat fresh."""

import socket
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from actions.models import TwilioEvent
from actions.tests import procs
from p2p_admin.health import HEARTBEAT_KEY, HEARTBEAT_STALE_AFTER, HEARTBEAT_TTL_MS, worker_heartbeat
from p2p_admin.ops.store import redis_client
from tests.factories import OrganizationFactory
from tests.helpers import stored_events

pytestmark = pytest.mark.django_db


@pytest.fixture
def redis():
    client = redis_client()
    client.delete(HEARTBEAT_KEY, "celery", "unacked", "unacked_index")
    yield client
    client.delete(HEARTBEAT_KEY)


def healthz(client) -> tuple[int, dict]:
    response = client.get("/healthz")
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    return response.status_code, response.json()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens once the socket is closed


def stored_event(org, *, age: timedelta, parked: bool = False) -> TwilioEvent:
    return stored_events(org, 1, age=age, parked=parked)[0]


def test_healthy_with_a_fresh_heartbeat(client, redis):
    worker_heartbeat()
    status, body = healthz(client)
    assert status == 200, body
    assert body["status"] == "ok" and body["failing"] == []
    checks = body["checks"]
    assert checks["database"] == checks["redis"] == checks["worker"] == checks["events"] == "ok"
    assert 0 <= checks["worker_heartbeat_age_seconds"] < 5
    assert checks["oldest_unapplied_event_age_seconds"] is None


def test_a_stale_heartbeat_is_a_503_naming_the_worker(client, redis):
    # Written as a worker would have, HEARTBEAT_STALE_AFTER + 10 s ago.
    redis.set(HEARTBEAT_KEY, "old-worker", px=HEARTBEAT_TTL_MS - int((HEARTBEAT_STALE_AFTER + 10) * 1000))
    status, body = healthz(client)
    assert status == 503
    assert body["status"] == "degraded" and body["failing"] == ["worker"]
    assert body["checks"]["worker_heartbeat_age_seconds"] == pytest.approx(HEARTBEAT_STALE_AFTER + 10, abs=2)


def test_no_heartbeat_at_all_is_a_503(client, redis):
    status, body = healthz(client)
    assert status == 503 and body["failing"] == ["worker"]
    assert body["checks"]["worker_heartbeat_age_seconds"] is None


def test_redis_unreachable_is_a_503_naming_redis(client, redis, settings):
    worker_heartbeat()  # fresh on the real Redis: only the unreachable one may fail the check
    settings.REDIS_URL = f"redis://127.0.0.1:{closed_port()}/0"
    started = time.monotonic()
    status, body = healthz(client)
    assert time.monotonic() - started < 5, "a dead Redis must not hang the probe"
    assert status == 503
    assert body["failing"] == ["redis", "worker"]
    assert body["checks"]["redis"].startswith("error: ")
    assert body["checks"]["database"] == "ok"


def test_an_old_unapplied_event_is_a_503_naming_the_events(client, redis, settings):
    worker_heartbeat()
    settings.HEALTH_EVENT_LAG_LIMIT_SECONDS = 300
    stored_event(OrganizationFactory(), age=timedelta(seconds=400))
    status, body = healthz(client)
    assert status == 503 and body["failing"] == ["events"]
    assert body["checks"]["oldest_unapplied_event_age_seconds"] == pytest.approx(400, abs=5)
    assert "limit 300 s" in body["checks"]["events"]

    settings.HEALTH_EVENT_LAG_LIMIT_SECONDS = 600  # the limit is a setting
    status, body = healthz(client)
    assert status == 200 and body["checks"]["events"] == "ok"


def test_applied_and_parked_events_are_no_lag(client, redis):
    worker_heartbeat()
    org = OrganizationFactory()
    applied = stored_event(org, age=timedelta(hours=2))
    TwilioEvent.objects.filter(pk=applied.pk).update(applied_at=timezone.now())
    stored_event(org, age=timedelta(hours=2), parked=True)  # waits for its SID by design
    stored_event(org, age=timedelta(seconds=3))
    status, body = healthz(client)
    assert status == 200, body
    assert body["checks"]["oldest_unapplied_event_age_seconds"] == pytest.approx(3, abs=2)


def test_without_redis_tasks_run_in_process_and_that_is_healthy(client, settings):
    settings.REDIS_URL = ""
    status, body = healthz(client)
    assert status == 200, body
    assert body["checks"]["worker"] == "eager"


def test_healthz_answers_only_reads(client, redis):
    assert client.post("/healthz").status_code == 405


@pytest.mark.worker
@pytest.mark.slow
def test_a_real_worker_with_beat_keeps_the_heartbeat_fresh(client, redis, settings, tmp_path):
    broker = settings.REDIS_URL
    with procs.worker(broker, beat=True, schedule_dir=str(tmp_path)) as worker:
        deadline = time.monotonic() + 60  # beat's first heartbeat is due HEARTBEAT_EVERY after it starts
        while redis.pttl(HEARTBEAT_KEY) < 0 and time.monotonic() < deadline:
            time.sleep(0.5)
        assert redis.pttl(HEARTBEAT_KEY) > 0, "".join(worker.output[-40:])
        status, body = healthz(client)
    assert status == 200, body
    assert body["checks"]["worker"] == "ok" and body["checks"]["worker_heartbeat_age_seconds"] < 5
