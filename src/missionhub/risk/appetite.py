"""A department's risk appetite: a level per Orange Book category, the scale that turns each
level into the highest acceptable residual score, and the history of both (who, when, why).

A category the CIO has not set yet has the default level (cautious), shown as a default.
Changing appetite re-evaluates the department's live risks: some may now need a decision,
and escalations that are no longer beyond appetite are withdrawn.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from missionhub.accounts.models import Organisation
from missionhub.accounts.permissions import Actor, require
from missionhub.db.base import utcnow
from missionhub.errors import FieldError, Invalid, NotFound
from missionhub.risk import access
from missionhub.risk.models import (
    AppetiteChange,
    AppetiteLevel,
    AppetiteScale,
    RiskAppetite,
    RiskCategory,
)
from missionhub.risk.schemas import AppetiteIn, ScaleIn
from missionhub.risk.scoring import DEFAULT_LEVEL, DEFAULT_SCALE, scale_problems


@dataclass(frozen=True, slots=True)
class CategoryAppetite:
    category: RiskCategory
    level: AppetiteLevel
    max_score: int
    is_default: bool
    reason: str | None = None
    set_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Appetite:
    """A department's whole appetite: the scale and the level of every category."""

    organisation_id: int
    scale: dict[AppetiteLevel, int]
    scale_is_default: bool
    levels: dict[RiskCategory, CategoryAppetite]

    def limit(self, category: RiskCategory) -> int:
        return self.levels[category].max_score


def _department(session: Session, organisation_id: int) -> Organisation:
    org = session.get(Organisation, organisation_id)
    if org is None or not org.is_public_sector:
        raise NotFound(f"No department with id {organisation_id}")
    return org


def load_appetites(session: Session, organisation_ids: set[int]) -> dict[int, Appetite]:
    """Every named department's appetite (defaults filled in), in two queries."""
    scales: dict[int, dict[AppetiteLevel, int]] = {}
    for step in session.scalars(
        select(AppetiteScale).where(AppetiteScale.organisation_id.in_(organisation_ids))
    ):
        scales.setdefault(step.organisation_id, {})[step.level] = step.max_score
    chosen: dict[int, dict[RiskCategory, RiskAppetite]] = {}
    for chosen_row in session.scalars(
        select(RiskAppetite).where(RiskAppetite.organisation_id.in_(organisation_ids))
    ):
        chosen.setdefault(chosen_row.organisation_id, {})[chosen_row.category] = chosen_row
    result = {}
    for org_id in organisation_ids:
        scale = scales.get(org_id) or dict(DEFAULT_SCALE)
        levels = {}
        for category in RiskCategory:
            row = chosen.get(org_id, {}).get(category)
            level = row.level if row else DEFAULT_LEVEL
            levels[category] = CategoryAppetite(
                category,
                level,
                scale[level],
                row is None,
                row.reason if row else None,
                row.set_at if row else None,
            )
        result[org_id] = Appetite(org_id, scale, org_id not in scales, levels)
    return result


def appetite_of(session: Session, organisation_id: int) -> Appetite:
    return load_appetites(session, {organisation_id})[organisation_id]


def department_appetite(session: Session, *, actor: Actor, organisation_id: int) -> Appetite:
    """A department's appetite, for civil servants of any department (it is policy, not
    detail about any one risk)."""
    require(actor.is_civil_servant, "Only civil servants can see departments' risk appetite")
    _department(session, organisation_id)
    return appetite_of(session, organisation_id)


def set_appetite(
    session: Session, *, actor: Actor, organisation_id: int, data: AppetiteIn
) -> RiskAppetite:
    """The department's CIO sets the appetite for one category, saying why."""
    _department(session, organisation_id)
    access.require_decider(actor, organisation_id, "risk appetite")
    row = session.scalar(
        select(RiskAppetite).where(
            RiskAppetite.organisation_id == organisation_id,
            RiskAppetite.category == data.category,
        )
    )
    before = row.level if row else None
    if before is data.level:
        raise Invalid(
            f"The appetite for {data.category.label.lower()} risk is already {data.level.label}",
            field="level",
        )
    if row is None:
        row = RiskAppetite(organisation_id=organisation_id, category=data.category)
        session.add(row)
    row.level, row.reason, row.set_by_id, row.set_at = (
        data.level,
        data.reason,
        actor.user_id,
        utcnow(),
    )
    session.add(
        AppetiteChange(
            organisation_id=organisation_id,
            category=data.category,
            from_level=before,
            to_level=data.level,
            reason=data.reason,
            changed_by_id=actor.user_id,
        )
    )
    session.flush()
    _reevaluate(session, organisation_id, data.category)
    return row


def set_scale(session: Session, *, actor: Actor, organisation_id: int, data: ScaleIn) -> None:
    """The department's CIO changes the highest acceptable score of each level, saying why."""
    _department(session, organisation_id)
    access.require_decider(actor, organisation_id, "risk appetite")
    scale = data.as_scale()
    problems = scale_problems(scale)
    if problems:
        raise Invalid([FieldError(level.value, message) for level, message in problems])
    rows = {
        r.level: r
        for r in session.scalars(
            select(AppetiteScale).where(AppetiteScale.organisation_id == organisation_id)
        )
    }
    before = {level: rows[level].max_score for level in rows} or dict(DEFAULT_SCALE)
    if before == scale:
        raise Invalid("The scale is unchanged", field="averse")
    for level, value in scale.items():
        row = rows.get(level) or AppetiteScale(organisation_id=organisation_id, level=level)
        row.max_score = value
        session.add(row)
    session.add(
        AppetiteChange(
            organisation_id=organisation_id,
            scale_before={k.value: v for k, v in before.items()},
            scale_after={k.value: v for k, v in scale.items()},
            reason=data.reason,
            changed_by_id=actor.user_id,
        )
    )
    session.flush()
    _reevaluate(session, organisation_id, None)


def appetite_history(
    session: Session, *, actor: Actor, organisation_id: int
) -> list[AppetiteChange]:
    """Every change of the department's appetite, newest first."""
    require(actor.is_civil_servant, "Only civil servants can see departments' risk appetite")
    _department(session, organisation_id)
    return list(
        session.scalars(
            select(AppetiteChange)
            .where(AppetiteChange.organisation_id == organisation_id)
            .order_by(AppetiteChange.changed_at.desc(), AppetiteChange.id.desc())
        )
    )


def _reevaluate(session: Session, organisation_id: int, category: RiskCategory | None) -> None:
    from missionhub.risk import escalation

    escalation.reevaluate_department(session, organisation_id, category)
