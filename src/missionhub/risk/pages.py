"""HTML pages for risk: the dashboard, the CIO's queue, the export, and the risk section of
the project page. Registers, appetite and adoption assessments have their own modules, whose
routes are served from here."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from missionhub.accounts.models import OrgKind, Role
from missionhub.accounts.permissions import Actor
from missionhub.accounts.service import list_organisations
from missionhub.db.base import utcnow
from missionhub.portfolio.missions import list_missions
from missionhub.portfolio.models import Project
from missionhub.risk import (
    access,
    adoption_pages,
    appetite_pages,
    assessments,
    dashboards,
    escalation,
    register,
    register_pages,
)
from missionhub.risk.appetite import appetite_of
from missionhub.risk.export import CSV_COLUMNS, risk_rows
from missionhub.risk.forms import int_or_none
from missionhub.risk.models import Risk, RiskDecision
from missionhub.risk.scoring import BAND_LABELS, IMPACT_LABELS, LIKELIHOOD_LABELS, band
from missionhub.web.deps import CurrentActor, DbSession, SignedInActor, csrf_protect
from missionhub.web.downloads import csv_download
from missionhub.web.navigation import NavItem, civil_servants, roles
from missionhub.web.panels import Panel
from missionhub.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])
NAV = [
    NavItem("/risks", "Risks", 50),
    NavItem("/adoption", "Adoption", 55, civil_servants),
    NavItem("/risk-decisions", "Risk decisions", 85, roles(Role.CIO, Role.ADMIN)),
]
CHART_CONTEXT = {
    "likelihood_labels": LIKELIHOOD_LABELS,
    "impact_labels": IMPACT_LABELS,
    "band_labels": BAND_LABELS,
}


@router.get("/risks", response_class=HTMLResponse)
def dashboard_page(request: Request, session: DbSession, actor: CurrentActor) -> HTMLResponse:
    q = request.query_params
    params = {k: q.get(k, "") for k in ("organisation_id", "mission_id", "project_id")}
    scope = dashboards.Scope(
        organisation_id=int_or_none(params["organisation_id"]),
        mission_id=int_or_none(params["mission_id"]),
        project_id=int_or_none(params["project_id"]),
    )
    found = dashboards.dashboard(session, actor=actor, scope=scope)
    # Its figures move with the date (ages, overdue reviews, expiries), not only with writes:
    # the public page cache must not keep it.
    request.state.personal = True
    project = session.get(Project, scope.project_id) if scope.project_id else None
    return render(
        request,
        "risk/dashboard.html",
        {
            "title": "Risk dashboard",
            "dash": found,
            "params": params,
            "scope_project": project,
            "organisations": [
                (o.id, o.name)
                for o in list_organisations(
                    session, kinds={k for k in OrgKind if k.is_public_sector}
                )
            ],
            "missions": [(m.id, m.title) for m in list_missions(session)],
            **CHART_CONTEXT,
        },
    )


@router.get("/risk-decisions", response_class=HTMLResponse)
def decision_queue(request: Request, session: DbSession, actor: SignedInActor) -> HTMLResponse:
    queue = escalation.decision_queue(session, actor=actor)
    waiting = [(d, _age(d)) for d in queue]
    return render(
        request,
        "risk/queue.html",
        {
            "title": "Risk decisions waiting for you",
            "queue": waiting,
            "assessments": assessments.assessment_queue(session, actor=actor),
        },
    )


def _age(decision: RiskDecision) -> float:
    return (utcnow() - decision.escalated_at).total_seconds() / 86400


@router.get("/risks/export.csv")
def export_csv(session: DbSession, actor: SignedInActor) -> Response:
    return csv_download(risk_rows(session, actor=actor), CSV_COLUMNS, "risks.csv")


# Literal paths (/risks/appetite, /risks/register) before /risks/{risk_id}.
router.include_router(appetite_pages.router)
router.include_router(register_pages.router)
router.include_router(adoption_pages.router)


def project_panels(session: Session, actor: Actor, project: Project) -> list[Panel]:
    """The risk section of a project page: the register and its decisions for the department;
    counts only for everyone else."""
    readable = access.can_read_details(actor, project.organisation_id)
    risks: list[Risk] = (
        register.project_register(session, actor=actor, project_id=project.id) if readable else []
    )
    if not readable:
        risks_counted = dashboards.dashboard(
            session, actor=actor, scope=dashboards.Scope(project_id=project.id)
        ).summary
        context: dict[str, Any] = {"project": project, "readable": False, "summary": risks_counted}
        return [Panel("risk/_project_panel.html", context, order=60)]
    limits = appetite_of(session, project.organisation_id)
    decided = sorted(
        (d for r in risks for d in r.decisions if d.decided_at is not None),
        key=lambda d: d.decided_at,  # type: ignore[arg-type, return-value]
        reverse=True,
    )
    context = {
        "project": project,
        "readable": True,
        "risks": risks,
        "limits": {r.id: limits.limit(r.category) for r in risks},
        "decisions": decided,
        "pending": {r.id: escalation.pending_decision(r) for r in risks},
        "can_add": register.can_add_risks(actor, project),
        "band": band,
    }
    return [Panel("risk/_project_panel.html", context, order=60)]
