"""HTML pages for procurement. Routes only translate: form -> model -> service -> page."""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from missionhub.accounts.models import Role
from missionhub.accounts.permissions import Actor
from missionhub.errors import Conflict, Invalid
from missionhub.portfolio.models import Mission
from missionhub.procurement import pipeline, reports, spend, suppliers, supply_chain
from missionhub.procurement.jobs import queue_ingest
from missionhub.procurement.models import (
    NoticeType,
    ReturnSource,
    Scale,
    SpendLine,
    SupplyChainReturn,
)
from missionhub.procurement.schemas import DeclareIn, OverrideIn, PlannedIn, ReturnIn
from missionhub.procurement.sme_share import COLUMNS, COUNTS, RATIOS, TARGET
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
from missionhub.web.navigation import NavItem, civil_servants
from missionhub.web.security import see_other
from missionhub.web.templating import render
from missionhub.web.uploads import read_upload, received_file

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])
NAV = [
    NavItem("/procurement", "Procurement", 60, civil_servants),
    NavItem("/pipeline", "Buying pipeline", 65),
]


def _site(request: Request, settings: Any) -> str:
    """Base of absolute links in published data: the configured address, never a client's Host
    header in production (see ``Settings.site_url``)."""
    return str(settings.site_url(str(request.base_url)))


def _is_officer(actor: Actor) -> bool:
    return actor.is_admin or actor.role is Role.COMMERCIAL


def _csv(rows: list[dict[str, Any]], name: str) -> Response:
    if not rows:
        return csv_download([], [], name)
    return csv_download(rows, list(rows[0]), name)


# Overview and ingest ---------------------------------------------------------------------------


@router.get("/procurement", response_class=HTMLResponse)
def overview(request: Request, session: DbSession, actor: SignedInActor) -> HTMLResponse:
    held = reports.overview(session, actor=actor)
    return render(
        request,
        "procurement/overview.html",
        {"title": "Procurement and SME spend", "ingests": held.ingests, "counts": held.counts,
         "officer": _is_officer(actor),
         "awards": reports.awards_of(session, actor=actor, limit=20)},
    )  # fmt: skip


@router.get("/procurement/ingest", response_class=HTMLResponse)
def ingest_form(request: Request, actor: SignedInActor) -> HTMLResponse:
    return render(
        request, "procurement/ingest.html", {"title": "Load an OCDS file", "form": FormResult({})}
    )


@router.post("/procurement/ingest", response_class=HTMLResponse, response_model=None)
async def ingest_upload(
    request: Request, session: DbSession, actor: SignedInActor, settings: AppSettings
) -> Response:
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    result = FormResult(values)
    try:
        async with received_file(
            form.get("file"),
            settings,
            field="file",
            allowed_suffixes=(".json", ".jsonl"),
            handed_over=True,  # the job deletes it; a refusal here deletes it at once
        ) as stored:
            job = queue_ingest(
                session, actor=actor, path=stored.path, filename=stored.filename,
                sha256=stored.sha256, keep_valid=values.get("keep_valid") == "true",
                encoding=values.get("encoding") or "utf-8",
                schema_path=settings.data_dir / "procurement" / "ocds_release_schema_1.1.5.json",
            )  # fmt: skip
    except Invalid as exc:
        result.add(exc)
        return render(
            request, "procurement/ingest.html",
            {"title": "Load an OCDS file", "form": result}, status_code=400,
        )  # fmt: skip
    return see_other(f"/jobs/{job.id}", settings)


@router.get("/procurement/ingests/{ingest_id}", response_class=HTMLResponse)
def ingest_page(
    request: Request, ingest_id: PathId, session: DbSession, actor: SignedInActor
) -> HTMLResponse:
    record, awards = reports.ingest_report(session, actor=actor, ingest_id=ingest_id)
    return render(
        request, "procurement/ingest_report.html",
        {"title": f"OCDS load {record.id}: {record.filename}", "record": record, "awards": awards},
    )  # fmt: skip


# Spend ------------------------------------------------------------------------------------------


@router.get("/procurement/spend", response_class=HTMLResponse)
def spend_form(request: Request, actor: SignedInActor) -> HTMLResponse:
    return render(
        request, "procurement/spend_form.html",
        {"title": "Load a spend over £25,000 file", "form": FormResult({})},
    )  # fmt: skip


