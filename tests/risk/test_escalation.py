"""Escalation to the CIO, the decision's snapshot, and re-opening, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from pydantic import ValidationError
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from missionhub.accounts.audit import history_for
from missionhub.accounts.models import AuditEvent
from missionhub.errors import Conflict, NotFound, PermissionDenied
from missionhub.risk import escalation
from missionhub.risk.models import (
    AppetiteLevel,
    DecisionStatus,
    Response,
    RiskCategory,
    RiskDecision,
    RiskStatus,
)
from missionhub.risk.schemas import RiskDecisionIn
from tests.factories import World
from tests.risk.factories import RiskWorld


@pytest.fixture
def scene(world: World, risks: RiskWorld):  # type: ignore[no-untyped-def]
    dwp = world.department()
    member, cio = world.member(dwp), world.cio(dwp)
    project = world.project(member)
    risks.appetite(dwp, RiskCategory.TECHNOLOGY, AppetiteLevel.CAUTIOUS, cio)  # up to 9
    return dwp, member, cio, project


def _statuses(risk) -> list[DecisionStatus]:  # type: ignore[no-untyped-def]
    return [d.status for d in sorted(risk.decisions, key=lambda d: d.id)]


def test_a_risk_within_appetite_is_not_escalated(
    session: Session, world: World, risks: RiskWorld, scene
) -> None:
    _, member, cio, project = scene
    risk = risks.risk(project, member, likelihood=3, impact=3)
    assert risk.decisions == []
    assert escalation.decision_queue(session, actor=world.actor(cio)) == []


def test_a_risk_beyond_appetite_goes_to_its_own_cio_only(
    session: Session, world: World, risks: RiskWorld, scene
) -> None:
    _, member, cio, project = scene
    risk = risks.risk(project, member, likelihood=4, impact=3)
    (pending,) = risk.decisions
    assert pending.status is DecisionStatus.PENDING
    assert "Residual score 12 is beyond the department's cautious appetite" in pending.trigger
    assert [d.risk_id for d in escalation.decision_queue(session, actor=world.actor(cio))] == [
        risk.id
    ]
    other_cio = world.cio(world.department("Ministry of Justice"))
    assert escalation.decision_queue(session, actor=world.actor(other_cio)) == []
    assert [d.id for d in escalation.decision_queue(session, actor=world.actor(world.admin()))] == [
        pending.id
    ]
    with pytest.raises(PermissionDenied):
        escalation.decision_queue(session, actor=world.actor(member))


def test_treating_the_risk_back_within_appetite_withdraws_the_escalation(
    world: World, risks: RiskWorld, scene
) -> None:
    _, member, _, project = scene
    risk = risks.risk(project, member, likelihood=4, impact=3)
    risks.update(risk, member, likelihood=2, impact=3)
    (withdrawn,) = risk.decisions
    assert withdrawn.status is DecisionStatus.WITHDRAWN
    assert withdrawn.closed_reason == "the risk is back within appetite"


def test_the_decision_keeps_a_snapshot_of_the_risk_as_decided(
    world: World, risks: RiskWorld, scene
) -> None:
    _, member, cio, project = scene
    risk = risks.risk(project, member, likelihood=4, impact=3, title="Supplier model drifts")
    decision = risks.decide(risk, cio, Response.TOLERATE)
    assert decision.status is DecisionStatus.DECIDED
    assert risk.status is RiskStatus.ACCEPTED
    assert decision.above_appetite is True
    assert decision.decided_by_id == cio.id
    risks.update(risk, member, title="Renamed later", likelihood=3, impact=3)  # score down
    assert decision.status is DecisionStatus.DECIDED, "a lower score does not re-open"
    snap = decision.snapshot
    assert snap is not None
    assert (snap["title"], snap["residual_score"], snap["category"]) == (
        "Supplier model drifts",
        12,
        "technology",
    )
    assert (snap["appetite_level"], snap["appetite_max_score"]) == ("cautious", 9)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"likelihood": 4, "impact": 4}, "residual score up from 12 to 16"),
        (
            {"category": RiskCategory.SECURITY},
            "category changed from Technology to Security",
        ),
    ],
)
def test_a_material_change_reopens_the_decision_and_escalates_again(
    world: World, risks: RiskWorld, scene, change: dict, reason: str
) -> None:
    _, member, cio, project = scene
    risk = risks.risk(project, member, likelihood=4, impact=3)
    decision = risks.decide(risk, cio, Response.TOLERATE)
    risks.update(risk, member, status=RiskStatus.OPEN, **change)
    assert decision.status is DecisionStatus.REOPENED
    assert decision.closed_reason == reason
    assert _statuses(risk) == [DecisionStatus.REOPENED, DecisionStatus.PENDING]
    new = escalation.pending_decision(risk)
    assert new is not None
    assert new.previous_id == decision.id
    assert reason in new.trigger


def test_same_score_on_other_axes_is_not_material(world: World, risks: RiskWorld, scene) -> None:
    _, member, cio, project = scene
    risk = risks.risk(project, member, likelihood=4, impact=3)
    decision = risks.decide(risk, cio, Response.TREAT)
    risks.update(risk, member, likelihood=3, impact=4, status=RiskStatus.TREATING)
    assert decision.status is DecisionStatus.DECIDED
    assert _statuses(risk) == [DecisionStatus.DECIDED]


def test_a_category_change_into_a_more_tolerant_category_reopens_without_escalating(
    world: World, risks: RiskWorld, scene
) -> None:
    dwp, member, cio, project = scene
    risks.appetite(dwp, RiskCategory.PEOPLE, AppetiteLevel.OPEN, cio)  # up to 12
    risk = risks.risk(project, member, likelihood=4, impact=3)
    decision = risks.decide(risk, cio, Response.TREAT)
    risks.update(risk, member, category=RiskCategory.PEOPLE, status=RiskStatus.TREATING)
    assert decision.status is DecisionStatus.REOPENED
    assert escalation.pending_decision(risk) is None


def test_an_expired_decision_reopens_on_read_without_a_scheduler(
    session: Session, world: World, risks: RiskWorld, scene
) -> None:
    _, member, cio, project = scene
    risk = risks.risk(project, member, likelihood=4, impact=3)
    expiry = date.today() + timedelta(days=10)
    decision = risks.decide(risk, cio, Response.TOLERATE, expires_on=expiry)
    queue = escalation.decision_queue(session, actor=world.actor(cio), today=expiry)
    assert queue == [], "still stands on its expiry day"
    queue = escalation.decision_queue(
        session, actor=world.actor(cio), today=expiry + timedelta(days=1)
    )
    assert decision.status is DecisionStatus.REOPENED
    assert decision.closed_reason == f"decision expired on {expiry.isoformat()}"
    assert [d.risk_id for d in queue] == [risk.id]
    assert risk.status is RiskStatus.OPEN, "the acceptance no longer stands"
    writers = {
        e.actor_label
        for e in history_for(session, "risks", risk.id)
        if e.entity_type == "risk_decisions" and e.after and e.after.get("status") == "reopened"
    }
    assert writers == {"risk decision expiry"}


def test_terminate_closes_the_risk_and_needs_no_expiry(
    session: Session, world: World, risks: RiskWorld, scene
) -> None:
    _, member, cio, project = scene
    risk = risks.risk(project, member, likelihood=5, impact=5)
    decision = escalation.decide(
        session,
        actor=world.actor(cio),
        risk_id=risk.id,
        data=RiskDecisionIn(response=Response.TERMINATE, rationale="Drop the chatbot feature"),
    )
    assert (decision.expires_on, risk.status) == (None, RiskStatus.CLOSED)


def test_a_decision_without_rationale_is_refused_and_changes_nothing(
    session: Session, world: World, risks: RiskWorld, scene
) -> None:
    _, member, _, project = scene
    risk = risks.risk(project, member, likelihood=4, impact=3)
    with pytest.raises(ValidationError) as caught:
        RiskDecisionIn(response="tolerate", rationale="  ", expires_on=date.today() + timedelta(1))
    assert [e["loc"] for e in caught.value.errors()] == [("rationale",)]
    with pytest.raises(ValidationError) as caught:
        RiskDecisionIn(response="tolerate", rationale="Worth it")
    assert caught.value.errors()[0]["loc"] == ("expires_on",)
    assert "Enter the date this decision expires" in str(caught.value)
    assert _statuses(risk) == [DecisionStatus.PENDING]
    assert risk.status is RiskStatus.OPEN


def test_only_the_owning_cio_decides_and_only_what_is_pending(
    session: Session, world: World, risks: RiskWorld, scene
) -> None:
    _, member, cio, project = scene
    risk = risks.risk(project, member, likelihood=4, impact=3)
    data = RiskDecisionIn(
        response=Response.TOLERATE,
        rationale="Accept",
        expires_on=date.today() + timedelta(days=30),
    )
    other_cio = world.cio(world.department("Ministry of Justice"))
    for who, error in ((member, PermissionDenied), (world.admin(), PermissionDenied)):
        with pytest.raises(error):
            escalation.decide(session, actor=world.actor(who), risk_id=risk.id, data=data)
    with pytest.raises(NotFound):  # another department does not learn the risk exists
        escalation.decide(session, actor=world.actor(other_cio), risk_id=risk.id, data=data)
    assert _statuses(risk) == [DecisionStatus.PENDING]
    escalation.decide(session, actor=world.actor(cio), risk_id=risk.id, data=data)
    with pytest.raises(Conflict, match="No escalation"):
        escalation.decide(session, actor=world.actor(cio), risk_id=risk.id, data=data)


def test_changing_appetite_escalates_and_withdraws(world: World, risks: RiskWorld, scene) -> None:
    dwp, member, cio, project = scene
    risk = risks.risk(project, member, likelihood=3, impact=3)  # 9: within cautious
    risks.appetite(dwp, RiskCategory.TECHNOLOGY, AppetiteLevel.MINIMAL, cio)  # up to 6
    assert _statuses(risk) == [DecisionStatus.PENDING]
    risks.appetite(dwp, RiskCategory.TECHNOLOGY, AppetiteLevel.OPEN, cio)  # up to 12
    assert _statuses(risk) == [DecisionStatus.WITHDRAWN]


def test_the_database_holds_at_most_one_pending_escalation_per_risk(
    session: Session, world: World, risks: RiskWorld, scene
) -> None:
    _, member, _, project = scene
    risk = risks.risk(project, member, likelihood=4, impact=3)
    duplicate = RiskDecision(
        risk_id=risk.id,
        organisation_id=risk.organisation_id,
        status=DecisionStatus.PENDING,
        trigger="duplicate",
    )
    savepoint = session.begin_nested()
    session.add(duplicate)
    with pytest.raises(IntegrityError):
        session.flush()
    savepoint.rollback()


def test_every_escalation_and_decision_is_in_the_audit_log_on_the_risk_not_the_project(
    session: Session, world: World, risks: RiskWorld, scene
) -> None:
    _, member, cio, project = scene
    risk = risks.risk(project, member, likelihood=4, impact=3)
    risks.decide(risk, cio)
    on_risk = [(e.entity_type, e.action) for e in history_for(session, "risks", risk.id)]
    assert ("risks", "create") in on_risk
    assert ("risk_decisions", "create") in on_risk
    assert ("risk_decisions", "update") in on_risk
    on_project = session.scalars(
        select(AuditEvent.entity_type).where(
            AuditEvent.record_type == "projects", AuditEvent.record_id == str(project.id)
        )
    ).all()
    assert not {"risks", "risk_decisions"} & set(on_project), "risk details stay off the project"


def test_a_concurrent_reopening_does_not_break_the_read_that_lost_the_race(
    session: Session, world: World, risks: RiskWorld, scene
) -> None:
    _, member, cio, project = scene
    risk = risks.risk(project, member, likelihood=4, impact=3)
    expiry = date.today() + timedelta(days=1)
    risks.decide(risk, cio, expires_on=expiry)
    # Another request escalates the risk again behind this session's back (its loaded
    # decisions do not show it), as if it had re-opened the expired decision a moment earlier.
    session.execute(
        insert(RiskDecision).values(
            risk_id=risk.id,
            organisation_id=risk.organisation_id,
            status=DecisionStatus.PENDING,
            escalated_at=datetime.now(UTC),
            trigger="escalated by a concurrent request",
        )
    )
    later = expiry + timedelta(days=1)
    assert escalation.reopen_expired(session, today=later) == 0
    queue = escalation.decision_queue(session, actor=world.actor(cio), today=later)
    assert [d.trigger for d in queue] == ["escalated by a concurrent request"]
