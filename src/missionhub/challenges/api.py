"""JSON API for challenges. Every route calls the same service function as its page, so it
never shows more than the page: suppliers get their own released aggregates, never cases."""

from __future__ import annotations

import io
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel

from missionhub.accounts.permissions import Actor
from missionhub.challenges import service
from missionhub.challenges.models import Challenge
from missionhub.challenges.schemas import (
    AwardIn,
    ChallengeIn,
    ChallengeOut,
    EndpointIn,
    StatusIn,
    SubmissionIn,
    SubmissionOut,
    SuiteOut,
)
from missionhub.challenges.suites import TABLES
from missionhub.settings import Environment
from missionhub.web.deps import AppSettings, CurrentActor, DbSession, PathId
from missionhub.web.uploads import received_file

router = APIRouter(tags=["challenges"])


class ChallengeDetailOut(ChallengeOut):
    suite: SuiteOut | None


class ChallengePageOut(BaseModel):
    items: list[ChallengeOut]
    total: int
    page: int
    page_size: int


class JobRefOut(BaseModel):
    job_id: PathId
    submission: SubmissionOut | None = None


class ImportIn(BaseModel):
    source: str


def _out(c: Challenge, actor: Actor) -> ChallengeOut:
    """A challenge as ``actor`` may see it: the use case's id only if they may read it."""
    out = ChallengeOut.model_validate(c)
    if c.use_case_id is not None and service.visible_use_case(actor, c) is None:
        out = out.model_copy(update={"use_case_id": None})
    return out


def _detail(c: Challenge, actor: Actor) -> ChallengeDetailOut:
    data = _out(c, actor).model_dump()
    suite = SuiteOut.model_validate(c.suite) if service.can_own(actor, c) and c.suite else None
    return ChallengeDetailOut(**data, suite=suite)


@router.get("/challenges", summary="Challenges you can see (published briefs for everyone)")
def list_challenges(
    session: DbSession,
    actor: CurrentActor,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=200)] = 20,
) -> ChallengePageOut:
    result = service.list_challenges(session, actor=actor, page=page, page_size=page_size)
    return ChallengePageOut(
        items=[_out(c, actor) for c in result.items],
        total=result.total,
        page=result.page,
        page_size=result.page_size,
    )


@router.post("/challenges", status_code=201, summary="Create a challenge (a draft)")
def create_challenge(data: ChallengeIn, session: DbSession, actor: CurrentActor) -> ChallengeOut:
    return _out(service.create_challenge(session, actor=actor, data=data), actor)


@router.get("/challenges/{challenge_id}", summary="One challenge's brief")
def get_challenge(
    challenge_id: PathId, session: DbSession, actor: CurrentActor
) -> ChallengeDetailOut:
    c = service.get_challenge(session, actor=actor, challenge_id=challenge_id)
    return _detail(c, actor)


@router.put("/challenges/{challenge_id}", summary="Change a challenge's brief (owners)")
def update_challenge(
    challenge_id: PathId, data: ChallengeIn, session: DbSession, actor: CurrentActor
) -> ChallengeOut:
    return _out(
        service.update_challenge(session, actor=actor, challenge_id=challenge_id, data=data),
        actor,
    )


@router.post("/challenges/{challenge_id}/status", summary="Open, close or reopen a challenge")
def change_status(
    challenge_id: PathId, data: StatusIn, session: DbSession, actor: CurrentActor
) -> ChallengeOut:
    return _out(
        service.change_status(session, actor=actor, challenge_id=challenge_id, to=data.status),
        actor,
    )


@router.post(
    "/challenges/{challenge_id}/suites", status_code=201, summary="Upload a hidden test suite"
)
async def upload_suite(
    challenge_id: PathId,
    session: DbSession,
    actor: CurrentActor,
    settings: AppSettings,
    file: Annotated[UploadFile, File(description="CSV or Parquet")],
) -> SuiteOut:
    async with received_file(file, settings, field="file", allowed_suffixes=TABLES) as upload:
        suite = service.upload_suite(
            session,
            actor=actor,
            challenge_id=challenge_id,
            path=upload.path,
            filename=upload.filename,
            sha256=upload.sha256,
        )
    return SuiteOut.model_validate(suite)