@router.post("/procurement/spend", response_class=HTMLResponse, response_model=None)
async def spend_upload(
    request: Request, session: DbSession, actor: SignedInActor, settings: AppSettings
) -> Response:
    form = await request.form()
    upload = form.get("file")
    result = FormResult({k: v for k, v in form.items() if isinstance(v, str)})
    try:
        filename, data = await read_upload(
            upload, settings, field="file", allowed_suffixes=(".csv",)
        )
        saved = spend.ingest_spend(session, actor=actor, data=data, filename=filename)
    except Invalid as exc:
        session.rollback()
        result.add(exc)
        return render(
            request, "procurement/spend_form.html",
            {"title": "Load a spend over £25,000 file", "form": result,
             "problems": exc.errors}, status_code=400,
        )  # fmt: skip
    return see_other(f"/procurement/spend/{saved.id}", settings, "Spend file loaded")


@router.get("/procurement/spend/{upload_id}", response_class=HTMLResponse)
def spend_page(
    request: Request, upload_id: PathId, session: DbSession, actor: SignedInActor
) -> HTMLResponse:
    upload = spend.get_upload(session, actor=actor, upload_id=upload_id)
    lines = session.scalars(
        select(SpendLine).where(SpendLine.upload_id == upload.id).order_by(SpendLine.line)
    ).all()
    return render(
        request, "procurement/spend.html",
        {"title": f"Spend file: {upload.filename}", "upload": upload, "lines": lines},
    )  # fmt: skip


# SME share --------------------------------------------------------------------------------------


@router.get("/procurement/sme-share", response_class=HTMLResponse)
def sme_share_page(
    request: Request, session: DbSession, actor: SignedInActor, year: str = ""
) -> HTMLResponse:
    report = reports.sme_share_report(session, actor=actor, financial_year=year or None)
    return render(
        request, "procurement/sme_share.html",
        {"title": "SME share of spend", "report": report, "year": year, "columns": COLUMNS,
         "ratios": RATIOS, "counts": COUNTS, "target": TARGET},
    )  # fmt: skip


@router.get("/procurement/sme-share.csv")
def sme_share_csv(session: DbSession, actor: SignedInActor, year: str = "") -> Response:
    report = reports.sme_share_report(session, actor=actor, financial_year=year or None)
    return _csv(report.rows, "sme-share.csv")


@router.get("/procurement/sme-share/rows", response_class=HTMLResponse)
def sme_share_rows(
    request: Request, session: DbSession, actor: SignedInActor,
    department: str = "", year: str = "", column: str = "B",
) -> HTMLResponse:  # fmt: skip
    rows = reports.rows_behind(
        session, actor=actor, department=department, financial_year=year, column=column
    )
    return render(
        request, "procurement/sme_rows.html",
        {"title": f"{COLUMNS.get(column, column)}: {department}, {year}", "rows": rows[:1000],
         "total": len(rows), "department": department, "year": year, "column": column},
    )  # fmt: skip


@router.get("/procurement/sme-share/rows.csv")
def sme_share_rows_csv(
    session: DbSession, actor: SignedInActor, department: str = "", year: str = "",
    column: str = "B",
) -> Response:  # fmt: skip
    rows = reports.rows_behind(
        session, actor=actor, department=department, financial_year=year, column=column
    )
    return _csv(rows, f"sme-share-{column}.csv")


# Suppliers --------------------------------------------------------------------------------------


@router.get("/procurement/suppliers", response_class=HTMLResponse)
def supplier_list(
    request: Request, session: DbSession, actor: SignedInActor, settings: AppSettings,
    q: str = "", page: int = 1,
) -> HTMLResponse:  # fmt: skip
    result = suppliers.list_suppliers(
        session, actor=actor, text=q or None, page=page, page_size=settings.page_size
    )
    return render(
        request,
        "procurement/suppliers.html",
        {"title": "Supplier register", "page": result, "q": q},
    )


