"""Sending what is due: claim rows (SKIP LOCKED, so workers never share one), call the CRM at
the connection's pace, record each call's outcome in its own transaction.

429, 5xx and timeouts retry with backoff (Retry-After wins when longer); any other 4xx fails
at once with the CRM's words. A worker killed mid-call leaves its rows in flight until their
lease runs out (items_release_stuck): VAN and PDI take no idempotency key, so only a call whose
answer was lost can ever be sent a second time.
"""

import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from ..drivers import Call, calls_for
from ..http import CrmError
from ..models import CrmConnection, SyncItem
from ..ratelimit import TokenBucket
from .items import LEASE, MAX_ATTEMPTS, items_release_stuck, items_transition

Status = SyncItem.Status
BATCH = 50
BACKOFF_FIRST = 30  # seconds; doubles each attempt
BACKOFF_MAX = 3600
RETRY_AFTER_DEFAULT = 60
MAX_BUCKET_WAIT = 30.0  # past this a worker gives its rows back rather than hold them waiting
CLEARED = {"claimed_at": None, "claim_token": None}


@dataclass
class SyncRun:
    synced: int = 0
    failed: int = 0
    retrying: int = 0
    more: bool = False  # due rows may remain (the time budget ran out)

    def add(self, other: "SyncRun") -> None:
        self.synced += other.synced
        self.failed += other.failed
        self.retrying += other.retrying


def backoff(attempts: int, retry_after: float | None) -> timedelta:
    seconds = min(BACKOFF_MAX, BACKOFF_FIRST * 2 ** max(attempts - 1, 0))
    return timedelta(seconds=max(seconds, retry_after or 0))


def items_claim(
    *, connection: CrmConnection, limit: int = BATCH, now: datetime | None = None
) -> tuple[uuid.UUID, list[SyncItem]]:
    now = now or timezone.now()
    token = uuid.uuid4()
    with transaction.atomic():
        due = (
            SyncItem.objects.filter(connection=connection, status=Status.PENDING, not_before__lte=now)
            .order_by("not_before", "id")
            .select_for_update(skip_locked=True)
        )
        ids = list(due.values_list("id", flat=True)[:limit])
        # pending -> in flight is still "pending" in the summary: no counter moves.
        SyncItem.objects.filter(id__in=ids).update(
            status=Status.IN_FLIGHT, claimed_at=now, claim_token=token, attempts=F("attempts") + 1, updated_at=now
        )
    items = list(SyncItem.objects.filter(id__in=ids, claim_token=token).select_related("contact").order_by("id"))
    return token, items


def _claimed(items: list[SyncItem], token: uuid.UUID) -> Q:
    return Q(id__in=[i.id for i in items], status=Status.IN_FLIGHT, claim_token=token)


def items_record(*, items: list[SyncItem], token: uuid.UUID, status: int | None = None, error: CrmError | None = None) -> SyncRun:
    """One call's outcome for its rows (only those still claimed by `token`)."""
    now = timezone.now()
    run = SyncRun()
    if error is None:
        fields = {**CLEARED, "synced_at": now, "last_error": "", "last_http_status": status}
        run.synced = len(items_transition(where=_claimed(items, token), status=Status.SYNCED, fields=fields))
        return run
    fields = {**CLEARED, "last_error": error.text, "last_http_status": error.status}
    for attempts in sorted({i.attempts for i in items}):
        group = [i for i in items if i.attempts == attempts]
        if error.transient and attempts < MAX_ATTEMPTS:
            retry = {**fields, "not_before": now + backoff(attempts, error.retry_after)}
            run.retrying += len(items_transition(where=_claimed(group, token), status=Status.PENDING, fields=retry))
        else:
            run.failed += len(items_transition(where=_claimed(group, token), status=Status.FAILED, fields=fields))
    return run


def items_release(*, items: list[SyncItem], token: uuid.UUID, not_before: datetime) -> None:
    """Give back claimed rows that were never tried; the attempt does not count."""
    fields = {**CLEARED, "not_before": not_before, "attempts": F("attempts") - 1}
    items_transition(where=_claimed(items, token), status=Status.PENDING, fields=fields)


def _send(call: Call, token: uuid.UUID) -> tuple[SyncRun, CrmError | None]:
    try:
        status = call.send()
    except CrmError as exc:
        return items_record(items=call.items, token=token, error=exc), exc
    return items_record(items=call.items, token=token, status=status), None


def _send_batch(calls: list[Call], token: uuid.UUID, bucket: TokenBucket) -> tuple[SyncRun, bool]:
    """Send one claimed batch; answers its outcome and whether the connection must pause.

    Rows not tried are given back when the CRM or the bucket asks to wait, or when the batch
    has taken half its lease, so the sweep never queues rows a live worker is still sending."""
    total = SyncRun()
    started = time.monotonic()
    for index, call in enumerate(calls):
        wait = bucket.take(max_wait=MAX_BUCKET_WAIT)
        if wait or time.monotonic() - started > LEASE.total_seconds() / 2:
            items_release(items=[i for c in calls[index:] for i in c.items], token=token, not_before=_later(wait))
            return total, bool(wait)
        run, error = _send(call, token)
        total.add(run)
        if error is not None and error.status == 429:
            # The CRM asked every caller to wait: pause the connection and give the rest back.
            pause = error.retry_after or RETRY_AFTER_DEFAULT
            bucket.block_for(pause)
            items_release(items=[i for c in calls[index + 1 :] for i in c.items], token=token, not_before=_later(pause))
            return total, True
    return total, False


def _later(seconds: float) -> datetime:
    return timezone.now() + timedelta(seconds=seconds)


def connection_sync(*, connection_id: int, budget_seconds: float = 60.0) -> SyncRun:
    """Send the connection's due rows until none is left, the CRM asks to wait, or the budget is spent."""
    total = SyncRun()
    connection = CrmConnection.objects.filter(pk=connection_id).first()
    if connection is None:
        return total
    bucket = TokenBucket.for_connection(connection)
    deadline = time.monotonic() + budget_seconds
    while time.monotonic() < deadline:
        token, items = items_claim(connection=connection)
        if not items:
            return total
        run, pause = _send_batch(calls_for(connection, items), token, bucket)
        total.add(run)
        if pause:
            return total
    total.more = True
    return total


def connections_due(*, now: datetime | None = None) -> list[int]:
    now = now or timezone.now()
    due = SyncItem.objects.filter(connection=OuterRef("pk"), status=Status.PENDING, not_before__lte=now)
    return list(CrmConnection.objects.filter(Exists(due)).order_by("id").values_list("id", flat=True))


def datasync_sweep(*, now: datetime | None = None) -> list[int]:
    """Take back rows of dead workers; answers the connections with rows due (to enqueue)."""
    items_release_stuck(now=now)
    return connections_due(now=now)
