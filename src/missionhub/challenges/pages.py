"""HTML pages for challenges: briefs, suites, submissions, the report and released results.

Routes only translate: form -> validated model -> service call -> page or redirect.
"""

from __future__ import annotations

import io
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from missionhub.accounts.permissions import Actor
from missionhub.challenges import report, service, suites
from missionhub.challenges.metrics import METRIC_LABELS, METRICS
from missionhub.challenges.models import Challenge, ChallengeStatus
from missionhub.challenges.schemas import AwardIn, ChallengeIn, EndpointIn, SubmissionIn
from missionhub.challenges.suites import TABLES
from missionhub.errors import Conflict, FieldError, Invalid
from missionhub.portfolio import missions
from missionhub.settings import Environment, Settings
from missionhub.web.deps import (
    AppSettings,
    CurrentActor,
    DbSession,
    PathId,
    SignedInActor,
    csrf_protect,
)
from missionhub.web.forms import FormResult, parse
from missionhub.web.navigation import NavItem
from missionhub.web.security import see_other
from missionhub.web.templating import render
from missionhub.web.uploads import received_file

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])
NAV = [NavItem("/challenges", "Challenges", 35)]

LABELS = {
    "title": "Title",
    "brief": "Brief",
    "eligibility": "Eligibility",
    "criteria": "Evaluation criteria",
    "use_case_id": "Use case",
    "mission_id": "Mission",
    "opens_on": "Opening date",
    "closes_on": "Closing date",
    "positive_label": "Positive label",
    "negative_label": "Negative label",
    "primary_metric": "Ranking metric",
    "min_denominator": "Minimum denominator",
    "max_submissions_per_supplier": "Submissions per supplier",
    "name": "Solution name",
    "description": "Description",
    "endpoint_url": "Endpoint address",
    "submission_id": "Winning submission",
    "rationale": "Rationale",
}


def _file_problems(result: FormResult, exc: Invalid | Conflict, field: str) -> None:
    """Every problem with an uploaded file in the error summary, each naming its rows."""
    problems = exc.errors if isinstance(exc, Invalid) else [FieldError(field, str(exc))]
    for i, e in enumerate(problems):
        named = e.field and e.field not in (field, "file")
        text = f"{e.field[0].upper()}{e.field[1:]}: {e.message}" if named else e.message
        result.errors.setdefault(field if i == 0 else f"{field}.{i}", text)


def _allow_private(settings: Settings) -> bool:
    return settings.environment is not Environment.PRODUCTION


# List and create ---------------------------------------------------------------------------


@router.get("/challenges", response_class=HTMLResponse)
def challenge_list(
    request: Request, session: DbSession, actor: CurrentActor, settings: AppSettings, page: int = 1
) -> HTMLResponse:
    result = service.list_challenges(
        session, actor=actor, page=max(page, 1), page_size=settings.page_size
    )
    return render(
        request,
        "challenges/challenges.html",
        {"title": "Challenges", "page": result, "can_create": actor.is_civil_servant},
    )


def _form_page(
    request: Request, session: Session, actor: Actor, form: FormResult, status_code: int = 200
) -> HTMLResponse:
    use_cases = missions.list_use_cases(session, actor=actor, page_size=200).items
    return render(
        request,
        "challenges/challenge_form.html",
        {
            "title": "Create a challenge",
            "form": form,
            "use_cases": [(u.id, u.title) for u in use_cases],
            "missions": [(m.id, m.title) for m in missions.list_missions(session)],
            "metrics": [(m, METRIC_LABELS[m]) for m in METRICS],
        },
        status_code=status_code,
    )


@router.get("/challenges/new", response_class=HTMLResponse)
def new_challenge(request: Request, session: DbSession, actor: SignedInActor) -> HTMLResponse:
    defaults = {
        "positive_label": "hateful",
        "negative_label": "non-hateful",
        "primary_metric": "f1",
        "min_denominator": "30",
        "max_submissions_per_supplier": "3",
    }
    return _form_page(request, session, actor, FormResult(defaults))


