"""Risk factories that speak the domain, on top of tests.factories.World:

risks = RiskWorld(world)
risks.appetite(dwp, RiskCategory.TECHNOLOGY, AppetiteLevel.CAUTIOUS)   # highest acceptable 9
risk = risks.risk(project, alice, likelihood=4, impact=4)             # 16: escalated
risks.decide(risk, cio, Response.TOLERATE)
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from missionhub.accounts.models import Organisation, User
from missionhub.portfolio.models import Project
from missionhub.risk import appetite, escalation, register
from missionhub.risk.models import (
    AppetiteLevel,
    Proximity,
    Response,
    Risk,
    RiskCategory,
    RiskDecision,
    RiskStatus,
)
from missionhub.risk.schemas import AppetiteIn, RiskDecisionIn, RiskIn
from tests.factories import World


def risk_in(
    *,
    likelihood: int = 2,
    impact: int = 2,
    inherent: tuple[int, int] | None = None,
    category: RiskCategory = RiskCategory.TECHNOLOGY,
    **fields: Any,
) -> RiskIn:
    """A valid risk description; residual ``likelihood`` x ``impact``."""
    inherent_l, inherent_i = inherent or (5, 5)
    data: dict[str, Any] = {
        "title": "Model drifts after launch",
        "cause": "the model is trained on last year's claims",
        "event": "its accuracy falls as claims change",
        "effect": "claimants are routed to the wrong team and wait longer",
        "category": category,
        "owner": "Head of data science",
        "inherent_likelihood": inherent_l,
        "inherent_impact": inherent_i,
        "residual_likelihood": likelihood,
        "residual_impact": impact,
        "proximity": Proximity.NEAR,
        "review_on": date.today() + timedelta(days=30),
        "status": RiskStatus.OPEN,
        **fields,
    }
    return RiskIn(**data)


class RiskWorld:
    def __init__(self, world: World) -> None:
        self.world = world
        self.session = world.session

    def org_of(self, project: Project) -> Organisation:
        org = self.session.get(Organisation, project.organisation_id)
        assert org is not None
        return org

    def appetite(
        self,
        org: Organisation,
        category: RiskCategory,
        level: AppetiteLevel,
        cio: User | None = None,
        reason: str = "Set by the board",
    ) -> None:
        appetite.set_appetite(
            self.session,
            actor=self.world.actor(cio or self.world.cio(org)),
            organisation_id=org.id,
            data=AppetiteIn(category=category, level=level, reason=reason),
        )

    def risk(self, project: Project, by: User, **fields: Any) -> Risk:
        return register.add_risk(
            self.session,
            actor=self.world.actor(by),
            project_id=project.id,
            data=risk_in(**fields),
        )

    def update(self, risk: Risk, by: User, **fields: Any) -> Risk:
        current: dict[str, Any] = {
            k: getattr(risk, k)
            for k in RiskIn.model_fields
            if k not in ("residual_likelihood", "residual_impact")
        }
        current["likelihood"] = risk.residual_likelihood
        current["impact"] = risk.residual_impact
        current["inherent"] = (risk.inherent_likelihood, risk.inherent_impact)
        for k in ("inherent_likelihood", "inherent_impact"):
            current.pop(k)
        current.update(fields)
        return register.update_risk(
            self.session, actor=self.world.actor(by), risk_id=risk.id, data=risk_in(**current)
        )

    def decide(
        self,
        risk: Risk,
        cio: User,
        response: Response = Response.TOLERATE,
        *,
        expires_on: date | None = None,
        rationale: str = "The benefit to claimants outweighs the risk for a six-month pilot",
    ) -> RiskDecision:
        return escalation.decide(
            self.session,
            actor=self.world.actor(cio),
            risk_id=risk.id,
            data=RiskDecisionIn(
                response=response,
                rationale=rationale,
                expires_on=expires_on or date.today() + timedelta(days=180),
            ),
        )
