"""Operational health: `/healthz` for load balancers, and the worker heartbeat behind it."""

import time

from celery import shared_task
from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone

HEARTBEAT_KEY = "p2p:worker-heartbeat"
HEARTBEAT_EVERY = 15.0
HEARTBEAT_STALE_AFTER = 90.0
LAG_LIMIT_SECONDS = 300.0


def redis_client():
    import redis

    return redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)


@shared_task(ignore_result=True)
def worker_heartbeat() -> None:
    if settings.REDIS_URL:
        redis_client().set(HEARTBEAT_KEY, str(time.time()), ex=int(HEARTBEAT_STALE_AFTER * 4))


def oldest_unapplied_age() -> float | None:
    from actions.models import TwilioEvent

    oldest = (
        TwilioEvent.objects.filter(applied_at__isnull=True, waiting_for_sid=False)
        .order_by("id")
        .values_list("received_at", flat=True)
        .first()
    )
    return None if oldest is None else max(0.0, (timezone.now() - oldest).total_seconds())


def health_report() -> tuple[bool, dict]:
    checks: dict = {}
    ok = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:  # report, don't raise: this is the page that says what is broken
        checks["database"] = f"error: {exc.__class__.__name__}"
        return False, checks
    if settings.REDIS_URL:
        try:
            client = redis_client()
            client.ping()
            checks["redis"] = "ok"
            beat = client.get(HEARTBEAT_KEY)
            age = None if beat is None else time.time() - float(beat)
            checks["worker_heartbeat_age_seconds"] = None if age is None else round(age, 1)
            if age is None or age > HEARTBEAT_STALE_AFTER:
                checks["worker"] = "no recent heartbeat"
                ok = False
            else:
                checks["worker"] = "ok"
        except Exception as exc:
            checks["redis"] = f"error: {exc.__class__.__name__}"
            ok = False
    else:
        checks["redis"] = "not configured (tasks run in-process)"
        checks["worker"] = "eager"
    lag = oldest_unapplied_age()
    checks["oldest_unapplied_event_age_seconds"] = None if lag is None else round(lag, 1)
    if lag is not None and lag > LAG_LIMIT_SECONDS:
        ok = False
    return ok, checks


def healthz(request):
    ok, checks = health_report()
    return JsonResponse({"status": "ok" if ok else "degraded", "checks": checks}, status=200 if ok else 503)