def _supplier_page(
    request: Request, session: Any, actor: Actor, supplier_id: int, form: FormResult,
    status_code: int = 200,
) -> HTMLResponse:  # fmt: skip
    supplier = suppliers.get_supplier(session, actor=actor, supplier_id=supplier_id)
    return render(
        request, "procurement/supplier.html",
        {"title": supplier.name, "supplier": supplier, "form": form, "officer": _is_officer(actor),
         "scales": [(s.value, s.label) for s in Scale]},
        status_code=status_code,
    )  # fmt: skip


@router.get("/procurement/suppliers/{supplier_id}", response_class=HTMLResponse)
def supplier_page(
    request: Request, supplier_id: PathId, session: DbSession, actor: SignedInActor
) -> HTMLResponse:
    return _supplier_page(request, session, actor, supplier_id, FormResult({}))


@router.post(
    "/procurement/suppliers/{supplier_id}", response_class=HTMLResponse, response_model=None
)
async def supplier_override(
    request: Request, supplier_id: PathId, session: DbSession, actor: SignedInActor,
    settings: AppSettings,
) -> Response:  # fmt: skip
    data, result = parse(
        OverrideIn, await request.form(), {"scale": "SME status", "evidence": "Evidence"}
    )
    if data is not None:
        try:
            suppliers.override(
                session,
                actor=actor,
                supplier_id=supplier_id,
                scale=data.scale,
                evidence=data.evidence,
            )
            return see_other(f"/procurement/suppliers/{supplier_id}", settings, "Status changed")
        except Invalid as exc:
            result.add(exc)
    return _supplier_page(request, session, actor, supplier_id, result, status_code=400)


# Awards, returns and audits ---------------------------------------------------------------------


@router.get("/procurement/awards/{award_id}", response_class=HTMLResponse)
def award_page(
    request: Request, award_id: PathId, session: DbSession, actor: SignedInActor
) -> HTMLResponse:
    award = supply_chain.get_award(session, actor=actor, award_id=award_id)
    returns = session.scalars(
        select(SupplyChainReturn).where(SupplyChainReturn.award_id == award.id)
    ).all()
    from missionhub.procurement.models import NamedSubcontractor

    named = session.scalars(
        select(NamedSubcontractor).where(NamedSubcontractor.award_id == award.id)
    ).all()
    return render(
        request, "procurement/award.html",
        {"title": award.title or f"Award {award.award_id}", "award": award, "returns": returns,
         "named": named, "manage": supply_chain.may_manage_award(actor, award)},
    )  # fmt: skip


RETURN_LABELS = {
    "prime_supplier_id": "Prime supplier",
    "period_start": "Start of the period",
    "period_end": "End of the period",
    "revenue": "Revenue from this contract in the period",
    "source": "Who collected it",
}


def _return_form(
    request: Request, session: Any, actor: Actor, award_id: int, form: FormResult,
    status_code: int = 200,
) -> HTMLResponse:  # fmt: skip
    award = supply_chain.get_award(session, actor=actor, award_id=award_id)
    primes = [
        (s.supplier_id, s.supplier.name) for s in award.suppliers if not s.removed_by_amendment
    ]
    return render(
        request, "procurement/return_form.html",
        {"title": "Record a supply-chain return", "award": award, "form": form, "primes": primes,
         "sources": [(ReturnSource.SUPPLIER.value, "The prime supplier's return"),
                     (ReturnSource.DEPARTMENT.value, "Collected by the department")],
         "rows": range(5)},
        status_code=status_code,
    )  # fmt: skip


@router.get("/procurement/awards/{award_id}/returns/new", response_class=HTMLResponse)
def new_return(
    request: Request, award_id: PathId, session: DbSession, actor: SignedInActor
) -> HTMLResponse:
    return _return_form(request, session, actor, award_id, FormResult({"source": "supplier"}))


