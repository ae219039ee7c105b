"""The innovation funnel, computed from projects' stage histories. Pure: no ORM, no web.

Definitions (shown on the funnel page too):
- *tried*: projects in the selection.
- *reached* a stage: the furthest stage a project has entered is that stage or a later one
  (a project stopped in alpha reached alpha; a retired one reached live).
- *conversion* from a stage to the next: reached(next) / reached(stage).
- *time in a stage*: from entering it to entering the next, over completed visits only.
"""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from statistics import median

from missionhub.portfolio.models import STAGE_ORDER, Stage, StopReason

FUNNEL_STAGES: tuple[Stage, ...] = STAGE_ORDER[:-1]  # idea .. live; retired is counted as live


@dataclass(frozen=True, slots=True)
class StageVisit:
    stage: Stage
    entered_at: datetime


@dataclass(frozen=True, slots=True)
class ProjectPath:
    """One project's route: its stage visits in order, where it is now, and why it stopped."""

    project_id: int
    current: Stage
    visits: tuple[StageVisit, ...]
    stop_reason: StopReason | None = None
    history_recorded: bool = True


@dataclass(frozen=True, slots=True)
class Conversion:
    from_stage: Stage
    to_stage: Stage
    rate: float | None


@dataclass(frozen=True, slots=True)
class Funnel:
    tried: int
    reached: dict[Stage, int]
    conversions: list[Conversion]
    median_days: dict[Stage, float | None]
    completed_visits: dict[Stage, int]
    current: dict[Stage, int]
    stop_reasons: dict[StopReason, int]
    without_history: int
    stopped_at: dict[Stage, int] = field(default_factory=dict)

    @property
    def reached_alpha_or_later(self) -> int:
        return self.reached[Stage.ALPHA]


def furthest_rank(path: ProjectPath) -> int:
    """Rank of the furthest forward stage entered (stopped itself has no rank)."""
    ranks = [visit.stage.rank for visit in path.visits if visit.stage is not Stage.STOPPED]
    if path.current is not Stage.STOPPED:
        ranks.append(path.current.rank)
    return max(ranks, default=0)


def completed_durations(path: ProjectPath) -> list[tuple[Stage, float]]:
    """(stage, days) for every visit that ended because the project entered another stage."""
    visits = path.visits
    return [
        (a.stage, (b.entered_at - a.entered_at).total_seconds() / 86400)
        for a, b in itertools.pairwise(visits)
    ]


def stage_stopped_in(path: ProjectPath) -> Stage | None:
    """The stage a stopped project was in when it stopped."""
    if path.current is not Stage.STOPPED:
        return None
    before = [v.stage for v in path.visits if v.stage is not Stage.STOPPED]
    return before[-1] if before else None


def compute_funnel(paths: list[ProjectPath]) -> Funnel:
    reached = {stage: 0 for stage in FUNNEL_STAGES}
    durations: dict[Stage, list[float]] = {stage: [] for stage in STAGE_ORDER}
    for path in paths:
        rank = min(furthest_rank(path), Stage.LIVE.rank)
        for stage in FUNNEL_STAGES[: rank + 1]:
            reached[stage] += 1
        for stage, days in completed_durations(path):
            if stage is not Stage.STOPPED:
                durations[stage].append(days)
    conversions = [
        Conversion(a, b, reached[b] / reached[a] if reached[a] else None)
        for a, b in itertools.pairwise(FUNNEL_STAGES)
    ]
    stopped_in = Counter(s for s in (stage_stopped_in(p) for p in paths) if s is not None)
    return Funnel(
        tried=len(paths),
        reached=reached,
        conversions=conversions,
        median_days={s: (median(d) if d else None) for s, d in durations.items()},
        completed_visits={s: len(d) for s, d in durations.items()},
        current=dict(Counter(p.current for p in paths)),
        stop_reasons=dict(Counter(p.stop_reason for p in paths if p.stop_reason is not None)),
        without_history=sum(1 for p in paths if not p.history_recorded),
        stopped_at=dict(stopped_in),
    )
