"""The DataSync Summary's counters: every change of an outbox row's status adds its exact delta
here, and `write()` applies them in the same transaction, one upsert per table."""

import random
from collections import Counter, defaultdict

# The aggregates' own upsert (INSERT … ON CONFLICT DO UPDATE SET n = n + excluded.n, rows sorted).
from reporting.stats import upsert_counters

from .models import SyncErrorStats, SyncItem, SyncStats

SHARDS = 4
ERROR_KEY_MAX = 300
Status = SyncItem.Status
# The summary's buckets: an item in flight is still pending for the people reading it.
BUCKET = {
    Status.PENDING: "pending",
    Status.IN_FLIGHT: "pending",
    Status.SYNCED: "synced",
    Status.FAILED: "failed",
    Status.SKIPPED: "skipped",
}


def error_key(text: str) -> str:
    return (text or "unknown error")[:ERROR_KEY_MAX]


class SyncCounts:
    def __init__(self) -> None:
        self.stats: dict[tuple, Counter] = defaultdict(Counter)
        self.errors: Counter = Counter()

    def add(self, *, action_id: int, source: str, status: str, last_error: str = "", sign: int = 1) -> None:
        self.stats[(action_id, source)][BUCKET[status]] += sign
        if status == Status.FAILED:
            self.errors[(action_id, error_key(last_error))] += sign

    def move(self, row: dict, *, status: str, last_error: str = "") -> None:
        """`row` (action_id, source, status, last_error) changes to `status`."""
        self.add(action_id=row["action_id"], source=row["source"], status=row["status"], last_error=row["last_error"], sign=-1)
        self.add(action_id=row["action_id"], source=row["source"], status=status, last_error=last_error)

    def write(self) -> None:
        shard = random.randrange(SHARDS)
        stats = sorted(
            ((action_id, source, shard), {k: v for k, v in counts.items() if v})
            for (action_id, source), counts in self.stats.items()
            if any(counts.values())
        )
        errors = sorted(((action_id, text), {"failed": n}) for (action_id, text), n in self.errors.items() if n)
        for model, key_cols, rows in (
            (SyncStats, ("action_id", "source", "shard"), stats),
            (SyncErrorStats, ("action_id", "text"), errors),
        ):
            upsert_counters(model, key_cols, rows)
        self.stats.clear()
        self.errors.clear()
