"""Failed Celery tasks, as the operations page lists them: Celery's task_failure signal pushes
each failure (task, arguments, error, time, request id) onto a capped Redis list. Redis, not a
table: a failure is often a database outage, and recording it must not depend on the database."""

import json
import logging
from datetime import datetime

import redis
from celery.signals import task_failure
from django.conf import settings
from django.utils import timezone

from p2p_admin.requestid import request_id

from .store import redis_client

log = logging.getLogger(__name__)
FAILURES_KEY = "p2p:ops:task-failures"
KEEP = 200
FIELD_CHARS = 500


def _clip(value: object) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= FIELD_CHARS else text[: FIELD_CHARS - 1] + "…"


@task_failure.connect
def task_failure_record(sender=None, task_id=None, exception=None, args=None, kwargs=None, **extra) -> None:
    if not settings.REDIS_URL:
        return
    entry = {
        "task": getattr(sender, "name", str(sender)),
        "task_id": task_id,
        "args": _clip(list(args or ())),
        "kwargs": _clip(dict(kwargs or {})),
        "error": _clip(f"{type(exception).__name__}: {exception}"),
        "at": timezone.now().isoformat(),
        "request_id": request_id.get(),
    }
    try:
        pipe = redis_client().pipeline()
        pipe.lpush(FAILURES_KEY, json.dumps(entry))
        pipe.ltrim(FAILURES_KEY, 0, KEEP - 1)
        pipe.execute()
    except redis.RedisError as exc:
        log.warning("could not record the failure of task %s (%s)", entry["task"], exc)


def task_failures_latest(*, limit: int = 20) -> list[dict]:
    """The most recent failures first, each with its time as an aware datetime."""
    if not settings.REDIS_URL:
        return []
    rows = [json.loads(raw) for raw in redis_client().lrange(FAILURES_KEY, 0, limit - 1)]
    for row in rows:
        row["at"] = datetime.fromisoformat(row["at"])
    return rows