@router.post(
    "/procurement/awards/{award_id}/returns/new", response_class=HTMLResponse, response_model=None
)
async def create_return(
    request: Request, award_id: PathId, session: DbSession, actor: SignedInActor,
    settings: AppSettings,
) -> Response:  # fmt: skip
    form = await request.form()
    values: dict[str, Any] = {k: v for k, v in form.items() if isinstance(v, str)}
    result = FormResult(dict(values))
    payments, problems = _payment_rows(values)
    data, parsed = parse(ReturnIn, _without_payment_fields(form, award_id), RETURN_LABELS)
    parsed.values = result.values
    for key, message in problems.items():
        parsed.errors.setdefault(key, message)
    if data is not None and not problems:
        try:
            data = data.model_copy(update={"payments": payments})
            supply_chain.submit_return(session, actor=actor, data=data)
            return see_other(f"/procurement/awards/{award_id}", settings, "Return recorded")
        except (Invalid, Conflict) as exc:
            parsed.add(exc if isinstance(exc, Invalid) else Invalid(str(exc), field="period_start"))
    return _return_form(request, session, actor, award_id, parsed, status_code=400)


def _without_payment_fields(form: Any, award_id: int) -> Any:
    from starlette.datastructures import FormData

    items = [(k, v) for k, v in form.multi_items() if not k.startswith("payment-")]
    return FormData([*items, ("award_id", str(award_id))])


def _payment_rows(values: dict[str, Any]) -> tuple[list[Any], dict[str, str]]:
    from missionhub.procurement.schemas import PaymentIn

    payments, problems = [], {}
    for i in range(5):
        name = (values.get(f"payment-{i}-name") or "").strip()
        amount = (values.get(f"payment-{i}-amount") or "").strip()
        if not name and not amount:
            continue
        try:
            value = Decimal(amount.replace(",", "").replace("£", ""))
            if not value.is_finite() or value < 0:
                raise InvalidOperation
        except InvalidOperation:
            problems[f"payment-{i}-amount"] = f"Payment {i + 1}: enter the amount paid, in pounds"
            continue
        if not name:
            problems[f"payment-{i}-name"] = f"Payment {i + 1}: enter the subcontractor's name"
            continue
        payments.append(
            PaymentIn(
                subcontractor=name,
                amount=value,
                company_number=values.get(f"payment-{i}-number") or None,
            )
        )
    return payments, problems


@router.post(
    "/procurement/awards/{award_id}/named", response_class=HTMLResponse, response_model=None
)
async def declare_named(
    request: Request, award_id: PathId, session: DbSession, actor: SignedInActor,
    settings: AppSettings,
) -> Response:  # fmt: skip
    data, result = parse(
        DeclareIn, await request.form(),
        {"subcontractor": "Subcontractor", "named_on": "Date named",
         "planned_amount": "Planned amount"},
    )  # fmt: skip
    if data is None:
        raise Invalid("; ".join(result.errors.values()) or "Check the form")
    try:
        supply_chain.declare_subcontractor(session, actor=actor, award_id=award_id, data=data)
    except Conflict as exc:
        raise Invalid(str(exc), field="subcontractor") from exc
    return see_other(f"/procurement/awards/{award_id}", settings, "Subcontractor recorded")


@router.get("/procurement/returns-template.csv")
def returns_template(actor: SignedInActor) -> Response:
    return Response(
        supply_chain.template_csv(), media_type="text/csv; charset=utf-8",
        headers={"content-disposition": 'attachment; filename="supply-chain-returns.csv"'},
    )  # fmt: skip


@router.post("/procurement/returns/upload", response_class=HTMLResponse, response_model=None)
async def returns_upload(
    request: Request, session: DbSession, actor: SignedInActor, settings: AppSettings
) -> Response:
    form = await request.form()
    _, data = await read_upload(
        form.get("file"), settings, field="file", allowed_suffixes=(".csv",)
    )
    saved = supply_chain.import_returns(session, actor=actor, data=data)
    return see_other("/procurement", settings, f"{len(saved)} supply-chain returns recorded")


def _audit_params(request: Request) -> tuple[list[int], Decimal, int]:
    q = request.query_params
    ids = [int(v) for v in q.getlist("award") if v.isdigit()]
    try:
        share = Decimal(q.get("min_share") or "0.5")
        days = int(q.get("after_days") or "180")
    except (InvalidOperation, ValueError) as exc:
        raise Invalid("The share and the number of days must be numbers") from exc
    return ids, share, days


