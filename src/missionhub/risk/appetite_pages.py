"""HTML pages for a department's risk appetite: read by civil servants, set by its CIO."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from missionhub.accounts.models import Organisation
from missionhub.accounts.permissions import Actor
from missionhub.errors import Invalid, NotFound
from missionhub.risk import access, appetite
from missionhub.risk.forms import APPETITE_LABELS, SCALE_LABELS, choices, int_or_none
from missionhub.risk.models import AppetiteLevel, RiskCategory
from missionhub.risk.schemas import AppetiteIn, ScaleIn
from missionhub.risk.scoring import IMPACT_LABELS, LIKELIHOOD_LABELS
from missionhub.web.deps import AppSettings, DbSession, SignedInActor, csrf_protect
from missionhub.web.forms import FormResult, parse
from missionhub.web.security import see_other
from missionhub.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])


def _org_id(request: Request, actor: Actor) -> int:
    chosen = int_or_none(request.query_params.get("organisation_id"))
    org = chosen or actor.organisation_id
    if org is None:
        raise NotFound("Choose a department")
    return org


@router.get("/risks/appetite", response_class=HTMLResponse)
def appetite_page(request: Request, session: DbSession, actor: SignedInActor) -> HTMLResponse:
    org_id = _org_id(request, actor)
    found = appetite.department_appetite(session, actor=actor, organisation_id=org_id)
    org = session.get(Organisation, org_id)
    return render(
        request,
        "risk/appetite.html",
        {
            "title": f"Risk appetite: {org.name if org else ''}",
            "organisation": org,
            "appetite": found,
            "history": appetite.appetite_history(session, actor=actor, organisation_id=org_id),
            "is_cio": access.can_decide(actor, org_id),
            "levels": list(AppetiteLevel),
            "likelihood_labels": LIKELIHOOD_LABELS,
            "impact_labels": IMPACT_LABELS,
        },
    )


def _scale_form(
    request: Request, session: Session, actor: Actor, form: FormResult | None, code: int = 200
) -> HTMLResponse:
    org_id = actor.organisation_id
    access.require_decider(actor, org_id, "risk appetite")
    assert org_id is not None
    found = appetite.appetite_of(session, org_id)
    values = form or FormResult({level.value: found.scale[level] for level in AppetiteLevel})
    return render(
        request,
        "risk/scale_form.html",
        {"title": "Change the appetite scale", "form": values, "levels": list(AppetiteLevel)},
        status_code=code,
    )


@router.get("/risks/appetite/scale", response_class=HTMLResponse)
def scale_form(request: Request, session: DbSession, actor: SignedInActor) -> HTMLResponse:
    return _scale_form(request, session, actor, None)


@router.post("/risks/appetite/scale", response_class=HTMLResponse)
async def change_scale(
    request: Request, session: DbSession, actor: SignedInActor, settings: AppSettings
) -> Response:
    data, result = parse(ScaleIn, await request.form(), SCALE_LABELS)
    if data is not None:
        try:
            appetite.set_scale(
                session, actor=actor, organisation_id=actor.organisation_id or 0, data=data
            )
        except Invalid as exc:
            result.add(exc)
        else:
            return see_other("/risks/appetite", settings, "Appetite scale changed")
    return _scale_form(request, session, actor, result, 400)


def _category(value: str) -> RiskCategory:
    if value not in RiskCategory._value2member_map_:
        raise NotFound(f"No risk category {value!r}")
    return RiskCategory(value)


def _level_form(
    request: Request,
    session: Session,
    actor: Actor,
    category: RiskCategory,
    form: FormResult | None,
    code: int = 200,
) -> HTMLResponse:
    org_id = actor.organisation_id
    access.require_decider(actor, org_id, "risk appetite")
    assert org_id is not None
    current = appetite.appetite_of(session, org_id).levels[category]
    return render(
        request,
        "risk/appetite_form.html",
        {
            "title": f"Appetite for {category.label.lower()} risk",
            "category": category,
            "current": current,
            "form": form or FormResult({"level": current.level.value}),
            "scale": appetite.appetite_of(session, org_id).scale,
            **choices(),
        },
        status_code=code,
    )


@router.get("/risks/appetite/{category}", response_class=HTMLResponse)
def level_form(request: Request, category: str, session: DbSession, actor: SignedInActor) -> Any:
    return _level_form(request, session, actor, _category(category), None)


@router.post("/risks/appetite/{category}", response_class=HTMLResponse)
async def change_level(
    request: Request, category: str, session: DbSession, actor: SignedInActor, settings: AppSettings
) -> Response:
    chosen = _category(category)
    sent = await request.form()
    form = FormData([*((k, v) for k, v in sent.multi_items() if k != "category"),
                     ("category", chosen.value)])  # fmt: skip
    data, result = parse(AppetiteIn, form, APPETITE_LABELS)
    if data is not None:
        try:
            appetite.set_appetite(
                session, actor=actor, organisation_id=actor.organisation_id or 0, data=data
            )
        except Invalid as exc:
            result.add(exc)
        else:
            return see_other(
                "/risks/appetite",
                settings,
                f"Appetite for {chosen.label.lower()} risk set to {data.level.label}",
            )
    return _level_form(request, session, actor, chosen, result, 400)
