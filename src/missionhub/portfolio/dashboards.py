"""The funnel and mission dashboards: select what the viewer may see, then compute (pure)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from missionhub import cache
from missionhub.accounts.models import Organisation
from missionhub.accounts.permissions import Actor, visible_clause
from missionhub.portfolio.funnel import Funnel, ProjectPath, StageVisit, compute_funnel
from missionhub.portfolio.models import (
    Direction,
    Kpi,
    KpiActual,
    Milestone,
    Mission,
    MissionLink,
    Project,
    Stage,
    StageEvent,
    StopReason,
)
from missionhub.portfolio.rollup import (
    KpiReading,
    LinkReading,
    MilestoneRollup,
    kpi_progress,
    rollup_milestone,
)
from missionhub.portfolio.schemas import FINANCIAL_YEAR


@dataclass(frozen=True, slots=True)
class FunnelSelection:
    organisation_id: int | None = None
    mission_id: int | None = None
    financial_year: str | None = None
    include_imported: bool = False


def financial_year_bounds(fy: str) -> tuple[datetime, datetime]:
    """2025-26 -> [1 April 2025, 1 April 2026) in UTC."""
    match = FINANCIAL_YEAR.match(fy)
    if not match:
        raise ValueError(f"Not a financial year: {fy!r}")
    start = int(match[1])
    return datetime(start, 4, 1, tzinfo=UTC), datetime(start + 1, 4, 1, tzinfo=UTC)


def financial_years(first: int = 2015) -> list[str]:
    """Financial years from ``first`` to the current one, newest first."""
    current = int(financial_year_of(datetime.now(UTC))[:4])
    return [f"{y}-{(y + 1) % 100:02d}" for y in range(current, first - 1, -1)]


def financial_year_of(moment: datetime) -> str:
    start = moment.year if moment.month >= 4 else moment.year - 1
    return f"{start}-{(start + 1) % 100:02d}"


def _selected_ids(actor: Actor, sel: FunnelSelection) -> Select[int]:
    stmt = select(Project.id).where(
        visible_clause(actor, Project.organisation_id, Project.visibility)
    )
    if sel.organisation_id:
        stmt = stmt.where(Project.organisation_id == sel.organisation_id)
    if sel.mission_id:
        stmt = stmt.where(
            Project.id.in_(
                select(MissionLink.project_id).where(MissionLink.mission_id == sel.mission_id)
            )
        )
    if not sel.include_imported:
        stmt = stmt.where(Project.source.is_(None))
    if sel.financial_year:
        start, end = financial_year_bounds(sel.financial_year)
        first = (
            select(StageEvent.project_id, func.min(StageEvent.entered_at).label("at"))
            .group_by(StageEvent.project_id)
            .subquery()
        )
        stmt = stmt.join(first, first.c.project_id == Project.id).where(
            first.c.at >= start, first.c.at < end
        )
    return stmt


def project_paths(session: Session, *, actor: Actor, sel: FunnelSelection) -> list[ProjectPath]:
    ids = _selected_ids(actor, sel).subquery()
    projects = session.execute(
        select(
            Project.id,
            Project.stage,
            Project.stop_reason,
            Project.assumed_fields,
            Project.organisation_id,
        ).where(Project.id.in_(select(ids.c.id)))
    ).all()
    visits: dict[int, list[StageVisit]] = defaultdict(list)
    for pid, stage, entered_at in session.execute(
        select(StageEvent.project_id, StageEvent.stage, StageEvent.entered_at)
        .where(StageEvent.project_id.in_(select(ids.c.id)))
        .order_by(StageEvent.project_id, StageEvent.entered_at, StageEvent.id)
    ):
        visits[pid].append(StageVisit(Stage(stage), entered_at))
    return [
        ProjectPath(
            project_id=pid,
            current=Stage(stage),
            visits=tuple(visits[pid]),
            stop_reason=StopReason(reason) if reason else None,
            history_recorded=not (assumed and "stage" in assumed),
        )
        for pid, stage, reason, assumed, _org in projects
    ]


def funnel(session: Session, *, actor: Actor, sel: FunnelSelection) -> Funnel:
    key = ("funnel", cache.viewer_scope(actor), sel)
    return cache.cached(
        session, key, lambda: compute_funnel(project_paths(session, actor=actor, sel=sel))
    )


@dataclass(frozen=True, slots=True)
class OrganisationFunnelRow:
    organisation_id: int
    name: str
    funnel: Funnel


def funnel_by_organisation(
    session: Session, *, actor: Actor, sel: FunnelSelection
) -> list[OrganisationFunnelRow]:
    """One funnel per organisation with projects in the selection, most tried first."""

    def compute() -> list[OrganisationFunnelRow]:
        owners = dict(
            session.execute(
                select(Project.id, Project.organisation_id).where(
                    Project.id.in_(_selected_ids(actor, sel))
                )
            ).all()
        )
        by_org: dict[int, list[ProjectPath]] = defaultdict(list)
        for path in project_paths(session, actor=actor, sel=sel):
            by_org[owners[path.project_id]].append(path)
        names = dict(
            session.execute(
                select(Organisation.id, Organisation.name).where(Organisation.id.in_(by_org))
            ).all()
        )
        rows = [
            OrganisationFunnelRow(org, names[org], compute_funnel(paths))
            for org, paths in by_org.items()
        ]
        return sorted(rows, key=lambda r: (-r.funnel.tried, r.name))

    return cache.cached(session, ("funnel-by-org", cache.viewer_scope(actor), sel), compute)


# Missions ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Contribution:
    project_id: int
    project_title: str
    organisation_name: str
    contribution: str
    kpi_name: str | None
    kpi_unit: str | None
    baseline: Decimal | None
    target: Decimal | None
    latest: Decimal | None
    progress: float | None

    @property
    def evidenced(self) -> bool:
        return self.kpi_name is not None


@dataclass(frozen=True, slots=True)
class MilestoneProgress:
    milestone: Milestone | None
    rollup: MilestoneRollup
    contributions: list[Contribution]


def _latest_actuals(session: Session, kpi_ids: set[int]) -> dict[int, Decimal]:
    if not kpi_ids:
        return {}
    newest = (
        select(KpiActual.kpi_id, func.max(KpiActual.observed_on).label("on"))
        .where(KpiActual.kpi_id.in_(kpi_ids))
        .group_by(KpiActual.kpi_id)
        .subquery()
    )
    rows = session.execute(
        select(KpiActual.kpi_id, KpiActual.value).join(
            newest, (newest.c.kpi_id == KpiActual.kpi_id) & (newest.c.on == KpiActual.observed_on)
        )
    )
    return dict(rows.all())


def mission_progress(
    session: Session, *, actor: Actor, mission: Mission
) -> list[MilestoneProgress]:
    """Per milestone (and one group for links to the mission as a whole), what visible
    projects contribute, evidenced or not, and how their KPIs roll up."""

    def compute() -> list[MilestoneProgress]:
        rows = session.execute(
            select(MissionLink, Project.title, Organisation.name, Kpi)
            .join(Project, Project.id == MissionLink.project_id)
            .join(Organisation, Organisation.id == Project.organisation_id)
            .outerjoin(Kpi, Kpi.id == MissionLink.kpi_id)
            .where(
                MissionLink.mission_id == mission.id,
                visible_clause(actor, Project.organisation_id, Project.visibility),
            )
            .order_by(Project.title)
        ).all()
        latest = _latest_actuals(session, {kpi.id for *_, kpi in rows if kpi is not None})
        grouped: dict[int | None, list[tuple[Contribution, LinkReading]]] = defaultdict(list)
        for link, title, org_name, kpi in rows:
            reading = _reading(link.project_id, kpi, latest)
            grouped[link.milestone_id].append(
                (
                    _contribution(link, title, org_name, kpi, reading),
                    LinkReading(link.project_id, reading),
                )
            )
        result = [_milestone_progress(ms, grouped.get(ms.id, [])) for ms in mission.milestones]
        if grouped.get(None):
            result.append(_milestone_progress(None, grouped[None]))
        return result

    return cache.cached(session, ("mission", mission.id, cache.viewer_scope(actor)), compute)


def _reading(project_id: int, kpi: Kpi | None, latest: dict[int, Decimal]) -> KpiReading | None:
    if kpi is None:
        return None
    return KpiReading(
        project_id, kpi.id, kpi.unit, kpi.direction, kpi.baseline, kpi.target, latest.get(kpi.id)
    )


def _contribution(
    link: MissionLink, title: str, org_name: str, kpi: Kpi | None, reading: KpiReading | None
) -> Contribution:
    return Contribution(
        project_id=link.project_id,
        project_title=title,
        organisation_name=org_name,
        contribution=link.contribution,
        kpi_name=kpi.name if kpi else None,
        kpi_unit=kpi.unit if kpi else None,
        baseline=kpi.baseline if kpi else None,
        target=kpi.target if kpi else None,
        latest=reading.latest if reading else None,
        progress=kpi_progress(reading) if reading else None,
    )


def _milestone_progress(
    milestone: Milestone | None, items: list[tuple[Contribution, LinkReading]]
) -> MilestoneProgress:
    links = [reading for _, reading in items]
    if milestone is None:
        rollup = rollup_milestone(
            links, unit="", direction=Direction.INCREASE, baseline=None, target=None
        )
    else:
        rollup = rollup_milestone(
            links,
            unit=milestone.unit,
            direction=milestone.direction,
            baseline=milestone.baseline,
            target=milestone.target,
        )
    return MilestoneProgress(milestone, rollup, [c for c, _ in items])


def unevidenced_count(session: Session, *, actor: Actor, mission_id: int | None = None) -> int:
    stmt = (
        select(func.count(MissionLink.id))
        .join(Project)
        .where(
            MissionLink.kpi_id.is_(None),
            visible_clause(actor, Project.organisation_id, Project.visibility),
        )
    )
    if mission_id:
        stmt = stmt.where(MissionLink.mission_id == mission_id)
    return session.scalar(stmt) or 0


def missions_overview(session: Session, *, actor: Actor) -> list[tuple[Mission, int, int]]:
    """(mission, visible contributing projects, unevidenced links) for every mission."""
    rows = session.execute(
        select(
            MissionLink.mission_id,
            func.count(func.distinct(MissionLink.project_id)),
            func.count(MissionLink.id).filter(MissionLink.kpi_id.is_(None)),
        )
        .join(Project)
        .where(visible_clause(actor, Project.organisation_id, Project.visibility))
        .group_by(MissionLink.mission_id)
    ).all()
    counts = {mid: (n, u) for mid, n, u in rows}
    missions = session.scalars(select(Mission).order_by(Mission.number))
    return [(m, *counts.get(m.id, (0, 0))) for m in missions]
