"""Reads for the DataSync Summary, the results API's `datasync` block (CONTRACT §6), the item
list and the mapping screen. Summary figures come from counters: three small queries
whatever the action's size."""

from collections import Counter, defaultdict
from datetime import datetime

from django.db.models import Count, QuerySet, Sum

from actions.models import Action

from .counters import BUCKET, error_key
from .models import CrmConnection, SyncErrorStats, SyncItem, SyncMapping, SyncStats
from .sources import action_sources, source_label
from .targets import target_choices

FIGURES = ("synced", "pending", "failed", "skipped")
TOP_ERRORS = 5


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def datasync_summary(*, action: Action) -> dict:
    """Totals, per-source rows (the action's own order first, with labels), top errors, last sync."""
    rows = (
        SyncStats.objects.filter(action=action)
        .values("source")
        .annotate(**{name: Sum(name) for name in FIGURES})
        .order_by("source")
    )
    by_source = [r for r in rows if any(r[n] for n in FIGURES)]
    order = {s: i for i, s in enumerate(action_sources(action))}
    by_source.sort(key=lambda r: (order.get(r["source"], len(order)), r["source"]))
    for row in by_source:
        row["label"] = source_label(action, row["source"])
    errors = SyncErrorStats.objects.filter(action=action, failed__gt=0).order_by("-failed", "text")[:TOP_ERRORS]
    last = (
        SyncItem.objects.filter(action=action, synced_at__isnull=False)
        .order_by("-synced_at")
        .values_list("synced_at", flat=True)
        .first()
    )
    return {
        **{name: sum(r[name] for r in by_source) for name in FIGURES},
        "last_synced_at": last,
        "by_source": by_source,
        "top_errors": [{"text": e.text, "count": e.failed} for e in errors],
    }


def datasync_block(action: Action) -> dict:
    """The results API's `datasync` block (CONTRACT §6); positional `action` as its callers use it."""
    summary = datasync_summary(action=action)
    return {
        **{name: summary[name] for name in FIGURES},
        "last_synced_at": _iso(summary["last_synced_at"]),
        "by_source": [{"source": r["source"], **{n: r[n] for n in FIGURES}} for r in summary["by_source"]],
        "top_errors": summary["top_errors"],
    }


def datasync_recount(*, action: Action) -> list[str]:
    """Differences between the counters and a count of the rows themselves (empty when right)."""
    counted: dict[str, Counter] = defaultdict(Counter)
    for row in SyncItem.objects.filter(action=action).values("source", "status").annotate(n=Count("id")).order_by():
        counted[row["source"]][BUCKET[row["status"]]] += row["n"]
    kept = {r["source"]: r for r in datasync_summary(action=action)["by_source"]}
    drift = []
    for source in sorted(set(counted) | set(kept)):
        for name in FIGURES:
            have, want = (kept.get(source) or {}).get(name, 0), counted[source][name]
            if have != want:
                drift.append(f"{source} {name}: counter {have}, rows {want}")
    errors = Counter()
    for text, n in (
        SyncItem.objects.filter(action=action, status=SyncItem.Status.FAILED)
        .values_list("last_error")
        .annotate(n=Count("id"))
        .order_by()
    ):
        errors[error_key(text)] += n
    stored = dict(SyncErrorStats.objects.filter(action=action).values_list("text", "failed"))
    for text in sorted(set(errors) | set(stored)):
        if errors[text] != stored.get(text, 0):
            drift.append(f"error {text!r}: counter {stored.get(text, 0)}, rows {errors[text]}")
    return drift


def sync_items(*, action: Action, status: str | None = None, source: str | None = None) -> QuerySet:
    items = SyncItem.objects.filter(action=action).select_related("contact", "connection").order_by("-id")
    if status:
        items = items.filter(status=status)
    if source:
        items = items.filter(source=source)
    return items


def mapping_rows(*, action: Action, connection: CrmConnection | None) -> dict:
    """The mapping screen: each source of the action with its mapping in `connection`, if any."""
    mappings = {}
    if connection is not None:
        mappings = {m.source: m for m in SyncMapping.objects.filter(action=action, connection=connection)}
    sources = action_sources(action)
    sources += sorted(set(mappings) - set(sources))
    rows = [{"source": s, "label": source_label(action, s), "mapping": mappings.get(s)} for s in sources]
    return {
        "rows": rows,
        "unmapped": [r for r in rows if r["mapping"] is None],
        "choices": target_choices(connection) if connection is not None else [],
    }
