"""HTML pages for risk registers: raise, view and change a risk, its controls and mitigations,
and the CIO's decision on it. Routes only translate: form -> model -> service -> page."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from missionhub.accounts.audit import history_for
from missionhub.accounts.permissions import Actor
from missionhub.errors import Conflict, Invalid
from missionhub.risk import access, escalation, register
from missionhub.risk.appetite import appetite_of
from missionhub.risk.forms import (
    ACTION_LABELS,
    DECISION_LABELS,
    RISK_LABELS,
    choices,
    form_values,
)
from missionhub.risk.models import Risk, RiskCategory, RiskStatus
from missionhub.risk.records import editable_risk
from missionhub.risk.schemas import RiskActionIn, RiskDecisionIn, RiskIn
from missionhub.risk.scoring import band
from missionhub.web.deps import AppSettings, DbSession, PathId, SignedInActor, csrf_protect
from missionhub.web.forms import FormResult, parse
from missionhub.web.security import see_other
from missionhub.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])


def _problem(exc: Invalid | Conflict) -> Invalid:
    return exc if isinstance(exc, Invalid) else Invalid(str(exc))


# The register list ---------------------------------------------------------------------------


@router.get("/risks/register", response_class=HTMLResponse)
def register_list(request: Request, session: DbSession, actor: SignedInActor) -> HTMLResponse:
    q = request.query_params
    params = {k: q.get(k, "") for k in ("category", "status", "view")}
    filters = register.RiskFilter(
        category=RiskCategory(params["category"])
        if params["category"] in RiskCategory._value2member_map_
        else None,
        status=RiskStatus(params["status"])
        if params["status"] in RiskStatus._value2member_map_
        else None,
        overdue_on=date.today() if params["view"] == "overdue" else None,
        pending_only=params["view"] == "pending",
    )
    found = register.list_risks(session, actor=actor, filters=filters)
    return render(
        request,
        "risk/register.html",
        {
            "title": "Risk register",
            "risks": found,
            "params": params,
            "limits": _limits(session, found),
            "today": date.today(),
            "band_of": band,
            **choices(),
        },
    )


def _limits(session: Session, risks: list[Risk]) -> dict[int, int]:
    """Each risk's highest acceptable residual score, by risk id."""
    appetites = {org: appetite_of(session, org) for org in {r.organisation_id for r in risks}}
    return {r.id: appetites[r.organisation_id].limit(r.category) for r in risks}


# Raise and change a risk -----------------------------------------------------------------------


