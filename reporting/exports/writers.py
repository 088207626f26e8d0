"""CSV and XLSX writers. Both take an iterator of formatted rows and never hold more than
a chunk of it; `on_rows(n)` is told as rows go out (progress)."""

import csv
from collections.abc import Callable, Iterable, Iterator
from typing import BinaryIO, ClassVar

import xlsxwriter

BOM = "\ufeff"  # makes Excel read a CSV as UTF-8
CHUNK_ROWS = 2000
OnRows = Callable[[int], None]


def _no_progress(n: int) -> None:
    return None


class _Lines:
    """A csv.writer target that hands back each formatted line instead of storing it.

    The writer is told "\r\n" so it quotes any field holding a CR or an LF (with "\n" it
    leaves a lone CR bare, which breaks the row); the line then ends in "\n" alone, like
    PostgreSQL's COPY, so both paths write the same bytes."""

    def write(self, line: str) -> str:
        return line[:-2] + "\n"


def _csv_lines():
    return csv.writer(_Lines(), lineterminator="\r\n")


def csv_head(header: list[str], *, bom: bool) -> bytes:
    return ((BOM if bom else "") + _csv_lines().writerow(header)).encode()


def csv_chunks(header: list[str], rows: Iterable[tuple], *, bom: bool = False, on_rows: OnRows = _no_progress) -> Iterator[bytes]:
    """The CSV file as byte chunks of CHUNK_ROWS rows, for a streaming response or a file."""
    yield csv_head(header, bom=bom)
    writer = _csv_lines()
    lines: list[str] = []
    for row in rows:
        lines.append(writer.writerow(row))
        if len(lines) == CHUNK_ROWS:
            yield "".join(lines).encode()
            on_rows(len(lines))
            lines.clear()
    if lines:
        yield "".join(lines).encode()
        on_rows(len(lines))


def write_csv(
    out: BinaryIO, header: list[str], rows: Iterable[tuple], *, bom: bool = False, on_rows: OnRows = _no_progress
) -> None:
    for chunk in csv_chunks(header, rows, bom=bom, on_rows=on_rows):
        out.write(chunk)


class XlsxBook:
    """An XLSX workbook written in constant memory (xlsxwriter writes each row to disk as
    it comes). A table longer than `max_rows` data rows goes on continuation sheets named
    `<name> (2)`, `<name> (3)`… each with the header again (CONTRACT §5)."""

    max_rows: ClassVar[int] = 1_048_575  # Excel's 1,048,576 rows less the header

    def __init__(self, target: str | BinaryIO) -> None:
        self.book = xlsxwriter.Workbook(
            target,
            {
                "constant_memory": True,
                # Cells are data, never formulas or links, whatever they look like.
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
            },
        )
        self.bold = self.book.add_format({"bold": True})

    def _sheet(self, name: str, header: list[str]):
        sheet = self.book.add_worksheet(name)
        sheet.write_row(0, 0, header, self.bold)
        sheet.freeze_panes(1, 0)
        return sheet

    def add_table(self, name: str, header: list[str], rows: Iterable[tuple], *, on_rows: OnRows = _no_progress) -> int:
        """Write one table; returns its data rows."""
        limit = self.max_rows
        sheet, written, line = self._sheet(name, header), 0, 0
        for row in rows:
            if line == limit:
                sheet, line = self._sheet(f"{name} ({written // limit + 1})", header), 0
            line += 1
            sheet.write_row(line, 0, row)
            written += 1
            if written % CHUNK_ROWS == 0:
                on_rows(CHUNK_ROWS)
        on_rows(written % CHUNK_ROWS)
        return written

    def close(self) -> None:
        self.book.close()
