"""One export request: which file (kind and format, validated), how big it will be, and
writing it. Views, the API and the background task all go through here."""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from actions.models import Action
from orgs.db import is_postgres

from .base import Exporter
from .everything import EVERYTHING, everything_estimate, write_everything
from .registry import exporter_class, exporters
from .sources import copy_csv, iter_rows
from .writers import OnRows, XlsxBook, csv_chunks, csv_head, write_csv

FORMATS = ("csv", "xlsx")


def bom_requested(value: str | None) -> bool:
    """`?bom=1` (or `true`): the Excel-friendly CSV, with a byte-order mark."""
    return (value or "").lower() in ("1", "true")


class UnknownExport(LookupError):
    """The kind or format does not exist; the message says what does."""


@dataclass(frozen=True)
class ExportSpec:
    action: Action
    kind: str
    fmt: str
    bom: bool = False

    @property
    def filename(self) -> str:
        return f"action-{self.action.id}-{self.kind}.{self.fmt}"

    def exporter(self) -> Exporter:
        return exporter_class(self.kind)(self.action)


def export_spec(*, action: Action, kind: str, fmt: str, bom: bool = False) -> ExportSpec:
    kinds = [*exporters(), EVERYTHING]
    if kind not in kinds:
        raise UnknownExport(f"There is no {kind!r} export; the kinds are {', '.join(kinds)}.")
    if fmt not in FORMATS:
        raise UnknownExport(f"There is no {fmt!r} format; the formats are {', '.join(FORMATS)}.")
    if kind == EVERYTHING and fmt != "xlsx":
        raise UnknownExport("The everything export is a workbook: ask for everything.xlsx.")
    return ExportSpec(action=action, kind=kind, fmt=fmt, bom=bom and fmt == "csv")


def export_estimate(spec: ExportSpec, totals: dict[str, int]) -> int:
    if spec.kind == EVERYTHING:
        return everything_estimate(spec.action, totals)
    return spec.exporter().estimate(totals)


def export_count(spec: ExportSpec) -> int:
    """The exact number of rows (a background job's progress denominator)."""
    if spec.kind == EVERYTHING:
        return sum(cls(spec.action).count() for cls in exporters().values())
    return spec.exporter().count()


def export_write(spec: ExportSpec, out: BinaryIO, on_rows: OnRows) -> None:
    """The whole file into `out`, in constant memory."""
    if spec.fmt == "xlsx":
        book = XlsxBook(out)
        if spec.kind == EVERYTHING:
            write_everything(spec.action, book, on_rows)
        else:
            exporter = spec.exporter()
            book.add_table(spec.kind, exporter.header(), iter_rows(exporter, "xlsx"), on_rows=on_rows)
        book.close()
        return
    exporter = spec.exporter()
    if is_postgres():
        out.write(csv_head(exporter.header(), bom=spec.bom))
        copy_csv(exporter, out, on_rows)
    else:
        write_csv(out, exporter.header(), iter_rows(exporter, "csv"), bom=spec.bom, on_rows=on_rows)


def export_csv_stream(spec: ExportSpec) -> Iterator[bytes]:
    """The CSV as chunks for a streaming response (server-side cursor, no temporary file)."""
    exporter = spec.exporter()
    return csv_chunks(exporter.header(), iter_rows(exporter, "csv"), bom=spec.bom)
