"""JSON API for search, similar projects, case studies, components, records and exports.

Every route calls the same service function as its page, so it never shows more than the page.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict
from sqlalchemy.orm import Session

from missionhub.accounts.permissions import Actor, Visibility
from missionhub.learning import export, library, records, similar
from missionhub.learning.models import (
    CaseStudyStatus,
    ComponentKind,
    DocKind,
    Maturity,
    SearchDocument,
)
from missionhub.learning.schemas import CaseStudyIn, ComponentIn, ReuseIn
from missionhub.learning.search import SearchQuery, search
from missionhub.web.deps import CurrentActor, DbSession, PathId

router = APIRouter(prefix="/learning", tags=["learning"])


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class DocumentOut(_Out):
    kind: DocKind
    ref_id: int
    title: str
    organisation_name: str
    country: str
    source: str
    stage: str | None
    topic: str | None
    visibility: Visibility
    url: str


class HitOut(BaseModel):
    document: DocumentOut
    title_html: str
    snippet_html: str
    score: float | None


class SearchPageOut(BaseModel):
    items: list[HitOut]
    total: int
    page: int
    page_size: int


class SimilarOut(BaseModel):
    document: DocumentOut
    score: float
    verdict: str | None = None


class CaseStudyOut(_Out):
    id: int
    organisation_id: int
    project_id: int | None
    title: str
    summary: str
    problem: str
    users: str | None
    approach: str | None
    outcomes: str | None
    kpi_evidence: str | None
    cost: Decimal | None
    worked: str | None
    did_not_work: str | None
    contact_role: str
    contact_email: str | None
    links: list[str] | None
    status: CaseStudyStatus
    updated_at: datetime


class ComponentOut(_Out):
    id: int
    organisation_id: int
    name: str
    kind: ComponentKind
    description: str
    owner: str
    licence: str | None
    maturity: Maturity
    documentation_url: str | None
    visibility: Visibility
    reuse_count: int


class RecordOut(_Out):
    id: int
    source: str
    source_id: str
    source_file: str
    source_line: int
    source_url: str | None
    licence: str
    title: str
    description: str
    organisation: str
    unit: str | None
    country: str
    topic: str | None
    capability: str | None
    stage: str | None
    source_stage: str | None


def _doc(d: SearchDocument) -> DocumentOut:
    return DocumentOut.model_validate(d)


@router.get("/search", summary="Search projects, case studies, components and records")
def search_api(
    session: DbSession,
    actor: CurrentActor,
    q: Annotated[str, Query(max_length=200)] = "",
    kind: DocKind | None = None,
    organisation: Annotated[str | None, Query(max_length=200)] = None,
    country: Annotated[str | None, Query(max_length=60)] = None,
    mission_id: Annotated[int | None, Query(gt=0)] = None,
    stage: Annotated[str | None, Query(max_length=40)] = None,
    topic: Annotated[str | None, Query(max_length=200)] = None,
    source: Annotated[str | None, Query(max_length=40)] = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=100)] = 20,
) -> SearchPageOut:
    query = SearchQuery(q, kind, organisation, country, mission_id, stage, topic, source)
    result = search(session, actor=actor, query=query, page=page, page_size=page_size)
    return SearchPageOut(
        items=[
            HitOut(
                document=_doc(h.document),
                title_html=h.title_html,
                snippet_html=h.snippet_html,
                score=h.score,
            )
            for h in result.items
        ],
        total=result.total,
        page=result.page,
        page_size=result.page_size,
    )


@router.get("/similar", summary="Records like a project, or like a description")
def similar_api(
    session: DbSession,
    actor: CurrentActor,
    project_id: Annotated[int | None, Query(gt=0)] = None,
    text: Annotated[str | None, Query(max_length=20_000)] = None,
    limit: Annotated[int, Query(ge=1, le=20)] = 5,
) -> list[SimilarOut]:
    if project_id is not None:
        found = similar.similar_to_project(session, actor=actor, project_id=project_id, limit=limit)
    else:
        found = similar.similar_to_text(session, actor=actor, text=text or "", limit=limit)
    return [
        SimilarOut(
            document=_doc(s.document),
            score=round(s.score, 4),
            verdict=s.decision.verdict.value if s.decision else None,
        )
        for s in found
    ]


@router.get("/case-studies", summary="Case studies you can see")
def list_case_studies(
    session: DbSession,
    actor: CurrentActor,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=200)] = 20,
) -> list[CaseStudyOut]:
    result = library.list_case_studies(session, actor=actor, page=page, page_size=page_size)
    return [CaseStudyOut.model_validate(s) for s in result.items]


@router.post("/case-studies", status_code=201, summary="Write a case study (a draft)")
def create_case_study(data: CaseStudyIn, session: DbSession, actor: CurrentActor) -> CaseStudyOut:
    return CaseStudyOut.model_validate(library.create_case_study(session, actor=actor, data=data))


@router.get("/case-studies/{case_study_id}", summary="One case study")
def get_case_study(case_study_id: PathId, session: DbSession, actor: CurrentActor) -> CaseStudyOut:
    return CaseStudyOut.model_validate(
        library.get_case_study(session, actor=actor, case_study_id=case_study_id)
    )


def _components(session: Session, actor: Actor, components: list[Any]) -> list[ComponentOut]:
    """Components with the number of projects *the caller can see* that reuse each."""
    counts = library.visible_reuse_counts(
        session, actor=actor, component_ids=[c.id for c in components]
    )
    return [
        ComponentOut.model_validate(
            {
                **{k: getattr(c, k) for k in ComponentOut.model_fields if hasattr(c, k)},
                "reuse_count": counts.get(c.id, 0),
            }
        )
        for c in components
    ]


@router.get("/components", summary="Reusable components you can see")
def list_components(
    session: DbSession,
    actor: CurrentActor,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=200)] = 20,
) -> list[ComponentOut]:
    result = library.list_components(session, actor=actor, page=page, page_size=page_size)
    return _components(session, actor, result.items)


@router.post("/components", status_code=201, summary="Add a reusable component")
def create_component(data: ComponentIn, session: DbSession, actor: CurrentActor) -> ComponentOut:
    return _components(session, actor, [library.create_component(session, actor=actor, data=data)])[
        0
    ]


@router.post(
    "/projects/{project_id}/reuses",
    status_code=201,
    summary="Record that a project reuses a component",
)
def record_reuse(
    project_id: PathId, data: ReuseIn, session: DbSession, actor: CurrentActor
) -> ComponentOut:
    reuse = library.record_reuse(session, actor=actor, project_id=project_id, data=data)
    return _components(session, actor, [reuse.component])[0]


@router.get("/records/{record_id}", summary="One imported inventory record, with provenance")
def get_record(record_id: PathId, session: DbSession) -> RecordOut:
    record = records.get_record(session, record_id=record_id)
    data = {k: getattr(record, k) for k in RecordOut.model_fields}
    data["stage"] = record.stage.value if record.stage else None
    return RecordOut.model_validate(data)


@router.get("/catalogue", summary="The catalogue of everything searchable you can see")
def catalogue(session: DbSession, actor: CurrentActor) -> list[dict[str, Any]]:
    return export.catalogue_rows(session, actor=actor)


@router.get("/projects/{project_id}/atrs", summary="ATRS v3 fields held for an AI project")
def atrs(project_id: PathId, session: DbSession, actor: CurrentActor) -> dict[str, Any]:
    return export.atrs_record(session, actor=actor, project_id=project_id)