@router.post("/challenges/new", response_class=HTMLResponse)
async def create_challenge(
    request: Request, session: DbSession, actor: SignedInActor, settings: AppSettings
) -> Response:
    data, result = parse(ChallengeIn, await request.form(), LABELS)
    if data is not None:
        try:
            challenge = service.create_challenge(session, actor=actor, data=data)
        except Invalid as exc:
            result.add(exc)
        else:
            return see_other(f"/challenges/{challenge.id}", settings, "Challenge created (draft)")
    return _form_page(request, session, actor, result, status_code=400)


# One challenge -----------------------------------------------------------------------------


def _challenge_page(
    request: Request, session: Session, actor: Actor, challenge: Challenge, **extra: Any
) -> HTMLResponse:
    owner = service.can_own(actor, challenge)
    status_code = int(extra.pop("status_code", 200))
    evaluation = service.latest_evaluation(session, challenge) if owner else None
    submissions = (
        service.own_submissions(session, actor=actor, challenge_id=challenge.id)
        if actor.is_authenticated
        else []
    )
    return render(
        request,
        "challenges/challenge.html",
        {
            "title": challenge.title,
            "challenge": challenge,
            "use_case": service.visible_use_case(actor, challenge),
            "owner": owner,
            "supplier": service.is_supplier(actor),
            "submissions_left": service.submissions_left(session, actor=actor, challenge=challenge),
            "submissions": submissions,
            "submission_choices": [
                (s.id, f"{s.name} ({s.organisation.name})") for s in submissions
            ],
            "evaluation": evaluation,
            "public_warning": suites.public_warning(challenge.suite.source)
            if owner and challenge.suite
            else None,
            "next_states": sorted(service.TRANSITIONS[challenge.status]),
            "evaluable": len(service.evaluable(challenge)),
            **extra,
        },
        status_code=status_code,
    )


@router.get("/challenges/{challenge_id}", response_class=HTMLResponse)
def challenge_page(
    request: Request, challenge_id: PathId, session: DbSession, actor: CurrentActor
) -> HTMLResponse:
    challenge = service.get_challenge(session, actor=actor, challenge_id=challenge_id)
    return _challenge_page(request, session, actor, challenge)


@router.post("/challenges/{challenge_id}/status")
async def change_status(
    request: Request,
    challenge_id: PathId,
    session: DbSession,
    actor: SignedInActor,
    settings: AppSettings,
) -> Response:
    form = await request.form()
    value = str(form.get("status", ""))
    if value not in ChallengeStatus.__members__.values():
        raise Invalid("Choose a status", "status")
    try:
        service.change_status(
            session, actor=actor, challenge_id=challenge_id, to=ChallengeStatus(value)
        )
    except Conflict as exc:
        return see_other(f"/challenges/{challenge_id}", settings, str(exc))
    return see_other(f"/challenges/{challenge_id}", settings, f"The challenge is now {value}")


# Suite -------------------------------------------------------------------------------------


def _suite_page(
    request: Request, challenge: Challenge, form: FormResult, status_code: int = 200
) -> HTMLResponse:
    return render(
        request,
        "challenges/suite_form.html",
        {
            "title": "Add a hidden test suite",
            "challenge": challenge,
            "form": form,
            "sources": [("upload", "Upload a CSV or Parquet file")]
            + [(k, v[0]) for k, v in suites.IMPORTERS.items()],
        },
        status_code=status_code,
    )


@router.get("/challenges/{challenge_id}/suite", response_class=HTMLResponse)
def suite_form(
    request: Request, challenge_id: PathId, session: DbSession, actor: SignedInActor
) -> HTMLResponse:
    challenge = service.owned_challenge(session, actor=actor, challenge_id=challenge_id)
    return _suite_page(request, challenge, FormResult({"source": "upload"}))


@router.post("/challenges/{challenge_id}/suite", response_class=HTMLResponse)
async def add_suite(
    request: Request,
    challenge_id: PathId,
    session: DbSession,
    actor: SignedInActor,
    settings: AppSettings,
) -> Response:
    challenge = service.owned_challenge(session, actor=actor, challenge_id=challenge_id)
    form = await request.form()
    source = str(form.get("source", "upload"))
    result = FormResult({"source": source})
    try:
        if source == "upload":
            async with received_file(
                form.get("file"), settings, field="file", allowed_suffixes=TABLES
            ) as upload:
                suite = service.upload_suite(
                    session,
                    actor=actor,
                    challenge_id=challenge_id,
                    path=upload.path,
                    filename=upload.filename,
                    sha256=upload.sha256,
                )
        else:
            suite = service.import_suite(
                session,
                actor=actor,
                challenge_id=challenge_id,
                source=source,
                data_dir=settings.data_dir,
            )
    except (Invalid, Conflict) as exc:
        _file_problems(result, exc, "file")
        return _suite_page(request, challenge, result, status_code=400)
    return see_other(
        f"/challenges/{challenge_id}",
        settings,
        f"Suite version {suite.version} stored: {suite.cases:,} cases",
    )


