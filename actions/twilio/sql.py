"""Plain SQL for the applier's hot statements. `= ANY(array)` sends a batch's thousand ids or
SIDs as one parameter on PostgreSQL (the ORM's IN list prepares each value through its field,
which costs more than the statement); the embedded SQLite demo gets a plain IN list."""

from collections.abc import Sequence

from django.db import connection

from orgs.db import is_postgres


def any_of(column: str, values: Sequence) -> tuple[str, list]:
    if is_postgres():
        return f"{column} = ANY(%s)", [list(values)]
    return f"{column} IN ({', '.join(['%s'] * len(values)) or 'NULL'})", list(values)


def rows(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def execute(sql: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
