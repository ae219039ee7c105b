"""HTML pages for linkage projects: set up, schema, owners, uploads, link runs, quality, mappings
and in-the-clear deduplication. Routes only translate: form -> model -> service -> page.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from sqlalchemy.orm import Session

from missionhub.accounts.audit import history_for
from missionhub.accounts.models import OrgKind
from missionhub.accounts.permissions import Actor
from missionhub.accounts.service import list_organisations
from missionhub.errors import Conflict, Invalid
from missionhub.linkage import dedupe_jobs, exchange, projects
from missionhub.linkage.models import LinkRun, MemberRole
from missionhub.linkage.schemas import OwnerIn, ProjectIn, RunIn, SchemaIn
from missionhub.web.deps import AppSettings, DbSession, PathId, SignedInActor, csrf_protect
from missionhub.web.forms import FormResult, parse
from missionhub.web.navigation import NavItem, civil_servants
from missionhub.web.security import see_other
from missionhub.web.templating import render
from missionhub.web.uploads import received_file

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])
NAV = [NavItem("/linkage", "Linked data", 60, civil_servants)]

PROJECT_LABELS = {
    "name": "Project name",
    "purpose": "Purpose",
    "hub_name": "Hub that compares",
    "organisation_ids": "Participating departments",
}
RUN_LABELS = {"threshold": "Similarity threshold", "method": "Comparison"}


def _departments(session: Session) -> list[tuple[int, str]]:
    kinds = {k for k in OrgKind if k.is_public_sector}
    return [(o.id, o.name) for o in list_organisations(session, kinds=kinds)]


@router.get("/linkage", response_class=HTMLResponse)
def project_list(request: Request, session: DbSession, actor: SignedInActor) -> HTMLResponse:
    return render(
        request,
        "linkage/projects.html",
        {"title": "Linked data", "projects": projects.list_projects(session, actor=actor)},
    )


@router.get("/linkage/new", response_class=HTMLResponse)
def new_project(request: Request, session: DbSession, actor: SignedInActor) -> HTMLResponse:
    return _project_form(request, session, FormResult({"hub_name": "Mission Hub (this service)"}))


def _project_form(
    request: Request, session: Session, form: FormResult, status_code: int = 200
) -> HTMLResponse:
    return render(
        request,
        "linkage/project_form.html",
        {"title": "Set up a linkage project", "form": form, "departments": _departments(session)},
        status_code=status_code,
    )


@router.post("/linkage/new", response_class=HTMLResponse)
async def create_project(
    request: Request, session: DbSession, actor: SignedInActor, settings: AppSettings
) -> Response:
    data, form = parse(ProjectIn, await request.form(), PROJECT_LABELS)
    if data is None:
        return _project_form(request, session, form, 400)
    try:
        project = projects.create_project(session, actor=actor, data=data)
    except Invalid as exc:
        form.add(exc)
        return _project_form(request, session, form, 400)
    return see_other(f"/linkage/{project.id}", settings, "Linkage project set up")


def _project_page(
    request: Request,
    session: Session,
    actor: Actor,
    project_id: int,
    form: FormResult | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    project = projects.get_project(session, actor=actor, project_id=project_id)
    uploads = exchange.latest_uploads(session, project)
    owners: dict[int, list[str]] = {}
    for m in project.members:
        if m.role is MemberRole.OWNER:
            owners.setdefault(m.user.organisation_id, []).append(m.user.display_name)
    return render(
        request,
        "linkage/project.html",
        {
            "title": project.name,
            "project": project,
            "schema": projects.current_schema(session, project),
            "uploads": uploads,
            "owners": owners,
            "runs": exchange.list_runs(session, actor=actor, project_id=project.id),
            "run_status": exchange.run_status,
            "is_steward": projects.is_steward(project, actor),
            "my_party": projects.owner_party(project, actor),
            "events": history_for(session, "linkage_projects", project.id)[:20],
            "form": form or FormResult({}),
        },
        status_code=status_code,
    )


@router.get("/linkage/{project_id:int}", response_class=HTMLResponse)
def project_page(
    request: Request, project_id: PathId, session: DbSession, actor: SignedInActor
) -> HTMLResponse:
    return _project_page(request, session, actor, project_id)


@router.post("/linkage/{project_id:int}/owners", response_class=HTMLResponse)
async def add_owner(
    request: Request,
    project_id: PathId,
    session: DbSession,
    actor: SignedInActor,
    settings: AppSettings,
) -> Response:
    data, form = parse(OwnerIn, await request.form(), {"email": "Email address"})
    if data is not None:
        try:
            projects.add_owner(session, actor=actor, project_id=project_id, data=data)
            return see_other(f"/linkage/{project_id}", settings, f"{data.email} is a data owner")
        except Invalid as exc:
            form.add(exc)
    return _project_page(request, session, actor, project_id, form, 400)


@router.get("/linkage/{project_id:int}/schema.json")
def schema_json(project_id: PathId, session: DbSession, actor: SignedInActor) -> Response:
    schema = projects.schema_for(session, actor=actor, project_id=project_id)
    return Response(
        json.dumps(schema.model_dump(mode="json"), indent=2) + "\n",
        media_type="application/json",
        headers={
            "content-disposition": f'attachment; filename="{schema.name}-v{schema.version}.json"'
        },
    )


@router.get("/linkage/{project_id:int}/schema", response_class=HTMLResponse)
def schema_form(
    request: Request, project_id: PathId, session: DbSession, actor: SignedInActor
) -> HTMLResponse:
    project = projects.stewarded_project(session, actor=actor, project_id=project_id)
    definition = projects.current_schema(session, project).model_dump(
        mode="json", exclude={"project", "version"}
    )
    form = FormResult({"definition": json.dumps(definition, indent=2)})
    return _schema_page(request, project, form)


def _schema_page(
    request: Request, project: Any, form: FormResult, status_code: int = 200
) -> HTMLResponse:
    return render(
        request,
        "linkage/schema_form.html",
        {"title": "Change the linkage schema", "project": project, "form": form},
        status_code=status_code,
    )


@router.post("/linkage/{project_id:int}/schema", response_class=HTMLResponse)
async def save_schema(
    request: Request,
    project_id: PathId,
    session: DbSession,
    actor: SignedInActor,
    settings: AppSettings,
) -> Response:
    project = projects.stewarded_project(session, actor=actor, project_id=project_id)
    data, form = parse(SchemaIn, await request.form(), {"definition": "Schema"})
    if data is not None:
        try:
            schema = projects.new_schema_version(
                session, actor=actor, project_id=project_id, definition=data.definition
            )
            message = f"Schema version {schema.version} saved: owners must encode again"
            return see_other(f"/linkage/{project_id}", settings, message)
        except Invalid as exc:
            form.errors["definition"] = "; ".join(
                f"{e.field.removeprefix('definition.')}: {e.message}" if e.field else e.message
                for e in exc.errors
            )
    return _schema_page(request, project, form, 400)


@router.post("/linkage/{project_id:int}/uploads", response_class=HTMLResponse)
async def upload(
    request: Request,
    project_id: PathId,
    session: DbSession,
    actor: SignedInActor,
    settings: AppSettings,
) -> Response:
    form_data = await request.form()
    form = FormResult({})
    upload_file = form_data.get("file")
    try:
        async with received_file(
            upload_file, settings, field="file", allowed_suffixes=(".parquet",)
        ) as stored:
            row = exchange.upload_encodings(
                session,
                actor=actor,
                project_id=project_id,
                path=stored.path,
                filename=stored.filename,
                sha256=stored.sha256,
                root=exchange.storage_root(settings.var_dir),
            )
    except Invalid as exc:
        form.errors["file"] = "; ".join(
            f"{e.field}: {e.message}" if e.field and e.field != "file" else e.message
            for e in exc.errors
        )
        return _project_page(request, session, actor, project_id, form, 400)
    message = f"Encodings of {row.records:,} records uploaded"
    return see_other(f"/linkage/{project_id}", settings, message)


@router.post("/linkage/{project_id:int}/runs", response_class=HTMLResponse)
async def start_run(
    request: Request,
    project_id: PathId,
    session: DbSession,
    actor: SignedInActor,
    settings: AppSettings,
) -> Response:
    data, form = parse(RunIn, await request.form(), RUN_LABELS)
    if data is not None:
        try:
            run = exchange.start_run(
                session,
                actor=actor,
                project_id=project_id,
                data=data,
                root=exchange.storage_root(settings.var_dir),
            )
            return see_other(f"/jobs/{run.job_id}", settings)
        except (Invalid, Conflict) as exc:
            if isinstance(exc, Conflict):
                form.errors["threshold"] = str(exc)
            else:
                form.add(exc)
    return _project_page(request, session, actor, project_id, form, 400)


@router.get("/linkage/runs/{run_id:int}", response_class=HTMLResponse)
def run_page(
    request: Request, run_id: PathId, session: DbSession, actor: SignedInActor
) -> HTMLResponse:
    run = exchange.get_run(session, actor=actor, run_id=run_id)
    project = projects.get_project(session, actor=actor, project_id=run.project_id)
    return render(
        request,
        "linkage/run.html",
        {
            "title": f"Link run {run.id}: {project.name}",
            "run": run,
            "project": project,
            "status": exchange.run_status(run),
            "quality": run.quality,
            "my_party": projects.owner_party(project, actor),
            **_charts(run, {p.organisation_id: p.organisation.name for p in project.parties}),
        },
    )


def _charts(run: LinkRun, names: dict[int, str]) -> dict[str, Any]:
    """Bars for the score histogram (log scale) and the threshold chart, and per-party counts."""
    quality = run.quality or {}
    histogram = [
        {
            "label": f"{b['lower']:.2f} to {b['upper']:.2f}",
            "value": math.log10(b["count"] + 1),
            "display": f"{b['count']:,}",
        }
        for b in quality.get("histogram", [])
    ]
    thresholds = [
        {
            "label": f"{r['threshold']:.2f}",
            "value": r["links"],
            "display": f"{r['links']:,}",
            "muted": abs(r["threshold"] - run.threshold) > 1e-9,
        }
        for r in quality.get("thresholds", [])
    ]
    parties = [
        (names.get(m.organisation_id, "Department"), records, matched)
        for m, records, matched in zip(
            run.mappings, quality.get("records", []), quality.get("matched", []), strict=False
        )
    ]
    return {"histogram_bars": histogram, "threshold_bars": thresholds, "party_rows": parties}


@router.get("/linkage/runs/{run_id:int}/mapping.csv")
def mapping_csv(
    run_id: PathId, session: DbSession, actor: SignedInActor, settings: AppSettings
) -> StreamingResponse:
    _, lines = exchange.download_mapping(
        session, actor=actor, run_id=run_id, root=exchange.storage_root(settings.var_dir)
    )
    name = f"linkage-run-{run_id}-mapping.csv"
    return StreamingResponse(
        lines,
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )


# In the clear: a department's own deduplication with Splink -----------------------------------


@router.get("/linkage/dedupe/new", response_class=HTMLResponse)
def dedupe_form(request: Request, actor: SignedInActor) -> HTMLResponse:
    return render(
        request,
        "linkage/dedupe_form.html",
        {"title": "Find duplicates in your own records", "form": FormResult({})},
    )


@router.post("/linkage/dedupe/new", response_class=HTMLResponse)
async def start_dedupe(
    request: Request, session: DbSession, actor: SignedInActor, settings: AppSettings
) -> Response:
    form_data = await request.form()
    upload_file = form_data.get("file")
    try:
        async with received_file(
            upload_file, settings, field="file", allowed_suffixes=(".csv", ".parquet"),
            handed_over=True,  # the job deletes it
        ) as stored:  # fmt: skip
            job = dedupe_jobs.start_dedupe(
                session,
                actor=actor,
                path=stored.path,
                filename=stored.filename,
                root=exchange.storage_root(settings.var_dir),
            )
    except Invalid as exc:
        form = FormResult({})
        form.add(exc)
        return render(
            request,
            "linkage/dedupe_form.html",
            {"title": "Find duplicates in your own records", "form": form},
            status_code=400,
        )
    return see_other(f"/jobs/{job.id}", settings)


@router.get("/linkage/dedupe/{job_id:int}", response_class=HTMLResponse)
def dedupe_result(
    request: Request, job_id: PathId, session: DbSession, actor: SignedInActor
) -> HTMLResponse:
    job, artefacts = dedupe_jobs.artefacts(session, actor=actor, job_id=job_id)
    return render(
        request,
        "linkage/dedupe_result.html",
        {"title": "Duplicates found", "job": job, "artefacts": artefacts},
    )


@router.get("/linkage/dedupe/{job_id:int}/{name}")
def dedupe_artefact(
    job_id: PathId, name: str, session: DbSession, actor: SignedInActor
) -> Response:
    path: Path = dedupe_jobs.artefact_path(session, actor=actor, job_id=job_id, name=name)
    media = {".json": "application/json", ".html": "text/html", ".csv": "text/csv"}
    return Response(
        path.read_bytes(),
        media_type=media.get(path.suffix, "application/octet-stream"),
        headers={"content-disposition": f'attachment; filename="{path.name}"'},
    )
