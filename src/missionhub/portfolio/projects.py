"""Projects and what hangs off them: team, funding, KPIs and actuals, mission links, lessons.

Reading a project the actor may not see raises NotFound (its existence is not disclosed);
changing one the actor may see but not edit raises PermissionDenied.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session, selectinload

from missionhub.accounts.models import Organisation
from missionhub.accounts.permissions import Actor, can_edit, can_read, require, visible_clause
from missionhub.errors import Conflict, Invalid, NotFound
from missionhub.pagination import Page, paginate
from missionhub.portfolio.models import (
    Funding,
    GateDecision,
    Kpi,
    KpiActual,
    Lesson,
    Milestone,
    Mission,
    MissionLink,
    Project,
    Stage,
    StageEvent,
    TeamMember,
    UseCase,
)
from missionhub.portfolio.schemas import (
    FundingIn,
    KpiActualIn,
    KpiIn,
    LessonIn,
    MissionLinkIn,
    ProjectIn,
    TeamMemberIn,
)


@dataclass(frozen=True, slots=True)
class ProjectFilter:
    organisation_id: int | None = None
    stage: Stage | None = None
    mission_id: int | None = None
    use_case_id: int | None = None
    uses_ai: bool | None = None
    text: str | None = None
    source: str | None = None
    unevidenced_only: bool = False


def visible_projects(actor: Actor) -> Select[Project]:
    return select(Project).where(visible_clause(actor, Project.organisation_id, Project.visibility))


def filtered_projects(actor: Actor, f: ProjectFilter) -> Select[Project]:
    stmt = visible_projects(actor)
    if f.organisation_id:
        stmt = stmt.where(Project.organisation_id == f.organisation_id)
    if f.stage:
        stmt = stmt.where(Project.stage == f.stage)
    if f.use_case_id:
        stmt = stmt.where(Project.use_case_id == f.use_case_id)
    if f.uses_ai is not None:
        stmt = stmt.where(Project.uses_ai.is_(f.uses_ai))
    if f.source:
        stmt = stmt.where(Project.source == f.source)
    if f.mission_id:
        stmt = stmt.where(
            Project.id.in_(
                select(MissionLink.project_id).where(MissionLink.mission_id == f.mission_id)
            )
        )
    if f.unevidenced_only:
        stmt = stmt.where(
            Project.id.in_(select(MissionLink.project_id).where(MissionLink.kpi_id.is_(None)))
        )
    if f.text:
        like = f"%{f.text.strip()}%"
        stmt = stmt.where(or_(Project.title.ilike(like), Project.summary.ilike(like)))
    return stmt


def list_projects(
    session: Session, *, actor: Actor, filters: ProjectFilter, page: int = 1, page_size: int = 20
) -> Page[Project]:
    stmt = filtered_projects(actor, filters).order_by(Project.updated_at.desc(), Project.id.desc())
    return paginate(session, stmt, page=page, page_size=page_size)


# Everything the project page shows, loaded up front (one query per collection, not per row).
PROJECT_PAGE_LOADS = (
    selectinload(Project.kpis).selectinload(Kpi.actuals),
    selectinload(Project.team),
    selectinload(Project.funding),
    selectinload(Project.lessons),
    selectinload(Project.mission_links),
    selectinload(Project.stage_events).selectinload(StageEvent.decision),
    selectinload(Project.decisions).selectinload(GateDecision.decided_by),
    selectinload(Project.use_case),
)


def get_project(session: Session, *, actor: Actor, project_id: int) -> Project:
    project = session.scalar(
        select(Project).where(Project.id == project_id).options(*PROJECT_PAGE_LOADS)
    )
    if project is None or not can_read(
        actor, owner_org_id=project.organisation_id, visibility=project.visibility
    ):
        raise NotFound(f"No project with id {project_id}")
    return project


def editable_project(session: Session, *, actor: Actor, project_id: int) -> Project:
    project = get_project(session, actor=actor, project_id=project_id)
    require(
        can_edit(actor, owner_org_id=project.organisation_id),
        "Only the owning organisation's team can change this project",
    )
    return project


def _owner_for(session: Session, actor: Actor, organisation_id: int | None) -> int:
    owner = organisation_id or actor.organisation_id
    if owner is None:
        raise Invalid("Choose the owning organisation", field="organisation_id")
    org = session.get(Organisation, owner)
    if org is None or not org.is_public_sector:
        raise Invalid("Choose a public-sector organisation", field="organisation_id")
    require(
        can_edit(actor, owner_org_id=owner),
        "You can only register projects for your own organisation",
    )
    return owner


def _check_use_case(session: Session, actor: Actor, use_case_id: int | None) -> None:
    if use_case_id is None:
        return
    use_case = session.get(UseCase, use_case_id)
    if use_case is None or not can_read(
        actor, owner_org_id=use_case.organisation_id, visibility=use_case.visibility
    ):
        raise Invalid("No such use case", field="use_case_id")


def register_project(session: Session, *, actor: Actor, data: ProjectIn) -> Project:
    """A new project, at the idea stage, owned by the actor's organisation (or the one named)."""
    owner = _owner_for(session, actor, data.organisation_id)
    _check_use_case(session, actor, data.use_case_id)
    project = Project(
        **data.model_dump(exclude={"organisation_id"}),
        organisation_id=owner,
        stage=Stage.IDEA,
        created_by_id=actor.user_id,
    )
    project.stage_events.append(StageEvent(stage=Stage.IDEA, note="Registered"))
    session.add(project)
    session.flush()
    return project