@router.get("/challenges/{challenge_id}/inputs.csv")
def inputs_csv(challenge_id: PathId, session: DbSession, actor: SignedInActor) -> Response:
    frame = service.suite_inputs(session, actor=actor, challenge_id=challenge_id)
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False)
    return Response(
        buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={
            "content-disposition": f'attachment; filename="challenge-{challenge_id}-inputs.csv"'
        },
    )


# Submissions -------------------------------------------------------------------------------


def _submit_page(
    request: Request,
    challenge: Challenge,
    form: FormResult,
    kind: str,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        f"challenges/submit_{kind}.html",
        {"title": "Submit a solution", "challenge": challenge, "form": form},
        status_code=status_code,
    )


@router.get("/challenges/{challenge_id}/submit", response_class=HTMLResponse)
def submit_form(
    request: Request,
    challenge_id: PathId,
    session: DbSession,
    actor: SignedInActor,
    kind: str = "file",
) -> HTMLResponse:
    challenge = service.get_challenge(session, actor=actor, challenge_id=challenge_id)
    return _submit_page(
        request, challenge, FormResult({}), "endpoint" if kind == "endpoint" else "file"
    )


@router.post("/challenges/{challenge_id}/submit", response_class=HTMLResponse)
async def submit(
    request: Request,
    challenge_id: PathId,
    session: DbSession,
    actor: SignedInActor,
    settings: AppSettings,
) -> Response:
    challenge = service.get_challenge(session, actor=actor, challenge_id=challenge_id)
    form = await request.form()
    data, result = parse(SubmissionIn, form, LABELS)
    if data is not None:
        try:
            async with received_file(
                form.get("file"), settings, field="file", allowed_suffixes=TABLES
            ) as upload:
                service.submit_predictions_file(
                    session,
                    actor=actor,
                    challenge_id=challenge_id,
                    data=data,
                    path=upload.path,
                    filename=upload.filename,
                )
        except (Invalid, Conflict) as exc:
            _file_problems(result, exc, "file")
        else:
            return see_other(f"/challenges/{challenge_id}", settings, "Predictions received")
    return _submit_page(request, challenge, result, "file", status_code=400)


@router.post("/challenges/{challenge_id}/endpoint", response_class=HTMLResponse)
async def register_endpoint(
    request: Request,
    challenge_id: PathId,
    session: DbSession,
    actor: SignedInActor,
    settings: AppSettings,
) -> Response:
    challenge = service.get_challenge(session, actor=actor, challenge_id=challenge_id)
    data, result = parse(EndpointIn, await request.form(), LABELS)
    if data is not None:
        try:
            _, job = service.register_endpoint(
                session,
                actor=actor,
                challenge_id=challenge_id,
                data=data,
                allow_private=_allow_private(settings),
            )
        except (Invalid, Conflict) as exc:
            result.add(exc if isinstance(exc, Invalid) else Invalid(str(exc), "endpoint_url"))
        else:
            return see_other(f"/jobs/{job.id}", settings)
    return _submit_page(request, challenge, result, "endpoint", status_code=400)


# Evaluation, report, release ---------------------------------------------------------------


@router.post("/challenges/{challenge_id}/evaluate")
def evaluate(
    challenge_id: PathId, session: DbSession, actor: SignedInActor, settings: AppSettings
) -> Response:
    try:
        job = service.request_evaluation(session, actor=actor, challenge_id=challenge_id)
    except Conflict as exc:
        return see_other(f"/challenges/{challenge_id}", settings, str(exc))
    return see_other(f"/jobs/{job.id}", settings)


