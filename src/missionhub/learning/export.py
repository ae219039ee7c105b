"""Exports: the catalogue (everything searchable the actor may see) as CSV or JSON rows, and an
ATRS v3-shaped record of the Tier 1 and Tier 2 fields the platform holds for an AI project."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from missionhub.accounts.permissions import Actor, visible_clause
from missionhub.errors import Invalid
from missionhub.learning.models import SearchDocument
from missionhub.portfolio.atrs_facets import CAPABILITIES, FUNCTIONS, PHASES
from missionhub.portfolio.projects import get_project

CATALOGUE_COLUMNS = [
    "kind",
    "id",
    "title",
    "organisation",
    "country",
    "source",
    "stage",
    "topic",
    "visibility",
    "url",
    "description",
]

# ATRS v3 fields the platform does not hold; listed so nobody mistakes silence for "none".
NOT_HELD = [
    "tier_1.contact_email",
    "tier_2.owner_and_responsibility.senior_responsible_owner",
    "tier_2.owner_and_responsibility.external_supplier",
    "tier_2.description_and_rationale.alternatives_considered",
    "tier_2.decision_making_process.process_integration",
    "tier_2.decision_making_process.human_oversight",
    "tier_2.decision_making_process.appeals_and_review",
    "tier_2.tool_specification.system_architecture",
    "tier_2.tool_specification.model_performance",
    "tier_2.data_specification",
    "tier_2.risks_mitigations_and_impact_assessments",
]


def catalogue_rows(session: Session, *, actor: Actor) -> list[dict[str, Any]]:
    d = SearchDocument
    stmt = (
        select(d)
        .where(visible_clause(actor, d.organisation_id, d.visibility))  # type: ignore[arg-type]
        .order_by(d.kind, d.ref_id)
    )
    return [
        {
            "kind": doc.kind.value,
            "id": doc.ref_id,
            "title": doc.title,
            "organisation": doc.organisation_name,
            "country": doc.country,
            "source": doc.source,
            "stage": doc.stage or "",
            "topic": doc.topic or "",
            "visibility": doc.visibility.value,
            "url": doc.url,
            "description": doc.body,
        }
        for doc in session.scalars(stmt)
    ]


def atrs_record(session: Session, *, actor: Actor, project_id: int) -> dict[str, Any]:
    """The ATRS v3 Tier 1 and Tier 2 fields held for an AI project the actor can read."""
    p = get_project(session, actor=actor, project_id=project_id)
    if not p.uses_ai:
        raise Invalid("Only a project that uses AI has an ATRS record", field="project_id")
    team = sorted({m.role.label for m in p.team})
    return {
        "schema": "Algorithmic Transparency Recording Standard v3 (fields held by Mission Hub)",
        "tier_1": {
            "name": p.title,
            "description": p.summary,
            "organisation": p.organisation.name,
            "website": p.source_url,
            "phase": PHASES.get(p.atrs_phase or ""),
            "function": FUNCTIONS.get(p.atrs_function or ""),
            "capability": CAPABILITIES.get(p.atrs_capability or ""),
        },
        "tier_2": {
            "owner_and_responsibility": {"organisation": p.organisation.name, "team": team},
            "description_and_rationale": {
                "detailed_description": p.approach,
                "scope": p.users,
                "benefit": p.problem,
            },
            "development": {"stage": p.stage.value, "stage_history": _stages(p)},
            "benefits_and_outcomes": [
                {
                    "kpi": k.name,
                    "unit": k.unit,
                    "baseline": str(k.baseline),
                    "target": str(k.target),
                }
                for k in p.kpis
            ],
        },
        "not_held": NOT_HELD,
        "provenance": {"source": p.source or "mission-hub", "licence": p.source_licence},
    }


def _stages(p: Any) -> list[dict[str, str]]:
    return [
        {"stage": e.stage.value, "entered": e.entered_at.date().isoformat()} for e in p.stage_events
    ]
