"""Stage gates: a team asks to move a project on; the owning department's CIO decides.

A project's stage changes only here, and only by a recorded decision:
- *proceed* moves it to the requested stage;
- *pause* keeps it where it is, marked paused, until a later decision to proceed;
- *pivot* keeps it where it is with a changed approach (the rationale says how);
- *stop* ends it, with a reason, from any stage.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from missionhub.accounts.models import Role
from missionhub.accounts.permissions import Actor, require
from missionhub.db.base import utcnow
from missionhub.errors import Conflict, Invalid, NotFound
from missionhub.portfolio.models import (
    DecisionStatus,
    GateDecision,
    GateOutcome,
    Project,
    Stage,
    StageEvent,
)
from missionhub.portfolio.projects import editable_project, get_project
from missionhub.portfolio.schemas import GateDecisionIn, StageRequestIn


def allowed_targets(current: Stage) -> list[Stage]:
    """Stages a team may ask to move to: any later stage (retired only from live)."""
    if current.is_closed:
        return []
    later: list[Stage] = [s for s in Stage if s.rank > current.rank and s is not Stage.RETIRED]
    return [*later, Stage.RETIRED] if current is Stage.LIVE else later


def pending_request(project: Project) -> GateDecision | None:
    return next((d for d in project.decisions if d.status is DecisionStatus.PENDING), None)


def request_stage_change(
    session: Session, *, actor: Actor, project_id: int, data: StageRequestIn
) -> GateDecision:
    project = editable_project(session, actor=actor, project_id=project_id)
    if project.stage.is_closed:
        raise Conflict(f"This project is {project.stage.value}; it cannot change stage")
    if data.requested_stage not in allowed_targets(project.stage):
        raise Invalid(
            f"A project in {project.stage.label} cannot ask to move to "
            f"{data.requested_stage.label}",
            field="requested_stage",
        )
    if pending_request(project):
        raise Conflict("A stage change is already waiting for a decision")
    decision = GateDecision(
        from_stage=project.stage,
        requested_stage=data.requested_stage,
        case=data.case,
        requested_by_id=actor.user_id,
        status=DecisionStatus.PENDING,
    )
    project.decisions.append(decision)
    session.flush()
    return decision


def withdraw_request(session: Session, *, actor: Actor, project_id: int) -> GateDecision:
    project = editable_project(session, actor=actor, project_id=project_id)
    decision = pending_request(project)
    if decision is None:
        raise Conflict("There is no pending request to withdraw")
    decision.status = DecisionStatus.WITHDRAWN
    session.flush()
    return decision


def decide(
    session: Session,
    *,
    actor: Actor,
    project_id: int,
    data: GateDecisionIn,
    requested_stage: Stage | None = None,
) -> GateDecision:
    """The CIO decides the pending request, or (with ``requested_stage``) takes a decision
    unprompted, e.g. to stop a project."""
    project = get_project(session, actor=actor, project_id=project_id)
    require(
        actor.is_cio_of(project.organisation_id),
        "Only the owning department's Chief Innovation Officer can take gate decisions",
    )
    if project.stage.is_closed:
        raise Conflict(f"This project is {project.stage.value}; no further gate applies")
    decision = pending_request(project)
    if decision is None:
        decision = _unprompted(project, actor, requested_stage, data.outcome)
    elif requested_stage is not None and requested_stage is not decision.requested_stage:
        raise Conflict("A request is pending: decide that request first")
    _apply(project, decision, actor, data)
    session.flush()
    return decision


def _unprompted(
    project: Project, actor: Actor, requested_stage: Stage | None, outcome: GateOutcome
) -> GateDecision:
    target = requested_stage or (Stage.STOPPED if outcome is GateOutcome.STOP else None)
    if target is None:
        raise Invalid("Choose the stage this decision is about", field="requested_stage")
    if target is not Stage.STOPPED and target not in allowed_targets(project.stage):
        raise Invalid(
            f"A project in {project.stage.label} cannot move to {target.label}",
            field="requested_stage",
        )
    _check_outcome(target, outcome)  # before anything is added to the project
    decision = GateDecision(
        from_stage=project.stage,
        requested_stage=target,
        status=DecisionStatus.PENDING,
        requested_by_id=actor.user_id,
    )
    project.decisions.append(decision)
    return decision


def _check_outcome(target: Stage, outcome: GateOutcome) -> None:
    if outcome is GateOutcome.PROCEED and target is Stage.STOPPED:
        raise Invalid("To stop the project, decide 'stop' and give a reason", field="outcome")


def _apply(project: Project, decision: GateDecision, actor: Actor, data: GateDecisionIn) -> None:
    _check_outcome(decision.requested_stage, data.outcome)
    decision.status = DecisionStatus.DECIDED
    decision.outcome = data.outcome
    decision.rationale = data.rationale
    decision.conditions = data.conditions
    decision.stop_reason = data.stop_reason
    decision.decided_by_id = actor.user_id
    decision.decided_on = data.decided_on or date.today()
    decision.decided_at = utcnow()
    if data.outcome is GateOutcome.PROCEED:
        _enter(project, decision, decision.requested_stage)
        project.paused = False
    elif data.outcome is GateOutcome.STOP:
        _enter(project, decision, Stage.STOPPED)
        project.stop_reason = data.stop_reason
        project.stop_detail = data.rationale
        project.paused = False
    elif data.outcome is GateOutcome.PAUSE:
        project.paused = True
    else:
        project.paused = False


def _enter(project: Project, decision: GateDecision, stage: Stage) -> None:
    project.stage = stage
    project.stage_events.append(StageEvent(stage=stage, decision=decision))


def decision_queue(session: Session, *, actor: Actor) -> list[GateDecision]:
    """Requests waiting for this CIO (all organisations' for an admin), oldest first."""
    require(
        actor.is_admin or actor.role is Role.CIO,
        "Only a Chief Innovation Officer has a decision queue",
    )
    stmt = (
        select(GateDecision)
        .join(Project)
        .where(GateDecision.status == DecisionStatus.PENDING)
        .order_by(GateDecision.requested_at)
    )
    if not actor.is_admin:
        stmt = stmt.where(Project.organisation_id == actor.organisation_id)
    return list(session.scalars(stmt))


def get_decision(session: Session, *, actor: Actor, decision_id: int) -> GateDecision:
    decision = session.get(GateDecision, decision_id)
    if decision is None:
        raise NotFound(f"No gate decision {decision_id}")
    get_project(session, actor=actor, project_id=decision.project_id)  # visibility check
    return decision
