"""JSON API for linkage: the same services as the pages. Data owners use it (or the CLI, which
calls it) to fetch the schema, upload encodings and download their own mapping."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, UploadFile
from fastapi.responses import StreamingResponse

from missionhub.linkage import exchange, projects
from missionhub.linkage.models import EncodingUpload, LinkageProject, LinkRun, MemberRole
from missionhub.linkage.schemas import (
    PartyOut,
    ProjectIn,
    ProjectOut,
    RunIn,
    RunOut,
    RunStarted,
    UploadOut,
)
from missionhub.web.deps import AppSettings, CurrentActor, DbSession, PathId
from missionhub.web.uploads import received_file

router = APIRouter(tags=["linkage"], prefix="/linkage")


def _project_out(project: LinkageProject, uploads: dict[int, EncodingUpload]) -> ProjectOut:
    owners: dict[int, list[str]] = {}
    for m in project.members:
        if m.role is MemberRole.OWNER:
            owners.setdefault(m.user.organisation_id, []).append(m.user.email)
    parties = [
        PartyOut(
            organisation_id=p.organisation_id,
            organisation_name=p.organisation.name,
            owners=owners.get(p.organisation_id, []),
            latest_upload_records=uploads[p.organisation_id].records
            if p.organisation_id in uploads
            else None,
            latest_upload_version=uploads[p.organisation_id].schema_version
            if p.organisation_id in uploads
            else None,
        )
        for p in project.parties
    ]
    return ProjectOut(
        id=project.id,
        reference=project.reference,
        name=project.name,
        purpose=project.purpose,
        hub_name=project.hub_name,
        schema_version=project.schema_version,
        steward_organisation=project.organisation.name,
        parties=parties,
        created_at=project.created_at,
    )


def _run_out(run: LinkRun) -> RunOut:
    return RunOut(
        id=run.id,
        project_id=run.project_id,
        schema_version=run.schema_version,
        method=run.method,
        threshold=run.threshold,
        job_id=run.job_id,
        status=run.job.status if run.job else None,
        quality=run.quality,
        created_at=run.created_at,
        finished_at=run.finished_at,
    )


@router.get("/projects", summary="Linkage projects you take part in")
def list_projects(session: DbSession, actor: CurrentActor) -> list[ProjectOut]:
    return [
        _project_out(p, exchange.latest_uploads(session, p))
        for p in projects.list_projects(session, actor=actor)
    ]


@router.post("/projects", status_code=201, summary="Set up a linkage project (you are its steward)")
def create_project(data: ProjectIn, session: DbSession, actor: CurrentActor) -> ProjectOut:
    project = projects.create_project(session, actor=actor, data=data)
    return _project_out(project, {})


@router.get("/projects/{project_id}", summary="A linkage project")
def get_project(project_id: PathId, session: DbSession, actor: CurrentActor) -> ProjectOut:
    project = projects.get_project(session, actor=actor, project_id=project_id)
    return _project_out(project, exchange.latest_uploads(session, project))


@router.get("/projects/{project_id}/schema", summary="The current linkage schema (no secret)")
def get_schema(project_id: PathId, session: DbSession, actor: CurrentActor) -> dict[str, Any]:
    return projects.schema_for(session, actor=actor, project_id=project_id).model_dump(mode="json")


@router.post(
    "/projects/{project_id}/encodings",
    status_code=201,
    summary="Upload your department's encodings (a Parquet file from `missionhub linkage encode`)",
)
async def upload_encodings(
    project_id: PathId,
    file: Annotated[UploadFile, File()],
    session: DbSession,
    actor: CurrentActor,
    settings: AppSettings,
) -> UploadOut:
    parquet = (".parquet",)
    async with received_file(file, settings, field="file", allowed_suffixes=parquet) as stored:
        upload = exchange.upload_encodings(
            session,
            actor=actor,
            project_id=project_id,
            path=stored.path,
            filename=stored.filename,
            sha256=stored.sha256,
            root=exchange.storage_root(settings.var_dir),
        )
    return UploadOut.model_validate(upload)


@router.post("/projects/{project_id}/runs", status_code=202, summary="Start a link run (steward)")
def start_run(
    project_id: PathId, data: RunIn, session: DbSession, actor: CurrentActor, settings: AppSettings
) -> RunStarted:
    run = exchange.start_run(
        session,
        actor=actor,
        project_id=project_id,
        data=data,
        root=exchange.storage_root(settings.var_dir),
    )
    assert run.job_id is not None
    return RunStarted(run_id=run.id, job_id=run.job_id)


@router.get("/runs/{run_id}", summary="A link run's status and quality report")
def get_run(run_id: PathId, session: DbSession, actor: CurrentActor) -> RunOut:
    return _run_out(exchange.get_run(session, actor=actor, run_id=run_id))


@router.get(
    "/runs/{run_id}/mapping",
    summary="Your department's mapping: record id, link id, match confidence (CSV)",
    response_class=StreamingResponse,
)
def download_mapping(
    run_id: PathId, session: DbSession, actor: CurrentActor, settings: AppSettings
) -> StreamingResponse:
    _, lines = exchange.download_mapping(
        session, actor=actor, run_id=run_id, root=exchange.storage_root(settings.var_dir)
    )
    return StreamingResponse(lines, media_type="text/csv; charset=utf-8")
