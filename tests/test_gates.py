"""Stage gates: a project moves only by a decision of its own department's CIO."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from sqlalchemy.orm import Session

from missionhub.accounts.permissions import Visibility
from missionhub.errors import Conflict, Invalid, PermissionDenied
from missionhub.portfolio import gates, projects
from missionhub.portfolio.models import (
    DecisionStatus,
    GateOutcome,
    Stage,
    StopReason,
)
from missionhub.portfolio.schemas import GateDecisionIn, ProjectIn, StageRequestIn
from tests.factories import World


def test_a_new_project_starts_at_idea_with_its_first_stage_event(world: World) -> None:
    dwp = world.department()
    project = world.project(world.member(dwp))
    assert project.stage is Stage.IDEA
    assert [e.stage for e in project.stage_events] == [Stage.IDEA]


def test_request_then_cio_proceeds_moves_the_stage_and_records_why(
    world: World, session: Session
) -> None:
    dwp = world.department()
    member, cio = world.member(dwp), world.cio(dwp)
    project = world.project(member)
    request = gates.request_stage_change(
        session,
        actor=world.actor(member),
        project_id=project.id,
        data=StageRequestIn(requested_stage=Stage.DISCOVERY, case="Users struggle to attend"),
    )
    assert request.status is DecisionStatus.PENDING
    assert project.stage is Stage.IDEA, "asking does not move the project"
    assert [d.project_id for d in gates.decision_queue(session, actor=world.actor(cio))] == [
        project.id
    ]

    gates.decide(
        session,
        actor=world.actor(cio),
        project_id=project.id,
        data=GateDecisionIn(
            outcome=GateOutcome.PROCEED, rationale="Clear need", conditions="Report monthly"
        ),
    )
    assert project.stage is Stage.DISCOVERY
    assert request.status is DecisionStatus.DECIDED
    assert request.decided_by_id == cio.id
    assert request.conditions == "Report monthly"
    assert [e.stage for e in project.stage_events] == [Stage.IDEA, Stage.DISCOVERY]
    assert project.stage_events[-1].decision_id == request.id
    assert gates.decision_queue(session, actor=world.actor(cio)) == []


def test_the_stage_cannot_be_set_through_an_edit(world: World, session: Session) -> None:
    dwp = world.department()
    member = world.member(dwp)
    project = world.project(member)
    with pytest.raises(ValidationError, match="stage"):
        ProjectIn(title="x", summary="y", stage="live")  # type: ignore[call-arg]
    projects.update_project(
        session,
        actor=world.actor(member),
        project_id=project.id,
        data=ProjectIn(title="Renamed", summary="Still an idea"),
    )
    assert project.stage is Stage.IDEA


@pytest.mark.parametrize("who", ["member", "other_cio", "admin"])
def test_only_the_owning_departments_cio_decides(world: World, session: Session, who: str) -> None:
    dwp, moj = world.department(), world.department("Ministry of Justice")
    member = world.member(dwp)
    project = world.project(member)
    gates.request_stage_change(
        session,
        actor=world.actor(member),
        project_id=project.id,
        data=StageRequestIn(requested_stage=Stage.ALPHA, case="Ready"),
    )
    decider = {"member": member, "other_cio": world.cio(moj), "admin": world.admin()}[who]
    with pytest.raises(PermissionDenied):
        gates.decide(
            session,
            actor=world.actor(decider),
            project_id=project.id,
            data=GateDecisionIn(outcome=GateOutcome.PROCEED, rationale="Yes"),
        )
    assert project.stage is Stage.IDEA


def test_pause_holds_the_stage_and_a_later_proceed_unpauses(world: World, session: Session) -> None:
    dwp = world.department()
    member, cio = world.member(dwp), world.cio(dwp)
    project = world.project(member)
    gates.request_stage_change(
        session,
        actor=world.actor(member),
        project_id=project.id,
        data=StageRequestIn(requested_stage=Stage.DISCOVERY, case="Go"),
    )
    gates.decide(
        session,
        actor=world.actor(cio),
        project_id=project.id,
        data=GateDecisionIn(outcome=GateOutcome.PAUSE, rationale="Await funding"),
    )
    assert (project.stage, project.paused) == (Stage.IDEA, True)
    world.advance(project, Stage.DISCOVERY, cio=cio, member=member)
    assert (project.stage, project.paused) == (Stage.DISCOVERY, False)


def test_pivot_keeps_the_stage(world: World, session: Session) -> None:
    dwp = world.department()
    member, cio = world.member(dwp), world.cio(dwp)
    project = world.project(member)
    gates.request_stage_change(
        session,
        actor=world.actor(member),
        project_id=project.id,
        data=StageRequestIn(requested_stage=Stage.DISCOVERY, case="Go"),
    )
    decision = gates.decide(
        session,
        actor=world.actor(cio),
        project_id=project.id,
        data=GateDecisionIn(outcome=GateOutcome.PIVOT, rationale="Target carers instead"),
    )
    assert project.stage is Stage.IDEA
    assert decision.outcome is GateOutcome.PIVOT
    assert len(project.stage_events) == 1


def test_stop_from_any_stage_needs_a_reason_and_ends_the_project(
    world: World, session: Session
) -> None:
    dwp = world.department()
    member, cio = world.member(dwp), world.cio(dwp)
    project = world.project(member)
    world.advance(project, Stage.DISCOVERY, cio=cio, member=member)
    world.advance(project, Stage.ALPHA, cio=cio, member=member)
    with pytest.raises(ValidationError, match="Select why the project is stopping"):
        GateDecisionIn(outcome=GateOutcome.STOP, rationale="No")
    world.stop(project, StopReason.VALUE_FOR_MONEY, cio=cio)
    assert project.stage is Stage.STOPPED
    assert project.stop_reason is StopReason.VALUE_FOR_MONEY
    assert [e.stage for e in project.stage_events][-1] is Stage.STOPPED
    with pytest.raises(Conflict):
        gates.request_stage_change(
            session,
            actor=world.actor(member),
            project_id=project.id,
            data=StageRequestIn(requested_stage=Stage.BETA, case="Again"),
        )


def test_a_second_request_while_one_is_pending_is_refused(world: World, session: Session) -> None:
    dwp = world.department()
    member = world.member(dwp)
    project = world.project(member)
    ask = StageRequestIn(requested_stage=Stage.DISCOVERY, case="Go")
    gates.request_stage_change(session, actor=world.actor(member), project_id=project.id, data=ask)
    with pytest.raises(Conflict, match="already waiting"):
        gates.request_stage_change(
            session, actor=world.actor(member), project_id=project.id, data=ask
        )


@pytest.mark.parametrize(
    ("current", "target"),
    [(Stage.IDEA, Stage.IDEA), (Stage.IDEA, Stage.RETIRED), (Stage.IDEA, Stage.STOPPED)],
)
def test_impossible_targets_are_refused_with_the_field_named(
    world: World, session: Session, current: Stage, target: Stage
) -> None:
    dwp = world.department()
    member = world.member(dwp)
    project = world.project(member)
    with pytest.raises(Invalid) as exc:
        gates.request_stage_change(
            session,
            actor=world.actor(member),
            project_id=project.id,
            data=StageRequestIn(requested_stage=target, case="x"),
        )
    assert exc.value.errors[0].field == "requested_stage"


def test_allowed_targets_only_go_forward_and_retire_only_from_live() -> None:
    assert gates.allowed_targets(Stage.ALPHA) == [Stage.BETA, Stage.LIVE]
    assert gates.allowed_targets(Stage.LIVE) == [Stage.RETIRED]
    assert gates.allowed_targets(Stage.STOPPED) == []


def test_a_cio_can_stop_a_project_without_a_request(world: World, session: Session) -> None:
    dwp = world.department()
    project = world.project(world.member(dwp), visibility=Visibility.DRAFT)
    decision = world.stop(project)
    assert decision.decisions[0].requested_stage is Stage.STOPPED
    assert project.stage is Stage.STOPPED


def test_withdrawn_request_leaves_the_queue(world: World, session: Session) -> None:
    dwp = world.department()
    member, cio = world.member(dwp), world.cio(dwp)
    project = world.project(member)
    gates.request_stage_change(
        session,
        actor=world.actor(member),
        project_id=project.id,
        data=StageRequestIn(requested_stage=Stage.ALPHA, case="Go"),
    )
    gates.withdraw_request(session, actor=world.actor(member), project_id=project.id)
    assert gates.decision_queue(session, actor=world.actor(cio)) == []
