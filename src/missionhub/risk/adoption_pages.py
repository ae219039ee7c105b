"""HTML pages for adoption assessments: draft, submit, see the recommendation, CIO decision."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from missionhub.accounts.audit import history_for
from missionhub.accounts.permissions import Actor
from missionhub.errors import Conflict, Invalid
from missionhub.portfolio.projects import ProjectFilter, list_projects
from missionhub.risk import access, assessments
from missionhub.risk.adoption import Route
from missionhub.risk.forms import (
    ASSESSMENT_DECISION_LABELS,
    ASSESSMENT_LABELS,
    choices,
    form_values,
)
from missionhub.risk.models import AdoptionAssessment, RiskCategory
from missionhub.risk.schemas import AssessmentDecisionIn, AssessmentIn
from missionhub.risk.scoring import band
from missionhub.web.deps import AppSettings, DbSession, PathId, SignedInActor, csrf_protect
from missionhub.web.forms import FormResult, parse
from missionhub.web.security import see_other
from missionhub.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])


def _problem(exc: Invalid | Conflict) -> Invalid:
    return exc if isinstance(exc, Invalid) else Invalid(str(exc))


@router.get("/adoption", response_class=HTMLResponse)
def assessment_list(request: Request, session: DbSession, actor: SignedInActor) -> HTMLResponse:
    return render(
        request,
        "risk/assessments.html",
        {
            "title": "Adoption assessments",
            "assessments": assessments.list_assessments(session, actor=actor),
            "can_start": actor.organisation_id is not None
            and access.can_change(actor, actor.organisation_id),
            "routes": {r.value: r for r in Route},
        },
    )


def _assessment_form(
    request: Request,
    session: Session,
    actor: Actor,
    form: FormResult,
    found: AdoptionAssessment | None = None,
    code: int = 200,
) -> HTMLResponse:
    org = found.organisation_id if found else actor.organisation_id
    own = list_projects(
        session, actor=actor, filters=ProjectFilter(organisation_id=org), page_size=500
    ).items
    return render(
        request,
        "risk/assessment_form.html",
        {
            "title": f"Change the assessment of {found.product}"
            if found
            else "Start an adoption assessment",
            "form": form,
            "assessment": found,
            "projects": [(p.id, p.title) for p in own],
            **choices(),
        },
        status_code=code,
    )


@router.get("/adoption/new", response_class=HTMLResponse)
def new_assessment(request: Request, session: DbSession, actor: SignedInActor) -> HTMLResponse:
    start = FormResult({"project_id": request.query_params.get("project_id", "")})
    return _assessment_form(request, session, actor, start)


@router.post("/adoption/new", response_class=HTMLResponse)
async def create_assessment(
    request: Request, session: DbSession, actor: SignedInActor, settings: AppSettings
) -> Response:
    data, result = parse(AssessmentIn, await request.form(), ASSESSMENT_LABELS)
    if data is not None:
        try:
            found = assessments.create_assessment(session, actor=actor, data=data)
        except Invalid as exc:
            result.add(exc)
        else:
            return see_other(f"/adoption/{found.id}", settings, "Assessment saved as a draft")
    return _assessment_form(request, session, actor, result, code=400)


@router.get("/adoption/{assessment_id}", response_class=HTMLResponse)
def assessment_page(
    request: Request, assessment_id: PathId, session: DbSession, actor: SignedInActor
) -> HTMLResponse:
    found = assessments.get_assessment(session, actor=actor, assessment_id=assessment_id)
    rec = found.recommendation or assessments.recommendation_for(found).as_dict()
    return render(
        request,
        "risk/assessment.html",
        {
            "title": f"Adoption assessment: {found.product}",
            "assessment": found,
            "rec": rec,
            "route": Route(rec["route"]),
            "decided_route": Route(found.route) if found.route else None,
            "categories": {c.value: c.label for c in RiskCategory},
            "band": band,
            "editable": access.can_change(actor, found.organisation_id),
            "is_cio": access.can_decide(actor, found.organisation_id),
            "history": history_for(session, "adoption_assessments", found.id),
            **choices(),
        },
    )


@router.get("/adoption/{assessment_id}/edit", response_class=HTMLResponse)
def edit_assessment(
    request: Request, assessment_id: PathId, session: DbSession, actor: SignedInActor
) -> HTMLResponse:
    found = assessments.get_assessment(session, actor=actor, assessment_id=assessment_id)
    values = form_values(found, ["product", "supplier", "purpose", "project_id", "kind"])
    answered = [k for k in AssessmentIn.model_fields if k not in values]
    values.update(form_values(found.answers, answered))
    return _assessment_form(request, session, actor, FormResult(values), found)


@router.post("/adoption/{assessment_id}/edit", response_class=HTMLResponse)
async def update_assessment(
    request: Request,
    assessment_id: PathId,
    session: DbSession,
    actor: SignedInActor,
    settings: AppSettings,
) -> Response:
    found = assessments.get_assessment(session, actor=actor, assessment_id=assessment_id)
    data, result = parse(AssessmentIn, await request.form(), ASSESSMENT_LABELS)
    if data is not None:
        try:
            assessments.update_assessment(
                session, actor=actor, assessment_id=assessment_id, data=data
            )
        except (Invalid, Conflict) as exc:
            result.add(_problem(exc))
        else:
            return see_other(f"/adoption/{assessment_id}", settings, "Assessment updated")
    return _assessment_form(request, session, actor, result, found, code=400)


@router.post("/adoption/{assessment_id}/submit")
def submit(
    assessment_id: PathId, session: DbSession, actor: SignedInActor, settings: AppSettings
) -> Response:
    assessments.submit(session, actor=actor, assessment_id=assessment_id)
    return see_other(
        f"/adoption/{assessment_id}", settings, "Sent to your Chief Innovation Officer to decide"
    )


@router.post("/adoption/{assessment_id}/register-risks")
def register_risks(
    assessment_id: PathId, session: DbSession, actor: SignedInActor, settings: AppSettings
) -> Response:
    added = assessments.register_implied_risks(session, actor=actor, assessment_id=assessment_id)
    found = assessments.get_assessment(session, actor=actor, assessment_id=assessment_id)
    return see_other(
        f"/projects/{found.project_id}#risks",
        settings,
        f"{len(added)} risk{'s' if len(added) != 1 else ''} added to the register",
    )


def _decision_form(
    request: Request,
    session: Session,
    actor: Actor,
    assessment_id: PathId,
    form: FormResult,
    code: int,
) -> HTMLResponse:
    found = assessments.get_assessment(session, actor=actor, assessment_id=assessment_id)
    return render(
        request,
        "risk/assessment_decision.html",
        {
            "title": f"Decide on {found.product}",
            "assessment": found,
            "route": Route(found.recommended_route) if found.recommended_route else None,
            "is_cio": access.can_decide(actor, found.organisation_id),
            "form": form,
            **choices(),
        },
        status_code=code,
    )


@router.get("/adoption/{assessment_id}/decision", response_class=HTMLResponse)
def decision_form(
    request: Request, assessment_id: PathId, session: DbSession, actor: SignedInActor
) -> Any:
    found = assessments.get_assessment(session, actor=actor, assessment_id=assessment_id)
    start = FormResult({"route": found.recommended_route or ""})
    return _decision_form(request, session, actor, assessment_id, start, 200)


@router.post("/adoption/{assessment_id}/decision", response_class=HTMLResponse)
async def decide(
    request: Request,
    assessment_id: PathId,
    session: DbSession,
    actor: SignedInActor,
    settings: AppSettings,
) -> Response:
    data, result = parse(AssessmentDecisionIn, await request.form(), ASSESSMENT_DECISION_LABELS)
    if data is not None:
        try:
            assessments.decide(session, actor=actor, assessment_id=assessment_id, data=data)
        except (Invalid, Conflict) as exc:
            result.add(_problem(exc))
        else:
            return see_other(
                f"/adoption/{assessment_id}", settings, f"Decision recorded: {data.route.short}"
            )
    return _decision_form(request, session, actor, assessment_id, result, 400)
