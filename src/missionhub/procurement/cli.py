"""`missionhub procurement ...`: ingest OCDS and spend, SME share, audits, the pipeline."""

from __future__ import annotations

import json
import sys
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy import select

from missionhub.accounts.models import Organisation
from missionhub.accounts.permissions import Actor
from missionhub.clitools import console, database, fail, progress_bar
from missionhub.csvout import write_csv
from missionhub.errors import ServiceError
from missionhub.procurement import jobs as _jobs  # noqa: F401  (registers the ingest job)
from missionhub.procurement import pipeline, reports, spend, supply_chain
from missionhub.procurement.ingest import ingest_ocds
from missionhub.settings import get_settings

NAME = "procurement"
app = typer.Typer(
    help="Procurement: OCDS and spend, SME share, audits, pipeline.", no_args_is_help=True
)
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON on stdout.")]


def schema_path() -> Path:
    return get_settings().data_dir / "procurement" / "ocds_release_schema_1.1.5.json"


def _emit(data: Any, as_json: bool, text: str) -> None:
    if as_json:
        sys.stdout.write(json.dumps(data, indent=2, default=str, ensure_ascii=False) + "\n")
    else:
        console.print(text)


def _org_id(session: Any, name: str | None) -> int | None:
    if not name:
        return None
    org = session.scalar(
        select(Organisation).where(
            (Organisation.name == name) | (Organisation.abbreviation == name)
        )
    )
    if org is None:
        raise fail(f"no organisation called {name!r}")
    return org.id


@app.command("ingest")
def ingest(
    file: Annotated[
        str, typer.Argument(help="OCDS release/record package or JSON Lines; - for stdin.")
    ],
    keep_valid: Annotated[
        bool, typer.Option(help="Load the valid releases, list the rejects.")
    ] = False,
    encoding: Annotated[str, typer.Option(help="The file's text encoding.")] = "utf-8",
    as_json: JsonOption = False,
) -> None:
    """Load OCDS releases (validated offline), compile each process with ocdsmerge."""
    actor = Actor.system("cli procurement ingest")
    source = sys.stdin.buffer if file == "-" else None
    try:
        with progress_bar() as bar, database().transaction(actor) as session:
            task = bar.add_task("Reading releases", total=None)
            with source or Path(file).open("rb") as f:
                report = ingest_ocds(
                    session,
                    actor=actor,
                    source=f,
                    filename=file,
                    schema_path=schema_path(),
                    keep_valid=keep_valid,
                    encoding=encoding,
                    progress=lambda n, msg: bar.update(task, completed=n, description=msg),
                    parallel=True,
                )
            matched = spend.rematch(session)
    except (ServiceError, OSError) as exc:
        raise fail(f"nothing was loaded: {exc}") from exc
    data = report.as_dict() | {"spend_lines_newly_matched": matched}
    _emit(
        data,
        as_json,
        f"Releases read {report.read}, new {report.new}, already stored "
        f"{report.existing}; processes compiled {report.compiled}; awards {report.awards}; "
        f"rejected {len(report.rejected)}; warnings {len(report.warnings)}.",
    )


@app.command("spend")
def spend_cmd(
    file: Annotated[Path, typer.Argument(help="A 'spend over £25,000' CSV file.")],
    organisation: Annotated[str, typer.Option(help="The department (name or abbreviation).")],
    encoding: Annotated[str, typer.Option(help="The file's text encoding.")] = "utf-8-sig",
    as_json: JsonOption = False,
) -> None:
    """Load a department's spend file; match suppliers; list the unmatched ones."""
    actor = Actor.system("cli procurement spend")
    try:
        with database().transaction(actor) as session:
            upload = spend.ingest_spend(
                session,
                actor=actor,
                data=spend.read_spend_path(file),
                filename=file.name,
                organisation_id=_org_id(session, organisation),
                encoding=encoding,
            )
            unmatched = upload.unmatched or []
            data: dict[str, Any] = {
                "upload_id": upload.id,
                "lines": upload.rows,
                "total": str(upload.total),
                "unmatched": unmatched,
            }
    except ServiceError as exc:
        raise fail(f"nothing was loaded: {exc}") from exc
    _emit(
        data,
        as_json,
        f"{data['lines']} lines, total £{Decimal(str(data['total'])):,.2f}; "
        f"{len(unmatched)} suppliers not in the register.",
    )


