"""Dashboards per department, mission and project: figures checked against an independent
count (pandas) of the same records, and details only for those who may read them."""

from __future__ import annotations

import random
import statistics
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pytest
from sqlalchemy.orm import Session

from missionhub.errors import NotFound
from missionhub.portfolio import projects
from missionhub.portfolio.schemas import MissionLinkIn
from missionhub.risk import dashboards
from missionhub.risk.dashboards import Scope
from missionhub.risk.models import AppetiteLevel, Response, RiskCategory, RiskStatus
from tests.factories import World
from tests.risk.factories import RiskWorld

TODAY = date.today()


def _crosstab(rows: list[tuple[int, int]]) -> dict[tuple[int, int], int]:
    frame = pd.DataFrame(rows, columns=["likelihood", "impact"])
    table = pd.crosstab(frame["likelihood"], frame["impact"])
    return {
        (int(lik), int(imp)): int(table.loc[lik, imp])
        for lik in table.index
        for imp in table.columns
        if table.loc[lik, imp]
    }


def test_heat_maps_per_department_mission_and_project_match_an_independent_count(
    session: Session, world: World, risks: RiskWorld
) -> None:
    missions = world.missions()
    mission = next(iter(missions.values()))
    dwp, moj = world.department(), world.department("Ministry of Justice")
    dwp_member, moj_member = world.member(dwp), world.member(moj)
    dwp_projects = [world.project(dwp_member, title=f"DWP {i}") for i in range(3)]
    moj_project = world.project(moj_member, title="MoJ")
    for p, who in ((dwp_projects[0], dwp_member), (moj_project, moj_member)):
        projects.add_mission_link(
            session,
            actor=world.actor(who),
            project_id=p.id,
            data=MissionLinkIn(mission_id=mission.id, contribution="Helps"),
        )
    rng = random.Random(7)
    created = []
    for i in range(30):
        project, who = (
            (moj_project, moj_member) if i % 4 == 0 else (dwp_projects[i % 3], dwp_member)
        )
        lik, imp = rng.randint(1, 5), rng.randint(1, 5)
        status = RiskStatus.CLOSED if i % 7 == 0 else RiskStatus.OPEN
        risk = risks.risk(project, who, likelihood=lik, impact=imp)
        if status is RiskStatus.CLOSED:
            risks.update(risk, who, status=status)
        created.append((project, lik, imp, status))
    in_mission = {dwp_projects[0].id, moj_project.id}
    scopes = {
        Scope(organisation_id=dwp.id): lambda p: p.organisation_id == dwp.id,
        Scope(mission_id=mission.id): lambda p: p.id in in_mission,
        Scope(project_id=dwp_projects[1].id): lambda p: p.id == dwp_projects[1].id,
    }
    public = world.actor(None)
    for scope, included in scopes.items():
        expected = [
            (lik, imp)
            for p, lik, imp, status in created
            if included(p) and status is not RiskStatus.CLOSED
        ]
        if scope.project_id:  # a project's map is for those who can see the project
            with pytest.raises(NotFound):
                dashboards.dashboard(session, actor=public, scope=scope)
            viewer = world.actor(dwp_member)
        else:
            viewer = public
        found = dashboards.dashboard(session, actor=viewer, scope=scope)
        assert found.summary.heat_map.counts == _crosstab(expected), scope
        assert found.summary.live == len(expected)


def test_pending_overdue_time_to_decision_and_accepted_above_appetite(
    session: Session, world: World, risks: RiskWorld
) -> None:
    dwp = world.department()
    member, cio = world.member(dwp), world.cio(dwp)
    risks.appetite(dwp, RiskCategory.TECHNOLOGY, AppetiteLevel.CAUTIOUS, cio)
    project = world.project(member)
    overdue = risks.risk(project, member, review_on=TODAY - timedelta(days=3))
    decided = [risks.risk(project, member, likelihood=4, impact=4) for _ in range(3)]
    waiting = [risks.risk(project, member, likelihood=5, impact=3) for _ in range(2)]
    now = datetime.now(UTC)
    spans = [2.0, 5.0, 11.0]
    for risk, days in zip(decided, spans, strict=True):
        risks.decide(risk, cio, Response.TOLERATE if days < 10 else Response.TREAT)
        (d,) = risk.decisions
        d.escalated_at, d.decided_at = now - timedelta(days=days + 1), now - timedelta(days=1)
    for risk, age in zip(waiting, (3, 8), strict=True):
        risk.decisions[0].escalated_at = now - timedelta(days=age)
    session.flush()

    team = dashboards.dashboard(
        session, actor=world.actor(member), scope=Scope(organisation_id=dwp.id)
    )
    s = team.summary
    assert (s.live, s.overdue, s.pending, s.decided) == (6, 1, 2, 3)
    assert s.median_days_to_decision == pytest.approx(statistics.median(spans), abs=0.01)
    assert s.oldest_pending_days == pytest.approx(8, abs=0.01)
    assert s.beyond == 5
    assert (s.accepted_above, s.share_accepted_above) == (2, pytest.approx(2 / 5))
    assert [r.id for r in team.overdue] == [overdue.id]
    assert [d.risk_id for d, _ in team.pending] == [waiting[1].id, waiting[0].id], "oldest first"
    assert {r.id for r, _ in team.accepted_above} == {decided[0].id, decided[1].id}
    assert all(d.rationale for _, d in team.accepted_above)
    assert not team.hidden_details

    public = dashboards.dashboard(
        session, actor=world.actor(None), scope=Scope(organisation_id=dwp.id)
    )
    ages = {"median_pending_days": None, "oldest_pending_days": None}  # measured to "now"
    assert replace(public.summary, **ages) == replace(s, **ages), "the same aggregates"
    assert (public.pending, public.overdue, public.accepted_above) == ([], [], [])
    assert public.hidden_details
    other = world.actor(world.cio(world.department("Ministry of Justice")))
    assert dashboards.dashboard(session, actor=other, scope=Scope()).accepted_above == []
    (row,) = public.by_department
    assert (row.name, row.summary.pending) == (dwp.name, 2)
