"""Dashboard figures over plain records of risks and decisions. Pure: no ORM, no web.

Definitions (the dashboard page shows them too):
- *live* risks: not closed. The heat map counts live risks by residual likelihood and impact.
- *beyond appetite*: a live risk whose residual score is above its department's threshold for
  its category.
- *overdue review*: a live risk whose review date is before today.
- *pending*: escalations waiting for a decision; their *age* runs from escalation to now.
- *time to decision*: from escalation to decision, over every escalation that was decided.
- *accepted above appetite*: a live risk beyond appetite whose standing decision is to
  tolerate it; the share is of the live risks beyond appetite.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from statistics import median

from missionhub.risk.models import Response
from missionhub.risk.scoring import HeatMap, days_between, heat_map, median_days, share


@dataclass(frozen=True, slots=True)
class RiskFact:
    risk_id: int
    organisation_id: int
    likelihood: int
    impact: int
    live: bool
    review_on: date
    limit: int
    standing_response: Response | None = None

    @property
    def score(self) -> int:
        return self.likelihood * self.impact

    @property
    def beyond(self) -> bool:
        return self.live and self.score > self.limit

    def overdue(self, today: date) -> bool:
        return self.live and self.review_on < today

    @property
    def accepted_above(self) -> bool:
        return self.beyond and self.standing_response is Response.TOLERATE


@dataclass(frozen=True, slots=True)
class DecisionFact:
    organisation_id: int
    escalated_at: datetime
    decided_at: datetime | None
    pending: bool


@dataclass(frozen=True, slots=True)
class Summary:
    heat_map: HeatMap
    live: int
    beyond: int
    overdue: int
    pending: int
    median_pending_days: float | None
    oldest_pending_days: float | None
    decided: int
    median_days_to_decision: float | None
    accepted_above: int

    @property
    def share_accepted_above(self) -> float | None:
        return share(self.accepted_above, self.beyond)


def summarise(
    risks: Iterable[RiskFact], decisions: Iterable[DecisionFact], *, today: date, now: datetime
) -> Summary:
    live = [r for r in risks if r.live]
    decisions = list(decisions)
    ages = [days_between(d.escalated_at, now) for d in decisions if d.pending]
    decided = [(d.escalated_at, d.decided_at) for d in decisions if d.decided_at is not None]
    return Summary(
        heat_map=heat_map((r.likelihood, r.impact) for r in live),
        live=len(live),
        beyond=sum(1 for r in live if r.beyond),
        overdue=sum(1 for r in live if r.overdue(today)),
        pending=len(ages),
        median_pending_days=median(ages) if ages else None,
        oldest_pending_days=max(ages, default=None),
        decided=len(decided),
        median_days_to_decision=median_days(decided),
        accepted_above=sum(1 for r in live if r.accepted_above),
    )
