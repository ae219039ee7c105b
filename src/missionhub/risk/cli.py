"""`missionhub risks ...`: export the risk registers, re-open expired decisions."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, TextIO

import typer
from sqlalchemy import select

from missionhub.accounts.models import Organisation
from missionhub.accounts.permissions import Actor
from missionhub.clitools import console, database, fail, progress_bar
from missionhub.csvout import write_csv
from missionhub.risk.escalation import reopen_expired
from missionhub.risk.export import CSV_COLUMNS, count_risks, risk_rows
from missionhub.risk.register import RiskFilter

NAME = "risks"
app = typer.Typer(help="Risk registers, appetite and decisions.", no_args_is_help=True)


class OutputFormat(StrEnum):
    CSV = "csv"
    JSON = "json"


def _write(rows: list[dict[str, object]], fmt: OutputFormat, out: TextIO) -> None:
    if fmt is OutputFormat.JSON:
        json.dump(rows, out, indent=2, ensure_ascii=False)
        out.write("\n")
        return
    write_csv(out, rows, CSV_COLUMNS)


@app.command("export")
def risks_export(
    format: Annotated[
        OutputFormat, typer.Option("--format", help="csv or json.")
    ] = OutputFormat.CSV,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="File (else stdout).")
    ] = None,
    organisation: Annotated[
        str | None, typer.Option(help="Only this department (its slug, e.g. ministry-of-justice).")
    ] = None,
) -> None:
    """Export every risk (or one department's) with its appetite and latest decision."""
    actor = Actor.system("cli risks export")
    with database().transaction(actor) as session:
        filters = RiskFilter()
        if organisation:
            org_id = session.scalar(
                select(Organisation.id).where(Organisation.slug == organisation)
            )
            if org_id is None:
                raise fail(f"no organisation with slug {organisation!r}")
            filters = RiskFilter(organisation_id=org_id)
        total = count_risks(session, actor=actor, filters=filters)
        with progress_bar() as bar:
            task = bar.add_task("Exporting risks", total=total)
            rows = list(
                risk_rows(
                    session,
                    actor=actor,
                    filters=filters,
                    progress=lambda n: bar.update(task, completed=n),
                )
            )
    out = output.open("w", newline="", encoding="utf-8") if output else sys.stdout
    try:
        _write(rows, format, out)
    finally:
        if output:
            out.close()
    console.print(f"Exported {len(rows)} risks.")


@app.command("refresh")
def risks_refresh() -> None:
    """Re-open risk decisions whose expiry has passed (pages do this on every read too)."""
    with database().transaction(Actor.system("cli risks refresh")) as session:
        count = reopen_expired(session)
    console.print(f"Re-opened {count} expired decision{'s' if count != 1 else ''}.")
