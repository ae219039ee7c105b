"""`missionhub learning ...`: import inventories, rebuild the search index, export."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from missionhub.accounts.permissions import Actor
from missionhub.clitools import console, database, fail, progress_bar
from missionhub.csvout import write_csv
from missionhub.errors import ServiceError
from missionhub.learning import export, indexing, records
from missionhub.learning.importers.common import ImportReport
from missionhub.settings import get_settings

NAME = "learning"
app = typer.Typer(help="Shared learning: inventories, search index, exports.", no_args_is_help=True)
SYSTEM = Actor.system("cli learning")


def _print(report: ImportReport) -> None:
    console.print(report.summary)
    for skipped in report.skipped:
        console.print(f"  skipped {skipped}")


def _import(path: Path, source: str | None, strict: bool) -> ImportReport:
    with progress_bar() as bar:
        task = bar.add_task(f"Importing {path.name}", total=None)
        with database().transaction(SYSTEM) as session:
            return records.import_file(
                session,
                actor=SYSTEM,
                path=path,
                source=source,
                strict=strict,
                progress=lambda i, n: bar.update(task, completed=i, total=n),
            )


@app.command("import")
def import_command(
    path: Annotated[Path, typer.Argument(help="The inventory file (CSV, or the ATRS JSON).")],
    source: Annotated[
        str | None, typer.Option(help=f"One of {', '.join(records.SOURCES)}; else detected.")
    ] = None,
    strict: Annotated[bool, typer.Option(help="Refuse the whole file if any row is bad.")] = False,
) -> None:
    """Import one inventory file. Re-running updates records; it never duplicates them."""
    if source is not None and source not in records.SOURCES:
        raise fail(f"unknown source {source!r}: choose one of {', '.join(records.SOURCES)}")
    try:
        _print(_import(path, source, strict))
    except ServiceError as exc:
        raise fail(str(exc)) from exc


@app.command("import-all")
def import_all(
    data_dir: Annotated[Path | None, typer.Option(help="Folder of the public datasets.")] = None,
) -> None:
    """Import every inventory in registry/ (US 2023-2025, EU AI Watch, UK ATRS)."""
    folder = (data_dir or get_settings().data_dir) / "registry"
    try:
        for source, name in records.DEFAULT_FILES:
            _print(_import(folder / name, source, strict=False))
    except ServiceError as exc:
        raise fail(str(exc)) from exc


@app.command("reindex")
def reindex() -> None:
    """Rebuild the search documents from every project, case study, component and record."""
    with database().transaction(SYSTEM) as session:
        count = indexing.reindex_all(session)
    console.print(f"{count} documents indexed.")


class OutputFormat(StrEnum):
    CSV = "csv"
    JSON = "json"


@app.command("export")
def export_command(
    format: Annotated[OutputFormat, typer.Option("--format", help="csv or json.")] = (
        OutputFormat.CSV
    ),
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="File (else stdout).")
    ] = None,
    public: Annotated[bool, typer.Option(help="Only what the public can see.")] = False,
) -> None:
    """Export the catalogue of projects, case studies, components and records."""
    actor = Actor.public() if public else SYSTEM
    with database().transaction(actor) as session:
        rows = export.catalogue_rows(session, actor=actor)
    out = output.open("w", newline="", encoding="utf-8") if output else sys.stdout
    try:
        if format is OutputFormat.JSON:
            json.dump(rows, out, indent=2, ensure_ascii=False)
            out.write("\n")
        else:
            write_csv(out, rows, export.CATALOGUE_COLUMNS)
    finally:
        if output:
            out.close()
    console.print(f"Exported {len(rows)} catalogue entries.")


@app.command("atrs")
def atrs_command(project_id: Annotated[int, typer.Argument(help="An AI project's id.")]) -> None:
    """Print the ATRS v3 Tier 1 and Tier 2 fields held for an AI project, as JSON."""
    try:
        with database().transaction(SYSTEM) as session:
            record = export.atrs_record(session, actor=SYSTEM, project_id=project_id)
    except ServiceError as exc:
        raise fail(str(exc)) from exc
    sys.stdout.write(json.dumps(record, indent=2, ensure_ascii=False) + "\n")
