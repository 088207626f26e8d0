"""The operations page (/ops/): superusers only, and what it shows is what happened: queue lag
and backlog, events received and applied per minute, the Celery queue, failed tasks, failed
export and bulk jobs, DataSync failures."""

from datetime import timedelta

import pytest
from celery import shared_task
from django.utils import timezone

from actions.models import TwilioEvent
from datasync.models import SyncStats
from engagement.models import BulkJob
from orgs.models import Membership
from p2p_admin.ops.failures import FAILURES_KEY, task_failures_latest
from p2p_admin.ops.store import redis_client
from p2p_admin.ops.throughput import LOCK_KEY, MARK_KEY, SETTLE, events_per_minute, events_sample
from reporting.exports.models import ExportJob
from tests.factories import ActionFactory, OrganizationFactory, UserFactory, make_member
from tests.helpers import stored_events

pytestmark = pytest.mark.django_db


@shared_task(name="tests.ops.explode")
def explode(job_id: int, *, reason: str) -> None:
    raise RuntimeError(f"job {job_id} exploded: {reason}")


@pytest.fixture
def redis():
    client = redis_client()
    keys = [MARK_KEY, LOCK_KEY, FAILURES_KEY, "celery", "unacked", *client.keys("p2p:ops:events:*")]
    client.delete(*keys)
    yield client
    client.delete(*[MARK_KEY, LOCK_KEY, FAILURES_KEY, "celery", "unacked", *client.keys("p2p:ops:events:*")])


@pytest.fixture
def superuser_client(client):
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    return client


def apply(events: list[TwilioEvent]) -> None:
    TwilioEvent.objects.filter(pk__in=[e.pk for e in events]).update(applied_at=timezone.now())


def test_anonymous_callers_are_sent_to_log_in(client):
    response = client.get("/ops/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


@pytest.mark.parametrize("role", [Membership.Role.ADMIN, Membership.Role.VOLUNTEER])
def test_organization_members_are_refused_even_admins(client, org, role):
    client.force_login(make_member(org, role))
    assert client.get("/ops/").status_code == 403


def test_another_organizations_admin_is_refused(client, outsider):
    client.force_login(outsider)
    assert client.get("/ops/").status_code == 403


def test_the_page_shows_lag_backlog_and_failures(superuser_client, redis, settings):
    org = OrganizationFactory()
    action = ActionFactory(organization=org, name="GOTV Saturday")
    stored_events(org, 3, age=timedelta(seconds=120))
    TwilioEvent.objects.filter(pk=stored_events(org, 1)[0].pk).update(waiting_for_sid=True)
    ExportJob.objects.create(
        organization=org, action=action, kind="messages", format="xlsx", status="failed", error="disk full on /media"
    )
    BulkJob.objects.create(organization=org, action=action, kind="email", status="failed", error="SMTP refused: 554")
    BulkJob.objects.create(organization=org, action=action, kind="push", status="done")
    SyncStats.objects.create(action=action, source="tag:supporter", failed=7, pending=2)
    explode.apply(args=(41,), kwargs={"reason": "VAN said 500"})
    settings.CELERY_BROKER_URL = settings.REDIS_URL
    redis.lpush("celery", "task-1", "task-2")
    redis.hset("unacked", "tag-1", "task-3")

    response = superuser_client.get("/ops/")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-ops="lag">120 s' in page or 'data-ops="lag">121 s' in page
    assert 'data-ops="queued">3<' in page and 'data-ops="parked">1<' in page
    assert 'data-ops="queue-waiting">2<' in page and 'data-ops="queue-reserved">1<' in page
    assert "tests.ops.explode" in page and "RuntimeError: job 41 exploded: VAN said 500" in page and "[41]" in page
    assert 'data-ops="failed-exports">1<' in page and "disk full on /media" in page
    assert 'data-ops="failed-bulk">1<' in page and "SMTP refused: 554" in page
    assert 'data-ops="datasync-failed">7<' in page and org.name in page
    assert "GOTV Saturday" in page


def test_a_failed_task_is_recorded_with_its_arguments_error_and_time(redis):
    before = timezone.now()
    explode.apply(args=(7,), kwargs={"reason": "x" * 2000})
    (failure,) = task_failures_latest()
    assert failure["task"] == "tests.ops.explode" and failure["args"] == "[7]"
    assert failure["error"].startswith("RuntimeError: job 7 exploded: xxx") and len(failure["error"]) <= 500
    assert before <= failure["at"] <= timezone.now()


def test_events_are_counted_per_minute_received_and_applied(redis):
    """Drive the sampler as the heartbeat does: what was received and applied since the last
    sample lands in the per-minute counts, and nothing is counted twice."""
    org = OrganizationFactory()
    before = stored_events(org, 4, age=timedelta(minutes=5))
    now = timezone.now() + SETTLE
    events_sample(client=redis, now=now)  # sets the mark: earlier events are not counted
    assert sum(m.received for m in events_per_minute(client=redis, now=now)) == 0

    apply(before[:2])
    new = stored_events(org, 5)
    apply(new[:3])
    later = timezone.now() + SETTLE * 2
    events_sample(client=redis, now=later)
    events_sample(client=redis, now=later)  # a second sample with nothing new adds nothing
    minutes = events_per_minute(client=redis, now=later)
    assert len(minutes) == 60 and minutes[-1].start <= later < minutes[-1].start + timedelta(minutes=1)
    assert sum(m.received for m in minutes) == 5
    assert sum(m.applied for m in minutes) == 5  # 3 new ones and 2 of the earlier backlog

    apply(new[3:] + before[2:])
    events_sample(client=redis, now=later + timedelta(seconds=15))
    assert sum(m.applied for m in events_per_minute(client=redis, now=later + timedelta(seconds=15))) == 9


def test_rows_younger_than_the_settling_time_wait_for_the_next_sample(redis):
    org = OrganizationFactory()
    now = timezone.now()
    events_sample(client=redis, now=now)
    stored_events(org, 2)
    events_sample(client=redis, now=now)  # the new rows are not SETTLE old yet
    assert sum(m.received for m in events_per_minute(client=redis, now=now)) == 0
    events_sample(client=redis, now=now + SETTLE * 2)
    assert sum(m.received for m in events_per_minute(client=redis, now=now + SETTLE * 2)) == 2


def test_the_page_counts_events_per_minute(superuser_client, redis):
    org = OrganizationFactory()
    events_sample(client=redis, now=timezone.now() - SETTLE * 3)
    apply(stored_events(org, 6, age=SETTLE * 2))
    page = superuser_client.get("/ops/").content.decode()  # the page samples before it reads
    assert 'data-ops="received">6<' in page and 'data-ops="applied">6<' in page
    assert '<polyline points="' in page and 'data-series="received"' in page


def test_without_redis_the_page_still_answers(superuser_client, settings):
    settings.REDIS_URL = ""
    settings.CELERY_BROKER_URL = ""
    response = superuser_client.get("/ops/")
    assert response.status_code == 200
    assert b"no broker: tasks run in-process" in response.content
