"""Where rows come from, in constant memory. On PostgreSQL the cells are formatted in SQL
(columns.sql_cell) and read through a server-side cursor, or written by COPY straight into
the output; elsewhere (the SQLite demo) the ORM's chunked iterator feeds Python formatting."""

from collections.abc import Iterator
from typing import BinaryIO

from django.db import connection

from orgs.db import is_postgres

from .base import Exporter
from .columns import row_formatter, sql_cell

CHUNK_ROWS = 2000


def formatted_sql(exporter: Exporter, fmt: str) -> tuple[str, tuple] | None:
    """SELECT of the export's cells, formatted by PostgreSQL (None: no row can exist)."""
    inner = exporter.sql()
    if inner is None:
        return None
    sql, params = inner
    cells = ", ".join(sql_cell(f'r."c{i}"', c.type, fmt) for i, c in enumerate(exporter.columns))
    return f"SELECT {cells} FROM ({sql}) AS r", params


def iter_rows(exporter: Exporter, fmt: str, *, sql_formatting: bool | None = None) -> Iterator[tuple]:
    """Every row, formatted for `fmt`. `sql_formatting=False` forces the portable path."""
    if sql_formatting is None:
        sql_formatting = is_postgres()
    if not sql_formatting:
        values = exporter.values()
        if values is None:
            return
        format_row = row_formatter(exporter.columns, fmt)
        for row in values.iterator(chunk_size=CHUNK_ROWS):
            yield format_row(row)
        return
    query = formatted_sql(exporter, fmt)
    if query is None:
        return
    # A named (server-side) cursor: rows arrive CHUNK_ROWS at a time, never all at once.
    with connection.chunked_cursor() as cursor:
        cursor.execute(*query)
        while batch := cursor.fetchmany(CHUNK_ROWS):
            yield from batch


class _CountingWriter:
    """The file COPY writes into. psycopg2 hands over one row per write(), which is how
    progress is counted without parsing the CSV."""

    def __init__(self, out: BinaryIO, on_rows, every: int) -> None:
        self.out, self.on_rows, self.every, self.rows = out, on_rows, every, 0

    def write(self, data: bytes) -> None:
        self.out.write(data)
        self.rows += 1
        if self.rows % self.every == 0:
            self.on_rows(self.every)


def copy_csv(exporter: Exporter, out: BinaryIO, on_rows, *, every: int = 20000) -> int:
    """COPY … TO STDOUT of the formatted cells into `out` (no header); returns the rows."""
    query = formatted_sql(exporter, "csv")
    if query is None:
        return 0
    writer = _CountingWriter(out, on_rows, every)
    with connection.cursor() as cursor:
        sql = cursor.mogrify(*query).decode()
        cursor.copy_expert(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)", writer)
    on_rows(writer.rows % every)
    return writer.rows