def update_project(session: Session, *, actor: Actor, project_id: int, data: ProjectIn) -> Project:
    project = editable_project(session, actor=actor, project_id=project_id)
    if data.organisation_id and data.organisation_id != project.organisation_id:
        raise Invalid("A project cannot move to another organisation", field="organisation_id")
    _check_use_case(session, actor, data.use_case_id)
    for key, value in data.model_dump(exclude={"organisation_id"}).items():
        setattr(project, key, value)
    session.flush()
    return project


# Children -------------------------------------------------------------------------------------


def add_team_member(
    session: Session, *, actor: Actor, project_id: int, data: TeamMemberIn
) -> TeamMember:
    project = editable_project(session, actor=actor, project_id=project_id)
    member = TeamMember(**data.model_dump())
    project.team.append(member)
    session.flush()
    return member


def add_funding(session: Session, *, actor: Actor, project_id: int, data: FundingIn) -> Funding:
    project = editable_project(session, actor=actor, project_id=project_id)
    row = Funding(**data.model_dump())
    project.funding.append(row)
    session.flush()
    return row


def add_kpi(session: Session, *, actor: Actor, project_id: int, data: KpiIn) -> Kpi:
    project = editable_project(session, actor=actor, project_id=project_id)
    if any(k.name.casefold() == data.name.casefold() for k in project.kpis):
        raise Invalid("This project already has a KPI with that name", field="name")
    kpi = Kpi(**data.model_dump())
    project.kpis.append(kpi)
    session.flush()
    return kpi


def _project_kpi(project: Project, kpi_id: int) -> Kpi:
    for kpi in project.kpis:
        if kpi.id == kpi_id:
            return kpi
    raise NotFound(f"No KPI {kpi_id} on this project")


def record_actual(
    session: Session, *, actor: Actor, project_id: int, kpi_id: int, data: KpiActualIn
) -> KpiActual:
    project = editable_project(session, actor=actor, project_id=project_id)
    kpi = _project_kpi(project, kpi_id)
    if kpi.baseline_date and data.observed_on < kpi.baseline_date:
        raise Invalid("An actual cannot be before the KPI's baseline date", field="observed_on")
    if any(a.observed_on == data.observed_on for a in kpi.actuals):
        raise Invalid("An actual for this date is already recorded", field="observed_on")
    actual = KpiActual(kpi=kpi, **data.model_dump())
    session.add(actual)
    session.flush()
    kpi.actuals.sort(key=lambda a: a.observed_on)
    return actual


def add_mission_link(
    session: Session, *, actor: Actor, project_id: int, data: MissionLinkIn
) -> MissionLink:
    project = editable_project(session, actor=actor, project_id=project_id)
    if session.get(Mission, data.mission_id) is None:
        raise Invalid("No such mission", field="mission_id")
    if data.milestone_id is not None:
        milestone = session.get(Milestone, data.milestone_id)
        if milestone is None or milestone.mission_id != data.mission_id:
            raise Invalid("That milestone belongs to another mission", field="milestone_id")
    if data.kpi_id is not None:
        _project_kpi(project, data.kpi_id)
    if any(
        link.mission_id == data.mission_id and link.milestone_id == data.milestone_id
        for link in project.mission_links
    ):
        raise Conflict("This project is already linked to that mission and milestone")
    link = MissionLink(**data.model_dump())
    project.mission_links.append(link)
    session.flush()
    return link


def set_link_evidence(
    session: Session, *, actor: Actor, project_id: int, link_id: int, kpi_id: int | None
) -> MissionLink:
    project = editable_project(session, actor=actor, project_id=project_id)
    link = next((x for x in project.mission_links if x.id == link_id), None)
    if link is None:
        raise NotFound(f"No mission link {link_id} on this project")
    if kpi_id is not None:
        _project_kpi(project, kpi_id)
    link.kpi_id = kpi_id
    session.flush()
    return link


def add_lesson(session: Session, *, actor: Actor, project_id: int, data: LessonIn) -> Lesson:
    project = editable_project(session, actor=actor, project_id=project_id)
    lesson = Lesson(**data.model_dump(), stage=project.stage, created_by_id=actor.user_id)
    project.lessons.append(lesson)
    session.flush()
    return lesson


def remove_child(
    session: Session, *, actor: Actor, project_id: int, kind: str, child_id: int
) -> None:
    """Remove a team member, funding line, KPI, mission link or lesson from a project."""
    project = editable_project(session, actor=actor, project_id=project_id)
    collections: dict[str, list[Any]] = {
        "team": project.team,
        "funding": project.funding,
        "kpis": project.kpis,
        "mission_links": project.mission_links,
        "lessons": project.lessons,
    }
    collection = collections.get(kind)
    if collection is None:
        raise NotFound(f"Projects have no {kind!r}")
    row = next((item for item in collection if item.id == child_id), None)
    if row is None:
        raise NotFound(f"No {kind} item {child_id} on this project")
    if kind == "kpis":  # links it evidenced become unevidenced, visibly and in the audit log
        for link in project.mission_links:
            if link.kpi_id == child_id:
                link.kpi_id = None
    collection.remove(row)
    session.flush()
