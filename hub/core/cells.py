"""Cells of the CSV files the hub writes, safe to open in a spreadsheet (DESIGN section 9,
Exports): a cell a spreadsheet would read as a formula (starting with `=`, `+`, `-`, `@`, tab or
carriage return) is written with a leading apostrophe, and read back without it. Here on the
ground floor so that every domain's files use the one rule without importing another domain."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _looks_like_formula(cell: str) -> bool:
    # Apostrophes already in front count too, so that a value that itself starts with one
    # comes back exactly: `'=x` is written `''=x` and read back as `'=x`.
    return cell.lstrip("'").startswith(FORMULA_STARTS)


def protect(cell: str) -> str:
    """The cell as written: with a leading apostrophe when a spreadsheet would compute it."""
    return "'" + cell if _looks_like_formula(cell) else cell


def unprotect(cell: str) -> str:
    """The cell as read: `protect` undone."""
    return cell[1:] if cell.startswith("'") and _looks_like_formula(cell) else cell


def write_rows(columns: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A comma-separated table with a header line; formula-like cells protected."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([protect(cell) for cell in row] for row in rows)
    return out.getvalue()
