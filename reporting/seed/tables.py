"""Set-based writing for the demo seed: primary keys reserved in blocks, rows buffered per
table and written with PostgreSQL COPY (SQLite: one executemany INSERT per batch).

Rows are plain tuples in the column order given, holding Python values; JSON columns hold
Python objects. Nothing here runs model save() or signals: the seed builds the aggregates
afterwards with recompute_stats, the same path that repairs drift."""

import csv
import io
import json
import queue
import threading
from collections.abc import Iterator, Sequence

from django.db import connection, models
from django.utils import timezone

from orgs.db import is_postgres

FLUSH_ROWS = 50_000
COPY_NULL = r"\N"


class Ids:
    """Primary keys reserved up front, so rows can reference each other before they are written."""

    BLOCK = 100_000

    def __init__(self) -> None:
        self._pool: dict[type[models.Model], Iterator[int]] = {}
        self._last: dict[type[models.Model], int] = {}

    def take(self, model: type[models.Model]) -> int:
        value = next(self._pool.get(model, iter(())), None)
        if value is None:
            self._pool[model] = _reserve(model, self.BLOCK, after=self._last.get(model))
            value = next(self._pool[model])
        self._last[model] = value
        return value


def _reserve(model: type[models.Model], count: int, after: int | None) -> Iterator[int]:
    """`count` fresh ids. PostgreSQL: drawn from the table's sequence, so the application and
    other seed processes writing at the same time never get them. SQLite (the one-process
    demo, the seed its only writer): the block above the maximum."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if is_postgres():
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, count])
            return iter([row[0] for row in cursor.fetchall()])
        if after is None:
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {connection.ops.quote_name(table)}")
            after = cursor.fetchone()[0]
        return iter(range(after + 1, after + 1 + count))


def _has_fill(field: models.Field) -> bool:
    return not field.primary_key and (
        field.has_default() or getattr(field, "auto_now_add", False) or getattr(field, "auto_now", False)
    )


def _fill(field: models.Field):
    return field.get_default() if field.has_default() else timezone.now()


class Pump:
    """Runs the COPY statements on a second connection while the caller draws the next rows,
    so Python and PostgreSQL each keep a core busy. Each COPY commits on its own: only for a
    session whose foreign-key triggers are off (`setup`), since a batch may name rows of the
    next one."""

    def __init__(self, setup: Sequence[str]) -> None:
        self.setup = list(setup)
        self.jobs: queue.Queue = queue.Queue(maxsize=4)  # bounds the memory held in buffers
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="seed-copy", daemon=True)
        self.thread.start()

    def put(self, sql: str, buffer: io.StringIO) -> None:
        if self.error is not None:
            raise RuntimeError("the COPY connection failed") from self.error
        self.jobs.put((sql, buffer))

    def close(self) -> None:
        self.jobs.put(None)
        self.thread.join()
        if self.error is not None:
            raise RuntimeError("the COPY connection failed") from self.error

    def _run(self) -> None:
        try:
            with connection.cursor() as cursor:
                for statement in self.setup:
                    cursor.execute(statement)
            while (job := self.jobs.get()) is not None:
                if self.error is None:
                    with connection.cursor() as cursor:
                        cursor.cursor.copy_expert(*job)
        except BaseException as exc:  # handed to the caller at its next put() or close()
            self.error = exc
            while self.jobs.get() is not None:
                pass
        finally:
            connection.close()


class Table:
    def __init__(self, model: type[models.Model], columns: Sequence[str], pump: Pump | None = None) -> None:
        self.model = model
        self.columns = list(columns)
        fields = {f.attname: f for f in model._meta.concrete_fields}
        # Columns other apps add later get their default, so the seed keeps working.
        self.filler = [f for f in model._meta.concrete_fields if f.attname not in columns and _has_fill(f)]
        self.columns += [f.attname for f in self.filler]
        self.fill_values = tuple(_fill(f) for f in self.filler)
        self.fields = [fields[c] for c in self.columns]
        self.json_at = [i for i, f in enumerate(self.fields) if isinstance(f, models.JSONField)]
        self.rows: list[tuple] = []
        self.written = 0
        self.pump = pump

    def add(self, row: tuple) -> None:
        self.rows.append(row + self.fill_values if self.fill_values else row)

    def flush(self) -> None:
        if not self.rows:
            return
        if is_postgres():
            self._copy()
        else:
            self._insert()
        self.written += len(self.rows)
        self.rows = []

    def _copy(self) -> None:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        json_at = self.json_at
        for row in self.rows:
            if json_at:
                row = list(row)
                for i in json_at:
                    row[i] = json.dumps(row[i])
            if None in row:
                row = [COPY_NULL if v is None else v for v in row]
            writer.writerow(row)
        buffer.seek(0)
        qn = connection.ops.quote_name
        sql = (
            f"COPY {qn(self.model._meta.db_table)} ({', '.join(qn(c) for c in self.columns)}) "
            f"FROM STDIN WITH (FORMAT csv, NULL '{COPY_NULL}')"
        )
        if self.pump is not None:
            self.pump.put(sql, buffer)
            return
        with connection.cursor() as cursor:
            cursor.cursor.copy_expert(sql, buffer)

    def _insert(self) -> None:
        qn = connection.ops.quote_name
        sql = (
            f"INSERT INTO {qn(self.model._meta.db_table)} ({', '.join(qn(c) for c in self.columns)}) "
            f"VALUES ({', '.join(['%s'] * len(self.columns))})"
        )
        prepared = [[f.get_db_prep_save(v, connection) for f, v in zip(self.fields, row, strict=True)] for row in self.rows]
        with connection.cursor() as cursor:
            cursor.executemany(sql, prepared)
