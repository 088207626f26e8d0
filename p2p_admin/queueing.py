"""Handing a task to Celery once the transaction that made its work commits.

The broker (Redis) can be away for a moment: a restart, a failover. By then the transaction
has committed, so raising would answer 500 for a change that was made — a volunteer's text
that is stored and will go out, which the app would then send twice when the client retries.
So a hand-off the broker could not take is logged, not raised, and what the task was for happens anyway:
`if_lost` runs instead (for a job: mark it failed with a reason a person can act on), or a
beat sweep picks the work up from the database (pending texts, due CRM syncs)."""

import logging
from collections.abc import Callable

import kombu.exceptions
import redis
from celery import Task
from django.db import transaction
from django.utils import timezone

log = logging.getLogger(__name__)
# What publishing raises when the broker cannot be reached: kombu wraps connection errors in
# its OperationalError; a Redis error or a socket error can come through unwrapped. Anything
# else (a bug in the caller's arguments) still raises.
BROKER_AWAY = (kombu.exceptions.OperationalError, redis.exceptions.RedisError, OSError)


def enqueue(
    task: Task, args: tuple = (), *, countdown: float | None = None, if_lost: Callable[[Exception], None] | None = None
) -> bool:
    """apply_async that does not raise when the broker is away: True when it took the task."""
    try:
        task.apply_async(args, countdown=countdown)
        return True
    except BROKER_AWAY as exc:
        log.warning("could not enqueue %s%r (%s)", task.name, args, exc)
        if if_lost is not None:
            if_lost(exc)
        return False


def enqueue_on_commit(
    task: Task, args: tuple = (), *, countdown: float | None = None, if_lost: Callable[[Exception], None] | None = None
) -> None:
    transaction.on_commit(lambda: enqueue(task, args, countdown=countdown, if_lost=if_lost))


QUEUE_LOST = "The task queue could not be reached to start this job ({exc}); nothing was done. Start it again."


def job_lost(job, exc: Exception) -> None:
    """`if_lost` for a job row with status, error and finished_at (exports, bulk actions): it
    fails with a reason instead of staying pending forever."""
    model = type(job)
    model.objects.filter(pk=job.pk, status=model.Status.PENDING).update(
        status=model.Status.FAILED, error=QUEUE_LOST.format(exc=exc), finished_at=timezone.now()
    )
