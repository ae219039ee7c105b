"""Case studies (written, reviewed in the department, published, withdrawn), their questions
and answers, reusable components and the projects that reuse them.

Reading something the actor may not see raises NotFound; changing something they may see but
not change raises PermissionDenied.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, false, func, or_, select, true
from sqlalchemy.orm import Session, selectinload

from missionhub.accounts.permissions import Actor, can_edit, can_read, require, visible_clause
from missionhub.db.base import utcnow
from missionhub.errors import Conflict, Invalid, NotFound
from missionhub.learning.models import (
    CaseStudy,
    CaseStudyStatus,
    Component,
    ComponentReuse,
    Question,
)
from missionhub.learning.schemas import AnswerIn, CaseStudyIn, ComponentIn, QuestionIn, ReuseIn
from missionhub.pagination import Page, paginate
from missionhub.portfolio.models import LessonKind, Project
from missionhub.portfolio.projects import editable_project, get_project

S = CaseStudyStatus


# Case studies ---------------------------------------------------------------------------------


def case_study_clause(actor: Actor) -> ColumnElement[bool]:
    """Published case studies for everyone; the rest for the owning organisation's people."""
    if actor.is_admin:
        return true()
    own = (
        CaseStudy.organisation_id == actor.organisation_id
        if actor.is_civil_servant and actor.organisation_id is not None
        else false()
    )
    return or_(CaseStudy.status == S.PUBLISHED, own)


def list_case_studies(
    session: Session, *, actor: Actor, page: int = 1, page_size: int = 20
) -> Page[CaseStudy]:
    stmt = (
        select(CaseStudy)
        .where(case_study_clause(actor))
        .order_by(CaseStudy.updated_at.desc(), CaseStudy.id.desc())
    )
    return paginate(session, stmt, page=page, page_size=page_size)


def get_case_study(session: Session, *, actor: Actor, case_study_id: int) -> CaseStudy:
    study = session.get(CaseStudy, case_study_id)
    if study is None or not can_read(
        actor, owner_org_id=study.organisation_id, visibility=study.visibility
    ):
        raise NotFound(f"No case study with id {case_study_id}")
    return study


def _editable(session: Session, actor: Actor, case_study_id: int) -> CaseStudy:
    study = get_case_study(session, actor=actor, case_study_id=case_study_id)
    require(
        can_edit(actor, owner_org_id=study.organisation_id),
        "Only the owning organisation's team can change this case study",
    )
    return study


def prefill_from_project(session: Session, *, actor: Actor, project_id: int) -> dict[str, Any]:
    """Form values for a new case study, taken from a project's record."""
    project = get_project(session, actor=actor, project_id=project_id)
    kpis = [
        f"{k.name}: baseline {k.baseline} {k.unit}, target {k.target} by {k.target_date}"
        + (f", latest {k.latest.value} on {k.latest.observed_on}" if k.latest else "")
        for k in project.kpis
    ]

    def lessons(kind: LessonKind) -> str:
        return "\n\n".join(f"{x.title}: {x.body}" for x in project.lessons if x.kind is kind)

    reason = project.stop_reason
    stopped = f"Stopped: {reason.label}. {project.stop_detail or ''}".strip() if reason else ""
    return {
        "project_id": str(project.id),
        "title": project.title,
        "summary": project.summary,
        "problem": project.problem or "",
        "users": project.users or "",
        "approach": project.approach or "",
        "outcomes": stopped,
        "kpi_evidence": "\n".join(kpis),
        "worked": lessons(LessonKind.WORKED),
        "did_not_work": "\n\n".join(
            x for x in (lessons(LessonKind.DID_NOT_WORK), lessons(LessonKind.DO_DIFFERENTLY)) if x
        ),
    }


def _owner(session: Session, actor: Actor, data: CaseStudyIn) -> int:
    if data.project_id is not None:
        try:
            project = get_project(session, actor=actor, project_id=data.project_id)
        except NotFound as exc:
            raise Invalid("No such project", field="project_id") from exc
        owner = project.organisation_id
    else:
        owner = actor.organisation_id or 0
    require(can_edit(actor, owner_org_id=owner), "You can only write your organisation's")
    if not owner:
        raise Invalid("Choose the project the case study is about", field="project_id")
    return owner