def _risk_form(
    request: Request,
    session: Session,
    actor: Actor,
    form: FormResult,
    *,
    project_id: PathId,
    risk: Risk | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    project = register.register_project(session, actor=actor, project_id=project_id)
    found = appetite_of(session, project.organisation_id)
    return render(
        request,
        "risk/risk_form.html",
        {
            "title": f"Change {risk.reference}: {risk.title}" if risk else "Raise a risk",
            "form": form,
            "project": project,
            "risk": risk,
            "appetite": found,
            **choices(),
        },
        status_code=status_code,
    )


@router.get("/projects/{project_id}/risks/new", response_class=HTMLResponse)
def new_risk(
    request: Request, project_id: PathId, session: DbSession, actor: SignedInActor
) -> HTMLResponse:
    return _risk_form(request, session, actor, FormResult({}), project_id=project_id)


@router.post("/projects/{project_id}/risks/new", response_class=HTMLResponse)
async def create_risk(
    request: Request,
    project_id: PathId,
    session: DbSession,
    actor: SignedInActor,
    settings: AppSettings,
) -> Response:
    data, result = parse(RiskIn, await request.form(), RISK_LABELS)
    if data is not None:
        try:
            risk = register.add_risk(session, actor=actor, project_id=project_id, data=data)
        except (Invalid, Conflict) as exc:
            result.add(_problem(exc))
        else:
            message = f"Risk {risk.reference} added"
            if escalation.pending_decision(risk):
                message += (
                    ": it is beyond appetite, so it has gone to your Chief Innovation Officer"
                )
            return see_other(f"/risks/{risk.id}", settings, message)
    return _risk_form(request, session, actor, result, project_id=project_id, status_code=400)


@router.get("/risks/{risk_id}", response_class=HTMLResponse)
def risk_page(request: Request, risk_id: PathId, session: DbSession, actor: SignedInActor) -> Any:
    escalation.reopen_expired(session)
    risk = register.get_risk(session, actor=actor, risk_id=risk_id)
    found = appetite_of(session, risk.organisation_id)
    level = found.levels[risk.category]
    return render(
        request,
        "risk/risk.html",
        {
            "title": f"{risk.reference}: {risk.title}",
            "risk": risk,
            "project": risk.project,
            "level": level,
            "beyond": risk.is_live and risk.residual_score > level.max_score,
            "band": band(risk.residual_score),
            "pending": escalation.pending_decision(risk),
            "decided": [d for d in risk.decisions if d.decided_at is not None],
            "editable": access.can_change(actor, risk.organisation_id),
            "is_cio": access.can_decide(actor, risk.organisation_id),
            "history": history_for(session, "risks", risk.id),
            "today": date.today(),
        },
    )


@router.get("/risks/{risk_id}/edit", response_class=HTMLResponse)
def edit_risk(request: Request, risk_id: PathId, session: DbSession, actor: SignedInActor) -> Any:
    risk = editable_risk(session, actor=actor, risk_id=risk_id)
    values = FormResult(form_values(risk, list(RiskIn.model_fields)))
    return _risk_form(request, session, actor, values, project_id=risk.project_id, risk=risk)


@router.post("/risks/{risk_id}/edit", response_class=HTMLResponse)
async def update_risk(
    request: Request,
    risk_id: PathId,
    session: DbSession,
    actor: SignedInActor,
    settings: AppSettings,
) -> Response:
    risk = editable_risk(session, actor=actor, risk_id=risk_id)
    data, result = parse(RiskIn, await request.form(), RISK_LABELS)
    if data is not None:
        try:
            register.update_risk(session, actor=actor, risk_id=risk_id, data=data)
        except (Invalid, Conflict) as exc:
            result.add(_problem(exc))
        else:
            return see_other(f"/risks/{risk_id}", settings, f"Risk {risk.reference} updated")
    return _risk_form(
        request, session, actor, result, project_id=risk.project_id, risk=risk, status_code=400
    )


# Controls and mitigations ----------------------------------------------------------------------


def _action_form(
    request: Request, risk: Risk, form: FormResult, status_code: int = 200
) -> HTMLResponse:
    return render(
        request,
        "risk/action_form.html",
        {"title": "Add a control or mitigation", "risk": risk, "form": form, **choices()},
        status_code=status_code,
    )


@router.get("/risks/{risk_id}/actions/new", response_class=HTMLResponse)
def new_action(request: Request, risk_id: PathId, session: DbSession, actor: SignedInActor) -> Any:
    risk = editable_risk(session, actor=actor, risk_id=risk_id)
    return _action_form(request, risk, FormResult({}))


@router.post("/risks/{risk_id}/actions/new", response_class=HTMLResponse)
async def create_action(
    request: Request,
    risk_id: PathId,
    session: DbSession,
    actor: SignedInActor,
    settings: AppSettings,
) -> Response:
    risk = editable_risk(session, actor=actor, risk_id=risk_id)
    data, result = parse(RiskActionIn, await request.form(), ACTION_LABELS)
    if data is not None:
        register.add_action(session, actor=actor, risk_id=risk_id, data=data)
        return see_other(f"/risks/{risk_id}#actions", settings, f"{data.kind.label} added")
    return _action_form(request, risk, result, status_code=400)


@router.post("/risks/{risk_id}/actions/{action_id}/done")
def action_done(
    risk_id: PathId,
    action_id: PathId,
    session: DbSession,
    actor: SignedInActor,
    settings: AppSettings,
) -> Response:
    register.complete_action(session, actor=actor, risk_id=risk_id, action_id=action_id)
    return see_other(f"/risks/{risk_id}#actions", settings, "Marked as done")


@router.post("/risks/{risk_id}/actions/{action_id}/remove")
def action_remove(
    risk_id: PathId,
    action_id: PathId,
    session: DbSession,
    actor: SignedInActor,
    settings: AppSettings,
) -> Response:
    register.remove_action(session, actor=actor, risk_id=risk_id, action_id=action_id)
    return see_other(f"/risks/{risk_id}#actions", settings, "Removed")


# The CIO's decision ----------------------------------------------------------------------------


def _decision_form(
    request: Request, session: Session, actor: Actor, risk_id: PathId, form: FormResult, code: int
) -> HTMLResponse:
    risk = register.get_risk(session, actor=actor, risk_id=risk_id)
    found = appetite_of(session, risk.organisation_id)
    return render(
        request,
        "risk/decision_form.html",
        {
            "title": f"Decide on {risk.reference}: {risk.title}",
            "risk": risk,
            "project": risk.project,
            "level": found.levels[risk.category],
            "pending": escalation.pending_decision(risk),
            "is_cio": access.can_decide(actor, risk.organisation_id),
            "form": form,
            **choices(),
        },
        status_code=code,
    )


@router.get("/risks/{risk_id}/decision", response_class=HTMLResponse)
def decision_form(
    request: Request, risk_id: PathId, session: DbSession, actor: SignedInActor
) -> Any:
    return _decision_form(request, session, actor, risk_id, FormResult({}), 200)


@router.post("/risks/{risk_id}/decision", response_class=HTMLResponse)
async def decide(
    request: Request,
    risk_id: PathId,
    session: DbSession,
    actor: SignedInActor,
    settings: AppSettings,
) -> Response:
    data, result = parse(RiskDecisionIn, await request.form(), DECISION_LABELS)
    if data is not None:
        try:
            decision = escalation.decide(session, actor=actor, risk_id=risk_id, data=data)
        except (Invalid, Conflict) as exc:
            result.add(_problem(exc))
        else:
            return see_other(
                f"/projects/{decision.risk.project_id}#risks",
                settings,
                f"Decision recorded: {data.response.label}",
            )
    return _decision_form(request, session, actor, risk_id, result, 400)
