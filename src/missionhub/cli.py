"""The `missionhub` command line: thin over the same services as the web.

Commands act as the trusted "system" actor (they run on the server, by its operators), and
every write they make is in the audit log under that name.
"""

from __future__ import annotations

import csv
import getpass
import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import select

from missionhub.accounts.models import ApiToken, Organisation, Role, User
from missionhub.accounts.permissions import Actor
from missionhub.accounts.schemas import TokenIn, UserIn
from missionhub.db import migrate
from missionhub.db.session import Database
from missionhub.errors import ServiceError
from missionhub.settings import Environment, get_settings

app = typer.Typer(help="Mission Hub: run the platform and administer it.", no_args_is_help=True)
db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)
demo_app = typer.Typer(help="Demo data from the real public datasets.", no_args_is_help=True)
users_app = typer.Typer(help="Accounts and API tokens.", no_args_is_help=True)
projects_app = typer.Typer(help="Projects.", no_args_is_help=True)
jobs_app = typer.Typer(help="Background jobs.", no_args_is_help=True)
for sub, name in (
    (db_app, "db"),
    (demo_app, "demo"),
    (users_app, "users"),
    (projects_app, "projects"),
    (jobs_app, "jobs"),
):
    app.add_typer(sub, name=name)

console = Console(stderr=True)


def _database() -> Database:
    return Database(get_settings().database_url)


