"""Writing counter deltas: one upsert statement per aggregate table, rows in key order."""

import random

from django.db import connection, models

from .contrib import Deltas
from .models import STATS_SHARDS, ActionBreakdown, ActionErrorStats, ActionHourStats, ActionStats, ActionUserStats

UPSERT_CHUNK = 500  # rows per statement; keeps SQLite under its bound-parameter limit
TABLES: dict[str, tuple[type[models.Model], tuple[str, ...]]] = {
    "action": (ActionStats, ("action_id", "shard")),
    "user": (ActionUserStats, ("action_id", "user_id")),
    "hour": (ActionHourStats, ("action_id", "hour")),
    "error": (ActionErrorStats, ("action_id", "error_code")),
    "breakdown": (ActionBreakdown, ("action_id", "kind", "key", "value")),
}


def counter_names(model: type[models.Model]) -> list[str]:
    return [f.name for f in model._meta.concrete_fields if isinstance(f, models.BigIntegerField) and not f.primary_key]


def stats_write(deltas: Deltas) -> None:
    """Apply every non-zero delta; call inside the transaction that changed the facts."""
    rows = deltas.nonzero()
    if not rows:
        return
    shard = random.randrange(STATS_SHARDS)
    by_table: dict[str, list[tuple[tuple, dict]]] = {}
    for key, counts in rows.items():
        table, *ident = key
        if table == "action":
            ident = [ident[0], shard]
        by_table.setdefault(table, []).append((tuple(ident), counts))
    for table in sorted(by_table):
        model, key_cols = TABLES[table]
        upsert_counters(model, key_cols, sorted(by_table[table], key=lambda r: tuple(str(x) for x in r[0])))


def upsert_counters(model: type[models.Model], key_cols: tuple[str, ...], rows: list[tuple[tuple, dict]]) -> None:
    """Add each row's counts to the row keyed by `key_cols` (created at zero when missing).
    Pass rows sorted by key so concurrent writers lock them in the same order."""
    for start in range(0, len(rows), UPSERT_CHUNK):
        _upsert_chunk(model, key_cols, rows[start : start + UPSERT_CHUNK])


def _upsert_chunk(model: type[models.Model], key_cols: tuple[str, ...], rows: list[tuple[tuple, dict]]) -> None:
    names = sorted({name for _, counts in rows for name in counts})
    qn = connection.ops.quote_name
    table = qn(model._meta.db_table)
    cols = [*key_cols, *names]
    # Every counter column has a default of 0 in Python only, so the INSERT names them all.
    all_counters = counter_names(model)
    missing = [c for c in all_counters if c not in names]
    cols += missing
    placeholders = "(" + ", ".join(["%s"] * len(cols)) + ")"
    params: list = []
    for ident, counts in rows:
        params.extend(ident)
        params.extend(counts.get(n, 0) for n in names)
        params.extend(0 for _ in missing)
    sets = ", ".join(f"{qn(n)} = {table}.{qn(n)} + excluded.{qn(n)}" for n in names)
    sql = (
        f"INSERT INTO {table} ({', '.join(qn(c) for c in cols)}) VALUES "
        + ", ".join([placeholders] * len(rows))
        + f" ON CONFLICT ({', '.join(qn(c) for c in key_cols)}) DO UPDATE SET {sets}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
