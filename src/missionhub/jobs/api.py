"""JSON status of background jobs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict

from missionhub.jobs.models import JobStatus
from missionhub.jobs.service import get_job, public_error
from missionhub.web.deps import CurrentActor, DbSession, PathId

router = APIRouter(tags=["jobs"])


class JobOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    title: str
    status: JobStatus
    done: int
    total: int | None
    percent: int | None
    message: str | None
    result: dict[str, Any] | None
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


@router.get("/jobs/{job_id}", summary="A background job's status and progress")
def job_status(job_id: PathId, session: DbSession, actor: CurrentActor) -> JobOut:
    job = get_job(session, actor=actor, job_id=job_id)
    out = JobOut.model_validate(job)
    return out.model_copy(update={"error": public_error(job, actor)})
