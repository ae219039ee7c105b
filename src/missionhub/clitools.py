"""What every `missionhub` command shares: the console, progress bars, errors, the database."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from missionhub.db.session import Database
from missionhub.settings import get_settings

console = Console(stderr=True, soft_wrap=True)


def database() -> Database:
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
    """Print ``message`` as an error; raise the returned Exit to stop with status 1."""
    console.print(f"[red]Error:[/red] {message}")
    return typer.Exit(code=1)
