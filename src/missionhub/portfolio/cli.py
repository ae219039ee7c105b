"""`missionhub projects ...`: export the portfolio."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from missionhub.accounts.permissions import Actor
from missionhub.clitools import console, database
from missionhub.csvout import write_csv
from missionhub.portfolio.export import CSV_COLUMNS, project_rows

NAME = "projects"
app = typer.Typer(help="Projects.", no_args_is_help=True)


class OutputFormat(StrEnum):
    CSV = "csv"
    JSON = "json"


@app.command("export")
def projects_export(
    format: Annotated[
        OutputFormat, typer.Option("--format", help="csv or json.")
    ] = OutputFormat.CSV,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="File (else stdout).")
    ] = None,
    public: Annotated[bool, typer.Option(help="Only what the public can see.")] = False,
) -> None:
    """Export projects (all of them, or only published ones with --public)."""
    actor = Actor.public() if public else Actor.system("cli export")
    with database().transaction(actor) as session:
        rows = project_rows(session, actor=actor)
    out = output.open("w", newline="", encoding="utf-8") if output else sys.stdout
    try:
        if format is OutputFormat.JSON:
            json.dump(rows, out, indent=2, ensure_ascii=False)
            out.write("\n")
        else:
            write_csv(out, rows, CSV_COLUMNS)
    finally:
        if output:
            out.close()
    console.print(f"Exported {len(rows)} projects.")
