"""`missionhub linkage ...`: the data owner's offline encoder, and a thin client of the hub's API.

``keygen``, ``encode`` and ``dedupe`` run at the data owner, with no connection to the hub. The
secret stays in the owner's file. ``upload`` and ``download`` talk to the hub's JSON API with
an API token; ``link`` runs a link run on the hub's own server (operators).
"""

from __future__ import annotations

import json
import os
import secrets
import stat
from pathlib import Path
from typing import Annotated

import httpx
import typer

from missionhub.clitools import console, fail, progress_bar
from missionhub.errors import ServiceError
from missionhub.linkage import dedupe_jobs, exchange  # noqa: F401  (registers the job handlers)
from missionhub.linkage.encoder import EncodeOptions, encode_file, read_input
from missionhub.linkage.encoding import SecretError
from missionhub.linkage.linkage_schema import parse_schema
from missionhub.linkage.splink_dedupe import Backend, Columns, dedupe

NAME = "linkage"
app = typer.Typer(help="Privacy-preserving record linkage.", no_args_is_help=True)


def _pairs(values: list[str], option: str) -> dict[str, str]:
    out = {}
    for value in values:
        key, sep, column = value.partition("=")
        if not sep or not key or not column:
            raise fail(f"{option} takes FIELD=VALUE, not {value!r}")
        out[key.strip()] = column.strip()
    return out


def _read_secret(path: Path) -> bytes:
    if not path.exists():
        raise fail(f"no secret file at {path}")
    if os.name == "posix" and path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        console.print(f"[yellow]Warning:[/yellow] {path} is readable by others: chmod 600 it")
    return path.read_bytes()


@app.command("keygen")
def keygen(
    output: Annotated[Path, typer.Option("-o", "--output", help="File to write the secret to.")],
) -> None:
    """Make a new random secret for one project, to share between the data owners only."""
    if output.exists():
        raise fail(f"{output} exists: a secret is never overwritten")
    output.write_text(secrets.token_hex(32) + "\n")
    output.chmod(0o600)
    console.print(f"Wrote a 256-bit secret to {output}. Share it with the other data owners only.")


@app.command("encode")
def encode(
    input: Annotated[Path, typer.Argument(help="CSV or Parquet file of records.")],
    schema: Annotated[Path, typer.Option("--schema", help="The project's schema (JSON).")],
    secret_file: Annotated[Path, typer.Option("--secret-file", help="The agreed secret.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Encodings file (.parquet).")],
    column: Annotated[
        list[str], typer.Option("--column", help="FIELD=COLUMN where names differ; repeat.")
    ] = [],  # noqa: B006
    date_format: Annotated[
        list[str], typer.Option("--date-format", help="FIELD=FORMAT, e.g. date_of_birth=%d/%m/%Y.")
    ] = [],  # noqa: B006
    id_column: Annotated[
        str | None, typer.Option(help="Column of record ids (default: the row number).")
    ] = None,
    truth_column: Annotated[
        str | None, typer.Option(help="Evaluation only: column of true identities (hashed).")
    ] = None,
) -> None:
    """Encode records offline: Bloom-filter (CLK) encodings and keyed-hash match keys."""
    try:
        parsed = parse_schema(schema.read_text())
        options = EncodeOptions(
            columns=_pairs(column, "--column"),
            date_formats={k: [v] for k, v in _pairs(date_format, "--date-format").items()},
            id_column=id_column,
            truth_column=truth_column,
        )
        with progress_bar() as bar:
            task = bar.add_task("Encoding", total=None)
            count = encode_file(
                input,
                output,
                parsed,
                _read_secret(secret_file),
                options,
                lambda done, total: bar.update(task, completed=done, total=total),
            )
    except (ServiceError, SecretError, OSError) as exc:
        raise fail(str(exc)) from exc
    console.print(
        f"Encoded {count:,} records with {parsed.name} version {parsed.version} to {output}."
    )


def _client(hub: str, token_file: Path) -> httpx.Client:
    token = token_file.read_text().strip()
    return httpx.Client(base_url=hub, headers={"Authorization": f"Bearer {token}"}, timeout=600)


