"""Twilio events received and applied per minute, without ever scanning the events table.

A sampler (the worker heartbeat every 15 s, and the operations page when it is opened) counts
only the rows stored since its last mark, a range of the primary key, and reads the backlog
from the unapplied events' partial indexes:

    applied up to the mark = stored up to the mark - still unapplied up to the mark

so a sample adds its new rows to the minutes they were received in, and (new rows - growth of
the backlog) to the minutes applied in. The mark only passes rows SETTLE old: a row with a lower
id may still be committing behind a higher one for a moment. Per-minute totals live in Redis
for two hours."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import redis
from django.db import connection
from django.utils import timezone

SETTLE = timedelta(seconds=5)
MAX_STEP = 200_000  # ids per sample: after a long pause the counts catch up over a few samples
KEEP_SECONDS = 2 * 3600
MARK_KEY = "p2p:ops:events:mark"
LOCK_KEY = "p2p:ops:events:sampling"
RECEIVED, APPLIED = "received", "applied"


@dataclass(frozen=True)
class Minute:
    start: datetime
    received: int
    applied: int


def _key(kind: str, minute: int) -> str:
    return f"p2p:ops:events:{kind}:{minute}"


def _minute(moment: datetime) -> int:
    return int(moment.timestamp()) // 60 * 60


def _table() -> str:
    from actions.models import TwilioEvent

    return TwilioEvent._meta.db_table


def _unapplied_through(last_id: int) -> int:
    from actions.models import TwilioEvent

    # Two counts, so that each matches a partial index: queued, and parked for an unknown SID.
    unapplied = TwilioEvent.objects.filter(applied_at__isnull=True, id__lte=last_id)
    return unapplied.filter(waiting_for_sid=False).count() + unapplied.filter(waiting_for_sid=True).count()


def _scalar(sql: str, params: list):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def _settled_through(last: int, settled: datetime) -> int:
    """The highest id past `last` (within MAX_STEP of the next row) received before `settled`."""
    table = _table()
    first = _scalar(f"SELECT min(id) FROM {table} WHERE id > %s", [last])
    if first is None:
        return last
    found = _scalar(
        f"SELECT max(id) FROM {table} WHERE id >= %s AND id < %s AND received_at < %s", [first, first + MAX_STEP, settled]
    )
    return found or last


def _received_by_minute(last: int, through: int) -> dict[int, int]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT date_trunc('minute', received_at), count(*) FROM {_table()} WHERE id > %s AND id <= %s GROUP BY 1",
            [last, through],
        )
        return {_minute(start): count for start, count in cursor.fetchall()}


def events_sample(*, client: redis.Redis, now: datetime | None = None) -> None:
    """Fold the events stored since the last sample into the per-minute counts. One sampler
    at a time: a second one finds the lock taken and leaves the work to the first."""
    if not client.set(LOCK_KEY, "1", nx=True, ex=60):
        return
    try:
        _sample(client, now or timezone.now())
    finally:
        client.delete(LOCK_KEY)


def _sample(client: redis.Redis, now: datetime) -> None:
    mark = client.hgetall(MARK_KEY)
    if not mark:
        # The first sample only sets the mark: what happened before it is not known.
        last = _scalar(f"SELECT max(id) FROM {_table()} WHERE received_at < %s", [now - SETTLE]) or 0
        client.hset(MARK_KEY, mapping={"id": last, "unapplied": _unapplied_through(last), "since": now.timestamp()})
        return
    last, unapplied_before = int(mark[b"id"]), int(mark[b"unapplied"])
    through = _settled_through(last, now - SETTLE)
    received = _received_by_minute(last, through) if through > last else {}
    unapplied = _unapplied_through(through)
    # Clamped: events deleted by hand behind the mark would otherwise read as negative work.
    applied = max(0, sum(received.values()) - (unapplied - unapplied_before))
    pipe = client.pipeline()
    for minute, count in received.items():
        pipe.incrby(_key(RECEIVED, minute), count)
        pipe.expire(_key(RECEIVED, minute), KEEP_SECONDS)
    if applied:
        pipe.incrby(_key(APPLIED, _minute(now)), applied)
        pipe.expire(_key(APPLIED, _minute(now)), KEEP_SECONDS)
    pipe.hset(MARK_KEY, mapping={"id": through, "unapplied": unapplied})
    pipe.execute()


def events_per_minute(*, client: redis.Redis, now: datetime, minutes: int = 60) -> list[Minute]:
    """The last `minutes` minutes, oldest first, the current (partial) minute last."""
    current = _minute(now)
    starts = [current - 60 * back for back in range(minutes - 1, -1, -1)]
    values = client.mget([_key(RECEIVED, m) for m in starts] + [_key(APPLIED, m) for m in starts])
    received, applied = values[:minutes], values[minutes:]
    return [
        Minute(datetime.fromtimestamp(m, tz=UTC), int(r or 0), int(a or 0))
        for m, r, a in zip(starts, received, applied, strict=True)
    ]


def events_counted_since(*, client: redis.Redis) -> datetime | None:
    """When the sampler first set its mark (the counts say nothing about the time before)."""
    since = client.hget(MARK_KEY, "since")
    return None if since is None else datetime.fromtimestamp(float(since), tz=UTC)
