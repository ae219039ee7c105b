"""Risk dashboards per department, mission or project: aggregates for everyone, the risks
behind them only for those who may read their details."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from missionhub.accounts.models import Organisation
from missionhub.accounts.permissions import Actor
from missionhub.db.base import utcnow
from missionhub.portfolio.models import MissionLink
from missionhub.portfolio.projects import get_project
from missionhub.risk import access
from missionhub.risk.appetite import load_appetites
from missionhub.risk.escalation import reopen_expired, standing_decision
from missionhub.risk.metrics import DecisionFact, RiskFact, Summary, summarise
from missionhub.risk.models import DecisionStatus, Risk, RiskDecision


@dataclass(frozen=True, slots=True)
class Scope:
    organisation_id: int | None = None
    mission_id: int | None = None
    project_id: int | None = None


@dataclass(frozen=True, slots=True)
class DepartmentRow:
    organisation_id: int
    name: str
    summary: Summary


@dataclass
class Dashboard:
    """The aggregates (public) and, for readers, the risks behind them."""

    summary: Summary
    by_department: list[DepartmentRow]
    pending: list[tuple[RiskDecision, float]] = field(default_factory=list)
    overdue: list[Risk] = field(default_factory=list)
    accepted_above: list[tuple[Risk, RiskDecision]] = field(default_factory=list)
    hidden_details: bool = False


def _in_scope(stmt: Select[Risk], scope: Scope) -> Select[Risk]:
    if scope.organisation_id:
        stmt = stmt.where(Risk.organisation_id == scope.organisation_id)
    if scope.project_id:
        stmt = stmt.where(Risk.project_id == scope.project_id)
    if scope.mission_id:
        stmt = stmt.where(
            Risk.project_id.in_(
                select(MissionLink.project_id).where(MissionLink.mission_id == scope.mission_id)
            )
        )
    return stmt


def _facts(session: Session, risks: list[Risk]) -> tuple[list[RiskFact], list[DecisionFact]]:
    appetites = load_appetites(session, {r.organisation_id for r in risks})
    facts: list[RiskFact] = []
    decisions: list[DecisionFact] = []
    for risk in risks:
        standing = standing_decision(risk)
        facts.append(
            RiskFact(
                risk.id,
                risk.organisation_id,
                risk.residual_likelihood,
                risk.residual_impact,
                risk.is_live,
                risk.review_on,
                appetites[risk.organisation_id].limit(risk.category),
                standing.response if standing else None,
            )
        )
        decisions.extend(
            DecisionFact(
                d.organisation_id, d.escalated_at, d.decided_at, d.status is DecisionStatus.PENDING
            )
            for d in risk.decisions
            if d.status is not DecisionStatus.WITHDRAWN
        )
    return facts, decisions


def dashboard(
    session: Session, *, actor: Actor, scope: Scope, today: date | None = None
) -> Dashboard:
    """Heat map, overdue reviews, pending decisions and their age, time to decision, and risks
    accepted above appetite, over the risks in scope."""
    today = today or date.today()
    if scope.project_id:
        get_project(session, actor=actor, project_id=scope.project_id)  # hidden -> NotFound
    reopen_expired(session, today=today)
    risks = list(
        session.scalars(
            _in_scope(select(Risk), scope).options(
                selectinload(Risk.decisions), selectinload(Risk.project)
            )
        )
    )
    facts, decisions = _facts(session, risks)
    now = utcnow()
    result = Dashboard(
        summary=summarise(facts, decisions, today=today, now=now),
        by_department=_by_department(session, facts, decisions, today),
    )
    _add_details(result, actor, risks, {f.risk_id: f for f in facts}, today)
    return result


def _by_department(
    session: Session, facts: list[RiskFact], decisions: list[DecisionFact], today: date
) -> list[DepartmentRow]:
    orgs = {f.organisation_id for f in facts}
    names = dict(
        session.execute(
            select(Organisation.id, Organisation.name).where(Organisation.id.in_(orgs))
        ).all()
    )
    now = utcnow()
    rows = [
        DepartmentRow(
            org,
            names[org],
            summarise(
                [f for f in facts if f.organisation_id == org],
                [d for d in decisions if d.organisation_id == org],
                today=today,
                now=now,
            ),
        )
        for org in orgs
    ]
    return sorted(rows, key=lambda r: (-r.summary.live, r.name))


def _add_details(
    result: Dashboard, actor: Actor, risks: list[Risk], facts: dict[int, RiskFact], today: date
) -> None:
    now = utcnow()
    for risk in risks:
        if not access.can_read_details(actor, risk.organisation_id):
            result.hidden_details = True
            continue
        fact = facts[risk.id]
        result.pending.extend(
            (d, (now - d.escalated_at).total_seconds() / 86400)
            for d in risk.decisions
            if d.status is DecisionStatus.PENDING
        )
        if fact.overdue(today):
            result.overdue.append(risk)
        standing = standing_decision(risk)
        if fact.accepted_above and standing is not None:
            result.accepted_above.append((risk, standing))
    result.pending.sort(key=lambda item: -item[1])
    result.overdue.sort(key=lambda r: r.review_on)
