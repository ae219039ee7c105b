"""`missionhub jobs ...`: the background worker as its own process."""

from __future__ import annotations

import threading
from typing import Annotated

import typer

from missionhub.clitools import console, database
from missionhub.jobs.worker import run_forever, work_until_empty

NAME = "jobs"
app = typer.Typer(help="Background jobs.", no_args_is_help=True)


@app.command("work")
def jobs_work(
    once: Annotated[bool, typer.Option(help="Run the queued jobs, then stop.")] = False,
) -> None:
    """Run the job worker (a separate process, for deployments at scale)."""
    db = database()
    if once:
        console.print(f"Ran {work_until_empty(db)} jobs.")
        return
    run_forever(db, threading.Event())
