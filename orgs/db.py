"""Database helpers shared by the set-based writers."""

import functools
import time
from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar

from django.db import OperationalError, connection, models, transaction
from django.db.utils import DatabaseError

T = TypeVar("T")


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def bulk_update_values(model: type[models.Model], objs: Sequence[models.Model], fields: Iterable[str], chunk: int = 2000) -> None:
    """UPDATE … FROM (VALUES …): one statement per chunk, ~4x faster than Django's CASE form."""
    fields = list(fields)
    if not objs or not fields:
        return
    if not is_postgres():
        model.objects.bulk_update(objs, fields, batch_size=500)
        return
    qn = connection.ops.quote_name
    table = qn(model._meta.db_table)
    columns = [model._meta.get_field(f) for f in fields]
    pk = model._meta.pk
    for start in range(0, len(objs), chunk):
        part = objs[start : start + chunk]
        params: list = []
        rows = []
        for obj in part:
            values = [pk.get_db_prep_value(obj.pk, connection)]
            values += [col.get_db_prep_save(getattr(obj, col.attname), connection) for col in columns]
            params.extend(values)
            rows.append("(" + ", ".join(["%s"] * len(values)) + ")")
        # The first row carries explicit casts so PostgreSQL types every column of VALUES.
        casts = [pk.db_type(connection)] + [col.cast_db_type(connection) for col in columns]
        rows[0] = "(" + ", ".join(f"%s::{c}" for c in casts) + ")"
        names = ["id_", *[f"v{i}" for i in range(len(columns))]]
        sets = ", ".join(f"{qn(col.column)} = v.v{i}" for i, col in enumerate(columns))
        sql = (
            f"UPDATE {table} AS t SET {sets} FROM (VALUES {', '.join(rows)}) AS v({', '.join(names)}) "
            f"WHERE t.{qn(pk.column)} = v.id_"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)


def retry_on_conflict(fn: Callable[..., T], attempts: int = 5) -> Callable[..., T]:
    """Rerun a whole transaction that PostgreSQL aborted as a deadlock or serialization loser."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs) -> T:
        for attempt in range(attempts):
            try:
                with transaction.atomic():
                    return fn(*args, **kwargs)
            except (OperationalError, DatabaseError) as exc:
                code = getattr(getattr(exc, "__cause__", None), "pgcode", None)
                if code not in ("40P01", "40001") or attempt == attempts - 1 or connection.in_atomic_block:
                    raise
                time.sleep(0.01 * (attempt + 1))
        raise AssertionError("unreachable")

    return wrapper
