"""The event path with real processes: gunicorn answering webhooks, a Celery worker (and
beat) applying them, Redis as the broker. Nothing Twilio says may be lost when a worker is
SIGKILLed mid-batch or Redis is down."""

import signal
import time

import psycopg2
import pytest
import redis
import requests
from django.conf import settings as django_settings
from twilio.request_validator import RequestValidator

from actions.models import Message, TwilioEvent
from actions.twilio.events import event_record
from actions.twilio.kick import KICK_KEY
from actions.twilio.simulator import Simulator, SimulatorServer
from tests.factories import ActionFactory, OrganizationFactory, make_member, send_action

from . import procs
from .helpers import assert_exact, quiet_rates, status_params, texted_conversation

pytestmark = [pytest.mark.worker, pytest.mark.slow, pytest.mark.django_db(transaction=True)]
# The test run's own Redis db (REDIS_URL) is the broker of the processes started here.
SHARED_BROKER = django_settings.REDIS_URL
BROKER_KEYS = ("celery", "unacked", "unacked_index", KICK_KEY)
WEB_PORT = 8121
PRIVATE_REDIS_PORT = 8151


@pytest.fixture
def world(settings):
    org = OrganizationFactory()
    volunteer = make_member(org)
    action = ActionFactory(organization=org)
    send_action(action, volunteer)
    sim = Simulator(rates=quiet_rates(), accounts={org.twilio_account_sid: org.twilio_auth_token}, inbound_url="", seed=2)
    server = SimulatorServer(sim, posters=0).start()
    settings.TWILIO_API_BASE_URL = server.base_url
    messages = [texted_conversation(action, volunteer)[1] for _ in range(30)]
    server.stop()
    return org, action, messages


@pytest.fixture
def clean_broker():
    """No task left over from another test may reach this test's worker."""
    client = redis.Redis.from_url(SHARED_BROKER)
    client.delete(*BROKER_KEYS)
    yield
    client.delete(*BROKER_KEYS)


def post_signed(port: int, org, path: str, params: dict) -> requests.Response:
    url = f"http://127.0.0.1:{port}{path}"
    signature = RequestValidator(org.twilio_auth_token).compute_signature(url, params)
    return requests.post(url, data=params, headers={"X-Twilio-Signature": signature}, timeout=10)


def wait_until(predicate, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise TimeoutError("condition not reached")


def all_applied() -> bool:
    return not TwilioEvent.objects.filter(applied_at__isnull=True).exists()


def test_webhooks_are_applied_by_a_worker(world, clean_broker):
    org, action, messages = world
    with procs.gunicorn(WEB_PORT, SHARED_BROKER), procs.worker(SHARED_BROKER):
        for m in messages:
            for status in ("sent", "delivered"):
                assert (
                    post_signed(WEB_PORT, org, "/webhooks/twilio/status/", status_params(org, m.twilio_sid, status)).status_code
                    == 204
                )
        wait_until(all_applied)
    assert set(Message.objects.filter(action=action, direction="out").values_list("status", flat=True)) == {"delivered"}
    assert_exact(action)


def _waiting_on_a_lock(watcher) -> bool:
    with watcher.cursor() as c:
        c.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            " AND pid <> pg_backend_pid()"
        )
        return c.fetchone()[0] > 0


def test_a_worker_killed_mid_batch_loses_nothing(world, clean_broker):
    org, action, messages = world
    for m in messages:
        event_record(organization=org, kind="status", payload=status_params(org, m.twilio_sid, "delivered"))
    db = procs.database_url()
    blocker, watcher = psycopg2.connect(db), psycopg2.connect(db)
    watcher.autocommit = True
    worker = None
    try:
        # Hold one message so the worker's batch stops half way (events taken, nothing
        # committed), waiting for this lock; then kill it there.
        blocker.cursor().execute("SELECT id FROM actions_message WHERE id = %s FOR UPDATE", [messages[-1].id])
        worker = procs.worker(SHARED_BROKER, beat=True)
        wait_until(lambda: _waiting_on_a_lock(watcher))
        worker.kill(signal.SIGKILL)
        blocker.rollback()
        # The killed worker's session finds its client gone and rolls its batch back.
        wait_until(lambda: not _waiting_on_a_lock(watcher))
    finally:
        if worker is not None:
            worker.kill(signal.SIGKILL)  # a no-op once it is dead
        blocker.close()
        watcher.close()
    assert TwilioEvent.objects.filter(applied_at__isnull=True).count() == len(messages)
    with procs.worker(SHARED_BROKER, beat=True):
        wait_until(all_applied)
    assert set(Message.objects.filter(action=action, direction="out").values_list("status", flat=True)) == {"delivered"}
    assert TwilioEvent.objects.filter(applied_at__isnull=False).count() == len(messages)
    assert_exact(action)


def test_webhooks_answer_and_store_while_redis_is_down(world):
    org, action, messages = world
    broker = f"redis://127.0.0.1:{PRIVATE_REDIS_PORT}/0"
    private = procs.redis_server(PRIVATE_REDIS_PORT)
    with procs.gunicorn(WEB_PORT, broker):
        private.kill()
        for m in messages:
            r = post_signed(WEB_PORT, org, "/webhooks/twilio/status/", status_params(org, m.twilio_sid, "undelivered", 30007))
            assert r.status_code == 204
        assert TwilioEvent.objects.count() == len(messages)
        assert all_applied() is False
        with procs.redis_server(PRIVATE_REDIS_PORT), procs.worker(broker, beat=True):
            wait_until(all_applied)
    assert set(Message.objects.filter(action=action, direction="out").values_list("error_code", flat=True)) == {30007}
    assert_exact(action)
