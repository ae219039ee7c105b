"""The worker loop: claim a queued job, run it as the person who queued it, repeat."""

from __future__ import annotations

import threading

from missionhub.accounts.models import User
from missionhub.accounts.permissions import Actor
from missionhub.accounts.service import actor_for
from missionhub.db.session import Database
from missionhub.jobs.models import Job
from missionhub.jobs.service import claim_next, run_job


def _actor_of(db: Database, job: Job) -> Actor:
    if job.created_by_id is None:
        return Actor.system(f"job {job.id}")
    with db.transaction() as session:
        user = session.get(User, job.created_by_id)
        return actor_for(user) if user else Actor.system(f"job {job.id}")


def work_once(db: Database) -> bool:
    """Run the next queued job, if any. True if one ran."""
    job = claim_next(db)
    if job is None:
        return False
    run_job(db, job, _actor_of(db, job))
    return True


def work_until_empty(db: Database) -> int:
    """Run queued jobs until none is left; returns how many ran (for the CLI and tests)."""
    count = 0
    while work_once(db):
        count += 1
    return count


def run_forever(db: Database, stop: threading.Event, poll_seconds: float = 1.0) -> None:
    while not stop.is_set():
        if not work_once(db):
            stop.wait(poll_seconds)


def start_in_thread(db: Database) -> tuple[threading.Thread, threading.Event]:
    """Run the worker beside the web server (the embedded default)."""
    stop = threading.Event()
    thread = threading.Thread(
        target=run_forever, args=(db, stop), name="missionhub-worker", daemon=True
    )
    thread.start()
    return thread, stop