def _components(session: Session, actor: Actor, ids: list[int]) -> list[Component]:
    found = [get_component(session, actor=actor, component_id=i) for i in dict.fromkeys(ids)]
    return found


def _apply(study: CaseStudy, data: CaseStudyIn, components: list[Component]) -> None:
    values = data.model_dump(exclude={"component_ids", "links"})
    for key, value in values.items():
        setattr(study, key, value)
    study.links = data.link_list()
    study.components = components


def create_case_study(session: Session, *, actor: Actor, data: CaseStudyIn) -> CaseStudy:
    """A draft case study, owned by the project's organisation (or the writer's)."""
    owner = _owner(session, actor, data)
    study = CaseStudy(
        organisation_id=owner, status=S.DRAFT, created_by_id=actor.user_id, contact_role=""
    )
    _apply(study, data, _components(session, actor, data.component_ids))
    session.add(study)
    session.flush()
    return study


def update_case_study(
    session: Session, *, actor: Actor, case_study_id: int, data: CaseStudyIn
) -> CaseStudy:
    study = _editable(session, actor, case_study_id)
    if data.project_id != study.project_id and _owner(session, actor, data) != (
        study.organisation_id
    ):
        raise Invalid("A case study cannot move to another organisation", field="project_id")
    _apply(study, data, _components(session, actor, data.component_ids))
    session.flush()
    return study


def submit_for_review(session: Session, *, actor: Actor, case_study_id: int) -> CaseStudy:
    study = _editable(session, actor, case_study_id)
    if study.status not in (S.DRAFT, S.WITHDRAWN):
        raise Conflict(f"A case study that is {study.status.label.lower()} cannot be submitted")
    study.status = S.IN_REVIEW
    session.flush()
    return study


def _reviewer(session: Session, actor: Actor, case_study_id: int) -> CaseStudy:
    study = get_case_study(session, actor=actor, case_study_id=case_study_id)
    require(
        actor.is_admin or actor.is_cio_of(study.organisation_id),
        "Only the department's Chief Innovation Officer or an admin can review case studies",
    )
    return study


def publish(
    session: Session, *, actor: Actor, case_study_id: int, note: str | None = None
) -> CaseStudy:
    """Publish after review in the department: it becomes public and searchable by all."""
    study = _reviewer(session, actor, case_study_id)
    if study.status is not S.IN_REVIEW:
        raise Conflict("Only a case study in review can be published")
    study.status, study.review_note = S.PUBLISHED, note
    study.reviewed_by_id, study.published_at = actor.user_id, utcnow()
    session.flush()
    return study


def return_to_draft(
    session: Session, *, actor: Actor, case_study_id: int, note: str | None = None
) -> CaseStudy:
    study = _reviewer(session, actor, case_study_id)
    if study.status is not S.IN_REVIEW:
        raise Conflict("Only a case study in review can be sent back")
    study.status, study.review_note, study.reviewed_by_id = S.DRAFT, note, actor.user_id
    session.flush()
    return study


def withdraw(session: Session, *, actor: Actor, case_study_id: int, reason: str) -> CaseStudy:
    study = _reviewer(session, actor, case_study_id)
    if study.status is not S.PUBLISHED:
        raise Conflict("Only a published case study can be withdrawn")
    study.status, study.withdrawn_reason = S.WITHDRAWN, reason
    session.flush()
    return study


def case_studies_of_project(session: Session, *, actor: Actor, project_id: int) -> list[CaseStudy]:
    stmt = select(CaseStudy).where(CaseStudy.project_id == project_id, case_study_clause(actor))
    return list(session.scalars(stmt.order_by(CaseStudy.id)))


# Questions ------------------------------------------------------------------------------------


def visible_questions(actor: Actor, study: CaseStudy) -> list[Question]:
    """Civil servants see every question; the public only published answers."""
    if actor.is_civil_servant or actor.is_admin:
        return list(study.questions)
    return [q for q in study.questions if q.published and q.answer]


def ask(session: Session, *, actor: Actor, case_study_id: int, data: QuestionIn) -> Question:
    study = get_case_study(session, actor=actor, case_study_id=case_study_id)
    require(actor.is_civil_servant, "Only civil servants who are signed in can ask questions")
    question = Question(body=data.body, asked_by_id=actor.user_id)
    study.questions.append(question)
    session.flush()
    return question


