"""CSV exports that are safe to open in a spreadsheet.

A cell whose text starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read by
Excel, LibreOffice and Google Sheets as a formula, so a project title such as
``=HYPERLINK("https://evil.example", "Click")`` would run when a colleague opens the export.
Such text is written with a leading apostrophe (the OWASP advice); numbers, including negative
ones, are written as they are.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TextIO

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def safe_cell(value: Any) -> Any:
    """``value`` unchanged unless it is text a spreadsheet would run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not _NUMBER.match(value):
        return "'" + value
    return value


def write_csv(out: TextIO, rows: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> None:
    """A header and one line per row, every text cell made safe."""
    writer = csv.DictWriter(out, fieldnames=list(columns))
    writer.writeheader()
    writer.writerows({k: safe_cell(v) for k, v in row.items()} for row in rows)


def csv_text(rows: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> str:
    if not columns:
        return ""
    buffer = io.StringIO()
    write_csv(buffer, rows, columns)
    return buffer.getvalue()
