"""Columns and the CONTRACT §5 cell rules, stated twice on purpose: once in Python (the
portable path and XLSX on any database) and once in SQL (PostgreSQL, where COPY and the
server-side cursor hand back cells already formatted). Tests hold the two equal."""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db.models import F

TEXT, PHONE, TIME, INT, BOOL = "text", "phone", "time", "int", "bool"
TYPES = (TEXT, PHONE, TIME, INT, BOOL)

# A cell starting with one of these is a formula to a spreadsheet (CONTRACT §5).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = r"^[+-]?[0-9]+([.][0-9]+)?$"
STRICT_E164 = r"^[+][1-9][0-9]{1,14}$"
_SAFE = re.compile(f"{PLAIN_NUMBER}|{STRICT_E164}")
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
SQL_TIME_FORMAT = 'YYYY-MM-DD"T"HH24:MI:SS"Z"'


@dataclass(frozen=True)
class Column:
    """One export column: its header, what it reads (a field path or an ORM expression) and
    its cell type, which decides how the base class formats it."""

    name: str
    source: Any
    type: str = TEXT

    def __post_init__(self) -> None:
        if self.type not in TYPES:
            raise ValueError(f"column {self.name!r}: unknown type {self.type!r}")

    def expression(self) -> Any:
        return F(self.source) if isinstance(self.source, str) else self.source


def escape_text(value: str) -> str:
    """A leading `'` on text a spreadsheet would run as a formula, except numbers and phones."""
    if value.startswith(FORMULA_PREFIXES) and not _SAFE.fullmatch(value):
        return "'" + value
    return value


def format_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime(TIME_FORMAT)


def _text(value: Any) -> str:
    return escape_text(str(value))


def _time(value: Any) -> str:
    return format_time(value)


def _csv_bool(value: Any) -> str:
    return "true" if value else "false"


def _int(value: Any) -> int:
    return int(value)


PY_FORMATTERS: dict[str, dict[str, Callable[[Any], Any]]] = {
    "csv": {TEXT: _text, PHONE: _text, TIME: _time, INT: _int, BOOL: _csv_bool},
    "xlsx": {TEXT: _text, PHONE: _text, TIME: _time, INT: _int, BOOL: bool},
}


def row_formatter(columns: list[Column], fmt: str) -> Callable[[tuple], tuple]:
    """Format a row of raw database values; None and "" are both an empty cell (None)."""
    funcs = [PY_FORMATTERS[fmt][c.type] for c in columns]

    def format_row(row: tuple) -> tuple:
        return tuple(None if v is None or v == "" else f(v) for f, v in zip(funcs, row, strict=True))

    return format_row


# ascii() of the first character: cheaper than left(), and NULL stays NULL.
_SQL_PREFIX_CODES = ", ".join(str(ord(c)) for c in FORMULA_PREFIXES)


def _sql_text(ref: str) -> str:
    # NULLIF: COPY writes an empty string as "" and NULL as nothing; Python's csv writes both
    # as nothing. Empty is empty in a spreadsheet, so both paths write nothing.
    return (
        f"CASE WHEN ascii({ref}) IN ({_SQL_PREFIX_CODES}) AND {ref} !~ '{PLAIN_NUMBER}' AND {ref} !~ '{STRICT_E164}'"
        f" THEN '''' || {ref} ELSE NULLIF({ref}, '') END"
    )


def sql_cell(ref: str, type_: str, fmt: str) -> str:
    """The PostgreSQL expression formatting column `ref`."""
    if type_ in (TEXT, PHONE):
        return _sql_text(f"{ref}::text")
    if type_ == TIME:
        return f"to_char({ref} AT TIME ZONE 'UTC', '{SQL_TIME_FORMAT}')"
    if type_ == BOOL and fmt == "csv":
        return f"CASE WHEN {ref} THEN 'true' WHEN NOT {ref} THEN 'false' END"
    return ref
