"""The base exporter. A kind only says which rows (a queryset, in order) and which columns
(a header, a source and a cell type each); everything else is the base's and the writers':
formats, streaming, progress and the CONTRACT §5 cell rules."""

from functools import cached_property
from typing import ClassVar

from django.core.exceptions import EmptyResultSet
from django.db.models import QuerySet

from actions.models import Action

from .columns import Column, escape_text


class Exporter:
    kind: ClassVar[str]
    title: ClassVar[str]
    description: ClassVar[str] = ""
    # ActionStats figures whose sum estimates the row count without counting rows (the
    # aggregates are cheap to read; deciding "stream now or run a job" must be instant).
    estimate_from: ClassVar[tuple[str, ...]] = ()

    def __init__(self, action: Action) -> None:
        self.action = action

    def get_columns(self) -> list[Column]:
        raise NotImplementedError

    def queryset(self) -> QuerySet | None:
        """The rows, ordered; None while the kind has no source of rows yet."""
        raise NotImplementedError

    @cached_property
    def columns(self) -> list[Column]:
        return self.get_columns()

    def header(self) -> list[str]:
        return [escape_text(c.name) for c in self.columns]

    def values(self) -> QuerySet | None:
        """The rows as tuples of raw values in column order, aliased c0, c1, … in SQL."""
        queryset = self.queryset()
        if queryset is None:
            return None
        names = [f"c{i}" for i in range(len(self.columns))]
        annotated = queryset.annotate(**{n: c.expression() for n, c in zip(names, self.columns, strict=True)})
        return annotated.values_list(*names)

    def sql(self) -> tuple[str, tuple] | None:
        """`values()` as SQL and parameters; None when there can be no row."""
        values = self.values()
        if values is None:
            return None
        try:
            return values.query.sql_with_params()
        except EmptyResultSet:
            return None

    def estimate(self, totals: dict[str, int]) -> int:
        if self.estimate_from:
            return sum(totals.get(name, 0) for name in self.estimate_from)
        return self.count()

    def count(self) -> int:
        queryset = self.queryset()
        return 0 if queryset is None else queryset.count()

    def filename(self, fmt: str) -> str:
        return f"action-{self.action.id}-{self.kind}.{fmt}"
