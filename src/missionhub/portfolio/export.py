"""Projects as flat rows for CSV and JSON export (the same visibility rules as the pages)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session, selectinload

from missionhub.accounts.permissions import Actor
from missionhub.portfolio.models import Project
from missionhub.portfolio.projects import ProjectFilter, filtered_projects

CSV_COLUMNS = [
    "id",
    "title",
    "organisation",
    "stage",
    "paused",
    "visibility",
    "uses_ai",
    "atrs_capability",
    "atrs_function",
    "atrs_phase",
    "summary",
    "problem",
    "users",
    "approach",
    "stop_reason",
    "use_case_id",
    "missions",
    "unevidenced_links",
    "kpis",
    "total_funding",
    "source",
    "source_url",
    "assumed_fields",
    "created_at",
    "updated_at",
]


def project_rows(
    session: Session, *, actor: Actor, filters: ProjectFilter | None = None
) -> list[dict[str, Any]]:
    stmt = (
        filtered_projects(actor, filters or ProjectFilter())
        .order_by(Project.id)
        .options(
            selectinload(Project.mission_links),
            selectinload(Project.kpis),
            selectinload(Project.funding),
        )
    )
    return [project_row(p) for p in session.scalars(stmt)]


def project_row(p: Project) -> dict[str, Any]:
    return {
        "id": p.id,
        "title": p.title,
        "organisation": p.organisation.name,
        "stage": p.stage.value,
        "paused": p.paused,
        "visibility": p.visibility.value,
        "uses_ai": p.uses_ai,
        "atrs_capability": p.atrs_capability or "",
        "atrs_function": p.atrs_function or "",
        "atrs_phase": p.atrs_phase or "",
        "summary": p.summary,
        "problem": p.problem or "",
        "users": p.users or "",
        "approach": p.approach or "",
        "stop_reason": p.stop_reason.value if p.stop_reason else "",
        "use_case_id": p.use_case_id or "",
        "missions": ";".join(sorted({link.mission.slug for link in p.mission_links})),
        "unevidenced_links": sum(1 for link in p.mission_links if not link.evidenced),
        "kpis": ";".join(k.name for k in p.kpis),
        "total_funding": str(sum((f.amount for f in p.funding), start=0)),
        "source": p.source or "",
        "source_url": p.source_url or "",
        "assumed_fields": ";".join(sorted(p.assumed_fields or {})),
        "created_at": p.created_at.isoformat(),
        "updated_at": p.updated_at.isoformat(),
    }
