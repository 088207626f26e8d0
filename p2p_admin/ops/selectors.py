"""Reads for the operations page. It spans every organization on purpose (it is for the
superusers who run the deployment), so these queries are not scoped with for_org; each one is
an index lookup or reads a small table, never the messages or the events themselves."""

from dataclasses import dataclass
from datetime import datetime, timedelta

import redis
from django.conf import settings
from django.db.models import F, QuerySet, Sum

from p2p_admin.health import HEARTBEAT_STALE_AFTER, health_report

from .failures import task_failures_latest
from .store import redis_client
from .throughput import Minute, events_counted_since, events_per_minute

FAILED_JOBS_SHOWN = 10
FAILED_JOBS_WINDOW = timedelta(days=7)


@dataclass(frozen=True)
class Queue:
    """Celery's default queue on the broker: tasks waiting, and tasks workers hold unacknowledged
    (prefetched, running, or waiting for their countdown)."""

    waiting: int | None
    reserved: int | None
    error: str = ""


def celery_queue() -> Queue:
    from p2p_admin.celery import app

    if not settings.CELERY_BROKER_URL:
        return Queue(None, None, "no broker: tasks run in-process")
    try:
        client = redis_client(settings.CELERY_BROKER_URL)
        return Queue(client.llen(app.conf.task_default_queue), client.hlen("unacked"))
    except redis.RedisError as exc:
        return Queue(None, None, f"broker unreachable ({exc.__class__.__name__})")


def events_backlog() -> dict:
    from actions.models import TwilioEvent

    unapplied = TwilioEvent.objects.filter(applied_at__isnull=True)
    return {
        "limit_seconds": settings.HEALTH_EVENT_LAG_LIMIT_SECONDS,
        # Each count matches one of the two partial indexes on unapplied events.
        "queued": unapplied.filter(waiting_for_sid=False).count(),
        "parked": unapplied.filter(waiting_for_sid=True).count(),
    }


def events_throughput(*, now: datetime) -> dict:
    if not settings.REDIS_URL:
        return {"minutes": [], "since": None, "received": 0, "applied": 0}
    client = redis_client()
    minutes: list[Minute] = events_per_minute(client=client, now=now)
    return {
        "minutes": minutes,
        "since": events_counted_since(client=client),
        "received": sum(m.received for m in minutes),
        "applied": sum(m.applied for m in minutes),
    }


def _failed(queryset: QuerySet, *, now: datetime) -> dict:
    recent = queryset.filter(status="failed", created_at__gte=now - FAILED_JOBS_WINDOW)
    return {
        "count": recent.count(),
        "latest": list(recent.select_related("organization", "action").order_by("-created_at")[:FAILED_JOBS_SHOWN]),
    }


def failed_jobs(*, now: datetime) -> dict:
    from engagement.models import BulkJob
    from reporting.exports.models import ExportJob

    return {"exports": _failed(ExportJob.objects.all(), now=now), "bulk": _failed(BulkJob.objects.all(), now=now)}


def datasync_failures() -> dict:
    """Items that failed to reach a CRM, per organization (from the summary counters)."""
    from datasync.models import SyncStats

    rows = list(
        SyncStats.objects.values(org_id=F("action__organization_id"), org_name=F("action__organization__name"))
        .annotate(failed=Sum("failed"), pending=Sum("pending"))
        .filter(failed__gt=0)
        .order_by("-failed", "org_name")
    )
    return {"total": sum(r["failed"] for r in rows), "by_organization": rows}


def ops_overview(*, now: datetime) -> dict:
    healthy, checks, failing = health_report()
    return {
        "now": now,
        "health": {"ok": healthy, "checks": checks, "failing": failing},
        "backlog": events_backlog(),
        "throughput": events_throughput(now=now),
        "queue": celery_queue(),
        "heartbeat_stale_after": HEARTBEAT_STALE_AFTER,
        "task_failures": task_failures_latest(),
        "jobs": failed_jobs(now=now),
        "datasync": datasync_failures(),
    }