def progress_bar() -> Progress:
    """The progress bar every long command shows (on stderr, so stdout stays clean)."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )


def fail(message: str) -> typer.Exit:
    console.print(f"[red]Error:[/red] {message}")
    return typer.Exit(code=1)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="Web worker processes.")] = 1,
    reload: Annotated[bool, typer.Option(help="Restart on code changes (development).")] = False,
) -> None:
    """Serve the web pages, the JSON API and the in-process job worker."""
    import uvicorn

    uvicorn.run(
        "missionhub.web.asgi:app",
        host=host,
        port=port,
        workers=workers,
        reload=reload,
        proxy_headers=True,
        forwarded_allow_ips="127.0.0.1",
        log_level="info",
    )


@db_app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Option(help="Target revision.")] = "head",
) -> None:
    """Create or migrate the database to the newest schema."""
    settings = get_settings()
    if settings.is_sqlite:
        settings.var_dir.mkdir(parents=True, exist_ok=True)
    migrate.upgrade(settings.database_url, revision)
    console.print(f"Database at {revision}.")


@db_app.command("downgrade")
def db_downgrade(
    revision: Annotated[str, typer.Argument(help="Target revision, e.g. -1.")],
) -> None:
    """Step the schema back (developers)."""
    migrate.downgrade(get_settings().database_url, revision)


@db_app.command("revision")
def db_revision(
    message: Annotated[str, typer.Option("-m", help="What the migration does.")],
) -> None:
    """Autogenerate a migration from the models (developers)."""
    migrate.revision(get_settings().database_url, message)


@demo_app.command("load")
def demo_load(
    data_dir: Annotated[Path | None, typer.Option(help="Folder of the public datasets.")] = None,
) -> None:
    """Load departments, missions, the 136 ATRS records as projects, and demo accounts."""
    from missionhub.demo import DEFAULT_DEMO_PASSWORD, load_demo

    settings = get_settings()
    if settings.environment is Environment.PRODUCTION:
        raise fail("demo accounts are not loaded in production")
    data_dir = data_dir or settings.data_dir
    password = settings.demo_password or DEFAULT_DEMO_PASSWORD
    db = _database()
    with progress_bar() as bar:
        task = bar.add_task("Importing ATRS records", total=None)
        try:
            with db.transaction(Actor.system("demo load")) as session:
                report = load_demo(
                    session,
                    data_dir=data_dir,
                    password=password,
                    progress=lambda i, n: bar.update(task, completed=i, total=n),
                )
        except ServiceError as exc:
            raise fail(str(exc)) from exc
    p = report.projects
    console.print(
        f"Organisations added: {report.new_organisations}; missions and milestones "
        f"added: {report.new_mission_items}; ATRS projects: {p.created} new, "
        f"{p.updated} updated, {p.unchanged} unchanged."
    )
    if report.new_accounts:
        console.print(f"Demo accounts (password: {password}):")
        for email in report.new_accounts:
            console.print(f"  {email}")


class OutputFormat(StrEnum):
    CSV = "csv"
    JSON = "json"


@users_app.command("create")
def users_create(
    email: Annotated[str, typer.Option(help="Sign-in email address.")],
    name: Annotated[str, typer.Option(help="Display name.")],
    role: Annotated[Role, typer.Option(help="Role.")],
    organisation: Annotated[str, typer.Option(help="Organisation name or slug.")],
    password_file: Annotated[
        Path | None, typer.Option(help="File holding the password (else you are prompted).")
    ] = None,
) -> None:
    """Create an account. The password is read from a file or a prompt, never the command line."""
    password = password_file.read_text().strip() if password_file else getpass.getpass("Password: ")
    db = _database()
    try:
        with db.transaction(Actor.system("cli")) as session:
            org = session.scalar(
                select(Organisation).where(
                    (Organisation.name == organisation) | (Organisation.slug == organisation)
                )
            )
            if org is None:
                raise fail(f"no organisation called {organisation!r}")
            data = _validated_user(email, name, password, role, org.id)
            from missionhub.accounts.service import create_user

            user = create_user(session, actor=Actor.system("cli"), data=data)
            console.print(f"Created {user.email} ({role.label}, {org.name}).")
    except ServiceError as exc:
        raise fail(str(exc)) from exc


def _validated_user(email: str, name: str, password: str, role: Role, org_id: int) -> UserIn:
    from pydantic import ValidationError

    try:
        return UserIn(
            email=email, display_name=name, password=password, role=role, organisation_id=org_id
        )
    except ValidationError as exc:
        raise fail("; ".join(f"{e['loc'][0]}: {e['msg']}" for e in exc.errors())) from exc


@users_app.command("token")
def users_token(
    email: Annotated[str, typer.Option(help="Whose token.")],
    name: Annotated[str, typer.Option(help="What the token is for.")],
    days: Annotated[int, typer.Option(help="Days until it expires.")] = 90,
) -> None:
    """Create an API token for a user and print it once (on stdout)."""
    from missionhub.accounts.service import actor_for, create_api_token

    db = _database()
    with db.transaction(Actor.system("cli")) as session:
        user = session.scalar(select(User).where(User.email == email.lower()))
        if user is None:
            raise fail(f"no user {email!r}")
        session.info["actor"] = actor_for(user)
        row, token = create_api_token(
            session, actor=actor_for(user), data=TokenIn(name=name, days=days)
        )
        assert isinstance(row, ApiToken)
    typer.echo(token)


@projects_app.command("export")
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
    from missionhub.portfolio.export import CSV_COLUMNS, project_rows

    db = _database()
    actor = Actor.public() if public else Actor.system("cli export")
    with db.transaction(actor) as session:
        rows = project_rows(session, actor=actor)
    out = output.open("w", newline="", encoding="utf-8") if output else sys.stdout
    try:
        if format is OutputFormat.JSON:
            json.dump(rows, out, indent=2, ensure_ascii=False)
            out.write("\n")
        else:
            writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS)
            writer.writeheader()
            writer.writerows(rows)
    finally:
        if output:
            out.close()
    console.print(f"Exported {len(rows)} projects.")


@jobs_app.command("work")
def jobs_work(
    once: Annotated[bool, typer.Option(help="Run queued jobs, then stop.")] = False,
) -> None:
    """Run the background job worker (a separate process, for deployments at scale)."""
    import threading

    from missionhub.jobs.worker import run_forever, work_until_empty

    db = _database()
    if once:
        console.print(f"Ran {work_until_empty(db)} jobs.")
        return
    run_forever(db, threading.Event())


def main() -> None:
    app()
