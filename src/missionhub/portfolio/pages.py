"""HTML pages for projects, gate decisions, missions, use cases and the funnel.

Routes only translate: form -> validated model -> service call -> page or redirect.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from missionhub.accounts.audit import history_for
from missionhub.accounts.models import OrgKind, Role
from missionhub.accounts.permissions import Actor, Visibility, can_edit, readable, require_admin
from missionhub.accounts.service import list_organisations
from missionhub.db.base import MAX_ID
from missionhub.errors import Conflict, Invalid, NotFound
from missionhub.portfolio import dashboards, export, gates, missions, projects
from missionhub.portfolio.atrs_facets import CAPABILITIES, FUNCTIONS, PHASES
from missionhub.portfolio.models import (
    Direction,
    GateOutcome,
    LessonKind,
    Sourcing,
    Stage,
    StopReason,
    TeamRole,
)
from missionhub.portfolio.schemas import (
    FundingIn,
    GateDecisionIn,
    KpiActualIn,
    KpiIn,
    LessonIn,
    MilestoneIn,
    MissionLinkIn,
    ProjectIn,
    StageRequestIn,
    TeamMemberIn,
    UseCaseIn,
)
from missionhub.web.deps import (
    AppSettings,
    CurrentActor,
    DbSession,
    PathId,
    SignedInActor,
    csrf_protect,
)
from missionhub.web.downloads import csv_download
from missionhub.web.forms import FormResult, parse
from missionhub.web.navigation import NavItem, roles
from missionhub.web.panels import panels_for
from missionhub.web.security import see_other
from missionhub.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])
NAV = [
    NavItem("/projects", "Projects", 10),
    NavItem("/missions", "Missions", 20),
    NavItem("/use-cases", "Use cases", 30),
    NavItem("/funnel", "Funnel", 40),
    NavItem("/decisions", "Decisions", 80, roles(Role.CIO, Role.ADMIN)),
]

PROJECT_LABELS = {
    "title": "Project name",
    "summary": "Summary",
    "problem": "Problem",
    "users": "Users",
    "approach": "Approach",
    "organisation_id": "Organisation",
    "visibility": "Visibility",
    "use_case_id": "Use case",
    "atrs_capability": "AI capability",
    "atrs_function": "Function",
    "atrs_phase": "ATRS phase",
}


def _int_or_none(value: str | None) -> int | None:
    """A positive id from a query string or form, or None (out of range counts as absent)."""
    number = int(value) if value and value.isascii() and value.isdigit() else 0
    return number if 1 <= number <= MAX_ID else None


def _choices() -> dict[str, list[tuple[str, str]]]:
    return {
        "stages": [(s.value, s.label) for s in Stage],
        "visibilities": [(v.value, v.label) for v in Visibility],
        "capabilities": list(CAPABILITIES.items()),
        "functions": list(FUNCTIONS.items()),
        "phases": list(PHASES.items()),
    }


def _public_orgs(session: Session) -> list[tuple[int, str]]:
    return [
        (o.id, o.name)
        for o in list_organisations(session, kinds={k for k in OrgKind if k.is_public_sector})
    ]


# Project list ----------------------------------------------------------------------------------


def _project_filter(request: Request) -> tuple[projects.ProjectFilter, dict[str, Any]]:
    q = request.query_params
    params = {
        k: q.get(k, "")
        for k in ("organisation_id", "stage", "mission_id", "ai", "q", "source", "unevidenced")
    }
    stage = params["stage"] if params["stage"] in Stage.__members__.values() else None
    f = projects.ProjectFilter(
        organisation_id=_int_or_none(params["organisation_id"]),
        stage=Stage(stage) if stage else None,
        mission_id=_int_or_none(params["mission_id"]),
        uses_ai={"yes": True, "no": False}.get(params["ai"]),
        text=params["q"] or None,
        source=params["source"] or None,
        unevidenced_only=params["unevidenced"] == "yes",
    )
    return f, params


@router.get("/projects", response_class=HTMLResponse)
def project_list(
    request: Request,
    session: DbSession,
    actor: CurrentActor,
    settings: AppSettings,
    page: int = 1,
) -> HTMLResponse:
    f, params = _project_filter(request)
    result = projects.list_projects(
        session, actor=actor, filters=f, page=page, page_size=settings.page_size
    )
    return render(
        request,
        "portfolio/projects.html",
        {
            "title": "Projects",
            "page": result,
            "params": params,
            "organisations": _public_orgs(session),
            "missions": [(m.id, m.title) for m in missions.list_missions(session)],
            **_choices(),
        },
    )


@router.get("/projects.csv")
def project_list_csv(request: Request, session: DbSession, actor: CurrentActor) -> Response:
    f, _ = _project_filter(request)
    rows = export.project_rows(session, actor=actor, filters=f)
    return csv_download(rows, export.CSV_COLUMNS, "projects.csv")


# Register and edit -----------------------------------------------------------------------------


def _project_form(
    request: Request,
    session: Session,
    actor: Actor,
    form: FormResult,
    project: Any = None,
    status_code: int = 200,
) -> HTMLResponse:
    use_cases = missions.list_use_cases(session, actor=actor, page_size=500).items
    return render(
        request,
        "portfolio/project_form.html",
        {
            "title": f"Edit {project.title}" if project else "Register a project",
            "form": form,
            "project": project,
            "organisations": _public_orgs(session) if actor.is_admin else [],
            "use_cases": [(u.id, u.title) for u in use_cases],
            **_choices(),
        },
        status_code=status_code,
    )


@router.get("/projects/new", response_class=HTMLResponse)
def new_project(request: Request, session: DbSession, actor: SignedInActor) -> HTMLResponse:
    return _project_form(request, session, actor, FormResult({"visibility": "draft"}))


@router.post("/projects/new", response_class=HTMLResponse)
async def create_project(
    request: Request, session: DbSession, actor: SignedInActor, settings: AppSettings
) -> Response:
    data, result = parse(ProjectIn, await request.form(), PROJECT_LABELS)
    if data is not None:
        try:
            project = projects.register_project(session, actor=actor, data=data)
        except Invalid as exc:
            result.add(exc)
        else:
            return see_other(f"/projects/{project.id}", settings, "Project registered")
    return _project_form(request, session, actor, result, status_code=400)


@router.get("/projects/{project_id}", response_class=HTMLResponse)
def project_page(
    request: Request, project_id: PathId, session: DbSession, actor: CurrentActor
) -> HTMLResponse:
    project = projects.get_project(session, actor=actor, project_id=project_id)
    editable = can_edit(actor, owner_org_id=project.organisation_id)
    return render(
        request,
        "portfolio/project.html",
        {
            "title": project.title,
            "project": project,
            "editable": editable,
            "is_cio": actor.is_cio_of(project.organisation_id),
            "pending": gates.pending_request(project),
            "targets": gates.allowed_targets(project.stage),
            "history": history_for(session, "projects", project.id)
            if actor.is_civil_servant
            else [],
            "panels": panels_for("project_panels", session, actor, project),
            "use_case": project.use_case if readable(actor, project.use_case) else None,
        },
    )


@router.get("/projects/{project_id}/edit", response_class=HTMLResponse)
def edit_project(
    request: Request, project_id: PathId, session: DbSession, actor: SignedInActor
) -> HTMLResponse:
    project = projects.editable_project(session, actor=actor, project_id=project_id)
    values = {k: getattr(project, k) for k in ProjectIn.model_fields if hasattr(project, k)}
    values = {
        k: ("" if v is None else (v.value if hasattr(v, "value") else v)) for k, v in values.items()
    }
    if not project.uses_ai:
        values.pop("uses_ai")
    return _project_form(request, session, actor, FormResult(values), project)


@router.post("/projects/{project_id}/edit", response_class=HTMLResponse)
async def update_project(
    request: Request,
    project_id: PathId,
    session: DbSession,
    actor: SignedInActor,
    settings: AppSettings,
) -> Response:
    project = projects.editable_project(session, actor=actor, project_id=project_id)
    data, result = parse(ProjectIn, await request.form(), PROJECT_LABELS)
    if data is not None:
        try:
            projects.update_project(session, actor=actor, project_id=project_id, data=data)
        except Invalid as exc:
            result.add(exc)
        else:
            return see_other(f"/projects/{project_id}", settings, "Project updated")
    return _project_form(request, session, actor, result, project, status_code=400)


# Things added to a project ---------------------------------------------------------------------


@dataclass(frozen=True)
class ChildForm:
    model: type[BaseModel]
    title: str
    add: Callable[..., Any]
    labels: dict[str, str]
    done: str


CHILD_FORMS: dict[str, ChildForm] = {
    "team": ChildForm(
        TeamMemberIn,
        "Add a team role",
        projects.add_team_member,
        {
            "role": "Role",
            "sourcing": "In-house or contracted",
            "name": "Name",
            "fte": "Full-time equivalent",
        },
        "Team role added",
    ),
    "funding": ChildForm(
        FundingIn,
        "Add funding",
        projects.add_funding,
        {"financial_year": "Financial year", "amount": "Amount", "source": "Source"},
        "Funding added",
    ),
    "kpis": ChildForm(
        KpiIn,
        "Add an outcome KPI",
        projects.add_kpi,
        {
            "name": "KPI name",
            "unit": "Unit",
            "direction": "Direction",
            "baseline": "Baseline",
            "baseline_date": "Baseline date",
            "target": "Target",
            "target_date": "Target date",
        },
        "KPI added",
    ),
    "mission-links": ChildForm(
        MissionLinkIn,
        "Link to a mission",
        projects.add_mission_link,
        {
            "mission_id": "Mission",
            "milestone_id": "Milestone",
            "contribution": "Contribution",
            "kpi_id": "Evidencing KPI",
        },
        "Mission link added",
    ),
    "lessons": ChildForm(
        LessonIn,
        "Record a lesson",
        projects.add_lesson,
        {"kind": "Kind of lesson", "title": "Title", "body": "Lesson"},
        "Lesson recorded",
    ),
}


def _child_page(
    request: Request,
    session: Session,
    actor: Actor,
    project_id: PathId,
    kind: str,
    form: FormResult,
    status_code: int = 200,
) -> HTMLResponse:
    spec = CHILD_FORMS.get(kind)
    if spec is None:
        raise NotFound(f"Projects have no {kind!r}")
    project = projects.editable_project(session, actor=actor, project_id=project_id)
    all_missions = missions.list_missions(session)
    return render(
        request,
        "portfolio/child_form.html",
        {
            "title": spec.title,
            "kind": kind,
            "project": project,
            "form": form,
            "team_roles": [(r.value, r.label) for r in TeamRole],
            "sourcings": [(s.value, s.label) for s in Sourcing],
            "directions": [(d.value, d.label) for d in Direction],
            "lesson_kinds": [(k.value, k.label) for k in LessonKind],
            "missions": [(m.id, f"{m.number}. {m.title}") for m in all_missions],
            "milestones": [
                (ms.id, f"{m.title}: {ms.title}") for m in all_missions for ms in m.milestones
            ],
            "kpis": [(k.id, f"{k.name} ({k.unit})") for k in project.kpis],
        },
        status_code=status_code,
    )


@router.get("/projects/{project_id}/add/{kind}", response_class=HTMLResponse)
def add_child_form(
    request: Request, project_id: PathId, kind: str, session: DbSession, actor: SignedInActor
) -> HTMLResponse:
    return _child_page(request, session, actor, project_id, kind, FormResult({}))


@router.post("/projects/{project_id}/add/{kind}", response_class=HTMLResponse)
async def add_child(
    request: Request,
    project_id: PathId,
    kind: str,
    session: DbSession,
    actor: SignedInActor,
    settings: AppSettings,
) -> Response:
    spec = CHILD_FORMS.get(kind)
    if spec is None:
        raise NotFound(f"Projects have no {kind!r}")
    data, result = parse(spec.model, await request.form(), spec.labels)
    if data is not None:
        try:
            spec.add(session, actor=actor, project_id=project_id, data=data)
        except (Invalid, Conflict) as exc:
            result.add(exc if isinstance(exc, Invalid) else Invalid(str(exc)))
        else:
            return see_other(f"/projects/{project_id}#{kind}", settings, spec.done)
    return _child_page(request, session, actor, project_id, kind, result, status_code=400)


@router.post("/projects/{project_id}/remove/{kind}/{child_id}")
def remove_child(
    project_id: PathId,
    kind: str,
    child_id: PathId,
    session: DbSession,
    actor: SignedInActor,
    settings: AppSettings,
) -> Response:
    projects.remove_child(
        session, actor=actor, project_id=project_id, kind=kind.replace("-", "_"), child_id=child_id
    )
    return see_other(f"/projects/{project_id}#{kind}", settings, "Removed")


@router.get("/projects/{project_id}/kpis/{kpi_id}/actuals", response_class=HTMLResponse)
def actual_form(
    request: Request, project_id: PathId, kpi_id: PathId, session: DbSession, actor: SignedInActor
) -> HTMLResponse:
    return _actual_page(request, session, actor, project_id, kpi_id, FormResult({}))


def _actual_page(
    request: Request,
    session: Session,
    actor: Actor,
    project_id: PathId,
    kpi_id: PathId,
    form: FormResult,
    status_code: int = 200,
) -> HTMLResponse:
    project = projects.editable_project(session, actor=actor, project_id=project_id)
    kpi = next((k for k in project.kpis if k.id == kpi_id), None)
    if kpi is None:
        raise NotFound("No such KPI on this project")
    return render(
        request,
        "portfolio/actual_form.html",
        {"title": f"Record an actual for {kpi.name}", "project": project, "kpi": kpi, "form": form},
        status_code=status_code,
    )


@router.post("/projects/{project_id}/kpis/{kpi_id}/actuals", response_class=HTMLResponse)
async def record_actual(
    request: Request,
    project_id: PathId,
    kpi_id: PathId,
    session: DbSession,
    actor: SignedInActor,
    settings: AppSettings,
) -> Response:
    data, result = parse(
        KpiActualIn,
        await request.form(),
        {"observed_on": "Date observed", "value": "Value", "note": "Note"},
    )
    if data is not None:
        try:
            projects.record_actual(
                session, actor=actor, project_id=project_id, kpi_id=kpi_id, data=data
            )
        except Invalid as exc:
            result.add(exc)
        else:
            return see_other(f"/projects/{project_id}#kpis", settings, "Actual recorded")
    return _actual_page(request, session, actor, project_id, kpi_id, result, status_code=400)


@router.post("/projects/{project_id}/links/{link_id}/evidence")
async def set_evidence(
    request: Request,
    project_id: PathId,
    link_id: PathId,
    session: DbSession,
    actor: SignedInActor,
    settings: AppSettings,
) -> Response:
    form = await request.form()
    projects.set_link_evidence(
        session,
        actor=actor,
        project_id=project_id,
        link_id=link_id,
        kpi_id=_int_or_none(str(form.get("kpi_id", ""))),
    )
    return see_other(f"/projects/{project_id}#mission-links", settings, "Evidence updated")


# Stage gates -----------------------------------------------------------------------------------


def _stage_request_page(
    request: Request,
    session: Session,
    actor: Actor,
    project_id: PathId,
    form: FormResult,
    status_code: int = 200,
) -> HTMLResponse:
    project = projects.editable_project(session, actor=actor, project_id=project_id)
    return render(
        request,
        "portfolio/stage_request.html",
        {
            "title": "Ask for a stage change",
            "project": project,
            "form": form,
            "targets": [(s.value, s.label) for s in gates.allowed_targets(project.stage)],
        },
        status_code=status_code,
    )


@router.get("/projects/{project_id}/stage-request", response_class=HTMLResponse)
def stage_request_form(
    request: Request, project_id: PathId, session: DbSession, actor: SignedInActor
) -> HTMLResponse:
    return _stage_request_page(request, session, actor, project_id, FormResult({}))


@router.post("/projects/{project_id}/stage-request", response_class=HTMLResponse)
async def stage_request(
    request: Request,
    project_id: PathId,
    session: DbSession,
    actor: SignedInActor,
    settings: AppSettings,
) -> Response:
    data, result = parse(
        StageRequestIn,
        await request.form(),
        {"requested_stage": "Stage to move to", "case": "Case for the move"},
    )
    if data is not None:
        try:
            gates.request_stage_change(session, actor=actor, project_id=project_id, data=data)
        except (Invalid, Conflict) as exc:
            result.add(exc if isinstance(exc, Invalid) else Invalid(str(exc)))
        else:
            return see_other(
                f"/projects/{project_id}", settings, "Request sent to your Chief Innovation Officer"
            )
    return _stage_request_page(request, session, actor, project_id, result, status_code=400)


@router.post("/projects/{project_id}/stage-request/withdraw")
def withdraw(
    project_id: PathId, session: DbSession, actor: SignedInActor, settings: AppSettings
) -> Response:
    gates.withdraw_request(session, actor=actor, project_id=project_id)
    return see_other(f"/projects/{project_id}", settings, "Request withdrawn")


DECISION_LABELS = {
    "outcome": "Decision",
    "rationale": "Rationale",
    "conditions": "Conditions",
    "decided_on": "Date of decision",
    "stop_reason": "Reason for stopping",
    "requested_stage": "Stage",
}


def _decision_page(
    request: Request,
    session: Session,
    actor: Actor,
    project_id: PathId,
    form: FormResult,
    status_code: int = 200,
) -> HTMLResponse:
    project = projects.get_project(session, actor=actor, project_id=project_id)
    return render(
        request,
        "portfolio/decision_form.html",
        {
            "title": "Record a gate decision",
            "project": project,
            "form": form,
            "pending": gates.pending_request(project),
            "is_cio": actor.is_cio_of(project.organisation_id),
            "outcomes": [(o.value, o.label) for o in GateOutcome],
            "stop_reasons": [(r.value, r.label) for r in StopReason],
            "targets": [(s.value, s.label) for s in gates.allowed_targets(project.stage)],
        },
        status_code=status_code,
    )


@router.get("/projects/{project_id}/decision", response_class=HTMLResponse)
def decision_form(
    request: Request, project_id: PathId, session: DbSession, actor: SignedInActor
) -> HTMLResponse:
    return _decision_page(request, session, actor, project_id, FormResult({}))


@router.post("/projects/{project_id}/decision", response_class=HTMLResponse)
async def decide(
    request: Request,
    project_id: PathId,
    session: DbSession,
    actor: SignedInActor,
    settings: AppSettings,
) -> Response:
    form = await request.form()
    data, result = parse(GateDecisionIn, form, DECISION_LABELS)
    target = str(form.get("requested_stage", ""))
    if data is not None:
        try:
            gates.decide(
                session,
                actor=actor,
                project_id=project_id,
                data=data,
                requested_stage=Stage(target) if target in Stage._value2member_map_ else None,
            )
        except (Invalid, Conflict) as exc:
            result.add(exc if isinstance(exc, Invalid) else Invalid(str(exc)))
        else:
            return see_other(
                f"/projects/{project_id}", settings, f"Decision recorded: {data.outcome.label}"
            )
    return _decision_page(request, session, actor, project_id, result, status_code=400)


@router.get("/decisions", response_class=HTMLResponse)
def decision_queue(request: Request, session: DbSession, actor: SignedInActor) -> HTMLResponse:
    return render(
        request,
        "portfolio/decisions.html",
        {
            "title": "Decisions waiting for you",
            "queue": gates.decision_queue(session, actor=actor),
        },
    )


# Missions --------------------------------------------------------------------------------------


@router.get("/missions", response_class=HTMLResponse)
def mission_list(request: Request, session: DbSession, actor: CurrentActor) -> HTMLResponse:
    return render(
        request,
        "portfolio/missions.html",
        {
            "title": "Missions",
            "overview": dashboards.missions_overview(session, actor=actor),
        },
    )


@router.get("/missions/{slug}", response_class=HTMLResponse)
def mission_page(
    request: Request, slug: str, session: DbSession, actor: CurrentActor
) -> HTMLResponse:
    mission = missions.get_mission(session, slug=slug)
    return render(
        request,
        "portfolio/mission.html",
        {
            "title": mission.title,
            "mission": mission,
            "progress": dashboards.mission_progress(session, actor=actor, mission=mission),
            "funnel": dashboards.funnel(
                session, actor=actor, sel=dashboards.FunnelSelection(mission_id=mission.id)
            ),
        },
    )


MILESTONE_LABELS = {
    "title": "Title",
    "metric": "Metric",
    "unit": "Unit",
    "direction": "Direction",
    "baseline": "Baseline",
    "baseline_date": "Baseline date",
    "target": "Target",
    "target_date": "Target date",
    "source_note": "Source note",
}


def _milestone_page(
    request: Request,
    session: Session,
    actor: Actor,
    slug: str,
    milestone_id: PathId,
    form: FormResult | None,
    status_code: int = 200,
) -> HTMLResponse:
    mission = missions.get_mission(session, slug=slug)
    require_admin(actor)
    milestone = next((m for m in mission.milestones if m.id == milestone_id), None)
    if milestone is None:
        raise NotFound(f"No milestone {milestone_id} in this mission")
    if form is None:
        values = {k: getattr(milestone, k) for k in MilestoneIn.model_fields}
        form = FormResult(
            {
                k: "" if v is None else (v.value if hasattr(v, "value") else v)
                for k, v in values.items()
            }
        )
        for name in ("baseline_date", "target_date"):
            day = getattr(milestone, name)
            if day:
                form.values.update(
                    {f"{name}-day": day.day, f"{name}-month": day.month, f"{name}-year": day.year}
                )
    return render(
        request,
        "portfolio/milestone_form.html",
        {
            "title": f"Edit milestone: {milestone.title}",
            "mission": mission,
            "milestone": milestone,
            "form": form,
            "directions": [(d.value, d.label) for d in Direction],
        },
        status_code=status_code,
    )


@router.get("/missions/{slug}/milestones/{milestone_id}/edit", response_class=HTMLResponse)
def milestone_form(
    request: Request, slug: str, milestone_id: PathId, session: DbSession, actor: SignedInActor
) -> HTMLResponse:
    return _milestone_page(request, session, actor, slug, milestone_id, None)


@router.post("/missions/{slug}/milestones/{milestone_id}/edit", response_class=HTMLResponse)
async def update_milestone(
    request: Request,
    slug: str,
    milestone_id: PathId,
    session: DbSession,
    actor: SignedInActor,
    settings: AppSettings,
) -> Response:
    data, result = parse(MilestoneIn, await request.form(), MILESTONE_LABELS)
    if data is not None:
        missions.update_milestone(session, actor=actor, milestone_id=milestone_id, data=data)
        return see_other(f"/missions/{slug}", settings, "Milestone updated")
    return _milestone_page(request, session, actor, slug, milestone_id, result, status_code=400)


# Use cases -------------------------------------------------------------------------------------

USE_CASE_LABELS = {
    "title": "Title",
    "problem": "Problem",
    "outcome": "Outcome sought",
    "participant_ids": "Participating organisations",
    "mission_ids": "Missions",
    "milestone_ids": "Milestones",
    "visibility": "Visibility",
    "organisation_id": "Lead organisation",
}


@router.get("/use-cases", response_class=HTMLResponse)
def use_case_list(
    request: Request,
    session: DbSession,
    actor: CurrentActor,
    settings: AppSettings,
    page: int = 1,
    mission_id: str = "",
) -> HTMLResponse:
    result = missions.list_use_cases(
        session,
        actor=actor,
        mission_id=_int_or_none(mission_id),
        page=page,
        page_size=settings.page_size,
    )
    return render(
        request,
        "portfolio/use_cases.html",
        {
            "title": "Use cases",
            "page": result,
            "missions": [(m.id, m.title) for m in missions.list_missions(session)],
            "params": {"mission_id": mission_id},
        },
    )


def _use_case_form(
    request: Request,
    session: Session,
    actor: Actor,
    form: FormResult,
    use_case: Any = None,
    status_code: int = 200,
) -> HTMLResponse:
    all_missions = missions.list_missions(session)
    return render(
        request,
        "portfolio/use_case_form.html",
        {
            "title": f"Edit {use_case.title}" if use_case else "Add a use case",
            "form": form,
            "use_case": use_case,
            "organisations": _public_orgs(session),
            "missions": [(m.id, f"{m.number}. {m.title}") for m in all_missions],
            "milestones": [
                (ms.id, f"{m.title}: {ms.title}") for m in all_missions for ms in m.milestones
            ],
            "visibilities": [(v.value, v.label) for v in Visibility],
        },
        status_code=status_code,
    )


@router.get("/use-cases/new", response_class=HTMLResponse)
def new_use_case(request: Request, session: DbSession, actor: SignedInActor) -> HTMLResponse:
    return _use_case_form(request, session, actor, FormResult({"visibility": "draft"}))


@router.post("/use-cases/new", response_class=HTMLResponse)
async def create_use_case(
    request: Request, session: DbSession, actor: SignedInActor, settings: AppSettings
) -> Response:
    data, result = parse(UseCaseIn, await request.form(), USE_CASE_LABELS)
    if data is not None:
        try:
            use_case = missions.create_use_case(session, actor=actor, data=data)
        except Invalid as exc:
            result.add(exc)
        else:
            return see_other(f"/use-cases/{use_case.id}", settings, "Use case added")
    return _use_case_form(request, session, actor, result, status_code=400)


@router.get("/use-cases/{use_case_id}", response_class=HTMLResponse)
def use_case_page(
    request: Request, use_case_id: PathId, session: DbSession, actor: CurrentActor
) -> HTMLResponse:
    use_case = missions.get_use_case(session, actor=actor, use_case_id=use_case_id)
    linked = projects.list_projects(
        session, actor=actor, filters=projects.ProjectFilter(use_case_id=use_case.id), page_size=100
    )
    return render(
        request,
        "portfolio/use_case.html",
        {
            "title": use_case.title,
            "use_case": use_case,
            "projects": linked.items,
            "editable": can_edit(actor, owner_org_id=use_case.organisation_id),
        },
    )


@router.get("/use-cases/{use_case_id}/edit", response_class=HTMLResponse)
def edit_use_case(
    request: Request, use_case_id: PathId, session: DbSession, actor: SignedInActor
) -> HTMLResponse:
    use_case = missions.get_use_case(session, actor=actor, use_case_id=use_case_id)
    values: dict[str, Any] = {
        "title": use_case.title,
        "problem": use_case.problem,
        "outcome": use_case.outcome or "",
        "visibility": use_case.visibility.value,
        "participant_ids": [o.id for o in use_case.participants],
        "mission_ids": [m.id for m in use_case.missions],
        "milestone_ids": [m.id for m in use_case.milestones],
    }
    return _use_case_form(request, session, actor, FormResult(values), use_case)


@router.post("/use-cases/{use_case_id}/edit", response_class=HTMLResponse)
async def update_use_case(
    request: Request,
    use_case_id: PathId,
    session: DbSession,
    actor: SignedInActor,
    settings: AppSettings,
) -> Response:
    use_case = missions.get_use_case(session, actor=actor, use_case_id=use_case_id)
    data, result = parse(UseCaseIn, await request.form(), USE_CASE_LABELS)
    if data is not None:
        try:
            missions.update_use_case(session, actor=actor, use_case_id=use_case_id, data=data)
        except Invalid as exc:
            result.add(exc)
        else:
            return see_other(f"/use-cases/{use_case_id}", settings, "Use case updated")
    return _use_case_form(request, session, actor, result, use_case, status_code=400)


# Funnel ----------------------------------------------------------------------------------------


@router.get("/funnel", response_class=HTMLResponse)
def funnel_page(request: Request, session: DbSession, actor: CurrentActor) -> HTMLResponse:
    q = request.query_params
    fy = q.get("financial_year", "")
    sel = dashboards.FunnelSelection(
        organisation_id=_int_or_none(q.get("organisation_id")),
        mission_id=_int_or_none(q.get("mission_id")),
        financial_year=fy if fy in dashboards.financial_years() else None,
        include_imported=q.get("imported") == "yes",
    )
    return render(
        request,
        "portfolio/funnel.html",
        {
            "title": "Innovation funnel",
            "sel": sel,
            "funnel": dashboards.funnel(session, actor=actor, sel=sel),
            "by_org": dashboards.funnel_by_organisation(session, actor=actor, sel=sel),
            "organisations": _public_orgs(session),
            "missions": [(m.id, m.title) for m in missions.list_missions(session)],
            "years": [(y, y) for y in dashboards.financial_years()],
            "params": {
                k: q.get(k, "")
                for k in ("organisation_id", "mission_id", "financial_year", "imported")
            },
            "stages": [s for s in Stage if s is not Stage.STOPPED],
        },
    )
