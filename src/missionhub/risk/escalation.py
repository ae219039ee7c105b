"""Escalation of risks beyond appetite to the department's CIO, and the CIO's decisions.

After every change to a risk or to its department's appetite, :func:`reevaluate` applies the
rules in :mod:`missionhub.risk.scoring`: a live risk beyond appetite with no standing decision
is escalated; a standing decision is re-opened by a material change (score up, category
changed, expiry passed); an escalation that is no longer needed is withdrawn.

Expiry needs no scheduler: :func:`reopen_expired` runs whenever a queue, dashboard or register
is read (and by ``missionhub risks refresh``, for a scheduler if one is wanted).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from missionhub.accounts.models import Role
from missionhub.accounts.permissions import Actor, require
from missionhub.db.base import utcnow
from missionhub.errors import Conflict
from missionhub.risk import access
from missionhub.risk.appetite import Appetite, appetite_of
from missionhub.risk.models import (
    DecisionStatus,
    Response,
    Risk,
    RiskCategory,
    RiskDecision,
    RiskStatus,
)
from missionhub.risk.records import get_risk
from missionhub.risk.schemas import RiskDecisionIn
from missionhub.risk.scoring import RiskState, beyond_appetite, next_step

STATUS_AFTER = {
    Response.TREAT: RiskStatus.TREATING,
    Response.TOLERATE: RiskStatus.ACCEPTED,
    Response.TRANSFER: RiskStatus.TREATING,
    Response.TERMINATE: RiskStatus.CLOSED,
}


def pending_decision(risk: Risk) -> RiskDecision | None:
    return next((d for d in risk.decisions if d.status is DecisionStatus.PENDING), None)


def standing_decision(risk: Risk) -> RiskDecision | None:
    return next((d for d in risk.decisions if d.status is DecisionStatus.DECIDED), None)


def latest_decided(risk: Risk) -> RiskDecision | None:
    """The newest decision taken on the risk, standing or since re-opened."""
    return next((d for d in risk.decisions if d.decided_at is not None), None)


def state_of(risk: Risk) -> RiskState:
    return RiskState(risk.category, risk.residual_likelihood, risk.residual_impact, risk.is_live)


def snapshot(risk: Risk, appetite: Appetite) -> dict[str, Any]:
    """The risk as it stands, for the decision's record."""
    level = appetite.levels[risk.category]
    return {
        "reference": risk.reference,
        "title": risk.title,
        "cause": risk.cause,
        "event": risk.event,
        "effect": risk.effect,
        "category": risk.category.value,
        "owner": risk.owner,
        "inherent_likelihood": risk.inherent_likelihood,
        "inherent_impact": risk.inherent_impact,
        "inherent_score": risk.inherent_score,
        "residual_likelihood": risk.residual_likelihood,
        "residual_impact": risk.residual_impact,
        "residual_score": risk.residual_score,
        "proximity": risk.proximity.value,
        "review_on": risk.review_on.isoformat(),
        "status": risk.status.value,
        "appetite_level": level.level.value,
        "appetite_max_score": level.max_score,
        "actions": [
            {"kind": a.kind.value, "description": a.description, "owner": a.owner}
            for a in risk.actions
        ],
    }


def _trigger(risk: Risk, appetite: Appetite, reopened: list[str]) -> str:
    level = appetite.levels[risk.category]
    text = (
        f"Residual score {risk.residual_score} is beyond the department's "
        f"{level.level.label.lower()} appetite (highest acceptable {level.max_score}) for "
        f"{risk.category.label.lower()} risk"
    )
    return text + (f"; decision re-opened: {'; '.join(reopened)}" if reopened else "")


def reevaluate(
    session: Session, risk: Risk, appetite: Appetite | None = None, today: date | None = None
) -> None:
    """Escalate, re-open or withdraw as the rules say, for one risk."""
    appetite = appetite or appetite_of(session, risk.organisation_id)
    pending, standing = pending_decision(risk), standing_decision(risk)
    step = next_step(
        state_of(risk),
        appetite.limit(risk.category),
        pending=pending is not None,
        standing=standing.snapshot if standing else None,
        expires_on=standing.expires_on if standing else None,
        today=today or date.today(),
    )
    now = utcnow()
    if step.reopen and standing is not None:
        standing.status = DecisionStatus.REOPENED
        standing.closed_at, standing.closed_reason = now, "; ".join(step.reopen)
    if step.withdraw and pending is not None:
        pending.status = DecisionStatus.WITHDRAWN
        pending.closed_at, pending.closed_reason = now, step.withdraw
    if step.escalate:
        if risk.status is RiskStatus.ACCEPTED:  # an acceptance that no longer stands
            risk.status = RiskStatus.OPEN
        risk.decisions.insert(
            0,
            RiskDecision(
                organisation_id=risk.organisation_id,
                status=DecisionStatus.PENDING,
                escalated_at=now,
                trigger=_trigger(risk, appetite, step.reopen),
                previous_id=standing.id if standing and step.reopen else None,
            ),
        )
    session.flush()