def _report_context(
    session: Session, actor: Actor, challenge_id: PathId, metric: str | None
) -> dict[str, Any]:
    challenge = service.owned_challenge(session, actor=actor, challenge_id=challenge_id)
    evaluation = service.owner_report(session, actor=actor, challenge_id=challenge_id)
    results = evaluation.results
    choices = report.all_metrics(results)
    chosen = metric if metric in choices else results["settings"]["primary_metric"]
    return {
        "title": f"Report: {challenge.title}",
        "challenge": challenge,
        "evaluation": evaluation,
        "results": results,
        "metric": chosen,
        "metric_choices": [(m, METRIC_LABELS[m]) for m in choices],
        "labels": METRIC_LABELS,
        "overall": report.overall_table(results),
        "rows": report.side_by_side(results, chosen),
        "summary": report.summary_sentences(challenge, results),
        "public_warning": suites.public_warning(results.get("suite", {}).get("source")),
        "atrs": report.atrs_testing(challenge, evaluation),
        "all_metrics": choices,
        "qfmt": report.qfmt,
    }


@router.get("/challenges/{challenge_id}/report", response_class=HTMLResponse)
def report_page(
    request: Request,
    challenge_id: PathId,
    session: DbSession,
    actor: SignedInActor,
    metric: str | None = None,
) -> HTMLResponse:
    context = _report_context(session, actor, challenge_id, metric)
    return render(request, "challenges/report.html", context)


@router.get("/challenges/{challenge_id}/report.pdf")
def report_pdf(
    request: Request, challenge_id: PathId, session: DbSession, actor: SignedInActor
) -> Response:
    context = _report_context(session, actor, challenge_id, None)
    template = request.app.state.templates.get_template("challenges/report_pdf.html")
    html = template.render(**context)
    return Response(
        report.pdf_bytes(html),
        media_type="application/pdf",
        headers={
            "content-disposition": f'attachment; filename="challenge-{challenge_id}-report.pdf"'
        },
    )


@router.get("/challenges/{challenge_id}/report.csv")
def report_csv(challenge_id: PathId, session: DbSession, actor: SignedInActor) -> Response:
    evaluation = service.owner_report(session, actor=actor, challenge_id=challenge_id)
    return Response(
        report.csv_text(evaluation),
        media_type="text/csv; charset=utf-8",
        headers={
            "content-disposition": f'attachment; filename="challenge-{challenge_id}-report.csv"'
        },
    )


@router.post("/challenges/{challenge_id}/release")
def release(
    challenge_id: PathId, session: DbSession, actor: SignedInActor, settings: AppSettings
) -> Response:
    try:
        service.release_results(session, actor=actor, challenge_id=challenge_id)
    except Conflict as exc:
        return see_other(f"/challenges/{challenge_id}", settings, str(exc))
    return see_other(
        f"/challenges/{challenge_id}", settings, "Aggregate results released to each supplier"
    )


@router.post("/challenges/{challenge_id}/award", response_class=HTMLResponse)
async def award(
    request: Request,
    challenge_id: PathId,
    session: DbSession,
    actor: SignedInActor,
    settings: AppSettings,
) -> Response:
    data, result = parse(AwardIn, await request.form(), LABELS)
    if data is not None:
        try:
            service.award(session, actor=actor, challenge_id=challenge_id, data=data)
        except (Invalid, Conflict) as exc:
            result.add(exc if isinstance(exc, Invalid) else Invalid(str(exc), "submission_id"))
        else:
            return see_other(f"/challenges/{challenge_id}", settings, "Challenge awarded")
    challenge = service.get_challenge(session, actor=actor, challenge_id=challenge_id)
    return _challenge_page(request, session, actor, challenge, form=result, status_code=400)


@router.get("/challenges/{challenge_id}/results", response_class=HTMLResponse)
def results_page(
    request: Request, challenge_id: PathId, session: DbSession, actor: SignedInActor
) -> HTMLResponse:
    challenge = service.get_challenge(session, actor=actor, challenge_id=challenge_id)
    view = service.supplier_results(session, actor=actor, challenge_id=challenge_id)
    return render(
        request,
        "challenges/results.html",
        {
            "title": f"Your results: {challenge.title}",
            "challenge": challenge,
            "view": view,
            "labels": METRIC_LABELS,
        },
    )
