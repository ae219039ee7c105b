"""The `missionhub` command line: thin over the same services as the web.

Commands act as the trusted "system" actor (they run on the server, by its operators); every
write they make is in the audit log under that name. Each domain adds its own sub-commands
(``missionhub.<domain>.cli``, see missionhub.domains).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from missionhub.accounts.permissions import Actor
from missionhub.clitools import console, database, fail, progress_bar
from missionhub.db import migrate
from missionhub.domains import domain_modules
from missionhub.errors import ServiceError
from missionhub.settings import Environment, get_settings

app = typer.Typer(help="Mission Hub: run the platform and administer it.", no_args_is_help=True)
db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)
demo_app = typer.Typer(help="Demo data from the real public datasets.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(demo_app, name="demo")
for _module in domain_modules("cli"):
    app.add_typer(_module.app, name=_module.NAME)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="Web worker processes.")] = 1,
    reload: Annotated[bool, typer.Option(help="Restart on code changes (development).")] = False,
    access_log: Annotated[bool, typer.Option(help="Log every request.")] = True,
    log_level: Annotated[str, typer.Option(help="debug, info, warning or error.")] = "info",
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
        log_level=log_level,
        access_log=access_log,
        # a worker process re-imports this CLI (every domain) before answering health checks;
        # on a busy machine that takes longer than uvicorn's 5-second default
        timeout_worker_healthcheck=60,
    )


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Option(help="Target revision.")] = "head") -> None:
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
    password = settings.demo_password or DEFAULT_DEMO_PASSWORD
    with progress_bar() as bar:
        task = bar.add_task("Importing ATRS records", total=None)
        try:
            with database().transaction(Actor.system("demo load")) as session:
                report = load_demo(
                    session,
                    data_dir=data_dir or settings.data_dir,
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
    for summary in report.domains:
        console.print(summary)
    if report.new_accounts:
        console.print(f"Demo accounts (password: {password}):")
        for email in report.new_accounts:
            console.print(f"  {email}")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
