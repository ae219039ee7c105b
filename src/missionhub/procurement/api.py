"""JSON API for procurement: the SME share, the supplier register and the buying pipeline.

Every route calls the same service function as its page, so it never shows more than the page.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel

from missionhub.procurement import pipeline, reports, suppliers
from missionhub.web.deps import CurrentActor, DbSession

router = APIRouter(tags=["procurement"])


class ShareOut(BaseModel):
    rows: list[dict[str, Any]]
    totals: dict[str, Any]
    years: list[str]


class SupplierOut(BaseModel):
    id: int
    name: str
    identifier: str | None
    scale: str
    classifications: list[dict[str, Any]]


@router.get("/procurement/sme-share", summary="SME share by department and year (columns B-R)")
def sme_share(
    session: DbSession,
    actor: CurrentActor,
    year: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$")] = None,
) -> ShareOut:
    report = reports.sme_share_report(session, actor=actor, financial_year=year)
    return ShareOut(rows=report.rows, totals=report.totals, years=report.years)


@router.get("/procurement/suppliers/{supplier_id}", summary="A supplier and its SME provenance")
def supplier(
    supplier_id: Annotated[int, Path(gt=0, le=2**31 - 1)],
    session: DbSession,
    actor: CurrentActor,
) -> SupplierOut:
    found = suppliers.get_supplier(session, actor=actor, supplier_id=supplier_id)
    return SupplierOut(
        id=found.id,
        name=found.name,
        identifier=found.identifier,
        scale=found.scale.value,
        classifications=[
            {
                "scale": c.scale.value,
                "source": c.source.value,
                "ocid": c.ocid,
                "release_id": c.release_id,
                "observed_at": c.observed_at,
                "evidence": c.evidence,
            }
            for c in found.classifications
        ],
    )


@router.get("/procurement/pipeline", summary="Planned procurements as OCDS planning releases")
def pipeline_package(session: DbSession, actor: CurrentActor) -> dict[str, Any]:
    items = pipeline.list_planned(session, actor=actor)
    return pipeline.planning_package(session, items)
