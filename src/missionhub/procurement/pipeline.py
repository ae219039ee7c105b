"""The buying pipeline: planned procurements as GOV.UK pages and as OCDS planning releases with
the UK notice type (Procurement Act 2023: UK1 pipeline, UK2 preliminary market engagement, UK3
planned procurement), valid against the OCDS 1.1.5 release schema."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from missionhub.accounts.models import Organisation
from missionhub.accounts.permissions import Actor, can_read, visible_clause
from missionhub.errors import Invalid, NotFound
from missionhub.portfolio.models import Mission, UseCase
from missionhub.procurement.ingest import require_commercial
from missionhub.procurement.models import NoticeType, PlannedProcurement
from missionhub.procurement.schemas import PlannedIn

# A placeholder prefix: a publisher registers its own with the Open Contracting Partnership.
OCID_PREFIX = "ocds-mhub01"
DOCUMENT_TYPES = {
    NoticeType.UK1: "pipelineNotice",
    NoticeType.UK2: "marketEngagementNotice",
    NoticeType.UK3: "plannedProcurementNotice",
}


def create_planned(session: Session, *, actor: Actor, data: PlannedIn) -> PlannedProcurement:
    require_commercial(actor)
    org_id = data.organisation_id if actor.is_admin and data.organisation_id else None
    org_id = org_id or actor.organisation_id
    org = session.get(Organisation, org_id) if org_id else None
    if org is None or not org.is_public_sector:
        raise Invalid("Choose the department that will buy", field="organisation_id")
    if data.mission_id and session.get(Mission, data.mission_id) is None:
        raise Invalid("No such mission", field="mission_id")
    if data.use_case_id:
        use_case = session.get(UseCase, data.use_case_id)
        if use_case is None or not can_read(
            actor, owner_org_id=use_case.organisation_id, visibility=use_case.visibility
        ):
            raise Invalid("No such use case", field="use_case_id")
    planned = PlannedProcurement(
        **data.model_dump(exclude={"organisation_id"}),
        organisation_id=org.id,
        ocid=f"{OCID_PREFIX}-{uuid.uuid4()}",
        created_by_id=actor.user_id,
    )
    session.add(planned)
    session.flush()
    return planned


def list_planned(
    session: Session, *, actor: Actor, organisation_id: int | None = None
) -> list[PlannedProcurement]:
    stmt = (
        select(PlannedProcurement)
        .where(
            visible_clause(actor, PlannedProcurement.organisation_id, PlannedProcurement.visibility)
        )
        .order_by(PlannedProcurement.publish_on, PlannedProcurement.id)
    )
    if organisation_id:
        stmt = stmt.where(PlannedProcurement.organisation_id == organisation_id)
    return list(session.scalars(stmt))


def get_planned(session: Session, *, actor: Actor, planned_id: int) -> PlannedProcurement:
    planned = session.get(PlannedProcurement, planned_id)
    if planned is None or not can_read(
        actor, owner_org_id=planned.organisation_id, visibility=planned.visibility
    ):
        raise NotFound(f"No planned procurement {planned_id}")
    return planned


def _stamp(day: date) -> str:
    return datetime(day.year, day.month, day.day, tzinfo=UTC).isoformat().replace("+00:00", "Z")


def planning_release(
    planned: PlannedProcurement, *, base_url: str = "", mission: str | None = None
) -> dict[str, Any]:
    """The planned procurement as an OCDS planning release with its UK notice type."""
    org = planned.organisation
    buyer = {"id": f"GB-MHUB-{org.slug}", "name": org.name}
    updated = planned.updated_at or planned.created_at
    page = f"{base_url}/pipeline/{planned.id}"
    release: dict[str, Any] = {
        "ocid": planned.ocid,
        "id": f"{planned.ocid}-planning-{updated:%Y%m%dT%H%M%S}",
        "date": updated.isoformat().replace("+00:00", "Z"),
        "tag": ["planning"],
        "initiationType": "tender",
        "language": "en",
        "parties": [{**buyer, "roles": ["buyer"]}],
        "buyer": buyer,
        "planning": {
            "budget": {
                "description": "Estimated value",
                "amount": {"amount": float(planned.estimated_value), "currency": "GBP"},
            },
            "documents": [
                {
                    "id": f"{planned.id}-{planned.notice_type.value}",
                    "documentType": DOCUMENT_TYPES[planned.notice_type],
                    "noticeType": planned.notice_type.value,
                    "title": planned.notice_type.label,
                    "url": page,
                    "datePublished": _stamp(planned.publish_on),
                    "format": "text/html",
                    "language": "en",
                }
            ],
        },
        "tender": {
            "id": str(planned.id),
            "title": planned.title,
            "description": planned.description,
            "status": "planned",
            "value": {"amount": float(planned.estimated_value), "currency": "GBP"},
            "suitability": {"sme": planned.sme_suitable},
        },
    }
    if mission:
        release["planning"]["rationale"] = f"Supports the mission: {mission}"
    if planned.tender_start:
        release["tender"]["tenderPeriod"] = {"startDate": _stamp(planned.tender_start)}
    period = {
        k: _stamp(v)
        for k, v in (("startDate", planned.contract_start), ("endDate", planned.contract_end))
        if v
    }
    if period:
        release["tender"]["contractPeriod"] = period
    return release


def planning_package(
    session: Session, items: list[PlannedProcurement], *, base_url: str = ""
) -> dict[str, Any]:
    missions = {m.id: m.title for m in session.scalars(select(Mission))}
    return {
        "uri": f"{base_url}/pipeline.json",
        "version": "1.1",
        "publishedDate": datetime.now(UTC)
        .replace(microsecond=0)
        .isoformat()
        .replace("+00:00", "Z"),
        "publisher": {"name": "Mission Hub"},
        "license": "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
        "releases": [
            planning_release(p, base_url=base_url, mission=missions.get(p.mission_id or 0))
            for p in items
        ],
    }


__all__ = ["create_planned", "get_planned", "list_planned", "planning_package", "planning_release"]
