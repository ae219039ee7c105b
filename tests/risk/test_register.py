"""Project risk registers: raising, changing, controls and mitigations, and bad input."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from missionhub.errors import Conflict, Invalid, NotFound, PermissionDenied
from missionhub.portfolio.models import Stage
from missionhub.risk import register
from missionhub.risk.models import ActionKind, Risk, RiskCategory, RiskStatus
from missionhub.risk.schemas import RiskActionIn, RiskIn
from tests.factories import World
from tests.risk.factories import RiskWorld, risk_in


def _count(session: Session) -> int:
    return session.scalar(select(func.count(Risk.id))) or 0


def test_risks_are_numbered_per_project_and_belong_to_its_department(
    session: Session, world: World, risks: RiskWorld
) -> None:
    dwp = world.department()
    member = world.member(dwp)
    first, second = world.project(member), world.project(member, title="Second")
    a = risks.risk(first, member)
    b = risks.risk(first, member, title="Another")
    c = risks.risk(second, member)
    assert [a.reference, b.reference, c.reference] == ["R1", "R2", "R1"]
    assert a.organisation_id == dwp.id
    assert (a.inherent_score, a.residual_score) == (25, 4)
    assert [r.id for r in register.project_register(
        session, actor=world.actor(member), project_id=first.id
    )] == [a.id, b.id]  # fmt: skip


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("residual_likelihood", 0, "greater than or equal to 1"),
        ("residual_impact", 6, "less than or equal to 5"),
        ("inherent_likelihood", 9, "less than or equal to 5"),
        ("category", "weather", "Input should be 'strategic'"),
        ("title", " ", "Input should be a valid string"),
    ],
)
def test_bad_input_names_the_field(field: str, value: object, message: str) -> None:
    """(The API and form tests check that nothing is written.)"""
    data = risk_in().model_dump()
    data[field] = value
    with pytest.raises(ValidationError) as caught:
        RiskIn.model_validate(data)
    assert [e["loc"][0] for e in caught.value.errors()] == [field]
    assert message in caught.value.errors()[0]["msg"]


def test_a_residual_score_above_the_inherent_one_is_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        risk_in(inherent=(2, 2), likelihood=3, impact=2)
    (error,) = caught.value.errors()
    assert error["loc"] == ("residual_impact",)
    assert "cannot be higher than the inherent score" in error["msg"]


def test_the_team_cannot_accept_a_risk_beyond_appetite_itself(
    session: Session, world: World, risks: RiskWorld
) -> None:
    dwp = world.department()
    member = world.member(dwp)
    project = world.project(member)
    before = _count(session)
    with pytest.raises(Invalid) as caught:
        risks.risk(project, member, likelihood=4, impact=4, status=RiskStatus.ACCEPTED)
    assert caught.value.errors[0].field == "status"
    assert _count(session) == before
    within = risks.risk(project, member, likelihood=2, impact=2, status=RiskStatus.ACCEPTED)
    assert within.status is RiskStatus.ACCEPTED, "within appetite the team may accept it"


def test_a_stopped_projects_register_takes_no_new_risks(
    session: Session, world: World, risks: RiskWorld
) -> None:
    dwp = world.department()
    member = world.member(dwp)
    project = world.project(member)
    world.stop(project)
    assert project.stage is Stage.STOPPED
    with pytest.raises(Conflict):
        risks.risk(project, member)


def test_controls_and_mitigations_have_owners_and_due_dates(
    session: Session, world: World, risks: RiskWorld
) -> None:
    dwp = world.department()
    member = world.member(dwp)
    risk = risks.risk(world.project(member), member)
    due = date.today() + timedelta(days=14)
    action = register.add_action(
        session,
        actor=world.actor(member),
        risk_id=risk.id,
        data=RiskActionIn(
            kind=ActionKind.MITIGATION, description="Monthly drift check", owner="Data lead",
            due_on=due,
        ),
    )  # fmt: skip
    assert (action.owner, action.due_on, action.done_on) == ("Data lead", due, None)
    register.complete_action(
        session, actor=world.actor(member), risk_id=risk.id, action_id=action.id
    )
    assert action.done_on == date.today()
    with pytest.raises(Conflict):
        register.complete_action(
            session, actor=world.actor(member), risk_id=risk.id, action_id=action.id
        )
    register.remove_action(session, actor=world.actor(member), risk_id=risk.id, action_id=action.id)
    assert risk.actions == []


def test_a_date_done_in_the_future_is_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        RiskActionIn(
            kind="control", description="x", owner="y", done_on=date.today() + timedelta(days=1)
        )
    assert caught.value.errors()[0]["loc"] == ("done_on",)


def test_other_departments_cannot_see_or_change_a_register(
    session: Session, world: World, risks: RiskWorld
) -> None:
    dwp, moj = world.department(), world.department("Ministry of Justice")
    member = world.member(dwp)
    project = world.project(member)  # internal: every civil servant can see the project
    risk = risks.risk(project, member)
    outsider = world.actor(world.member(moj))
    with pytest.raises(PermissionDenied):
        register.project_register(session, actor=outsider, project_id=project.id)
    with pytest.raises(NotFound):
        register.get_risk(session, actor=outsider, risk_id=risk.id)
    with pytest.raises(NotFound):
        register.update_risk(session, actor=outsider, risk_id=risk.id, data=risk_in())
    with pytest.raises(PermissionDenied):
        register.add_risk(session, actor=outsider, project_id=project.id, data=risk_in())
    assert register.list_risks(session, actor=outsider, filters=register.RiskFilter()) == []


def test_the_register_list_filters_overdue_reviews(
    session: Session, world: World, risks: RiskWorld
) -> None:
    dwp = world.department()
    member = world.member(dwp)
    project = world.project(member)
    due = risks.risk(project, member, review_on=date.today() - timedelta(days=1))
    risks.risk(project, member, review_on=date.today() + timedelta(days=1))
    overdue = register.list_risks(
        session,
        actor=world.actor(member),
        filters=register.RiskFilter(overdue_on=date.today()),
    )
    assert [r.id for r in overdue] == [due.id]
    by_category = register.list_risks(
        session,
        actor=world.actor(member),
        filters=register.RiskFilter(category=RiskCategory.LEGAL),
    )
    assert by_category == []


def test_raising_the_score_of_an_accepted_risk_reopens_it_rather_than_refusing_the_edit(
    session: Session, world: World, risks: RiskWorld
) -> None:
    dwp = world.department()
    member, cio = world.member(dwp), world.cio(dwp)
    risk = risks.risk(world.project(member), member, likelihood=4, impact=3)
    risks.decide(risk, cio)
    assert risk.status is RiskStatus.ACCEPTED
    risks.update(risk, member, likelihood=4, impact=4, status=RiskStatus.ACCEPTED)
    assert risk.status is RiskStatus.OPEN, "the acceptance no longer stands"
    assert [d.status.value for d in risk.decisions] == ["pending", "reopened"]
    with pytest.raises(Invalid):  # and the team cannot accept it again itself
        risks.update(risk, member, status=RiskStatus.ACCEPTED)
