"""JSON API for risk: registers, decisions, appetite, adoption assessments, dashboards, export.

Every route calls the same service function as its page, so it never shows more than the page.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from missionhub.risk import appetite, assessments, dashboards, escalation, register
from missionhub.risk.export import CSV_COLUMNS, risk_rows
from missionhub.risk.models import AdoptionAssessment, Risk, RiskCategory, RiskStatus
from missionhub.risk.schemas import (
    AppetiteChangeOut,
    AppetiteIn,
    AppetiteOut,
    AssessmentDecisionIn,
    AssessmentIn,
    AssessmentOut,
    RiskActionIn,
    RiskActionOut,
    RiskDecisionIn,
    RiskDecisionOut,
    RiskIn,
    RiskOut,
    ScaleIn,
)
from missionhub.web.deps import CurrentActor, DbSession, PathId, QueryId
from missionhub.web.downloads import csv_download

router = APIRouter(tags=["risk"])


def _risk_out(risk: Risk) -> RiskOut:
    return RiskOut.model_validate(risk)


class ExportFormat(StrEnum):
    CSV = "csv"
    JSON = "json"


@router.get("/risks/export", summary="Export the risks you can see (CSV or JSON)")
def export(
    session: DbSession, actor: CurrentActor, format: ExportFormat = ExportFormat.JSON
) -> Any:
    rows = list(risk_rows(session, actor=actor))
    if format is ExportFormat.JSON:
        return rows
    return csv_download(rows, CSV_COLUMNS)


@router.get("/risks", summary="Risks you can see (your department's; every one for admins)")
def list_risks(
    session: DbSession,
    actor: CurrentActor,
    project_id: QueryId = None,
    category: RiskCategory | None = None,
    status: RiskStatus | None = None,
    overdue: bool = False,
    pending: bool = False,
) -> list[RiskOut]:
    filters = register.RiskFilter(
        project_id=project_id,
        category=category,
        status=status,
        overdue_on=date.today() if overdue else None,
        pending_only=pending,
    )
    return [_risk_out(r) for r in register.list_risks(session, actor=actor, filters=filters)]


@router.post("/projects/{project_id}/risks", status_code=201, summary="Raise a risk on a project")
def create_risk(
    project_id: PathId, data: RiskIn, session: DbSession, actor: CurrentActor
) -> RiskOut:
    risk = register.add_risk(session, actor=actor, project_id=project_id, data=data)
    return _risk_out(risk)


@router.get("/risks/{risk_id}", summary="One risk with its actions and decisions")
def get_risk(risk_id: PathId, session: DbSession, actor: CurrentActor) -> RiskOut:
    escalation.reopen_expired(session)
    return _risk_out(register.get_risk(session, actor=actor, risk_id=risk_id))


@router.put("/risks/{risk_id}", summary="Change a risk (a material change re-opens its decision)")
def update_risk(risk_id: PathId, data: RiskIn, session: DbSession, actor: CurrentActor) -> RiskOut:
    return _risk_out(register.update_risk(session, actor=actor, risk_id=risk_id, data=data))


@router.post("/risks/{risk_id}/actions", status_code=201, summary="Add a control or mitigation")
def add_action(
    risk_id: PathId, data: RiskActionIn, session: DbSession, actor: CurrentActor
) -> RiskActionOut:
    return RiskActionOut.model_validate(
        register.add_action(session, actor=actor, risk_id=risk_id, data=data)
    )


@router.post(
    "/risks/{risk_id}/decision",
    status_code=201,
    summary="Decide an escalated risk (the owning department's CIO)",
)
def decide(
    risk_id: PathId, data: RiskDecisionIn, session: DbSession, actor: CurrentActor
) -> RiskDecisionOut:
    return RiskDecisionOut.model_validate(
        escalation.decide(session, actor=actor, risk_id=risk_id, data=data)
    )


@router.get("/risk-decisions/pending", summary="Risks waiting for your decision (CIO)")
def pending(session: DbSession, actor: CurrentActor) -> list[RiskDecisionOut]:
    return [
        RiskDecisionOut.model_validate(d) for d in escalation.decision_queue(session, actor=actor)
    ]


# Appetite ------------------------------------------------------------------------------------


@router.get("/organisations/{organisation_id}/risk-appetite", summary="A department's appetite")
def get_appetite(
    organisation_id: PathId, session: DbSession, actor: CurrentActor
) -> list[AppetiteOut]:
    found = appetite.department_appetite(session, actor=actor, organisation_id=organisation_id)
    return [
        AppetiteOut(
            category=a.category,
            level=a.level,
            max_score=a.max_score,
            is_default=a.is_default,
            reason=a.reason,
            set_at=a.set_at,
        )
        for a in found.levels.values()
    ]


@router.put(
    "/organisations/{organisation_id}/risk-appetite",
    summary="Set the appetite for one category (the department's CIO)",
)
def set_appetite(
    organisation_id: PathId, data: AppetiteIn, session: DbSession, actor: CurrentActor
) -> list[AppetiteOut]:
    appetite.set_appetite(session, actor=actor, organisation_id=organisation_id, data=data)
    return get_appetite(organisation_id, session, actor)


class ScaleOut(BaseModel):
    scale: dict[str, int]
    is_default: bool


@router.put(
    "/organisations/{organisation_id}/risk-appetite-scale",
    summary="Set the highest acceptable score of each level (the department's CIO)",
)
def set_scale(
    organisation_id: PathId, data: ScaleIn, session: DbSession, actor: CurrentActor
) -> ScaleOut:
    appetite.set_scale(session, actor=actor, organisation_id=organisation_id, data=data)
    found = appetite.appetite_of(session, organisation_id)
    return ScaleOut(
        scale={k.value: v for k, v in found.scale.items()}, is_default=found.scale_is_default
    )


@router.get(
    "/organisations/{organisation_id}/risk-appetite/history",
    summary="Every change of a department's appetite: who, when, why",
)
def appetite_history(
    organisation_id: PathId, session: DbSession, actor: CurrentActor
) -> list[AppetiteChangeOut]:
    return [
        AppetiteChangeOut.model_validate(c)
        for c in appetite.appetite_history(session, actor=actor, organisation_id=organisation_id)
    ]


# Dashboard -----------------------------------------------------------------------------------


class HeatCellOut(BaseModel):
    likelihood: int
    impact: int
    count: int


class DashboardOut(BaseModel):
    live: int
    beyond_appetite: int
    overdue_reviews: int
    pending_decisions: int
    median_pending_days: float | None
    oldest_pending_days: float | None
    decided: int
    median_days_to_decision: float | None
    accepted_above_appetite: int
    share_accepted_above_appetite: float | None
    heat_map: list[HeatCellOut]


@router.get("/risk-dashboard", summary="Aggregate risk figures (public; no risk details)")
def get_dashboard(
    session: DbSession,
    actor: CurrentActor,
    organisation_id: QueryId = None,
    mission_id: QueryId = None,
    project_id: QueryId = None,
) -> DashboardOut:
    scope = dashboards.Scope(organisation_id, mission_id, project_id)
    s = dashboards.dashboard(session, actor=actor, scope=scope).summary
    return DashboardOut(
        live=s.live,
        beyond_appetite=s.beyond,
        overdue_reviews=s.overdue,
        pending_decisions=s.pending,
        median_pending_days=s.median_pending_days,
        oldest_pending_days=s.oldest_pending_days,
        decided=s.decided,
        median_days_to_decision=s.median_days_to_decision,
        accepted_above_appetite=s.accepted_above,
        share_accepted_above_appetite=s.share_accepted_above,
        heat_map=[
            HeatCellOut(likelihood=lik, impact=imp, count=n)
            for lik, cells in s.heat_map.rows()
            for imp, n, _, _ in cells
        ],
    )


# Adoption assessments ------------------------------------------------------------------------


def _assessment_out(found: AdoptionAssessment) -> AssessmentOut:
    return AssessmentOut.model_validate(found)


@router.get("/adoption-assessments", summary="Your department's adoption assessments")
def list_assessments(session: DbSession, actor: CurrentActor) -> list[AssessmentOut]:
    return [_assessment_out(a) for a in assessments.list_assessments(session, actor=actor)]


@router.post("/adoption-assessments", status_code=201, summary="Start an assessment (a draft)")
def create_assessment(data: AssessmentIn, session: DbSession, actor: CurrentActor) -> AssessmentOut:
    return _assessment_out(assessments.create_assessment(session, actor=actor, data=data))


@router.get("/adoption-assessments/{assessment_id}", summary="One adoption assessment")
def get_assessment(assessment_id: PathId, session: DbSession, actor: CurrentActor) -> AssessmentOut:
    return _assessment_out(
        assessments.get_assessment(session, actor=actor, assessment_id=assessment_id)
    )


@router.post(
    "/adoption-assessments/{assessment_id}/submit",
    summary="Send a draft to the CIO, with its recommendation",
)
def submit_assessment(
    assessment_id: PathId, session: DbSession, actor: CurrentActor
) -> AssessmentOut:
    return _assessment_out(assessments.submit(session, actor=actor, assessment_id=assessment_id))


@router.post(
    "/adoption-assessments/{assessment_id}/decision",
    summary="Decide the route (the department's CIO)",
)
def decide_assessment(
    assessment_id: PathId, data: AssessmentDecisionIn, session: DbSession, actor: CurrentActor
) -> AssessmentOut:
    return _assessment_out(
        assessments.decide(session, actor=actor, assessment_id=assessment_id, data=data)
    )
