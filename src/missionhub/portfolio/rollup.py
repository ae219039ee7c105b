"""How contributing projects' KPIs roll up to a mission milestone. Pure: no ORM, no web.

A KPI's *progress* is how far its latest actual has moved from baseline towards target
((latest - baseline) / (target - baseline)): 0 at baseline, 1 at target, negative if worse.
Where a KPI is measured in the milestone's own unit (e.g. homes), its movement from baseline is
added to the milestone's *attributable change*: a claim that can be checked, not a slogan.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from statistics import mean

from missionhub.portfolio.models import Direction


@dataclass(frozen=True, slots=True)
class KpiReading:
    project_id: int
    kpi_id: int
    unit: str
    direction: Direction
    baseline: Decimal
    target: Decimal
    latest: Decimal | None


@dataclass(frozen=True, slots=True)
class LinkReading:
    """One project's link to a milestone, with its evidencing KPI if it has one."""

    project_id: int
    kpi: KpiReading | None


@dataclass(frozen=True, slots=True)
class MilestoneRollup:
    contributing_projects: int
    evidenced_links: int
    unevidenced_links: int
    kpis_reporting: int
    mean_progress: float | None
    attributable_change: Decimal | None
    share_of_gap: float | None


def kpi_progress(kpi: KpiReading) -> float | None:
    if kpi.latest is None or kpi.target == kpi.baseline:
        return None
    return float((kpi.latest - kpi.baseline) / (kpi.target - kpi.baseline))


def same_unit(a: str, b: str) -> bool:
    return a.strip().casefold() == b.strip().casefold()


def signed_change(kpi: KpiReading, direction: Direction) -> Decimal:
    """Movement from baseline, positive when it goes the way the milestone wants."""
    assert kpi.latest is not None
    change = kpi.latest - kpi.baseline
    return change if direction is Direction.INCREASE else -change


def rollup_milestone(
    links: list[LinkReading],
    *,
    unit: str,
    direction: Direction,
    baseline: Decimal | None,
    target: Decimal | None,
) -> MilestoneRollup:
    kpis = [link.kpi for link in links if link.kpi is not None]
    reporting = [k for k in kpis if k.latest is not None]
    progresses = [p for p in (kpi_progress(k) for k in reporting) if p is not None]
    in_unit = [k for k in reporting if same_unit(k.unit, unit)]
    change = sum((signed_change(k, direction) for k in in_unit), Decimal(0)) if in_unit else None
    gap = abs(target - baseline) if target is not None and baseline is not None else None
    return MilestoneRollup(
        contributing_projects=len({link.project_id for link in links}),
        evidenced_links=len(kpis),
        unevidenced_links=len(links) - len(kpis),
        kpis_reporting=len(reporting),
        mean_progress=mean(progresses) if progresses else None,
        attributable_change=change,
        share_of_gap=float(change / gap) if change is not None and gap else None,
    )
