"""JSON API for projects, gate decisions, missions, use cases and the funnel.

Every route calls the same service function as its page, so it never shows more than the page.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from missionhub.accounts.permissions import Actor, readable
from missionhub.pagination import Page
from missionhub.portfolio import dashboards, gates, missions, projects
from missionhub.portfolio.funnel import Funnel
from missionhub.portfolio.models import Project, Stage, StopReason
from missionhub.portfolio.schemas import (
    FundingIn,
    FundingOut,
    GateDecisionIn,
    GateDecisionOut,
    KpiActualIn,
    KpiIn,
    KpiOut,
    LessonIn,
    LessonOut,
    MissionLinkIn,
    MissionLinkOut,
    MissionOut,
    ProjectIn,
    ProjectOut,
    ProjectSummaryOut,
    StageRequestIn,
    TeamMemberIn,
    TeamMemberOut,
    UseCaseIn,
    UseCaseOut,
)
from missionhub.web.deps import CurrentActor, DbSession, PathId, QueryId

router = APIRouter(tags=["portfolio"])


class ProjectPageOut(BaseModel):
    items: list[ProjectSummaryOut]
    total: int
    page: int
    page_size: int


class UseCasePageOut(BaseModel):
    items: list[UseCaseOut]
    total: int
    page: int
    page_size: int


class StageCountOut(BaseModel):
    stage: Stage
    reached: int
    current: int
    conversion_to_next: float | None
    median_days: float | None
    completed_visits: int


class FunnelOut(BaseModel):
    tried: int
    reached_alpha_or_later: int
    without_history: int
    stages: list[StageCountOut]
    stop_reasons: dict[StopReason, int]


def _summary(p: Project) -> ProjectSummaryOut:
    return ProjectSummaryOut.model_validate(
        {
            **{k: getattr(p, k) for k in ProjectSummaryOut.model_fields if hasattr(p, k)},
            "organisation_name": p.organisation.name,
        }
    )


def _project_out(p: Project, actor: Actor) -> ProjectOut:
    data: dict[str, Any] = {k: getattr(p, k) for k in ProjectOut.model_fields if hasattr(p, k)}
    data["organisation_name"] = p.organisation.name
    if not readable(actor, p.use_case):
        data["use_case_id"] = None  # a use case the caller may not see is not disclosed
    return ProjectOut.model_validate(data)


def _page(result: Page[Project]) -> ProjectPageOut:
    return ProjectPageOut(
        items=[_summary(p) for p in result.items],
        total=result.total,
        page=result.page,
        page_size=result.page_size,
    )


@router.get("/projects", summary="List projects you can see")
def list_projects(
    session: DbSession,
    actor: CurrentActor,
    organisation_id: QueryId = None,
    stage: Stage | None = None,
    mission_id: QueryId = None,
    uses_ai: bool | None = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=200)] = 20,
) -> ProjectPageOut:
    f = projects.ProjectFilter(
        organisation_id=organisation_id, stage=stage, mission_id=mission_id, uses_ai=uses_ai, text=q
    )
    return _page(
        projects.list_projects(session, actor=actor, filters=f, page=page, page_size=page_size)
    )


@router.post("/projects", status_code=201, summary="Register a project (at the idea stage)")
def create_project(data: ProjectIn, session: DbSession, actor: CurrentActor) -> ProjectOut:
    project = projects.register_project(session, actor=actor, data=data)
    session.refresh(project)
    return _project_out(project, actor)


@router.get("/projects/{project_id}", summary="A project with everything recorded on it")
def get_project(project_id: PathId, session: DbSession, actor: CurrentActor) -> ProjectOut:
    return _project_out(projects.get_project(session, actor=actor, project_id=project_id), actor)


@router.put("/projects/{project_id}", summary="Change a project's details")
def update_project(
    project_id: PathId, data: ProjectIn, session: DbSession, actor: CurrentActor
) -> ProjectOut:
    return _project_out(
        projects.update_project(session, actor=actor, project_id=project_id, data=data), actor
    )


@router.post("/projects/{project_id}/team", status_code=201, summary="Add a team role")
def add_team(
    project_id: PathId, data: TeamMemberIn, session: DbSession, actor: CurrentActor
) -> TeamMemberOut:
    return TeamMemberOut.model_validate(
        projects.add_team_member(session, actor=actor, project_id=project_id, data=data)
    )


@router.post("/projects/{project_id}/funding", status_code=201, summary="Add funding")
def add_funding(
    project_id: PathId, data: FundingIn, session: DbSession, actor: CurrentActor
) -> FundingOut:
    return FundingOut.model_validate(
        projects.add_funding(session, actor=actor, project_id=project_id, data=data)
    )


@router.post("/projects/{project_id}/kpis", status_code=201, summary="Add an outcome KPI")
def add_kpi(project_id: PathId, data: KpiIn, session: DbSession, actor: CurrentActor) -> KpiOut:
    kpi = projects.add_kpi(session, actor=actor, project_id=project_id, data=data)
    return KpiOut.model_validate(kpi)


@router.post(
    "/projects/{project_id}/kpis/{kpi_id}/actuals", status_code=201, summary="Record a KPI actual"
)
def add_actual(
    project_id: PathId, kpi_id: PathId, data: KpiActualIn, session: DbSession, actor: CurrentActor
) -> KpiOut:
    actual = projects.record_actual(
        session, actor=actor, project_id=project_id, kpi_id=kpi_id, data=data
    )
    return KpiOut.model_validate(actual.kpi)


@router.post(
    "/projects/{project_id}/mission-links",
    status_code=201,
    summary="Link the project to a mission or milestone",
)
def add_link(
    project_id: PathId, data: MissionLinkIn, session: DbSession, actor: CurrentActor
) -> MissionLinkOut:
    return MissionLinkOut.model_validate(
        projects.add_mission_link(session, actor=actor, project_id=project_id, data=data)
    )


@router.post("/projects/{project_id}/lessons", status_code=201, summary="Record a lesson")
def add_lesson(
    project_id: PathId, data: LessonIn, session: DbSession, actor: CurrentActor
) -> LessonOut:
    return LessonOut.model_validate(
        projects.add_lesson(session, actor=actor, project_id=project_id, data=data)
    )


@router.post(
    "/projects/{project_id}/stage-requests",
    status_code=201,
    summary="Ask the CIO to move the project to another stage",
)
def request_stage(
    project_id: PathId, data: StageRequestIn, session: DbSession, actor: CurrentActor
) -> GateDecisionOut:
    return GateDecisionOut.model_validate(
        gates.request_stage_change(session, actor=actor, project_id=project_id, data=data)
    )


class DecisionIn(GateDecisionIn):
    requested_stage: Stage | None = None


@router.post(
    "/projects/{project_id}/decisions",
    status_code=201,
    summary="Take a gate decision (the owning department's CIO)",
)
def decide(
    project_id: PathId, data: DecisionIn, session: DbSession, actor: CurrentActor
) -> GateDecisionOut:
    decision = gates.decide(
        session,
        actor=actor,
        project_id=project_id,
        data=GateDecisionIn.model_validate(data.model_dump(exclude={"requested_stage"})),
        requested_stage=data.requested_stage,
    )
    return GateDecisionOut.model_validate(decision)


@router.get("/decisions/pending", summary="Stage changes waiting for your decision (CIO)")
def pending(session: DbSession, actor: CurrentActor) -> list[GateDecisionOut]:
    return [GateDecisionOut.model_validate(d) for d in gates.decision_queue(session, actor=actor)]


@router.get("/missions", summary="Missions and their milestones")
def list_missions(session: DbSession) -> list[MissionOut]:
    return [MissionOut.model_validate(m) for m in missions.list_missions(session)]


@router.get("/missions/{slug}", summary="One mission and its milestones")
def get_mission(slug: str, session: DbSession) -> MissionOut:
    return MissionOut.model_validate(missions.get_mission(session, slug=slug))


def _use_case_out(u: Any) -> UseCaseOut:
    return UseCaseOut(
        id=u.id,
        title=u.title,
        problem=u.problem,
        outcome=u.outcome,
        organisation_id=u.organisation_id,
        visibility=u.visibility,
        participant_ids=[o.id for o in u.participants],
        mission_ids=[m.id for m in u.missions],
        milestone_ids=[m.id for m in u.milestones],
    )


@router.get("/use-cases", summary="Use cases you can see")
def list_use_cases(
    session: DbSession,
    actor: CurrentActor,
    mission_id: QueryId = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=200)] = 20,
) -> UseCasePageOut:
    result = missions.list_use_cases(
        session, actor=actor, mission_id=mission_id, page=page, page_size=page_size
    )
    return UseCasePageOut(
        items=[_use_case_out(u) for u in result.items],
        total=result.total,
        page=result.page,
        page_size=result.page_size,
    )


@router.post("/use-cases", status_code=201, summary="Add a use case")
def create_use_case(data: UseCaseIn, session: DbSession, actor: CurrentActor) -> UseCaseOut:
    return _use_case_out(missions.create_use_case(session, actor=actor, data=data))


@router.get("/use-cases/{use_case_id}", summary="One use case")
def get_use_case(use_case_id: PathId, session: DbSession, actor: CurrentActor) -> UseCaseOut:
    return _use_case_out(missions.get_use_case(session, actor=actor, use_case_id=use_case_id))


def funnel_out(f: Funnel) -> FunnelOut:
    conversions = {c.from_stage: c.rate for c in f.conversions}
    return FunnelOut(
        tried=f.tried,
        reached_alpha_or_later=f.reached_alpha_or_later,
        without_history=f.without_history,
        stop_reasons=f.stop_reasons,
        stages=[
            StageCountOut(
                stage=s,
                reached=n,
                current=f.current.get(s, 0),
                conversion_to_next=conversions.get(s),
                median_days=f.median_days[s],
                completed_visits=f.completed_visits[s],
            )
            for s, n in f.reached.items()
        ],
    )


@router.get("/funnel", summary="The innovation funnel over the projects you can see")
def get_funnel(
    session: DbSession,
    actor: CurrentActor,
    organisation_id: QueryId = None,
    mission_id: QueryId = None,
    financial_year: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$")] = None,
    include_imported: bool = False,
) -> FunnelOut:
    if financial_year and financial_year not in dashboards.financial_years():
        financial_year = None
    sel = dashboards.FunnelSelection(
        organisation_id=organisation_id,
        mission_id=mission_id,
        financial_year=financial_year,
        include_imported=include_imported,
    )
    return funnel_out(dashboards.funnel(session, actor=actor, sel=sel))
