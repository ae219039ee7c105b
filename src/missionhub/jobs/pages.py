"""A page showing a background job's progress (it refreshes itself until the job finishes)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse

from missionhub.jobs.service import get_job
from missionhub.web.deps import DbSession, PathId, SignedInActor
from missionhub.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/jobs/{job_id}", response_class=HTMLResponse)
def job_page(
    request: Request, job_id: PathId, session: DbSession, actor: SignedInActor
) -> HTMLResponse:
    job = get_job(session, actor=actor, job_id=job_id)
    return render(request, "jobs/job.html", {"title": job.title, "job": job})


@router.get("/jobs/{job_id}/status")
def job_status(job_id: PathId, session: DbSession, actor: SignedInActor) -> JSONResponse:
    """Progress for the page's script (cookie-authenticated, unlike the bearer-token API)."""
    job = get_job(session, actor=actor, job_id=job_id)
    return JSONResponse(
        {
            "status": job.status.value,
            "done": job.done,
            "total": job.total,
            "percent": job.percent,
            "message": job.message,
            "finished": job.status.finished,
        }
    )
