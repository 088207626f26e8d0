"""Operational health: `/healthz` for load balancers, and the worker heartbeat behind it.

Every check reports what it saw; any failing check makes the answer a 503 that names it in
`failing`, so a load balancer takes the instance out and an operator knows why."""

import logging
import socket
import time

import redis
from celery import shared_task
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from p2p_admin.ops import failures  # noqa: F401  (connects the task_failure receiver wherever tasks run)
from p2p_admin.ops.store import redis_client
from p2p_admin.ops.throughput import events_sample

log = logging.getLogger(__name__)
HEARTBEAT_KEY = "p2p:worker-heartbeat"
HEARTBEAT_EVERY = 15.0
HEARTBEAT_STALE_AFTER = 90.0  # six missed beats
# The age is read from the key's remaining time to live, so the worker's and the web
# server's clocks never need to agree.
HEARTBEAT_TTL_MS = int(HEARTBEAT_STALE_AFTER * 4 * 1000)


@shared_task(ignore_result=True)
def worker_heartbeat() -> None:
    """Beat enqueues this every HEARTBEAT_EVERY seconds: a worker running it proves the whole
    beat -> broker -> worker path. It also brings the operations page's event counts up to date."""
    if not settings.REDIS_URL:
        return
    client = redis_client()
    client.set(HEARTBEAT_KEY, socket.gethostname(), px=HEARTBEAT_TTL_MS)
    events_sample(client=client)


def heartbeat_age(client: redis.Redis) -> float | None:
    """Seconds since a worker last beat; None when none did within the key's lifetime."""
    remaining = client.pttl(HEARTBEAT_KEY)
    return None if remaining < 0 else round((HEARTBEAT_TTL_MS - remaining) / 1000, 1)


def oldest_unapplied_age() -> float | None:
    """Age of the oldest stored Twilio event no applier has taken (the partial index's first
    entry). Callbacks parked for a SID that no message carries yet are waiting by design."""
    from actions.models import TwilioEvent

    oldest = (
        TwilioEvent.objects.filter(applied_at__isnull=True, waiting_for_sid=False)
        .order_by("id")
        .values_list("received_at", flat=True)
        .first()
    )
    return None if oldest is None else round(max(0.0, (timezone.now() - oldest).total_seconds()), 1)


def _database(checks: dict) -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # report, don't raise: this is the page that says what is broken
        return f"error: {exc.__class__.__name__}"
    checks["oldest_unapplied_event_age_seconds"] = lag = oldest_unapplied_age()
    limit = settings.HEALTH_EVENT_LAG_LIMIT_SECONDS
    checks["events"] = "ok" if lag is None or lag <= limit else f"oldest unapplied event is {lag:.0f} s old (limit {limit} s)"
    return None


def _redis_and_worker(checks: dict) -> None:
    if not settings.REDIS_URL:
        checks["redis"] = "not configured (tasks run in-process)"
        checks["worker"] = "eager"
        return
    try:
        client = redis_client()
        client.ping()
        age = heartbeat_age(client)
    except redis.RedisError as exc:
        checks["redis"] = f"error: {exc.__class__.__name__}"
        checks["worker"] = "unknown (Redis unreachable)"
        return
    checks["redis"] = "ok"
    checks["worker_heartbeat_age_seconds"] = age
    if age is None or age > HEARTBEAT_STALE_AFTER:
        checks["worker"] = f"no heartbeat in the last {HEARTBEAT_STALE_AFTER:.0f} s"
    else:
        checks["worker"] = "ok"


def health_report() -> tuple[bool, dict, list[str]]:
    """(healthy, what each check saw, the names of the failing checks)."""
    checks: dict = {"database": "ok", "events": "unknown (database unavailable)"}
    if error := _database(checks):
        checks["database"] = error
    _redis_and_worker(checks)
    failing = [name for name in ("database", "redis", "worker", "events") if not _passed(checks[name])]
    return not failing, checks, failing


def _passed(status: str) -> bool:
    return status in ("ok", "eager") or status.startswith("not configured")


@require_safe
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    started = time.monotonic()
    ok, checks, failing = health_report()
    if not ok:
        log.warning("health check failing: %s", ", ".join(f"{name}: {checks[name]}" for name in failing))
    body = {"status": "ok" if ok else "degraded", "failing": failing, "checks": checks}
    body["took_ms"] = round((time.monotonic() - started) * 1000, 1)
    return JsonResponse(body, status=200 if ok else 503)