@app.command("returns")
def returns_cmd(
    file: Annotated[Path, typer.Argument(help="Supply-chain returns in the CSV template.")],
    as_json: JsonOption = False,
) -> None:
    """Load supply-chain returns (PPN 01/18) from the CSV template."""
    actor = Actor.system("cli procurement returns")
    try:
        with database().transaction(actor) as session:
            saved = supply_chain.import_returns(session, actor=actor, data=file.read_bytes())
            ids = [r.id for r in saved]
    except ServiceError as exc:
        raise fail(f"nothing was loaded: {exc}") from exc
    _emit({"returns": ids}, as_json, f"{len(ids)} returns loaded.")


@app.command("sme-share")
def sme_share_cmd(
    year: Annotated[str | None, typer.Option(help="Financial year, e.g. 2024-25.")] = None,
    csv_out: Annotated[bool, typer.Option("--csv", help="Print CSV on stdout.")] = False,
    as_json: JsonOption = False,
) -> None:
    """SME share by department and year on the Cabinet Office method (columns B to R)."""
    with database().transaction(Actor.system("cli sme-share")) as session:
        report = reports.sme_share_report(session, actor=Actor.system(), financial_year=year)
    if csv_out:
        write_csv(sys.stdout, report.rows, list(report.rows[0]) if report.rows else [])
        return
    total = report.totals
    _emit(
        {"rows": report.rows, "totals": total},
        as_json,
        f"{len(report.rows)} department-years; total spend £{total['B']:,.0f}; SME share "
        f"{(total['N'] or 0):.1%} (direct {(total['D'] or 0):.1%}) against a 33% target.",
    )


@app.command("audit")
def audit_cmd(
    award: Annotated[list[int], typer.Option(help="Award id (repeat for a programme).")],
    min_share: Annotated[float, typer.Option(help="Flag SMEs paid less than this share.")] = 0.5,
    after_days: Annotated[int, typer.Option(help="Days after being named before flagging.")] = 180,
    csv_out: Annotated[bool, typer.Option("--csv", help="Print CSV on stdout.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Sidelined SMEs: named at award, then paid nothing or too little."""
    try:
        with database().transaction(Actor.system("cli audit")) as session:
            report = reports.audit(
                session,
                actor=Actor.system(),
                award_ids=award,
                min_share=Decimal(str(min_share)),
                after_days=after_days,
            )
            rows = reports.audit_rows(report)
    except ServiceError as exc:
        raise fail(str(exc)) from exc
    if csv_out:
        write_csv(sys.stdout, rows, list(rows[0]) if rows else ["award_id"])
        return
    flagged = [r for r in rows if r["flag"]]
    _emit(
        {"lines": rows, "flagged": len(flagged)},
        as_json,
        f"{len(rows)} named suppliers on {len(award)} contracts; {len(flagged)} flagged.",
    )


@app.command("pipeline")
def pipeline_cmd(
    base_url: Annotated[str, typer.Option(help="Address of the site, for links.")] = "",
    as_json: JsonOption = False,
) -> None:
    """The published buying pipeline as an OCDS release package of planning releases."""
    with database().transaction(Actor.public()) as session:
        items = pipeline.list_planned(session, actor=Actor.public())
        package = pipeline.planning_package(session, items, base_url=base_url)
    if as_json:
        _emit(package, True, "")
    else:
        for release in package["releases"]:
            console.print(f"{release['ocid']}  {release['tender']['title']}")
        console.print(f"{len(package['releases'])} planned procurements.")
