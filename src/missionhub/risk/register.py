"""Project risk registers: risks described as cause, event and effect, scored before and after
controls, with controls and mitigations that have owners and due dates.

Every change re-applies the escalation rules (:func:`escalation.reevaluate`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from missionhub.accounts.permissions import Actor
from missionhub.errors import Conflict, Invalid, NotFound
from missionhub.portfolio.models import Project
from missionhub.portfolio.projects import editable_project
from missionhub.risk import access, escalation
from missionhub.risk.appetite import appetite_of
from missionhub.risk.models import (
    DecisionStatus,
    Response,
    Risk,
    RiskAction,
    RiskCategory,
    RiskDecision,
    RiskStatus,
)
from missionhub.risk.records import editable_risk, get_risk, register_project
from missionhub.risk.schemas import RiskActionIn, RiskIn
from missionhub.risk.scoring import RiskState, beyond_appetite, material_changes

__all__ = [
    "RiskFilter",
    "add_action",
    "add_risk",
    "can_add_risks",
    "complete_action",
    "filtered_risks",
    "get_risk",
    "list_risks",
    "project_register",
    "register_project",
    "remove_action",
    "update_risk",
]


@dataclass(frozen=True, slots=True)
class RiskFilter:
    organisation_id: int | None = None
    project_id: int | None = None
    category: RiskCategory | None = None
    status: RiskStatus | None = None
    overdue_on: date | None = None
    pending_only: bool = False


def filtered_risks(actor: Actor, f: RiskFilter) -> Select[Risk]:
    stmt = select(Risk).where(access.detail_clause(actor, Risk.organisation_id))
    if f.organisation_id:
        stmt = stmt.where(Risk.organisation_id == f.organisation_id)
    if f.project_id:
        stmt = stmt.where(Risk.project_id == f.project_id)
    if f.category:
        stmt = stmt.where(Risk.category == f.category)
    if f.status:
        stmt = stmt.where(Risk.status == f.status)
    if f.overdue_on:
        stmt = stmt.where(Risk.status != RiskStatus.CLOSED, Risk.review_on < f.overdue_on)
    if f.pending_only:
        stmt = stmt.where(
            Risk.id.in_(
                select(RiskDecision.risk_id).where(RiskDecision.status == DecisionStatus.PENDING)
            )
        )
    return stmt.options(
        selectinload(Risk.decisions), selectinload(Risk.project), selectinload(Risk.actions)
    )


def list_risks(session: Session, *, actor: Actor, filters: RiskFilter) -> list[Risk]:
    """The risks the actor may read, most severe first."""
    escalation.reopen_expired(session)
    stmt = filtered_risks(actor, filters).order_by(
        (Risk.residual_likelihood * Risk.residual_impact).desc(), Risk.id
    )
    return list(session.scalars(stmt))


def project_register(session: Session, *, actor: Actor, project_id: int) -> list[Risk]:
    """A project's risks, numbered in the order they were raised."""
    register_project(session, actor=actor, project_id=project_id)
    escalation.reopen_expired(session)
    return list(
        session.scalars(
            select(Risk)
            .where(Risk.project_id == project_id)
            .order_by(Risk.number)
            .options(selectinload(Risk.decisions), selectinload(Risk.actions))
        )
    )


def _open_project(session: Session, actor: Actor, project_id: int) -> Project:
    project = editable_project(session, actor=actor, project_id=project_id)
    if project.stage.is_closed:
        raise Conflict(f"This project is {project.stage.value}: its register is closed")
    return project


def _check_acceptance(
    session: Session, risk: Risk | None, organisation_id: int, data: RiskIn
) -> None:
    """Beyond appetite, only a standing CIO decision to tolerate makes a risk accepted. (A risk
    already accepted keeps its status; if a change re-opens the decision and escalates the risk,
    :func:`escalation.reevaluate` sets it back to open.)"""
    if data.status is not RiskStatus.ACCEPTED:
        return
    if risk is not None and risk.status is RiskStatus.ACCEPTED:
        return
    limit = appetite_of(session, organisation_id).limit(data.category)
    if not beyond_appetite(data.residual_likelihood * data.residual_impact, limit):
        return
    standing = escalation.standing_decision(risk) if risk else None
    if standing and standing.response is Response.TOLERATE and standing.snapshot:
        after = RiskState(data.category, data.residual_likelihood, data.residual_impact)
        if not material_changes(standing.snapshot, after, standing.expires_on, date.today()):
            return
    raise Invalid(
        "This risk is beyond the department's appetite: only its Chief Innovation Officer "
        "can accept it",
        field="status",
    )


def add_risk(session: Session, *, actor: Actor, project_id: int, data: RiskIn) -> Risk:
    """Raise a risk on a project's register; escalated at once if beyond appetite."""
    project = _open_project(session, actor, project_id)
    if data.status is RiskStatus.CLOSED:
        raise Invalid("A new risk cannot be closed", field="status")
    _check_acceptance(session, None, project.organisation_id, data)
    number = session.scalar(
        select(func.coalesce(func.max(Risk.number), 0)).where(Risk.project_id == project.id)
    )
    risk = Risk(
        **data.model_dump(),
        project_id=project.id,
        organisation_id=project.organisation_id,
        number=(number or 0) + 1,
        created_by_id=actor.user_id,
    )
    session.add(risk)
    session.flush()
    escalation.reevaluate(session, risk)
    return risk


def update_risk(session: Session, *, actor: Actor, risk_id: int, data: RiskIn) -> Risk:
    """Change a risk; a material change re-opens its decision."""
    risk = editable_risk(session, actor=actor, risk_id=risk_id)
    if risk.status is RiskStatus.CLOSED and data.status is RiskStatus.CLOSED:
        raise Conflict("This risk is closed: re-open it (change its status) to edit it")
    _check_acceptance(session, risk, risk.organisation_id, data)
    for key, value in data.model_dump().items():
        setattr(risk, key, value)
    session.flush()
    escalation.reevaluate(session, risk)
    return risk


def add_action(session: Session, *, actor: Actor, risk_id: int, data: RiskActionIn) -> RiskAction:
    risk = editable_risk(session, actor=actor, risk_id=risk_id)
    action = RiskAction(**data.model_dump())
    risk.actions.append(action)
    session.flush()
    return action


def _action(risk: Risk, action_id: int) -> RiskAction:
    action = next((a for a in risk.actions if a.id == action_id), None)
    if action is None:
        raise NotFound(f"No action {action_id} on this risk")
    return action


def complete_action(
    session: Session, *, actor: Actor, risk_id: int, action_id: int, done_on: date | None = None
) -> RiskAction:
    risk = editable_risk(session, actor=actor, risk_id=risk_id)
    action = _action(risk, action_id)
    if action.done_on is not None:
        raise Conflict("This action is already done")
    action.done_on = done_on or date.today()
    session.flush()
    return action


def remove_action(session: Session, *, actor: Actor, risk_id: int, action_id: int) -> None:
    risk = editable_risk(session, actor=actor, risk_id=risk_id)
    risk.actions.remove(_action(risk, action_id))
    session.flush()


def can_add_risks(actor: Actor, project: Project) -> bool:
    return access.can_change(actor, project.organisation_id) and not project.stage.is_closed
