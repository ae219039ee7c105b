"""Imported inventory records: import a file (idempotent, bad rows reported), read one.

The UK ATRS index is not stored here: the portfolio already imports each ATRS record as a
published project (portfolio.atrs), and learning searches and compares those projects. The
``uk-atrs`` source here runs that importer, so one command loads every inventory.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from missionhub.accounts.permissions import Actor, require
from missionhub.errors import Invalid, NotFound, row_error
from missionhub.learning.importers.common import (
    ImportReport,
    RecordIn,
    RowProblem,
    Skipped,
    headers,
    read_csv,
)
from missionhub.learning.importers.formats import FORMATS, Format, detect
from missionhub.learning.models import ImportedRecord
from missionhub.portfolio import atrs

ATRS_SOURCE = atrs.SOURCE
SOURCES = [*FORMATS, ATRS_SOURCE]
Progress = Callable[[int, int], None]
BATCH = 500


def file_format(path: Path, source: str | None) -> Format:
    """The format named by ``source``, or the one the file's headers show."""
    header = headers(path)
    fmt = FORMATS.get(source) if source else detect(header)
    if fmt is None:
        known = ", ".join(SOURCES)
        raise Invalid(f"{path.name}: not a known inventory format (sources: {known})", "file")
    missing = fmt.required_headers - set(header)
    if missing:
        raise Invalid(f"{path.name}: missing columns {', '.join(sorted(missing))}", "file")
    return fmt


def parse_file(path: Path, fmt: Format) -> tuple[list[RecordIn], list[Skipped], int]:
    """Every good row, every bad one with its line and reason, and the number of rows."""
    good: list[RecordIn] = []
    skipped: list[Skipped] = []
    seen: dict[str, int] = {}
    rows = 0
    for line, row in read_csv(path):
        rows += 1
        try:
            record = fmt.parse(row, line, path.name)
        except RowProblem as exc:
            skipped.append(Skipped(path.name, line, str(exc)))
            continue
        if record.source_id in seen:
            reason = f"same identifier {record.source_id!r} as line {seen[record.source_id]}"
            skipped.append(Skipped(path.name, line, reason))
            continue
        seen[record.source_id] = line
        good.append(record)
    return good, skipped, rows


def import_file(
    session: Session,
    *,
    actor: Actor,
    path: Path,
    source: str | None = None,
    strict: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Import an inventory file. Bad rows are skipped and listed in the report; with
    ``strict``, any bad row refuses the whole file (nothing is written)."""
    require(actor.is_admin, "Only an administrator can import inventories")
    if source == ATRS_SOURCE:
        return import_atrs(session, path=path, progress=progress)
    fmt = file_format(path, source)
    records, skipped, rows = parse_file(path, fmt)
    if strict and skipped:
        raise Invalid([row_error(s.line, s.reason, source=f"{s.file} line") for s in skipped])
    report = ImportReport(fmt.source, path.name, rows=rows, skipped=skipped)
    existing = {
        r.source_id: r
        for r in session.scalars(select(ImportedRecord).where(ImportedRecord.source == fmt.source))
    }
    for i, record in enumerate(records, 1):
        outcome = _upsert(session, existing.get(record.source_id), record)
        report.created += outcome == "created"
        report.updated += outcome == "updated"
        report.unchanged += outcome == "unchanged"
        if i % BATCH == 0:
            session.flush()
        if progress:
            progress(i, len(records))
    session.flush()
    return report


def _values(record: RecordIn) -> dict[str, Any]:
    return {
        "source_file": record.source_file,
        "source_line": record.source_line,
        "source_url": record.source_url,
        "licence": record.licence,
        "title": record.title,
        "description": record.description,
        "organisation": record.organisation,
        "unit": record.unit,
        "country": record.country,
        "topic": record.topic,
        "capability": record.capability,
        "stage": record.stage,
        "source_stage": record.source_stage,
        "year": record.year,
        "fields": record.fields,
    }


def _upsert(session: Session, row: ImportedRecord | None, record: RecordIn) -> str:
    values = _values(record)
    if row is None:
        session.add(ImportedRecord(source=record.source, source_id=record.source_id, **values))
        return "created"
    changed = {k: v for k, v in values.items() if getattr(row, k) != v}
    for key, value in changed.items():
        setattr(row, key, value)
    return "updated" if changed else "unchanged"


def import_atrs(session: Session, *, path: Path, progress: Progress | None = None) -> ImportReport:
    """The UK ATRS index, through the portfolio's importer (records become projects)."""
    result = atrs.import_index(session, path, progress)
    return ImportReport(
        ATRS_SOURCE,
        path.name,
        rows=result.created + result.updated + result.unchanged,
        created=result.created,
        updated=result.updated,
        unchanged=result.unchanged,
    )


DEFAULT_FILES: list[tuple[str, str]] = [
    ("us-federal-2023", "us_ai_use_cases_2023.csv"),
    ("us-federal-2024", "us_ai_use_cases_2024.csv"),
    ("us-federal-2025", "us_ai_use_cases_2025.csv"),
    ("eu-ai-watch", "eu_ai_watch_public_services.csv"),
    (ATRS_SOURCE, "uk_atrs_index.json"),
]


def get_record(session: Session, *, record_id: int) -> ImportedRecord:
    """An imported record: public data, readable by everyone."""
    record = session.get(ImportedRecord, record_id)
    if record is None:
        raise NotFound(f"No imported record with id {record_id}")
    return record
