"""The "everything" workbook: a summary sheet with the CONTRACT §4 figures, read from the
aggregates like the results page, then one sheet per export kind."""

from collections.abc import Iterator

from django.utils import timezone

from actions.models import Action
from reporting.metrics import MESSAGE_PERFORMANCE, OVERVIEW, RATES, rates_of
from reporting.selectors import action_totals

from .columns import escape_text, format_time
from .registry import exporters
from .sources import iter_rows
from .writers import OnRows, XlsxBook

EVERYTHING = "everything"
SUMMARY_HEADER = ["section", "figure", "key", "value"]


def summary_rows(action: Action, totals: dict[str, int]) -> Iterator[tuple]:
    yield ("action", "Name", "name", escape_text(action.name))
    yield ("action", "Exported at", "exported_at", format_time(timezone.now()))
    for section, metrics, values in (
        ("overview", OVERVIEW, totals),
        ("message_performance", MESSAGE_PERFORMANCE, totals),
        ("rates", RATES, rates_of(totals)),
    ):
        for metric in metrics:
            yield (section, metric.label, metric.key, values[metric.key])


def everything_estimate(action: Action, totals: dict[str, int]) -> int:
    return sum(cls(action).estimate(totals) for cls in exporters().values())


def write_everything(action: Action, book: XlsxBook, on_rows: OnRows) -> None:
    book.add_table("summary", SUMMARY_HEADER, summary_rows(action, action_totals(action=action)))
    for kind, cls in exporters().items():
        exporter = cls(action)
        book.add_table(kind, exporter.header(), iter_rows(exporter, "xlsx"), on_rows=on_rows)
