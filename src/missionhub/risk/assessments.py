"""Adoption assessments: a team drafts and submits one; the platform recommends a route and
lists the risks it implies (:mod:`missionhub.risk.adoption`); the department's CIO decides, with
a rationale, conditions and a review date. Implied risks can be put on the project's register.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from missionhub.accounts.models import Role
from missionhub.accounts.permissions import Actor, require
from missionhub.db.base import utcnow
from missionhub.errors import Conflict, Invalid, NotFound
from missionhub.portfolio.models import Project
from missionhub.risk import access
from missionhub.risk.adoption import Answers, ImpliedRisk, Recommendation, recommend
from missionhub.risk.models import (
    AdoptionAssessment,
    AssessmentStatus,
    Proximity,
    Risk,
    RiskCategory,
)
from missionhub.risk.register import add_risk
from missionhub.risk.schemas import AssessmentDecisionIn, AssessmentIn, RiskIn

IMPLIED_RISK_OWNER = "Project team (from the adoption assessment)"
IMPLIED_RISK_REVIEW_DAYS = 30


def list_assessments(
    session: Session, *, actor: Actor, status: AssessmentStatus | None = None
) -> list[AdoptionAssessment]:
    stmt = (
        select(AdoptionAssessment)
        .where(access.detail_clause(actor, AdoptionAssessment.organisation_id))
        .order_by(AdoptionAssessment.updated_at.desc(), AdoptionAssessment.id.desc())
    )
    if status is not None:
        stmt = stmt.where(AdoptionAssessment.status == status)
    return list(session.scalars(stmt))


def get_assessment(session: Session, *, actor: Actor, assessment_id: int) -> AdoptionAssessment:
    found = session.get(AdoptionAssessment, assessment_id)
    if found is None or not access.can_read_details(actor, found.organisation_id):
        raise NotFound(f"No adoption assessment with id {assessment_id}")
    return found


def _editable(session: Session, actor: Actor, assessment_id: int) -> AdoptionAssessment:
    found = get_assessment(session, actor=actor, assessment_id=assessment_id)
    require(
        access.can_change(actor, found.organisation_id),
        "Only the department's team can change this assessment",
    )
    return found


def _check_project(session: Session, organisation_id: int, project_id: int | None) -> None:
    if project_id is None:
        return
    project = session.get(Project, project_id)
    if project is None or project.organisation_id != organisation_id:
        raise Invalid("Choose one of your department's projects", field="project_id")


def _apply(found: AdoptionAssessment, data: AssessmentIn) -> None:
    found.product, found.supplier, found.purpose = data.product, data.supplier, data.purpose
    found.kind, found.project_id = data.kind, data.project_id
    found.answers = {**data.answers(), "notes": data.notes}


def create_assessment(session: Session, *, actor: Actor, data: AssessmentIn) -> AdoptionAssessment:
    """A draft assessment owned by the actor's department."""
    org = actor.organisation_id
    require(
        org is not None and actor.is_civil_servant and access.can_change(actor, org),
        "Only a department's staff can start an adoption assessment",
    )
    assert org is not None
    _check_project(session, org, data.project_id)
    found = AdoptionAssessment(
        organisation_id=org, status=AssessmentStatus.DRAFT, created_by_id=actor.user_id
    )
    _apply(found, data)
    session.add(found)
    session.flush()
    return found


def update_assessment(
    session: Session, *, actor: Actor, assessment_id: int, data: AssessmentIn
) -> AdoptionAssessment:
    found = _editable(session, actor, assessment_id)
    if found.status is not AssessmentStatus.DRAFT:
        raise Conflict("Only a draft assessment can be changed")
    _check_project(session, found.organisation_id, data.project_id)
    _apply(found, data)
    session.flush()
    return found


def recommendation_for(found: AdoptionAssessment) -> Recommendation:
    return recommend(Answers.from_dict(found.answers))


def submit(session: Session, *, actor: Actor, assessment_id: int) -> AdoptionAssessment:
    """Send a draft to the CIO, with the recommended route and the risks it implies."""
    found = _editable(session, actor, assessment_id)
    if found.status is not AssessmentStatus.DRAFT:
        raise Conflict("This assessment has already been submitted")
    rec = recommendation_for(found)
    found.recommendation = rec.as_dict()
    found.recommended_route = rec.route.value
    found.atrs_needed = rec.atrs_needed
    found.status = AssessmentStatus.SUBMITTED
    found.submitted_at = utcnow()
    session.flush()
    return found


def decide(
    session: Session, *, actor: Actor, assessment_id: int, data: AssessmentDecisionIn
) -> AdoptionAssessment:
    """The department's CIO chooses the route, with a rationale and a review date."""
    found = get_assessment(session, actor=actor, assessment_id=assessment_id)
    access.require_decider(actor, found.organisation_id, "adoption")
    if found.status is not AssessmentStatus.SUBMITTED:
        raise Conflict("Only a submitted assessment can be decided")
    found.route = data.route.value
    found.rationale, found.conditions, found.review_on = (
        data.rationale,
        data.conditions,
        data.review_on,
    )
    found.decided_by_id, found.decided_at = actor.user_id, utcnow()
    found.status = AssessmentStatus.DECIDED
    session.flush()
    return found


def assessment_queue(session: Session, *, actor: Actor) -> list[AdoptionAssessment]:
    """Submitted assessments waiting for this CIO (every department's, for an admin)."""
    require(
        actor.is_admin or actor.role is Role.CIO,
        "Only a Chief Innovation Officer has a decision queue",
    )
    stmt = (
        select(AdoptionAssessment)
        .where(AdoptionAssessment.status == AssessmentStatus.SUBMITTED)
        .order_by(AdoptionAssessment.submitted_at, AdoptionAssessment.id)
    )
    if not actor.is_admin:
        stmt = stmt.where(AdoptionAssessment.organisation_id == actor.organisation_id)
    return list(session.scalars(stmt))


def _risk_in(implied: ImpliedRisk, today: date) -> RiskIn:
    return RiskIn(
        title=implied.title,
        cause=implied.cause,
        event=implied.event,
        effect=implied.effect,
        category=implied.category,
        owner=IMPLIED_RISK_OWNER,
        inherent_likelihood=implied.likelihood,
        inherent_impact=implied.impact,
        residual_likelihood=implied.likelihood,
        residual_impact=implied.impact,
        proximity=Proximity.NEAR,
        review_on=today + timedelta(days=IMPLIED_RISK_REVIEW_DAYS),
    )


def register_implied_risks(session: Session, *, actor: Actor, assessment_id: int) -> list[Risk]:
    """Put the risks a submitted assessment implies on its project's register (once each)."""
    found = _editable(session, actor, assessment_id)
    if found.status is AssessmentStatus.DRAFT or found.recommendation is None:
        raise Conflict("Submit the assessment first")
    if found.project_id is None:
        raise Conflict("This assessment is not linked to a project")
    already = set(session.scalars(select(Risk.title).where(Risk.assessment_id == found.id)))
    added = []
    for item in found.recommendation["risks"]:
        implied = ImpliedRisk(**{**item, "category": RiskCategory(item["category"])})
        if implied.title in already:
            continue
        risk = add_risk(
            session, actor=actor, project_id=found.project_id, data=_risk_in(implied, date.today())
        )
        risk.assessment_id = found.id
        added.append(risk)
    session.flush()
    return added
