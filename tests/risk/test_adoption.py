"""Adoption assessments: answers -> recommended route and implied risks -> CIO decision."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy.orm import Session

from missionhub.errors import Conflict, Invalid, NotFound, PermissionDenied
from missionhub.risk import assessments, escalation
from missionhub.risk.adoption import PRINCIPLES, Answers, Route, recommend
from missionhub.risk.models import AssessmentStatus, RiskCategory
from missionhub.risk.schemas import AssessmentDecisionIn, AssessmentIn
from tests.factories import World


def answers(**changes: Any) -> dict[str, Any]:
    """An AI tool that passes everything (changes make it fall short)."""
    base: dict[str, Any] = {
        "product": "CaseSummariser",
        "supplier": "Acme Analytics Ltd",
        "kind": "ai-tool",
        "purpose": "Summarise case notes for caseworkers",
        "personal_data": True,
        "special_category_data": False,
        "dpia": "completed",
        "security": "passed",
        "supplier_assurance": "passed",
        "public_facing": False,
        "influences_decisions": False,
        **{p.key: "met" for p in PRINCIPLES},
    }
    return {**base, **changes}


def route_of(**changes: Any) -> Route:
    data = AssessmentIn(**answers(**changes))
    return recommend(Answers.from_dict(data.answers())).route


@pytest.mark.parametrize(
    ("changes", "route"),
    [
        ({}, Route.ADOPT),
        ({"principle_6": "partly"}, Route.ADOPT_WITH_CONDITIONS),
        ({"security": "passed-with-conditions"}, Route.ADOPT_WITH_CONDITIONS),
        ({"influences_decisions": True}, Route.ADOPT_WITH_CONDITIONS),  # ATRS record first
        ({"dpia": "in-progress"}, Route.PILOT),
        ({"supplier_assurance": "in-progress"}, Route.PILOT),
        ({"principle_4": "not-met"}, Route.PILOT),
        ({"principle_9": "not-assessed"}, Route.NOT_YET),
        ({"security": "not-started", "principle_6": "partly"}, Route.NOT_YET),
        ({"dpia": "not-started"}, Route.NOT_YET),
        ({"principle_2": "not-met"}, Route.DO_NOT_ADOPT),
        ({"security": "failed", "dpia": "in-progress"}, Route.DO_NOT_ADOPT),
    ],
)
def test_the_most_cautious_finding_sets_the_route(changes: dict[str, Any], route: Route) -> None:
    assert route_of(**changes) is route


def test_commercial_software_is_assessed_without_the_ai_principles() -> None:
    data = answers(kind="commercial-software", personal_data=False, dpia="not-needed")
    for p in PRINCIPLES:
        data.pop(p.key)
    rec = recommend(Answers.from_dict(AssessmentIn(**data).answers()))
    assert (rec.route, rec.risks, rec.atrs_needed) == (Route.ADOPT, [], False)


@pytest.mark.parametrize(
    ("kind", "public_facing", "influences", "needed"),
    [
        ("ai-tool", False, False, False),
        ("ai-tool", True, False, True),
        ("ai-tool", False, True, True),
        ("commercial-software", True, False, False),
        ("commercial-software", False, True, True),
    ],
)
def test_whether_an_atrs_record_is_needed(
    kind: str, public_facing: bool, influences: bool, needed: bool
) -> None:
    data = answers(kind=kind, public_facing=public_facing, influences_decisions=influences)
    if kind == "commercial-software":
        for p in PRINCIPLES:
            data.pop(p.key)
    assert recommend(Answers.from_dict(AssessmentIn(**data).answers())).atrs_needed is needed


def test_gaps_imply_risks_in_the_right_categories() -> None:
    data = AssessmentIn(
        **answers(
            special_category_data=True,
            dpia="not-started",
            supplier_assurance="in-progress",
            principle_4="not-met",
            influences_decisions=True,
        )
    )
    risks = recommend(Answers.from_dict(data.answers())).risks
    found = {(r.category, r.likelihood, r.impact) for r in risks}
    assert (RiskCategory.INFORMATION, 4, 5) in found, "DPIA not started, special category data"
    assert (RiskCategory.COMMERCIAL, 3, 3) in found, "supplier assurance in progress"
    assert (RiskCategory.OPERATIONS, 4, 5) in found, "human control not met, decisions affected"
    assert (RiskCategory.REPUTATIONAL, 3, 3) in found, "ATRS record to publish"
    assert len(risks) == 4


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"principle_3": None}, "principle_3", "Rate every AI Playbook principle"),
        (
            {"kind": "commercial-software", "personal_data": False, "dpia": "not-needed"},
            "principle_1",
            "apply only to AI tools",
        ),
        ({"dpia": "not-needed"}, "dpia", "A DPIA is needed"),
        ({"personal_data": False, "special_category_data": True}, "special_category_data", ""),
        ({"security": "fine"}, "security", "Input should be"),
    ],
)
def test_bad_answers_name_the_field(changes: dict[str, Any], field: str, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        AssessmentIn(**answers(**changes))
    assert caught.value.errors()[0]["loc"] == (field,)
    assert message in caught.value.errors()[0]["msg"]


def test_draft_submit_decide_and_register_the_implied_risks(session: Session, world: World) -> None:
    dwp = world.department()
    member, cio = world.member(dwp), world.cio(dwp)
    project = world.project(member)
    team = world.actor(member)
    found = assessments.create_assessment(
        session,
        actor=team,
        data=AssessmentIn(**answers(project_id=project.id, security="in-progress")),
    )
    assert found.status is AssessmentStatus.DRAFT
    assert assessments.assessment_queue(session, actor=world.actor(cio)) == []
    assessments.submit(session, actor=team, assessment_id=found.id)
    assert found.recommended_route == Route.PILOT.value
    assert [a.id for a in assessments.assessment_queue(session, actor=world.actor(cio))] == [
        found.id
    ]
    with pytest.raises(Conflict):
        assessments.update_assessment(
            session, actor=team, assessment_id=found.id, data=AssessmentIn(**answers())
        )
    decision = AssessmentDecisionIn(
        route=Route.PILOT,
        rationale="Pilot with 20 caseworkers while the security review finishes",
        review_on=date.today() + timedelta(days=90),
    )
    with pytest.raises(PermissionDenied):
        assessments.decide(session, actor=team, assessment_id=found.id, data=decision)
    assessments.decide(session, actor=world.actor(cio), assessment_id=found.id, data=decision)
    assert (found.status, found.route, found.decided_by_id) == (
        AssessmentStatus.DECIDED,
        "pilot",
        cio.id,
    )
    added = assessments.register_implied_risks(session, actor=team, assessment_id=found.id)
    assert [(r.category, r.residual_score) for r in added] == [(RiskCategory.SECURITY, 12)]
    assert escalation.pending_decision(added[0]) is not None, "12 is beyond cautious (9)"
    again = assessments.register_implied_risks(session, actor=team, assessment_id=found.id)
    assert again == [], "each implied risk is registered once"


def test_assessments_are_their_departments_business(session: Session, world: World) -> None:
    dwp, moj = world.department(), world.department("Ministry of Justice")
    member = world.member(dwp)
    found = assessments.create_assessment(
        session, actor=world.actor(member), data=AssessmentIn(**answers())
    )
    outsider = world.actor(world.cio(moj))
    with pytest.raises(NotFound):
        assessments.get_assessment(session, actor=outsider, assessment_id=found.id)
    assert assessments.list_assessments(session, actor=outsider) == []
    other_project = world.project(world.member(moj))
    with pytest.raises(Invalid) as caught:
        assessments.create_assessment(
            session,
            actor=world.actor(member),
            data=AssessmentIn(**answers(project_id=other_project.id)),
        )
    assert caught.value.errors[0].field == "project_id"


def test_a_decision_needs_a_known_route_a_rationale_and_a_future_review_date() -> None:
    with pytest.raises(ValidationError) as caught:
        AssessmentDecisionIn(route="yolo", rationale=" ", review_on=date.today())
    assert {e["loc"][0] for e in caught.value.errors()} == {"route", "rationale", "review_on"}