@router.get("/procurement/audit", response_class=HTMLResponse)
def audit_page(request: Request, session: DbSession, actor: SignedInActor) -> HTMLResponse:
    ids, share, days = _audit_params(request)
    choices = reports.awards_of(session, actor=actor)
    report = (
        reports.audit(session, actor=actor, award_ids=ids, min_share=share, after_days=days)
        if ids else None
    )  # fmt: skip
    return render(
        request, "procurement/audit.html",
        {"title": "Sidelined SMEs audit", "report": report, "choices": choices, "ids": ids,
         "min_share": share, "after_days": days, "query": request.url.query},
    )  # fmt: skip


@router.get("/procurement/audit.csv")
def audit_csv(request: Request, session: DbSession, actor: SignedInActor) -> Response:
    ids, share, days = _audit_params(request)
    report = reports.audit(session, actor=actor, award_ids=ids, min_share=share, after_days=days)
    return _csv(reports.audit_rows(report), "sidelined-smes-audit.csv")


# Pipeline ---------------------------------------------------------------------------------------

PLANNED_LABELS = {
    "title": "Title",
    "description": "Description",
    "estimated_value": "Estimated value",
    "notice_type": "Notice type",
    "publish_on": "Publication date",
    "tender_start": "Tender start",
    "contract_start": "Contract start",
    "contract_end": "Contract end",
    "mission_id": "Mission",
    "visibility": "Visibility",
}


@router.get("/pipeline", response_class=HTMLResponse)
def pipeline_list(request: Request, session: DbSession, actor: CurrentActor) -> HTMLResponse:
    items = pipeline.list_planned(session, actor=actor)
    return render(
        request, "procurement/pipeline.html",
        {"title": "Buying pipeline", "items": items, "officer": _is_officer(actor)},
    )  # fmt: skip


@router.get("/pipeline.json")
def pipeline_json(
    request: Request, session: DbSession, actor: CurrentActor, settings: AppSettings
) -> Response:
    items = pipeline.list_planned(session, actor=actor)
    package = pipeline.planning_package(session, items, base_url=_site(request, settings))
    return Response(json.dumps(package, indent=2), media_type="application/json")


def _planned_form(
    request: Request, session: Any, form: FormResult, status_code: int = 200
) -> HTMLResponse:
    missions = [(m.id, m.title) for m in session.scalars(select(Mission).order_by(Mission.number))]
    return render(
        request, "procurement/planned_form.html",
        {"title": "Publish a planned procurement", "form": form, "missions": missions,
         "notice_types": [(n.value, n.label) for n in NoticeType]},
        status_code=status_code,
    )  # fmt: skip


@router.get("/pipeline/new", response_class=HTMLResponse)
def new_planned(request: Request, session: DbSession, actor: SignedInActor) -> HTMLResponse:
    return _planned_form(request, session, FormResult({"notice_type": "UK3"}))


@router.post("/pipeline/new", response_class=HTMLResponse, response_model=None)
async def create_planned(
    request: Request, session: DbSession, actor: SignedInActor, settings: AppSettings
) -> Response:
    data, result = parse(PlannedIn, await request.form(), PLANNED_LABELS)
    if data is not None:
        try:
            planned = pipeline.create_planned(session, actor=actor, data=data)
            return see_other(f"/pipeline/{planned.id}", settings, "Planned procurement published")
        except Invalid as exc:
            result.add(exc)
    return _planned_form(request, session, result, status_code=400)


@router.get("/pipeline/{planned_id}.json")
def planned_json(
    request: Request,
    planned_id: PathId,
    session: DbSession,
    actor: CurrentActor,
    settings: AppSettings,
) -> Response:
    planned = pipeline.get_planned(session, actor=actor, planned_id=planned_id)
    package = pipeline.planning_package(session, [planned], base_url=_site(request, settings))
    return Response(json.dumps(package, indent=2), media_type="application/json")


@router.get("/pipeline/{planned_id}", response_class=HTMLResponse)
def planned_page(
    request: Request, planned_id: PathId, session: DbSession, actor: CurrentActor
) -> HTMLResponse:
    planned = pipeline.get_planned(session, actor=actor, planned_id=planned_id)
    mission = session.get(Mission, planned.mission_id) if planned.mission_id else None
    return render(
        request, "procurement/planned.html",
        {"title": planned.title, "planned": planned, "mission": mission},
    )  # fmt: skip