def upload_file(client: httpx.Client, project_id: int, path: Path) -> dict[str, object]:
    """POST an encodings file to the hub; the hub's answer, or ServiceError with its message."""
    with path.open("rb") as fh:
        response = client.post(
            f"/api/linkage/projects/{project_id}/encodings",
            files={"file": (path.name, fh, "application/octet-stream")},
        )
    if response.status_code != 201:
        raise ServiceError(_problem(response))
    return dict(response.json())


def download_file(client: httpx.Client, run_id: int, output: Path) -> int:
    """Save this owner's mapping of a run to ``output``; returns the number of records."""
    response = client.get(f"/api/linkage/runs/{run_id}/mapping")
    if response.status_code != 200:
        raise ServiceError(_problem(response))
    output.write_bytes(response.content)
    return max(response.text.count("\n") - 1, 0)


def _problem(response: httpx.Response) -> str:
    try:
        detail = response.json().get("detail")
    except ValueError:
        detail = response.text
    if isinstance(detail, list):
        detail = "; ".join(str(d.get("msg", d)) for d in detail)
    return f"the hub answered {response.status_code}: {detail}"


@app.command("upload")
def upload(
    file: Annotated[Path, typer.Argument(help="Encodings file (.parquet).")],
    project: Annotated[int, typer.Option(help="Linkage project id.")],
    hub: Annotated[str, typer.Option(help="The hub's address, e.g. https://hub.example.gov.uk")],
    token_file: Annotated[Path, typer.Option(help="File holding your API token.")],
) -> None:
    """Upload your department's encodings to the hub."""
    try:
        with _client(hub, token_file) as client:
            answer = upload_file(client, project, file)
    except (ServiceError, httpx.HTTPError, OSError) as exc:
        raise fail(str(exc)) from exc
    console.print(f"Uploaded encodings of {answer['records']:,} records.")


@app.command("download")
def download(
    run: Annotated[int, typer.Option(help="Link run id.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="CSV file to write.")],
    hub: Annotated[str, typer.Option(help="The hub's address.")],
    token_file: Annotated[Path, typer.Option(help="File holding your API token.")],
) -> None:
    """Download your department's mapping (record id, link id, match confidence)."""
    try:
        with _client(hub, token_file) as client:
            count = download_file(client, run, output)
    except (ServiceError, httpx.HTTPError, OSError) as exc:
        raise fail(str(exc)) from exc
    console.print(f"Saved the mapping of {count:,} records to {output}.")


@app.command("dedupe")
def dedupe_command(
    input: Annotated[Path, typer.Argument(help="CSV or Parquet file of your own records.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Folder for the artefacts.")],
    backend: Annotated[str, typer.Option(help="duckdb (in-process) or spark.")] = "duckdb",
    column: Annotated[list[str], typer.Option("--column", help="FIELD=COLUMN; repeat.")] = [],  # noqa: B006
    date_format: Annotated[str | None, typer.Option(help="Date of birth format.")] = None,
    id_column: Annotated[str | None, typer.Option(help="Column of record ids.")] = None,
    threshold: Annotated[float, typer.Option(help="Match probability for duplicates.")] = 0.9,
) -> None:
    """Find duplicates in your own records, in the clear, with Splink (model and charts kept)."""
    if backend not in ("duckdb", "spark"):
        raise fail("--backend is duckdb or spark")
    columns = Columns(
        mapping=_pairs(column, "--column"),
        date_formats=[date_format] if date_format else Columns().date_formats,
        id_column=id_column,
    )
    try:
        frame = read_input(input).table.to_pandas()
        with progress_bar() as bar:
            bar.add_task("Training and scoring", total=None)
            result = dedupe(
                frame, output, columns=columns, backend=_backend(backend), threshold=threshold
            )
    except ServiceError as exc:
        raise fail(str(exc)) from exc
    console.print(json.dumps(result.__dict__, indent=2))


def _backend(name: str) -> Backend:
    return "spark" if name == "spark" else "duckdb"
