"""Missions and their milestones (public, edited by admins) and cross-departmental use cases."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from missionhub.accounts.models import Organisation
from missionhub.accounts.permissions import (
    Actor,
    can_edit,
    can_read,
    require,
    require_admin,
    visible_clause,
)
from missionhub.errors import Invalid, NotFound
from missionhub.pagination import Page, paginate
from missionhub.portfolio.models import Milestone, Mission, UseCase
from missionhub.portfolio.schemas import MilestoneIn, UseCaseIn


def list_missions(session: Session) -> list[Mission]:
    stmt = select(Mission).options(selectinload(Mission.milestones)).order_by(Mission.number)
    return list(session.scalars(stmt))


def get_mission(session: Session, *, slug: str) -> Mission:
    mission = session.scalar(
        select(Mission).where(Mission.slug == slug).options(selectinload(Mission.milestones))
    )
    if mission is None:
        raise NotFound(f"No mission {slug!r}")
    return mission


def update_milestone(
    session: Session, *, actor: Actor, milestone_id: int, data: MilestoneIn
) -> Milestone:
    require_admin(actor)
    milestone = session.get(Milestone, milestone_id)
    if milestone is None:
        raise NotFound(f"No milestone {milestone_id}")
    for key, value in data.model_dump().items():
        setattr(milestone, key, value)
    session.flush()
    return milestone


# Use cases ------------------------------------------------------------------------------------


def list_use_cases(
    session: Session,
    *,
    actor: Actor,
    mission_id: int | None = None,
    page: int = 1,
    page_size: int = 20,
) -> Page[UseCase]:
    stmt = select(UseCase).where(visible_clause(actor, UseCase.organisation_id, UseCase.visibility))
    if mission_id:
        stmt = stmt.where(UseCase.missions.any(Mission.id == mission_id))
    return paginate(session, stmt.order_by(UseCase.title), page=page, page_size=page_size)


def get_use_case(session: Session, *, actor: Actor, use_case_id: int) -> UseCase:
    use_case = session.get(UseCase, use_case_id)
    if use_case is None or not can_read(
        actor, owner_org_id=use_case.organisation_id, visibility=use_case.visibility
    ):
        raise NotFound(f"No use case with id {use_case_id}")
    return use_case


def _resolve(session: Session, model: Any, ids: list[int], field: str) -> list[Any]:
    rows = list(session.scalars(select(model).where(model.id.in_(ids)))) if ids else []
    missing = sorted(set(ids) - {row.id for row in rows})
    if missing:
        raise Invalid(f"Unknown id(s): {', '.join(map(str, missing))}", field=field)
    return rows


def _apply_use_case(session: Session, use_case: UseCase, data: UseCaseIn) -> None:
    """Check everything first, then change the use case (a refused edit changes nothing)."""
    participants = _resolve(session, Organisation, data.participant_ids, "participant_ids")
    if any(not org.is_public_sector for org in participants):
        raise Invalid("Participants must be public-sector organisations", field="participant_ids")
    missions = _resolve(session, Mission, data.mission_ids, "mission_ids")
    milestones = _resolve(session, Milestone, data.milestone_ids, "milestone_ids")
    if any(ms.mission_id not in {m.id for m in missions} for ms in milestones):
        raise Invalid(
            "Each milestone must belong to one of the chosen missions", field="milestone_ids"
        )
    use_case.title, use_case.problem, use_case.outcome = data.title, data.problem, data.outcome
    use_case.visibility = data.visibility
    use_case.participants, use_case.missions, use_case.milestones = (
        participants,
        missions,
        milestones,
    )


def create_use_case(session: Session, *, actor: Actor, data: UseCaseIn) -> UseCase:
    lead = data.organisation_id or actor.organisation_id
    require(
        lead is not None and can_edit(actor, owner_org_id=lead),
        "You can only create use cases led by your own organisation",
    )
    use_case = UseCase(organisation_id=lead, created_by_id=actor.user_id)
    _apply_use_case(session, use_case, data)
    session.add(use_case)
    session.flush()
    return use_case


def update_use_case(
    session: Session, *, actor: Actor, use_case_id: int, data: UseCaseIn
) -> UseCase:
    use_case = get_use_case(session, actor=actor, use_case_id=use_case_id)
    require(
        can_edit(actor, owner_org_id=use_case.organisation_id),
        "Only the lead organisation can change this use case",
    )
    _apply_use_case(session, use_case, data)
    session.flush()
    return use_case