def answer(
    session: Session, *, actor: Actor, case_study_id: int, question_id: int, data: AnswerIn
) -> Question:
    study = _editable(session, actor, case_study_id)
    question = next((q for q in study.questions if q.id == question_id), None)
    if question is None:
        raise NotFound(f"No question {question_id} on this case study")
    question.answer, question.published = data.answer, data.published
    question.answered_by_id, question.answered_at = actor.user_id, utcnow()
    session.flush()
    return question


# Components -----------------------------------------------------------------------------------


def visible_components(actor: Actor) -> Any:
    return select(Component).where(
        visible_clause(actor, Component.organisation_id, Component.visibility)
    )


def list_components(
    session: Session, *, actor: Actor, page: int = 1, page_size: int = 20
) -> Page[Component]:
    stmt = (
        visible_components(actor)
        .options(selectinload(Component.reuses))
        .order_by(Component.name, Component.id)
    )
    return paginate(session, stmt, page=page, page_size=page_size)


def get_component(session: Session, *, actor: Actor, component_id: int) -> Component:
    component = session.get(Component, component_id)
    if component is None or not can_read(
        actor, owner_org_id=component.organisation_id, visibility=component.visibility
    ):
        raise NotFound(f"No component with id {component_id}")
    return component


def create_component(session: Session, *, actor: Actor, data: ComponentIn) -> Component:
    owner = actor.organisation_id
    require(
        owner is not None and can_edit(actor, owner_org_id=owner),
        "Only a department's staff can add components",
    )
    component = Component(**data.model_dump(), organisation_id=owner, created_by_id=actor.user_id)
    session.add(component)
    session.flush()
    return component


def update_component(
    session: Session, *, actor: Actor, component_id: int, data: ComponentIn
) -> Component:
    component = get_component(session, actor=actor, component_id=component_id)
    require(
        can_edit(actor, owner_org_id=component.organisation_id),
        "Only the owning organisation's team can change this component",
    )
    for key, value in data.model_dump().items():
        setattr(component, key, value)
    session.flush()
    return component


def record_reuse(
    session: Session, *, actor: Actor, project_id: int, data: ReuseIn
) -> ComponentReuse:
    """A project says it reuses a component (its own team, about a component it can see)."""
    editable_project(session, actor=actor, project_id=project_id)
    try:
        component = get_component(session, actor=actor, component_id=data.component_id)
    except NotFound as exc:
        raise Invalid("No such component", field="component_id") from exc
    if any(r.project_id == project_id for r in component.reuses):
        raise Invalid("This project already records reusing that component", "component_id")
    reuse = ComponentReuse(project_id=project_id, note=data.note, created_by_id=actor.user_id)
    component.reuses.append(reuse)
    session.flush()
    return reuse


def reusing_projects(session: Session, *, actor: Actor, component: Component) -> list[Project]:
    """The projects the actor can see that reuse ``component``."""
    ids = [r.project_id for r in component.reuses]
    stmt = select(Project).where(
        Project.id.in_(ids),
        visible_clause(actor, Project.organisation_id, Project.visibility),
    )
    return list(session.scalars(stmt.order_by(Project.title)))


def visible_reuse_counts(
    session: Session, *, actor: Actor, component_ids: list[int]
) -> dict[int, int]:
    """How many projects the actor can see reuse each component (hidden ones are not counted)."""
    if not component_ids:
        return {}
    rows = session.execute(
        select(ComponentReuse.component_id, func.count())
        .join(Project, Project.id == ComponentReuse.project_id)
        .where(
            ComponentReuse.component_id.in_(component_ids),
            visible_clause(actor, Project.organisation_id, Project.visibility),
        )
        .group_by(ComponentReuse.component_id)
    ).all()
    return {component_id: n for component_id, n in rows}


def reuses_of_project(session: Session, *, actor: Actor, project_id: int) -> list[Component]:
    stmt = visible_components(actor).where(
        Component.id.in_(
            select(ComponentReuse.component_id).where(ComponentReuse.project_id == project_id)
        )
    )
    return list(session.scalars(stmt.order_by(Component.name)))