def reevaluate_department(
    session: Session, organisation_id: int, category: RiskCategory | None = None
) -> None:
    """Re-apply the rules to a department's live risks (after its appetite changed)."""
    appetite = appetite_of(session, organisation_id)
    stmt = (
        select(Risk)
        .where(Risk.organisation_id == organisation_id, Risk.status != RiskStatus.CLOSED)
        .options(selectinload(Risk.decisions), selectinload(Risk.actions))
    )
    if category is not None:
        stmt = stmt.where(Risk.category == category)
    for risk in session.scalars(stmt):
        reevaluate(session, risk, appetite)


@contextmanager
def acting_as(session: Session, actor: Actor) -> Iterator[None]:
    """Record writes made inside under ``actor`` (in the audit log)."""
    previous = session.info.get("actor")
    session.info["actor"] = actor
    try:
        yield
    finally:
        session.info["actor"] = previous


def reopen_expired(
    session: Session, *, today: date | None = None, organisation_id: int | None = None
) -> int:
    """Re-open every standing decision whose expiry has passed (and escalate the risk again if
    it is still beyond appetite). Safe to call on every read; returns how many re-opened."""
    today = today or date.today()
    stmt = (
        select(Risk)
        .join(RiskDecision, RiskDecision.risk_id == Risk.id)
        .where(
            RiskDecision.status == DecisionStatus.DECIDED,
            RiskDecision.expires_on < today,
            Risk.status != RiskStatus.CLOSED,
        )
        .options(selectinload(Risk.decisions), selectinload(Risk.actions))
    )
    if organisation_id is not None:
        stmt = stmt.where(Risk.organisation_id == organisation_id)
    risks = list(session.scalars(stmt).unique())
    if not risks:
        return 0
    try:
        with session.begin_nested(), acting_as(session, Actor.system("risk decision expiry")):
            for risk in risks:
                reevaluate(session, risk, today=today)
    except IntegrityError:  # a concurrent request re-opened them first; its writes stand
        return 0
    return len(risks)


def decide(session: Session, *, actor: Actor, risk_id: int, data: RiskDecisionIn) -> RiskDecision:
    """The owning department's CIO decides an escalated risk, with a rationale."""
    risk = get_risk(session, actor=actor, risk_id=risk_id)
    access.require_decider(actor, risk.organisation_id)
    decision = pending_decision(risk)
    if decision is None:
        raise Conflict("No escalation of this risk is waiting for a decision")
    appetite = appetite_of(session, risk.organisation_id)
    decision.snapshot = snapshot(risk, appetite)
    decision.above_appetite = beyond_appetite(risk.residual_score, appetite.limit(risk.category))
    decision.status = DecisionStatus.DECIDED
    decision.response = data.response
    decision.rationale = data.rationale
    decision.conditions = data.conditions
    decision.expires_on = data.expires_on
    decision.decided_by_id = actor.user_id
    decision.decided_at = utcnow()
    risk.status = STATUS_AFTER[data.response]
    session.flush()
    return decision


def decision_queue(
    session: Session, *, actor: Actor, today: date | None = None
) -> list[RiskDecision]:
    """Escalations waiting for this CIO (every department's, for an admin), oldest first."""
    require(
        actor.is_admin or actor.role is Role.CIO,
        "Only a Chief Innovation Officer has a risk decision queue",
    )
    org = None if actor.is_admin else actor.organisation_id
    reopen_expired(session, today=today, organisation_id=org)
    stmt = (
        select(RiskDecision)
        .where(RiskDecision.status == DecisionStatus.PENDING)
        .order_by(RiskDecision.escalated_at, RiskDecision.id)
        .options(selectinload(RiskDecision.risk).selectinload(Risk.project))
    )
    if org is not None:
        stmt = stmt.where(RiskDecision.organisation_id == org)
    return list(session.scalars(stmt))