@router.post(
    "/challenges/{challenge_id}/suites/import",
    status_code=201,
    summary="Use a ready-made suite: hatecheck, mhc or adult",
)
def import_suite(
    challenge_id: PathId,
    data: ImportIn,
    session: DbSession,
    actor: CurrentActor,
    settings: AppSettings,
) -> SuiteOut:
    suite = service.import_suite(
        session,
        actor=actor,
        challenge_id=challenge_id,
        source=data.source,
        data_dir=settings.data_dir,
    )
    return SuiteOut.model_validate(suite)


@router.get(
    "/challenges/{challenge_id}/inputs",
    summary="The test inputs as CSV: case ids and inputs, no labels or groups",
    response_class=Response,
)
def inputs(challenge_id: PathId, session: DbSession, actor: CurrentActor) -> Response:
    frame = service.suite_inputs(session, actor=actor, challenge_id=challenge_id)
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False)
    return Response(buffer.getvalue(), media_type="text/csv; charset=utf-8")


@router.post(
    "/challenges/{challenge_id}/submissions", status_code=201, summary="Submit a predictions file"
)
async def submit(
    challenge_id: PathId,
    session: DbSession,
    actor: CurrentActor,
    settings: AppSettings,
    file: Annotated[UploadFile, File(description="CSV or Parquet: case_id, label, score")],
    name: Annotated[str, Form(max_length=200)],
    description: Annotated[str | None, Form(max_length=20_000)] = None,
) -> SubmissionOut:
    data = SubmissionIn(name=name, description=description)
    async with received_file(file, settings, field="file", allowed_suffixes=TABLES) as upload:
        submission = service.submit_predictions_file(
            session,
            actor=actor,
            challenge_id=challenge_id,
            data=data,
            path=upload.path,
            filename=upload.filename,
        )
    return SubmissionOut.model_validate(submission)


@router.post(
    "/challenges/{challenge_id}/endpoints",
    status_code=202,
    summary="Register a model endpoint; the platform calls it in a background job",
)
def register_endpoint(
    challenge_id: PathId,
    data: EndpointIn,
    session: DbSession,
    actor: CurrentActor,
    settings: AppSettings,
) -> JobRefOut:
    submission, job = service.register_endpoint(
        session,
        actor=actor,
        challenge_id=challenge_id,
        data=data,
        allow_private=settings.environment is not Environment.PRODUCTION,
    )
    return JobRefOut(job_id=job.id, submission=SubmissionOut.model_validate(submission))


@router.get("/challenges/{challenge_id}/submissions", summary="Submissions you may see")
def submissions(
    challenge_id: PathId, session: DbSession, actor: CurrentActor
) -> list[SubmissionOut]:
    return [
        SubmissionOut.model_validate(s)
        for s in service.own_submissions(session, actor=actor, challenge_id=challenge_id)
    ]


@router.post("/challenges/{challenge_id}/evaluations", status_code=202, summary="Evaluate (owners)")
def evaluate(challenge_id: PathId, session: DbSession, actor: CurrentActor) -> JobRefOut:
    job = service.request_evaluation(session, actor=actor, challenge_id=challenge_id)
    return JobRefOut(job_id=job.id)


@router.get("/challenges/{challenge_id}/report", summary="The full evaluation (owners)")
def get_report(challenge_id: PathId, session: DbSession, actor: CurrentActor) -> dict[str, Any]:
    evaluation = service.owner_report(session, actor=actor, challenge_id=challenge_id)
    return {"results_sha256": evaluation.results_sha256, **evaluation.results}


@router.post("/challenges/{challenge_id}/release", summary="Release aggregates to suppliers")
def release(challenge_id: PathId, session: DbSession, actor: CurrentActor) -> ChallengeOut:
    return _out(
        service.release_results(session, actor=actor, challenge_id=challenge_id),
        actor,
    )


@router.post("/challenges/{challenge_id}/award", summary="Award the challenge (owners)")
def award(
    challenge_id: PathId, data: AwardIn, session: DbSession, actor: CurrentActor
) -> ChallengeOut:
    return _out(
        service.award(session, actor=actor, challenge_id=challenge_id, data=data),
        actor,
    )


@router.get(
    "/challenges/{challenge_id}/results", summary="Your own submissions' released aggregates"
)
def results(challenge_id: PathId, session: DbSession, actor: CurrentActor) -> dict[str, Any]:
    return service.supplier_results(session, actor=actor, challenge_id=challenge_id)
