"""Background jobs: queued, run by the worker as the person who asked, with progress;
a failing job keeps nothing it wrote."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from missionhub.accounts.models import Organisation, OrgKind
from missionhub.accounts.seed import ensure_organisation
from missionhub.db.session import Database
from missionhub.errors import Invalid
from missionhub.jobs import service
from missionhub.jobs.models import JobStatus
from missionhub.jobs.worker import work_until_empty
from tests.factories import World

SEEN: dict[str, Any] = {}


@service.handler("test.count")
def _count(session: Session, ctx: service.JobContext) -> dict[str, Any]:
    total = int(ctx.params["n"])
    for i in range(1, total + 1):
        ctx.progress(i, total, f"item {i}")
    SEEN["actor"] = ctx.actor.label
    return {"counted": total}


@service.handler("test.fail")
def _fail(session: Session, ctx: service.JobContext) -> None:
    ensure_organisation(session, "Half-written Ltd", OrgKind.SUPPLIER)
    session.flush()
    raise Invalid("row 3: not a number", field="row 3")


def test_a_job_runs_as_its_owner_and_reports_progress(
    db: Database, world: World, session: Session, client: TestClient
) -> None:
    member = world.member(world.department())
    job = service.enqueue(
        session, actor=world.actor(member), kind="test.count", title="Counting", params={"n": 3}
    )
    session.commit()
    assert work_until_empty(db) == 1
    session.refresh(job)
    assert job.status is JobStatus.SUCCEEDED
    assert (job.done, job.total, job.percent, job.result) == (3, 3, 100, {"counted": 3})
    assert member.email in SEEN["actor"]
    world.sign_in(client, member)
    page = client.get(f"/jobs/{job.id}")
    assert page.status_code == 200
    assert "Succeeded" in page.text
    assert client.get(f"/jobs/{job.id}/status").json()["finished"] is True


def test_a_failed_job_keeps_nothing_and_says_why(
    db: Database, world: World, session: Session
) -> None:
    member = world.member(world.department())
    job = service.enqueue(
        session, actor=world.actor(member), kind="test.fail", title="Failing", params={}
    )
    session.commit()
    work_until_empty(db)
    session.refresh(job)
    assert job.status is JobStatus.FAILED
    assert job.error is not None
    assert "row 3: not a number" in job.error
    assert (
        session.scalar(
            select(func.count())
            .select_from(Organisation)
            .where(Organisation.name == "Half-written Ltd")
        )
        == 0
    )


def test_other_departments_cannot_see_a_job(world: World, session: Session) -> None:
    from missionhub.errors import PermissionDenied

    member = world.member(world.department())
    job = service.enqueue(
        session, actor=world.actor(member), kind="test.count", title="Counting", params={"n": 1}
    )
    outsider = world.member(world.department("Ministry of Justice"))
    with pytest.raises(PermissionDenied):
        service.get_job(session, actor=world.actor(outsider), job_id=job.id)


@service.handler("test.read_progress_write")
def _read_progress_write(session: Session, ctx: service.JobContext) -> dict[str, Any]:
    """The pattern that once failed on SQLite: read, report progress, then write."""
    before = session.scalar(select(func.count()).select_from(Organisation))
    ctx.progress(1, 2, "halfway")
    ensure_organisation(session, "Written after progress Ltd", OrgKind.SUPPLIER)
    ctx.progress(2, 2, "done")
    return {"organisations_before": before}


def test_a_job_can_read_report_progress_and_then_write(
    db: Database, world: World, session: Session
) -> None:
    member = world.member(world.department())
    job = service.enqueue(
        session,
        actor=world.actor(member),
        kind="test.read_progress_write",
        title="Read, progress, write",
        params={},
    )
    session.commit()
    work_until_empty(db)
    session.refresh(job)
    assert job.status is JobStatus.SUCCEEDED, job.error
    assert (job.done, job.total, job.message) == (2, 2, "done")
    assert (
        session.scalar(
            select(func.count())
            .select_from(Organisation)
            .where(Organisation.name == "Written after progress Ltd")
        )
        == 1
    )


def _only_the_starter(session: Session, actor: Any, job: Any) -> bool:
    return bool(actor.user_id) and job.created_by_id == actor.user_id


service.handler("test.private", can_view=_only_the_starter)(_count)


def test_a_job_kind_can_narrow_who_sees_its_jobs_and_errors_hide_their_trace(
    world: World, session: Session, client: TestClient
) -> None:
    from missionhub.errors import PermissionDenied

    dwp = world.department()
    starter, colleague = world.member(dwp), world.member(dwp)
    job = service.enqueue(
        session, actor=world.actor(starter), kind="test.private", title="Private", params={"n": 1}
    )
    assert service.get_job(session, actor=world.actor(starter), job_id=job.id) is job
    with pytest.raises(PermissionDenied):
        service.get_job(session, actor=world.actor(colleague), job_id=job.id)
    job.error = "Unexpected error: boom\nTraceback (most recent call last): ..."
    session.flush()
    shown = client.get(f"/api/jobs/{job.id}", headers=world.bearer(starter)).json()["error"]
    assert shown == "Unexpected error: boom"
