"""HTML pages: search, imported records, case studies, components, the duplicate-candidates
report, the "similar projects" hint while registering, and the project page panel."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from missionhub.accounts.models import Role
from missionhub.accounts.permissions import Actor, Visibility, can_edit, readable
from missionhub.errors import Conflict, Invalid, PermissionDenied
from missionhub.learning import export, library, records, similar
from missionhub.learning.models import (
    CaseStudyStatus,
    ComponentKind,
    DocKind,
    Maturity,
    Verdict,
)
from missionhub.learning.schemas import (
    AnswerIn,
    CaseStudyIn,
    ComponentIn,
    DecisionIn,
    QuestionIn,
    ReuseIn,
    WithdrawIn,
)
from missionhub.learning.search import SearchQuery, facet_values, search
from missionhub.portfolio.missions import list_missions
from missionhub.portfolio.models import Project, Stage
from missionhub.web.deps import (
    AppSettings,
    CurrentActor,
    DbSession,
    PathId,
    SignedInActor,
    csrf_protect,
)
from missionhub.web.downloads import csv_download
from missionhub.web.forms import FormResult, parse
from missionhub.web.navigation import NavItem, roles
from missionhub.web.panels import Panel
from missionhub.web.security import see_other
from missionhub.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])
NAV = [
    NavItem("/search", "Search", 5),
    NavItem("/case-studies", "Case studies", 60),
    NavItem("/components", "Components", 65),
    NavItem("/duplicates", "Duplicates", 85, roles(Role.CIO, Role.ADMIN)),
]
SCRIPT = Path(__file__).with_name("static") / "similar.js"

CASE_STUDY_LABELS = {
    "project_id": "Project",
    "title": "Title",
    "summary": "Summary",
    "problem": "Problem",
    "users": "Users",
    "approach": "Approach",
    "outcomes": "Outcomes",
    "kpi_evidence": "KPI evidence",
    "cost": "Cost",
    "cost_note": "About the cost",
    "worked": "What worked",
    "did_not_work": "What did not work",
    "contact_role": "Contact role",
    "contact_email": "Team mailbox",
    "links": "Links",
    "component_ids": "Reusable components",
}
COMPONENT_LABELS = {
    "name": "Name",
    "kind": "Kind of component",
    "description": "Description",
    "owner": "Owning team",
    "licence": "Licence",
    "maturity": "Maturity",
    "documentation_url": "Documentation link",
    "visibility": "Visibility",
}


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


# Search ---------------------------------------------------------------------------------------

FILTERS = ("q", "kind", "organisation", "country", "mission_id", "stage", "topic", "source")


def search_query(params: dict[str, str]) -> SearchQuery:
    kind = params.get("kind", "")
    return SearchQuery(
        text=params.get("q", "")[:200],
        kind=DocKind(kind) if kind in DocKind.__members__.values() else None,
        organisation=params.get("organisation") or None,
        country=params.get("country") or None,
        mission_id=_int(params.get("mission_id")),
        stage=params.get("stage") or None,
        topic=params.get("topic") or None,
        source=params.get("source") or None,
    )


@router.get("/search", response_class=HTMLResponse)
def search_page(
    request: Request, session: DbSession, actor: CurrentActor, settings: AppSettings, page: int = 1
) -> HTMLResponse:
    params = {k: request.query_params.get(k, "") for k in FILTERS}
    result = search(
        session,
        actor=actor,
        query=search_query(params),
        page=min(max(page, 1), 10_000),
        page_size=settings.page_size,
    )

    def facet(column: str) -> list[tuple[str, str]]:
        return [(v, v) for v in facet_values(session, actor=actor, column=column)]

    return render(
        request,
        "learning/search.html",
        {
            "title": "Search",
            "page": result,
            "params": params,
            "kinds": [(k.value, k.label) for k in DocKind],
            "organisations": facet("organisation_name"),
            "countries": facet("country"),
            "sources": facet("source"),
            "topics": facet("topic"),
            "stages": [(s.value, s.label) for s in Stage],
            "missions": [(m.id, m.title) for m in list_missions(session)],
        },
    )


@router.get("/learning/records/{record_id}", response_class=HTMLResponse)
def record_page(
    request: Request, record_id: PathId, session: DbSession, actor: CurrentActor
) -> HTMLResponse:
    record = records.get_record(session, record_id=record_id)
    found = similar.similar_to_text(
        session,
        actor=actor,
        text=similar.document_text(record.title, record.description),
        exclude={(DocKind.RECORD, record.id)},
    )
    return render(
        request,
        "learning/record.html",
        {"title": record.title, "record": record, "similar": found},
    )


# Similar projects while registering ----------------------------------------------------------


@router.get("/learning/similar-projects", response_class=HTMLResponse)
def similar_fragment(request: Request, session: DbSession, actor: SignedInActor) -> HTMLResponse:
    """An HTML fragment for the registration form: what already exists like this."""
    q = request.query_params
    text = "\n".join(q.get(k, "")[:5000] for k in ("title", "summary", "problem", "approach"))
    found = similar.similar_to_text(session, actor=actor, text=text)
    return render(request, "learning/_similar_fragment.html", {"similar": found})


@router.get("/learning/similar.js")
def similar_script() -> Response:
    return Response(SCRIPT.read_text(encoding="utf-8"), media_type="text/javascript")


# Case studies ---------------------------------------------------------------------------------


@router.get("/case-studies", response_class=HTMLResponse)
def case_study_list(
    request: Request, session: DbSession, actor: CurrentActor, settings: AppSettings, page: int = 1
) -> HTMLResponse:
    result = library.list_case_studies(
        session, actor=actor, page=max(page, 1), page_size=settings.page_size
    )
    return render(request, "learning/case_studies.html", {"title": "Case studies", "page": result})


def _case_study_form(
    request: Request,
    session: Session,
    actor: Actor,
    form: FormResult,
    study: Any = None,
    status_code: int = 200,
) -> HTMLResponse:
    components = library.list_components(session, actor=actor, page_size=200).items
    return render(
        request,
        "learning/case_study_form.html",
        {
            "title": f"Edit {study.title}" if study else "Write a case study",
            "form": form,
            "study": study,
            "components": [(c.id, c.name) for c in components],
        },
        status_code=status_code,
    )


@router.get("/case-studies/new", response_class=HTMLResponse)
def new_case_study(
    request: Request, session: DbSession, actor: SignedInActor, project_id: PathId | None = None
) -> HTMLResponse:
    values = (
        library.prefill_from_project(session, actor=actor, project_id=project_id)
        if project_id
        else {}
    )
    return _case_study_form(request, session, actor, FormResult(values))


@router.post("/case-studies/new", response_class=HTMLResponse)
async def create_case_study(
    request: Request, session: DbSession, actor: SignedInActor, settings: AppSettings
) -> Response:
    data, result = parse(CaseStudyIn, await request.form(), CASE_STUDY_LABELS)
    if data is not None:
        try:
            study = library.create_case_study(session, actor=actor, data=data)
        except Invalid as exc:
            result.add(exc)
        else:
            return see_other(f"/case-studies/{study.id}", settings, "Case study saved as a draft")
    return _case_study_form(request, session, actor, result, status_code=400)


@router.get("/case-studies/{case_study_id}", response_class=HTMLResponse)
def case_study_page(
    request: Request, case_study_id: PathId, session: DbSession, actor: CurrentActor
) -> HTMLResponse:
    study = library.get_case_study(session, actor=actor, case_study_id=case_study_id)
    return render(
        request,
        "learning/case_study.html",
        {
            "title": study.title,
            "study": study,
            "editable": can_edit(actor, owner_org_id=study.organisation_id),
            "reviewer": actor.is_admin or actor.is_cio_of(study.organisation_id),
            "questions": library.visible_questions(actor, study),
            "project": study.project if readable(actor, study.project) else None,
            "components": [c for c in study.components if readable(actor, c)],
            "statuses": CaseStudyStatus,
        },
    )


@router.get("/case-studies/{case_study_id}/edit", response_class=HTMLResponse)
def edit_case_study(
    request: Request, case_study_id: PathId, session: DbSession, actor: SignedInActor
) -> HTMLResponse:
    study = library.get_case_study(session, actor=actor, case_study_id=case_study_id)
    if not can_edit(actor, owner_org_id=study.organisation_id):
        raise PermissionDenied("Only the owning organisation's team can change this case study")
    values: dict[str, Any] = {
        k: ("" if getattr(study, k) is None else str(getattr(study, k)))
        for k in CASE_STUDY_LABELS
        if k not in ("component_ids", "links")
    }
    values["links"] = "\n".join(study.links or [])
    values["component_ids"] = [str(c.id) for c in study.components]
    return _case_study_form(request, session, actor, FormResult(values), study)


@router.post("/case-studies/{case_study_id}/edit", response_class=HTMLResponse)
async def update_case_study(
    request: Request,
    case_study_id: PathId,
    session: DbSession,
    actor: SignedInActor,
    settings: AppSettings,
) -> Response:
    study = library.get_case_study(session, actor=actor, case_study_id=case_study_id)
    data, result = parse(CaseStudyIn, await request.form(), CASE_STUDY_LABELS)
    if data is not None:
        try:
            library.update_case_study(session, actor=actor, case_study_id=case_study_id, data=data)
        except Invalid as exc:
            result.add(exc)
        else:
            return see_other(f"/case-studies/{case_study_id}", settings, "Case study updated")
    return _case_study_form(request, session, actor, result, study, status_code=400)


@router.post("/case-studies/{case_study_id}/{action}")
async def case_study_action(
    request: Request,
    case_study_id: PathId,
    action: str,
    session: DbSession,
    actor: SignedInActor,
    settings: AppSettings,
) -> Response:
    """Submit for review, publish, send back or withdraw; ask a question."""
    form = await request.form()
    note = str(form.get("note", "")).strip() or None
    url = f"/case-studies/{case_study_id}"
    try:
        if action == "submit":
            library.submit_for_review(session, actor=actor, case_study_id=case_study_id)
            message = "Sent for review by your Chief Innovation Officer"
        elif action == "publish":
            library.publish(session, actor=actor, case_study_id=case_study_id, note=note)
            message = "Case study published"
        elif action == "return":
            library.return_to_draft(session, actor=actor, case_study_id=case_study_id, note=note)
            message = "Sent back to the team as a draft"
        elif action == "withdraw":
            data, result = parse(WithdrawIn, form, {"reason": "Reason for withdrawing"})
            if data is None:
                raise Invalid(result.errors.get("reason", "Enter a reason"), field="reason")
            library.withdraw(session, actor=actor, case_study_id=case_study_id, reason=data.reason)
            message = "Case study withdrawn"
        elif action == "questions":
            question, result = parse(QuestionIn, form, {"body": "Your question"})
            if question is None:
                raise Invalid(result.errors.get("body", "Enter your question"), field="body")
            library.ask(session, actor=actor, case_study_id=case_study_id, data=question)
            message = "Question sent to the team"
        else:
            return see_other(url, settings, "Unknown action")
    except (Invalid, Conflict) as exc:
        return see_other(url, settings, str(exc))
    return see_other(url, settings, message)


@router.post("/case-studies/{case_study_id}/questions/{question_id}/answer")
async def answer_question(
    request: Request,
    case_study_id: PathId,
    question_id: PathId,
    session: DbSession,
    actor: SignedInActor,
    settings: AppSettings,
) -> Response:
    data, result = parse(AnswerIn, await request.form(), {"answer": "Answer"})
    url = f"/case-studies/{case_study_id}#questions"
    if data is None:
        return see_other(url, settings, result.errors.get("answer", "Enter an answer"))
    library.answer(
        session, actor=actor, case_study_id=case_study_id, question_id=question_id, data=data
    )
    return see_other(url, settings, "Answer saved")


# Components -----------------------------------------------------------------------------------


@router.get("/components", response_class=HTMLResponse)
def component_list(
    request: Request, session: DbSession, actor: CurrentActor, settings: AppSettings, page: int = 1
) -> HTMLResponse:
    result = library.list_components(
        session, actor=actor, page=max(page, 1), page_size=settings.page_size
    )
    counts = library.visible_reuse_counts(
        session, actor=actor, component_ids=[c.id for c in result.items]
    )
    return render(
        request,
        "learning/components.html",
        {"title": "Reusable components", "page": result, "reuse_counts": counts},
    )


def _component_form(
    request: Request, form: FormResult, component: Any = None, status_code: int = 200
) -> HTMLResponse:
    return render(
        request,
        "learning/component_form.html",
        {
            "title": f"Edit {component.name}" if component else "Add a reusable component",
            "form": form,
            "component": component,
            "kinds": [(k.value, k.label) for k in ComponentKind],
            "maturities": [(m.value, m.label) for m in Maturity],
            "visibilities": [(v.value, v.label) for v in Visibility],
        },
        status_code=status_code,
    )


@router.get("/components/new", response_class=HTMLResponse)
def new_component(request: Request, actor: SignedInActor) -> HTMLResponse:
    return _component_form(request, FormResult({"visibility": "internal"}))


@router.post("/components/new", response_class=HTMLResponse)
async def create_component(
    request: Request, session: DbSession, actor: SignedInActor, settings: AppSettings
) -> Response:
    data, result = parse(ComponentIn, await request.form(), COMPONENT_LABELS)
    if data is not None:
        component = library.create_component(session, actor=actor, data=data)
        return see_other(f"/components/{component.id}", settings, "Component added")
    return _component_form(request, result, status_code=400)


@router.get("/components/{component_id}", response_class=HTMLResponse)
def component_page(
    request: Request, component_id: PathId, session: DbSession, actor: CurrentActor
) -> HTMLResponse:
    component = library.get_component(session, actor=actor, component_id=component_id)
    return render(
        request,
        "learning/component.html",
        {
            "title": component.name,
            "component": component,
            "projects": library.reusing_projects(session, actor=actor, component=component),
            "editable": can_edit(actor, owner_org_id=component.organisation_id),
        },
    )


@router.get("/components/{component_id}/edit", response_class=HTMLResponse)
def edit_component(
    request: Request, component_id: PathId, session: DbSession, actor: SignedInActor
) -> HTMLResponse:
    component = library.get_component(session, actor=actor, component_id=component_id)
    if not can_edit(actor, owner_org_id=component.organisation_id):
        raise PermissionDenied("Only the owning organisation's team can change this component")
    values = {
        k: ""
        if getattr(component, k) is None
        else str(getattr(getattr(component, k), "value", getattr(component, k)))
        for k in COMPONENT_LABELS
    }
    return _component_form(request, FormResult(values), component)


@router.post("/components/{component_id}/edit", response_class=HTMLResponse)
async def update_component(
    request: Request,
    component_id: PathId,
    session: DbSession,
    actor: SignedInActor,
    settings: AppSettings,
) -> Response:
    component = library.get_component(session, actor=actor, component_id=component_id)
    data, result = parse(ComponentIn, await request.form(), COMPONENT_LABELS)
    if data is not None:
        library.update_component(session, actor=actor, component_id=component_id, data=data)
        return see_other(f"/components/{component_id}", settings, "Component updated")
    return _component_form(request, result, component, status_code=400)


@router.post("/projects/{project_id}/reuses", response_class=HTMLResponse)
async def record_reuse(
    request: Request,
    project_id: PathId,
    session: DbSession,
    actor: SignedInActor,
    settings: AppSettings,
) -> Response:
    data, result = parse(ReuseIn, await request.form(), {"component_id": "Component"})
    url = f"/projects/{project_id}#reuse"
    if data is None:
        return see_other(url, settings, result.errors.get("component_id", "Choose a component"))
    try:
        library.record_reuse(session, actor=actor, project_id=project_id, data=data)
    except Invalid as exc:
        return see_other(url, settings, str(exc.errors[0].message))
    return see_other(url, settings, "Reuse recorded")


# Duplicates -----------------------------------------------------------------------------------


@router.get("/duplicates", response_class=HTMLResponse)
def duplicates_page(request: Request, session: DbSession, actor: SignedInActor) -> HTMLResponse:
    candidates = similar.duplicate_candidates(session, actor=actor)
    return render(
        request,
        "learning/duplicates.html",
        {
            "title": "Duplicate candidates",
            "candidates": candidates,
            "verdicts": [(v.value, v.label) for v in Verdict],
        },
    )


@router.post("/duplicates/decide")
async def decide_duplicate(
    request: Request, session: DbSession, actor: SignedInActor, settings: AppSettings
) -> Response:
    data, result = parse(DecisionIn, await request.form(), {"verdict": "Decision"})
    if data is None:
        return see_other("/duplicates", settings, "; ".join(result.errors.values()))
    similar.decide(
        session,
        actor=actor,
        project_id=data.project_id,
        other_kind=data.other_kind,
        other_ref_id=data.other_ref_id,
        verdict=data.verdict,
        note=data.note,
    )
    return see_other("/duplicates", settings, f"Decision recorded: {data.verdict.label}")


# Exports --------------------------------------------------------------------------------------


@router.get("/learning/catalogue.csv")
def catalogue_csv(session: DbSession, actor: CurrentActor) -> Response:
    return csv_download(
        export.catalogue_rows(session, actor=actor), export.CATALOGUE_COLUMNS, "catalogue.csv"
    )


@router.get("/learning/catalogue.json")
def catalogue_json(session: DbSession, actor: CurrentActor) -> Response:
    rows = export.catalogue_rows(session, actor=actor)
    return Response(json.dumps(rows, ensure_ascii=False), media_type="application/json")


@router.get("/projects/{project_id}/atrs.json")
def atrs_json(project_id: PathId, session: DbSession, actor: CurrentActor) -> Response:
    record = export.atrs_record(session, actor=actor, project_id=project_id)
    return Response(
        json.dumps(record, ensure_ascii=False, indent=2),
        media_type="application/json",
        headers={"content-disposition": f'attachment; filename="atrs-{project_id}.json"'},
    )


# The project page -----------------------------------------------------------------------------


def project_panels(session: Session, actor: Actor, project: Project) -> list[Panel]:
    """Similar projects, reused components and case studies on a project's page."""
    editable = can_edit(actor, owner_org_id=project.organisation_id)
    components = (
        library.list_components(session, actor=actor, page_size=200).items if editable else []
    )
    context = {
        "similar": similar.similar_to_project(session, actor=actor, project_id=project.id),
        "reused": library.reuses_of_project(session, actor=actor, project_id=project.id),
        "case_studies": library.case_studies_of_project(
            session, actor=actor, project_id=project.id
        ),
        "components": [(c.id, c.name) for c in components],
        "learning_editable": editable,
        "learning_project": project,
    }
    return [Panel("learning/_project_panel.html", context, order=30)]
