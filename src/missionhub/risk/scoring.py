"""The rules of risk scoring, appetite and escalation. Pure: no ORM, no web.

- A score is likelihood x impact on a 5x5 matrix (1..25).
- Each appetite level maps to the highest acceptable *residual* score (the department's scale).
- A live risk whose residual score is above its category's threshold is *beyond appetite* and
  goes to the CIO. A CIO decision stands until a material change against the snapshot taken
  when it was decided: the residual score goes up, the category changes, or the expiry passes.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from statistics import median
from typing import Any

from missionhub.risk.models import AppetiteLevel, RiskCategory

SCALE_MIN, SCALE_MAX = 1, 5
LEVELS: tuple[AppetiteLevel, ...] = tuple(AppetiteLevel)
DEFAULT_LEVEL = AppetiteLevel.CAUTIOUS
DEFAULT_SCALE: dict[AppetiteLevel, int] = {
    AppetiteLevel.AVERSE: 3,
    AppetiteLevel.MINIMAL: 6,
    AppetiteLevel.CAUTIOUS: 9,
    AppetiteLevel.OPEN: 12,
    AppetiteLevel.EAGER: 16,
}
LIKELIHOOD_LABELS = {1: "Rare", 2: "Unlikely", 3: "Possible", 4: "Likely", 5: "Almost certain"}
IMPACT_LABELS = {1: "Minimal", 2: "Minor", 3: "Moderate", 4: "Major", 5: "Severe"}


def score(likelihood: int, impact: int) -> int:
    """Likelihood x impact, each 1..5."""
    for name, value in (("likelihood", likelihood), ("impact", impact)):
        if not SCALE_MIN <= value <= SCALE_MAX:
            raise ValueError(f"{name} must be between 1 and 5, not {value}")
    return likelihood * impact


def band(value: int) -> str:
    """The rating shown on heat maps: low (1-4), medium (5-9), high (10-16), very high (20-25)."""
    if value <= 4:
        return "low"
    if value <= 9:
        return "medium"
    if value <= 16:
        return "high"
    return "very-high"


BAND_LABELS = {"low": "Low", "medium": "Medium", "high": "High", "very-high": "Very high"}


def scale_problems(scale: Mapping[AppetiteLevel, int]) -> list[tuple[AppetiteLevel, str]]:
    """What is wrong with a scale: every level present, each 1..25, rising with the level."""
    problems: list[tuple[AppetiteLevel, str]] = []
    for level in LEVELS:
        value = scale.get(level)
        if value is None:
            problems.append((level, f"Enter the highest acceptable score for {level.label}"))
        elif not 1 <= value <= 25:
            problems.append((level, f"{level.label} must be a score between 1 and 25"))
    if problems:
        return problems
    for lower, higher in itertools.pairwise(LEVELS):
        if scale[higher] <= scale[lower]:
            problems.append(
                (higher, f"{higher.label} must allow a higher score than {lower.label}")
            )
    return problems


def threshold(level: AppetiteLevel | None, scale: Mapping[AppetiteLevel, int] | None = None) -> int:
    """The highest acceptable residual score for an appetite level (default: cautious)."""
    return (scale or DEFAULT_SCALE)[level or DEFAULT_LEVEL]


def beyond_appetite(residual_score: int, limit: int) -> bool:
    return residual_score > limit


@dataclass(frozen=True, slots=True)
class RiskState:
    """What the escalation rules need to know about a risk now."""

    category: RiskCategory
    residual_likelihood: int
    residual_impact: int
    live: bool = True

    @property
    def residual_score(self) -> int:
        return self.residual_likelihood * self.residual_impact


def material_changes(
    snapshot: Mapping[str, Any], now: RiskState, expires_on: date | None, today: date
) -> list[str]:
    """Why a decision taken on ``snapshot`` no longer stands (empty: it stands)."""
    reasons = []
    before = int(snapshot["residual_score"])
    if now.residual_score > before:
        reasons.append(f"residual score up from {before} to {now.residual_score}")
    if snapshot["category"] != now.category.value:
        old = RiskCategory(snapshot["category"]).label
        reasons.append(f"category changed from {old} to {now.category.label}")
    if expires_on is not None and today > expires_on:
        reasons.append(f"decision expired on {expires_on.isoformat()}")
    return reasons


@dataclass(frozen=True, slots=True)
class Step:
    """What to do to a risk's escalation after a change: re-open the standing decision (with
    these reasons), withdraw the pending escalation (with this reason), escalate anew."""

    reopen: list[str] = field(default_factory=list)
    withdraw: str | None = None
    escalate: bool = False


def next_step(
    state: RiskState,
    limit: int,
    *,
    pending: bool,
    standing: Mapping[str, Any] | None,
    expires_on: date | None,
    today: date,
) -> Step:
    """The escalation rules, given the risk now, its threshold, a pending escalation (if any)
    and the snapshot of the standing decision (if any)."""
    if not state.live:
        return Step(withdraw="the risk was closed" if pending else None)
    reopen = material_changes(standing, state, expires_on, today) if standing else []
    beyond = beyond_appetite(state.residual_score, limit)
    still_standing = standing is not None and not reopen
    if beyond and not pending and not still_standing:
        return Step(reopen=reopen, escalate=True)
    if pending and not beyond:
        return Step(reopen=reopen, withdraw="the risk is back within appetite")
    return Step(reopen=reopen)


# Dashboards -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HeatMap:
    """Counts of risks by likelihood (rows, 5 at the top) and impact (columns, 1 on the left)."""

    counts: dict[tuple[int, int], int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def count(self, likelihood: int, impact: int) -> int:
        return self.counts.get((likelihood, impact), 0)

    def rows(self) -> list[tuple[int, list[tuple[int, int, int, str]]]]:
        """(likelihood, [(impact, count, score, band)...]) from likelihood 5 down to 1."""
        return [
            (
                lik,
                [
                    (imp, self.count(lik, imp), lik * imp, band(lik * imp))
                    for imp in range(SCALE_MIN, SCALE_MAX + 1)
                ],
            )
            for lik in range(SCALE_MAX, SCALE_MIN - 1, -1)
        ]

    def by_band(self) -> dict[str, int]:
        totals = dict.fromkeys(BAND_LABELS, 0)
        for (lik, imp), n in self.counts.items():
            totals[band(lik * imp)] += n
        return totals


def heat_map(cells: Iterable[tuple[int, int]]) -> HeatMap:
    """Count (likelihood, impact) pairs into a 5x5 heat map."""
    counts: dict[tuple[int, int], int] = {}
    for lik, imp in cells:
        score(lik, imp)  # refuses a cell outside the matrix
        counts[(lik, imp)] = counts.get((lik, imp), 0) + 1
    return HeatMap(counts)


def days_between(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / 86400


def median_days(spans: Iterable[tuple[datetime, datetime]]) -> float | None:
    """Median length in days of (start, end) spans, or None when there are none."""
    days = [days_between(a, b) for a, b in spans]
    return median(days) if days else None


def share(part: int, whole: int) -> float | None:
    return part / whole if whole else None
