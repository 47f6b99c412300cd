"""The CSV files coordinators keep in spreadsheets: reading and writing them.

Read: UTF-8 with or without a byte-order mark, comma- or semicolon-separated (Indonesian Excel
writes semicolons; the header line decides), columns in any order, names in any case. Rows are
numbered as a spreadsheet shows them: the header is line 1. Written: UTF-8, comma-separated.

A cell a spreadsheet would read as a formula (starting with `=`, `+`, `-`, `@`, tab or carriage
return, DESIGN section 9) is written with a leading apostrophe, and read back without it: a
phone number `+6281…` leaves as `'+6281…` and comes back as `+6281…`, so an export imported
again reproduces the same data (the rule itself: hub/core/cells.py)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass

from hub.core.cells import FORMULA_STARTS, protect, unprotect, write_rows

__all__ = [
    "FORMULA_STARTS",
    "CsvError",
    "LineProblem",
    "Row",
    "Table",
    "protect",
    "read_rows",
    "unprotect",
    "write_rows",
]


@dataclass(frozen=True)
class LineProblem:
    """What is wrong with one line of a file."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


class CsvError(Exception):
    """A file that cannot be read as the expected table at all."""

    def __init__(self, problems: Sequence[LineProblem]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(str(p) for p in self.problems))


@dataclass(frozen=True)
class Row:
    """One data row: its spreadsheet line number and its cells by column name."""

    line: int
    cells: dict[str, str]

    def __getitem__(self, column: str) -> str:
        return self.cells[column]


def sniff_delimiter(header_line: str) -> str:
    """`;` when the header has more semicolons than commas, else `,`."""
    return ";" if header_line.count(";") > header_line.count(",") else ","


def decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise CsvError(
            [LineProblem(1, f"the file is not UTF-8 text (byte {error.start}); save it as UTF-8")]
        ) from None


@dataclass(frozen=True)
class Table:
    """The readable rows of a file and the lines that could not be read as rows."""

    rows: list[Row]
    problems: list[LineProblem]


def read_rows(data: bytes, *, columns: Sequence[str]) -> Table:
    """The data rows of a file whose header names exactly `columns` (else `CsvError`). Blank
    rows are skipped (they keep their line numbers); missing trailing cells are empty."""
    text = decode(data)
    first_line = text.split("\n", 1)[0]
    records = list(csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(first_line)))
    if not records or not any(cell.strip() for cell in records[0]):
        raise CsvError([LineProblem(1, f"the header is missing: {','.join(columns)}")])
    header = [cell.strip().lower() for cell in records[0]]
    while header and not header[-1]:
        header.pop()
    missing = [c for c in columns if c not in header]
    unknown = [c for c in header if c not in columns]
    repeated = sorted({c for c in header if header.count(c) > 1})
    if missing or unknown or repeated:
        parts = []
        if missing:
            parts.append(f"missing column(s) {', '.join(missing)}")
        if unknown:
            parts.append(f"unknown column(s) {', '.join(repr(c) for c in unknown)}")
        if repeated:
            parts.append(f"repeated column(s) {', '.join(repeated)}")
        expected = ",".join(columns)
        raise CsvError([LineProblem(1, f"{'; '.join(parts)} (expected {expected})")])
    rows: list[Row] = []
    problems: list[LineProblem] = []
    for index, record in enumerate(records[1:], start=2):
        if not any(cell.strip() for cell in record):
            continue
        extra = record[len(header) :]
        if any(cell.strip() for cell in extra):
            problems.append(
                LineProblem(index, f"{len(record)} cells, but the header has {len(header)}")
            )
            continue
        cells = {
            name: unprotect((record[i] if i < len(record) else "").strip())
            for i, name in enumerate(header)
        }
        rows.append(Row(line=index, cells=cells))
    return Table(rows=rows, problems=problems)
