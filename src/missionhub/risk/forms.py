"""What the risk pages share: field labels (for error messages) and choices."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from missionhub.db.base import MAX_ID
from missionhub.risk.adoption import PRINCIPLES, Assurance, DpiaStatus, PrincipleRating, Route
from missionhub.risk.models import (
    ActionKind,
    AppetiteLevel,
    AssessmentKind,
    Proximity,
    Response,
    RiskCategory,
    RiskStatus,
)
from missionhub.risk.scoring import IMPACT_LABELS, LIKELIHOOD_LABELS

RISK_LABELS = {
    "title": "Short name",
    "cause": "Cause",
    "event": "Event",
    "effect": "Effect",
    "category": "Category",
    "owner": "Risk owner",
    "inherent_likelihood": "Inherent likelihood",
    "inherent_impact": "Inherent impact",
    "residual_likelihood": "Residual likelihood",
    "residual_impact": "Residual impact",
    "proximity": "Proximity",
    "review_on": "Next review date",
    "status": "Status",
}
ACTION_LABELS = {
    "kind": "Control or mitigation",
    "description": "Description",
    "owner": "Owner",
    "due_on": "Due date",
    "done_on": "Date done",
}
DECISION_LABELS = {
    "response": "Decision",
    "rationale": "Rationale",
    "conditions": "Conditions",
    "expires_on": "Expiry date",
}
APPETITE_LABELS = {"category": "Category", "level": "Appetite level", "reason": "Reason"}
SCALE_LABELS = {level.value: f"{level.label}" for level in AppetiteLevel} | {"reason": "Reason"}
ASSESSMENT_LABELS = {
    "product": "Product name",
    "supplier": "Supplier",
    "kind": "Kind of product",
    "purpose": "Purpose",
    "project_id": "Project",
    "dpia": "Data protection impact assessment",
    "security": "Security assurance",
    "supplier_assurance": "Supplier assurance",
    "special_category_data": "Special category data",
    "notes": "Notes",
} | {p.key: f"Principle {p.number}" for p in PRINCIPLES}
ASSESSMENT_DECISION_LABELS = {
    "route": "Route",
    "rationale": "Rationale",
    "conditions": "Conditions",
    "review_on": "Review date",
}


def choices() -> dict[str, Any]:
    return {
        "categories": [(c.value, c.label) for c in RiskCategory],
        "levels": [(lv.value, f"{lv.label}: {lv.description}") for lv in AppetiteLevel],
        "statuses": [(s.value, s.label) for s in RiskStatus],
        "proximities": [(p.value, p.label) for p in Proximity],
        "likelihoods": [(n, f"{n}: {label}") for n, label in LIKELIHOOD_LABELS.items()],
        "impacts": [(n, f"{n}: {label}") for n, label in IMPACT_LABELS.items()],
        "action_kinds": [(k.value, k.label) for k in ActionKind],
        "responses": [(r.value, r.label) for r in Response],
        "kinds": [(k.value, k.label) for k in AssessmentKind],
        "dpia_statuses": [(d.value, d.label) for d in DpiaStatus],
        "assurances": [(a.value, a.label) for a in Assurance],
        "ratings": [(r.value, r.label) for r in PrincipleRating],
        "routes": [(r.value, r.label) for r in Route],
        "principles": PRINCIPLES,
    }


def int_or_none(value: str | None) -> int | None:
    """A positive id from a query string, or None (out of range counts as absent)."""
    number = int(value) if value and value.isascii() and value.isdigit() else 0
    return number if 1 <= number <= MAX_ID else None


def form_values(obj: Any, fields: list[str] | dict[str, Any]) -> dict[str, Any]:
    """A record's values as a form shows them (dates split into day, month, year)."""
    values: dict[str, Any] = {}
    for name in fields:
        value = getattr(obj, name, None) if not isinstance(obj, dict) else obj.get(name)
        if isinstance(value, date) and not isinstance(value, datetime):
            values.update(
                {f"{name}-day": value.day, f"{name}-month": value.month, f"{name}-year": value.year}
            )
        elif value is None:
            values[name] = ""
        elif isinstance(value, bool):
            if value:
                values[name] = "true"
        else:
            values[name] = value.value if hasattr(value, "value") else value
    return values
