"""Risks as flat rows for CSV and JSON export (only the risks the actor may read)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from missionhub.accounts.permissions import Actor
from missionhub.risk import access
from missionhub.risk.appetite import Appetite, load_appetites
from missionhub.risk.escalation import latest_decided, pending_decision, reopen_expired
from missionhub.risk.models import Risk
from missionhub.risk.register import RiskFilter, filtered_risks

CSV_COLUMNS = [
    "id",
    "reference",
    "organisation",
    "project_id",
    "project",
    "title",
    "cause",
    "event",
    "effect",
    "category",
    "owner",
    "inherent_likelihood",
    "inherent_impact",
    "inherent_score",
    "residual_likelihood",
    "residual_impact",
    "residual_score",
    "appetite_level",
    "appetite_max_score",
    "beyond_appetite",
    "proximity",
    "review_on",
    "review_overdue",
    "status",
    "controls_and_mitigations",
    "escalated_at",
    "decision_status",
    "decision_response",
    "decision_rationale",
    "decision_conditions",
    "decision_expires_on",
    "decided_at",
    "created_at",
    "updated_at",
]


def count_risks(session: Session, *, actor: Actor, filters: RiskFilter | None = None) -> int:
    stmt = filtered_risks(actor, filters or RiskFilter()).order_by(None)
    return session.scalar(select(func.count()).select_from(stmt.subquery())) or 0


def risk_rows(
    session: Session,
    *,
    actor: Actor,
    filters: RiskFilter | None = None,
    progress: Callable[[int], None] | None = None,
) -> Iterator[dict[str, Any]]:
    """One row per risk the actor may read, oldest first; ``progress(n)`` after each."""
    reopen_expired(session)
    stmt = filtered_risks(actor, filters or RiskFilter()).order_by(Risk.id)
    appetites: dict[int, Appetite] = {}
    today = date.today()
    for done, risk in enumerate(session.scalars(stmt), start=1):
        assert access.can_read_details(actor, risk.organisation_id)
        if risk.organisation_id not in appetites:
            appetites.update(load_appetites(session, {risk.organisation_id}))
        yield risk_row(risk, appetites[risk.organisation_id], today)
        if progress:
            progress(done)


def risk_row(risk: Risk, appetite: Appetite, today: date) -> dict[str, Any]:
    level = appetite.levels[risk.category]
    decision = pending_decision(risk) or latest_decided(risk)
    return {
        "id": risk.id,
        "reference": risk.reference,
        "organisation": risk.organisation.name,
        "project_id": risk.project_id,
        "project": risk.project.title,
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
        "appetite_level": level.level.value,
        "appetite_max_score": level.max_score,
        "beyond_appetite": risk.is_live and risk.residual_score > level.max_score,
        "proximity": risk.proximity.value,
        "review_on": risk.review_on.isoformat(),
        "review_overdue": risk.is_live and risk.review_on < today,
        "status": risk.status.value,
        "controls_and_mitigations": "; ".join(
            f"{a.kind.value}: {a.description} ({a.owner})" for a in risk.actions
        ),
        "escalated_at": decision.escalated_at.isoformat() if decision else "",
        "decision_status": decision.status.value if decision else "",
        "decision_response": decision.response.value if decision and decision.response else "",
        "decision_rationale": (decision.rationale or "") if decision else "",
        "decision_conditions": (decision.conditions or "") if decision else "",
        "decision_expires_on": decision.expires_on.isoformat()
        if decision and decision.expires_on
        else "",
        "decided_at": decision.decided_at.isoformat() if decision and decision.decided_at else "",
        "created_at": risk.created_at.isoformat(),
        "updated_at": risk.updated_at.isoformat(),
    }
