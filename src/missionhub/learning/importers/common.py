"""What every inventory importer shares: reading a CSV with line numbers, the record shape,
and the report of what was imported and what was skipped (with file, line and reason)."""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from missionhub.errors import Invalid
from missionhub.learning.textnorm import clean
from missionhub.portfolio.models import Stage

TITLE_MAX, TEXT_MAX, SHORT_MAX = 300, 20_000, 200


@dataclass(frozen=True, slots=True)
class RecordIn:
    """One parsed inventory row, ready to store."""

    source: str
    source_id: str
    source_file: str
    source_line: int
    licence: str
    title: str
    description: str
    organisation: str
    country: str
    unit: str | None = None
    topic: str | None = None
    capability: str | None = None
    stage: Stage | None = None
    source_stage: str | None = None
    year: int | None = None
    source_url: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Skipped:
    file: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.file}, line {self.line}: {self.reason}"


@dataclass
class ImportReport:
    source: str
    file: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: list[Skipped] = field(default_factory=list)

    @property
    def summary(self) -> str:
        return (
            f"{self.file}: {self.rows} rows; {self.created} new, {self.updated} updated, "
            f"{self.unchanged} unchanged, {len(self.skipped)} skipped"
        )


class RowProblem(ValueError):
    """A row that cannot be imported, and why."""


def read_csv(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """Each row with the line it starts on (the header is line 1); a UTF-8 byte-order mark
    is allowed. A file that is not UTF-8 CSV is refused whole."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            if not reader.fieldnames:
                raise Invalid(f"{path.name}: the file is empty")
            start = reader.line_num + 1
            for row in reader:
                yield start, {k: (v or "") for k, v in row.items() if k is not None}
                start = reader.line_num + 1
    except (UnicodeDecodeError, csv.Error) as exc:
        raise Invalid(f"{path.name}: not a readable UTF-8 CSV file ({exc})") from exc


def headers(path: Path) -> list[str]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            return next(csv.reader(handle), [])
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise Invalid(f"{path.name}: not a readable UTF-8 CSV file ({exc})") from exc


ID_MAX = 300


def source_key(*parts: str) -> str:
    """An identifier made of a record's parts ("DOL/ETA/Claims chatbot"); a long one keeps its
    start and ends in a hash of the whole, so it stays unique and fits the column."""
    key = "/".join(parts)
    if len(key) <= ID_MAX:
        return key
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return f"{key[: ID_MAX - 17]}~{digest}"


def required(row: dict[str, str], column: str, label: str, limit: int = SHORT_MAX) -> str:
    value = clean(row.get(column))
    if not value:
        raise RowProblem(f"no {label} (column {column})")
    if len(value) > limit:
        raise RowProblem(f"{label} is longer than {limit} characters (column {column})")
    return value


def optional(row: dict[str, str], column: str, limit: int = SHORT_MAX) -> str | None:
    value = clean(row.get(column))
    if not value or value.casefold() in ("unknown", "n/a", "none", "[]"):
        return None
    return value[:limit]


def joined(row: dict[str, str], columns: list[tuple[str, str]]) -> str:
    """Labelled paragraphs of the non-empty text columns."""
    parts = [f"{label}: {clean(row.get(col))}" for col, label in columns if clean(row.get(col))]
    return "\n\n".join(parts)[:TEXT_MAX]


def year_of(value: str | None) -> int | None:
    """The year in a date such as 7/1/2023, 2023-07 or 2021/01/01, if there is one."""
    for part in (value or "").replace("-", "/").split("/"):
        part = part.strip()
        if len(part) == 4 and part.isdigit() and 1950 <= int(part) <= 2100:
            return int(part)
    return None
