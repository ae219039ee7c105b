"""Queue, claim, run and report background jobs.

A domain registers a handler for a job kind with :func:`handler`. The handler receives a
:class:`JobContext` to report progress, and returns a JSON-able result. It runs in its own
transaction: if it raises, nothing it wrote is kept and the job is marked failed with the message.

Progress: on PostgreSQL it is written to the job's row in short transactions of its own (at most
twice a second). On SQLite a committed progress update would stop the handler's own transaction
from writing after it had read (a WAL snapshot cannot be upgraded past a newer commit), so there
progress is kept in this process's memory, which the pages read: the embedded default runs the
worker inside the web process. A separate `missionhub jobs work` on SQLite shows progress only
when the job ends.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from missionhub.accounts.permissions import Actor, require
from missionhub.db.base import utcnow
from missionhub.db.session import Database
from missionhub.errors import NotFound, ServiceError
from missionhub.jobs.models import Job, JobStatus

log = logging.getLogger(__name__)
PROGRESS_INTERVAL = 0.5  # seconds between progress writes
_live: dict[int, tuple[int, int | None, str | None]] = {}
_live_lock = threading.Lock()


@dataclass
class JobContext:
    """What a running handler gets: its job's id and params, the actor, and progress reporting."""

    db: Database
    job_id: int
    params: dict[str, Any]
    actor: Actor
    _written_at: float = field(default=0.0, repr=False)

    def progress(self, done: int, total: int | None = None, message: str | None = None) -> None:
        """Report progress so that people watching the job see it (see the module notes)."""
        message = message[:300] if message is not None else None
        with _live_lock:
            previous = _live.get(self.job_id, (0, None, None))
            _live[self.job_id] = (
                done,
                total if total is not None else previous[1],
                message if message is not None else previous[2],
            )
        now = time.monotonic()
        finished = total is not None and done >= total
        if self.db.is_sqlite or (now - self._written_at < PROGRESS_INTERVAL and not finished):
            return
        self._written_at = now
        values: dict[str, Any] = {"done": done}
        if total is not None:
            values["total"] = total
        if message is not None:
            values["message"] = message
        with self.db.transaction() as session:
            session.execute(update(Job).where(Job.id == self.job_id).values(**values))


Handler = Callable[[Session, JobContext], dict[str, Any] | None]
ViewCheck = Callable[[Session, Actor, Job], bool]
_HANDLERS: dict[str, Handler] = {}
_VIEW_CHECKS: dict[str, ViewCheck] = {}


def handler(kind: str, can_view: ViewCheck | None = None) -> Callable[[Handler], Handler]:
    """Register the function that runs jobs of ``kind``. ``can_view`` narrows who may see such a
    job (e.g. only a linkage project's members); by default the person who started it, staff of
    their organisation and admins may."""

    def register(fn: Handler) -> Handler:
        _HANDLERS[kind] = fn
        if can_view is not None:
            _VIEW_CHECKS[kind] = can_view
        return fn

    return register


def public_error(job: Job, actor: Actor) -> str | None:
    """The error as shown to the actor: its first line; the trace is for admins only."""
    if job.error is None or actor.is_admin:
        return job.error
    return job.error.split("\n", 1)[0]


def enqueue(
    session: Session, *, actor: Actor, kind: str, title: str, params: dict[str, Any]
) -> Job:
    job = Job(
        kind=kind,
        title=title,
        status=JobStatus.QUEUED,
        params=params,
        created_by_id=actor.user_id,
        organisation_id=actor.organisation_id,
    )
    session.add(job)
    session.flush()
    return job


def get_job(session: Session, *, actor: Actor, job_id: int) -> Job:
    """A job, to the person who started it, their organisation's staff, or an admin."""
    job = session.get(Job, job_id)
    if job is None:
        raise NotFound(f"No job with id {job_id}")
    check = _VIEW_CHECKS.get(job.kind)
    if actor.is_admin:
        allowed = True
    elif check is not None:
        allowed = check(session, actor, job)
    else:
        allowed = actor.user_id is not None and (
            job.created_by_id == actor.user_id or actor.belongs_to(job.organisation_id)
        )
    require(allowed, "You cannot see this job")
    with _live_lock:
        live = _live.get(job.id)
    if live is not None and job.status is JobStatus.RUNNING:
        session.expunge(job)  # shown with its live progress; never written back from here
        job.done, job.total, job.message = live[0], live[1] or job.total, live[2] or job.message
    return job


def claim_next(db: Database) -> Job | None:
    """Mark the oldest queued job running and return it (safe with several workers)."""
    with db.transaction() as session:
        candidate = session.scalar(
            select(Job.id).where(Job.status == JobStatus.QUEUED).order_by(Job.id).limit(1)
        )
        if candidate is None:
            return None
        claimed = session.execute(
            update(Job)
            .where(Job.id == candidate, Job.status == JobStatus.QUEUED)
            .values(status=JobStatus.RUNNING, started_at=utcnow())
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            return None
        return session.get(Job, candidate)


def run_job(db: Database, job: Job, actor: Actor) -> None:
    """Run one claimed job to completion, recording success or failure."""
    fn = _HANDLERS.get(job.kind)
    ctx = JobContext(db=db, job_id=job.id, params=job.params, actor=actor)
    try:
        if fn is None:
            raise ServiceError(f"No handler for jobs of kind {job.kind!r}")
        with db.transaction(actor) as session:
            result = fn(session, ctx)
        _finish(db, job.id, JobStatus.SUCCEEDED, result=result or {})
    except ServiceError as exc:
        _finish(db, job.id, JobStatus.FAILED, error=str(exc))
    except Exception as exc:  # a bug, not bad input: keep the trace for the admin
        log.exception("job %s failed", job.id)
        _finish(
            db,
            job.id,
            JobStatus.FAILED,
            error=f"Unexpected error: {exc}\n{traceback.format_exc(limit=5)}",
        )


def _finish(db: Database, job_id: int, status: JobStatus, **values: Any) -> None:
    with _live_lock:
        live = _live.pop(job_id, None)
    if live is not None:
        values.setdefault("done", live[0])
        if live[1] is not None:
            values.setdefault("total", live[1])
        if live[2] is not None:
            values.setdefault("message", live[2])
    with db.transaction() as session:
        session.execute(
            update(Job)
            .where(Job.id == job_id)
            .values(status=status, finished_at=utcnow(), **values)
        )
