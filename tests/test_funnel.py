"""The funnel and milestone roll-up arithmetic (pure functions), and the dashboards over them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from missionhub.accounts.permissions import Actor, Visibility
from missionhub.portfolio import dashboards
from missionhub.portfolio.funnel import (
    FUNNEL_STAGES,
    ProjectPath,
    StageVisit,
    compute_funnel,
)
from missionhub.portfolio.models import STAGE_ORDER, Direction, Stage, StopReason
from missionhub.portfolio.rollup import KpiReading, LinkReading, kpi_progress, rollup_milestone
from tests.factories import World

T0 = datetime(2025, 4, 1, tzinfo=UTC)


def path(
    pid: int, *stages_days: tuple[Stage, int], reason: StopReason | None = None
) -> ProjectPath:
    visits = tuple(StageVisit(s, T0 + timedelta(days=d)) for s, d in stages_days)
    return ProjectPath(pid, visits[-1].stage, visits, reason)


def test_funnel_counts_reached_converted_stopped_and_median_days() -> None:
    paths = [
        path(1, (Stage.IDEA, 0)),
        path(2, (Stage.IDEA, 0), (Stage.DISCOVERY, 10)),
        path(3, (Stage.IDEA, 0), (Stage.DISCOVERY, 30), (Stage.ALPHA, 90)),
        path(
            4,
            (Stage.IDEA, 0),
            (Stage.DISCOVERY, 20),
            (Stage.ALPHA, 50),
            (Stage.STOPPED, 80),
            reason=StopReason.NOT_FEASIBLE,
        ),
        path(
            5,
            (Stage.IDEA, 0),
            (Stage.ALPHA, 40),
            (Stage.BETA, 100),
            (Stage.LIVE, 200),
            (Stage.RETIRED, 400),
        ),
    ]
    f = compute_funnel(paths)
    assert f.tried == 5
    assert [f.reached[s] for s in FUNNEL_STAGES] == [5, 4, 3, 1, 1]
    assert [round(c.rate or 0, 4) for c in f.conversions] == [0.8, 0.75, 0.3333, 1.0]
    # idea stays: 10, 30, 20, 40 days -> median 25; discovery: 60, 30 -> 45; alpha: 30, 60 -> 45
    assert f.median_days[Stage.IDEA] == 25
    assert f.median_days[Stage.DISCOVERY] == 45
    assert f.median_days[Stage.ALPHA] == 45
    assert f.completed_visits[Stage.LIVE] == 1
    assert f.stop_reasons == {StopReason.NOT_FEASIBLE: 1}
    assert f.stopped_at == {Stage.ALPHA: 1}
    assert f.reached_alpha_or_later == 3


def test_an_empty_selection_has_no_rates() -> None:
    f = compute_funnel([])
    assert f.tried == 0
    assert all(c.rate is None for c in f.conversions)
    assert all(v is None for v in f.median_days.values())


FORWARD = [s for s in STAGE_ORDER]


@st.composite
def project_paths(draw: st.DrawFn) -> ProjectPath:
    length = draw(st.integers(1, len(FORWARD)))
    chosen = sorted(draw(st.sets(st.integers(1, len(FORWARD) - 1), max_size=length - 1)))
    stages = [Stage.IDEA] + [FORWARD[i] for i in chosen]
    if draw(st.booleans()):
        stages.append(Stage.STOPPED)
    days = sorted(draw(st.lists(st.integers(0, 2000), min_size=len(stages), max_size=len(stages))))
    return path(
        draw(st.integers(1, 10**6)),
        *zip(stages, days, strict=True),
        reason=StopReason.OTHER if stages[-1] is Stage.STOPPED else None,
    )


@given(st.lists(project_paths(), max_size=40))
def test_funnel_invariants(paths: list[ProjectPath]) -> None:
    f = compute_funnel(paths)
    counts = [f.reached[s] for s in FUNNEL_STAGES]
    assert counts == sorted(counts, reverse=True), "a funnel never widens"
    assert counts[0] == f.tried
    assert all(c.rate is None or 0 <= c.rate <= 1 for c in f.conversions)
    assert sum(f.current.values()) == f.tried
    assert sum(f.stopped_at.values()) == f.current.get(Stage.STOPPED, 0)
    assert all(d is None or d >= 0 for d in f.median_days.values())


def reading(
    latest: str | None,
    baseline: str = "0",
    target: str = "100",
    unit: str = "homes",
    direction: Direction = Direction.INCREASE,
    pid: int = 1,
) -> KpiReading:
    return KpiReading(
        pid,
        pid,
        unit,
        direction,
        Decimal(baseline),
        Decimal(target),
        None if latest is None else Decimal(latest),
    )


def test_kpi_progress_is_the_share_of_the_way_from_baseline_to_target() -> None:
    assert kpi_progress(reading("25")) == 0.25
    assert kpi_progress(
        reading("12", baseline="20", target="10", direction=Direction.DECREASE)
    ) == pytest.approx(0.8)
    assert kpi_progress(reading("-10")) == -0.1
    assert kpi_progress(reading(None)) is None


def test_milestone_rollup_adds_only_kpis_in_the_milestone_unit() -> None:
    links = [
        LinkReading(1, reading("1200", pid=1)),  # +1,200 homes
        LinkReading(2, reading("300", baseline="100", pid=2)),  # +200 homes
        LinkReading(3, reading("50", unit="% of sites", pid=3)),  # other unit: not added
        LinkReading(4, None),  # unevidenced
        LinkReading(4, reading(None, pid=5)),  # no actual yet
    ]
    r = rollup_milestone(
        links,
        unit="Homes ",
        direction=Direction.INCREASE,
        baseline=Decimal(0),
        target=Decimal(1_500_000),
    )
    assert r.contributing_projects == 4
    assert (r.evidenced_links, r.unevidenced_links, r.kpis_reporting) == (4, 1, 3)
    assert r.attributable_change == Decimal(1400)
    assert r.share_of_gap == pytest.approx(1400 / 1_500_000)


def test_financial_years_run_april_to_march() -> None:
    assert dashboards.financial_year_of(datetime(2026, 3, 31, tzinfo=UTC)) == "2025-26"
    assert dashboards.financial_year_of(datetime(2026, 4, 1, tzinfo=UTC)) == "2026-27"
    start, end = dashboards.financial_year_bounds("2025-26")
    assert (start.date().isoformat(), end.date().isoformat()) == ("2025-04-01", "2026-04-01")


def test_the_funnel_counts_only_what_the_viewer_may_see_and_filters_by_department(
    world: World, session: Session
) -> None:
    dwp, moj = world.department(), world.department("Ministry of Justice")
    world.advance(world.project(world.member(dwp), visibility=Visibility.PUBLISHED), Stage.ALPHA)
    world.project(world.member(dwp), visibility=Visibility.DRAFT)
    world.project(world.member(moj), visibility=Visibility.INTERNAL)
    sel = dashboards.FunnelSelection()
    assert dashboards.funnel(session, actor=Actor.public(), sel=sel).tried == 1
    assert dashboards.funnel(session, actor=world.actor(world.member(moj)), sel=sel).tried == 2
    assert dashboards.funnel(session, actor=world.actor(world.member(dwp)), sel=sel).tried == 3
    by_dwp = dashboards.FunnelSelection(organisation_id=dwp.id)
    assert dashboards.funnel(session, actor=world.actor(world.admin()), sel=by_dwp).tried == 2
    rows = dashboards.funnel_by_organisation(session, actor=world.actor(world.admin()), sel=sel)
    assert [(r.name, r.funnel.tried, r.funnel.reached_alpha_or_later) for r in rows] == [
        ("Department for Work and Pensions", 2, 1),
        ("Ministry of Justice", 1, 0),
    ]


def test_the_funnel_filters_by_mission_and_by_the_year_a_project_started(
    world: World, session: Session
) -> None:
    from missionhub.portfolio import projects
    from missionhub.portfolio.schemas import MissionLinkIn

    member = world.member(world.department())
    nhs = world.missions()["nhs"]
    linked, other = world.project(member), world.project(member)
    projects.add_mission_link(
        session,
        actor=world.actor(member),
        project_id=linked.id,
        data=MissionLinkIn(mission_id=nhs.id, contribution="Shorter waits"),
    )
    other.stage_events[0].entered_at = datetime(2019, 5, 1, tzinfo=UTC)
    session.flush()
    admin = world.actor(world.admin())
    assert (
        dashboards.funnel(
            session, actor=admin, sel=dashboards.FunnelSelection(mission_id=nhs.id)
        ).tried
        == 1
    )
    this_year = dashboards.financial_year_of(datetime.now(UTC))
    assert (
        dashboards.funnel(
            session, actor=admin, sel=dashboards.FunnelSelection(financial_year=this_year)
        ).tried
        == 1
    )
    assert (
        dashboards.funnel(
            session, actor=admin, sel=dashboards.FunnelSelection(financial_year="2019-20")
        ).tried
        == 1
    )


def test_a_cached_funnel_is_recomputed_after_any_write(world: World, session: Session) -> None:
    member = world.member(world.department())
    world.project(member, visibility=Visibility.PUBLISHED)
    session.commit()
    sel = dashboards.FunnelSelection()
    session.info.pop("wrote", None)
    assert dashboards.funnel(session, actor=Actor.public(), sel=sel).tried == 1
    world.project(member, visibility=Visibility.PUBLISHED)
    session.commit()
    session.info.pop("wrote", None)
    assert dashboards.funnel(session, actor=Actor.public(), sel=sel).tried == 2
