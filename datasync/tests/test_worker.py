"""Exactly once with a real Celery worker: reports filed on a seeded action, the worker killed
mid-sync, duplicate task deliveries, a second worker finishing the job."""

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta

import pytest
import redis
from django.conf import settings
from django.db import connection as db
from django.db.models import F

from datasync.models import SyncItem
from datasync.services.items import LEASE
from p2p_admin.celery import app

from .helpers import VAN_DO_NOT_TEXT, VAN_SUPPORT, VAN_SUPPORTER_CODE, assert_consistent, file_report, map_source, opt_out

BROKER = "redis://127.0.0.1:6379/5"
CONTACTS = 40
OPTED_OUT = 8


def _fresh_pools() -> None:
    """Connections and producers are made again from the current broker_url on next use."""
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def broker():
    """Tasks go to the real Redis broker (db 5) instead of running in this process."""
    redis.Redis.from_url(BROKER).flushdb()
    saved = {"broker_url": app.conf.broker_url, "task_always_eager": app.conf.task_always_eager}
    app.conf.update(broker_url=BROKER, task_always_eager=False)
    _fresh_pools()
    yield BROKER
    app.conf.update(saved)
    _fresh_pools()


class Worker:
    def __init__(self, van_url: str) -> None:
        name = db.settings_dict["NAME"]
        env = {
            **os.environ,
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{name}",
            "CELERY_BROKER_URL": BROKER,
            "REDIS_URL": BROKER,
            "VAN_API_BASE_URL": van_url,
            "DEBUG": "true",
        }
        command = [sys.executable, "-m", "celery", "-A", "p2p_admin", "worker", "--pool=solo", "-l", "warning"]
        command += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
        self.process = subprocess.Popen(
            command, cwd=settings.BASE_DIR, env=env, start_new_session=True, stdout=subprocess.DEVNULL
        )

    def kill(self) -> None:
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


def wait_until(check, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def call_key(request) -> str:
    return f"{request.path} {json.dumps(request.body, sort_keys=True)}"


@pytest.mark.worker
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_each_mapped_value_is_synced_once_despite_a_killed_worker_and_duplicate_deliveries(
    broker, action, volunteer, make_conversation, van_connection, fake_van
):
    map_source(action, van_connection, "tag:supporter", VAN_SUPPORTER_CODE)
    map_source(action, van_connection, "field:support=5", VAN_SUPPORT)
    map_source(action, van_connection, "opt_out", VAN_DO_NOT_TEXT)
    fake_van.delay = 0.15
    conversations = [make_conversation(van_id=str(7000 + i)) for i in range(CONTACTS)]
    for conv in conversations:
        file_report(conv, volunteer, ["supporter"], support="5")  # each enqueues a send on commit
    for conv in conversations[:OPTED_OUT]:
        opt_out(conv, volunteer)
    queued = redis.Redis.from_url(BROKER).llen("celery")
    assert queued >= CONTACTS  # one delivery per filing: duplicates from the start

    first = Worker(fake_van.url())
    try:
        wait_until(lambda: len(fake_van.posted("canvassResponses")) >= 10, 60, "the first worker to send")
        first.kill()
    finally:
        first.kill()
    sent_before_kill = {call_key(r) for r in fake_van.posted("canvassResponses")}
    stuck = SyncItem.objects.filter(action=action, status=SyncItem.Status.IN_FLIGHT)
    assert stuck.exists()  # killed mid-sync: its batch is still claimed
    assert SyncItem.objects.filter(action=action, status=SyncItem.Status.PENDING).exists()

    # Time passes: the dead worker's lease runs out; the sweep and duplicate sends are delivered.
    stuck.update(claimed_at=F("claimed_at") - LEASE - timedelta(seconds=1))
    app.send_task("datasync.tasks.datasync_sweep_task")
    for _ in range(3):
        app.send_task("datasync.tasks.datasync_send", args=[van_connection.id])
    second = Worker(fake_van.url())
    try:
        waiting = SyncItem.objects.filter(action=action, status__in=[SyncItem.Status.PENDING, SyncItem.Status.IN_FLIGHT])
        wait_until(lambda: not waiting.exists(), 120, "every item to be synced")
    finally:
        second.stop()

    items = SyncItem.objects.filter(action=action)
    assert items.count() == CONTACTS * 2 + OPTED_OUT
    assert set(items.values_list("status", flat=True)) == {"synced"}
    calls = Counter(call_key(r) for r in fake_van.posted("canvassResponses"))
    assert len(calls) == CONTACTS + OPTED_OUT  # one call per person, one per result code
    for conv in conversations:
        responses = [k for k in calls if k.startswith(f"/v4/people/{conv.contact.van_id}/") and '"responses"' in k]
        assert len(responses) == 1
    # Only a call whose answer died with the worker can have gone twice, and never more.
    again = {k for k, n in calls.items() if n > 1}
    assert len(again) <= 1 and again <= sent_before_kill
    assert max(calls.values()) <= 2
    assert_consistent(action)
