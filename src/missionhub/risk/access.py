"""Who may see and do what with risk information.

Risk details (registers, decisions, assessments) are sensitive: only the owning department's
civil servants (its CIO among them) and administrators may read them; its staff may change
them; only its Chief Innovation Officer decides. Aggregates without detail may be public.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, true
from sqlalchemy.orm import InstrumentedAttribute

from missionhub.accounts.permissions import Actor, can_edit, require


def can_read_details(actor: Actor, organisation_id: int | None) -> bool:
    return actor.is_admin or (actor.is_civil_servant and actor.belongs_to(organisation_id))


def can_change(actor: Actor, organisation_id: int | None) -> bool:
    return can_edit(actor, owner_org_id=organisation_id)


def can_decide(actor: Actor, organisation_id: int | None) -> bool:
    return actor.is_cio_of(organisation_id)


def detail_clause(actor: Actor, org_col: InstrumentedAttribute[int]) -> ColumnElement[bool]:
    """The SQL form of :func:`can_read_details`, for lists."""
    if actor.is_admin:
        return true()
    if not actor.is_civil_servant or actor.organisation_id is None:
        return false()
    return org_col == actor.organisation_id


def require_decider(actor: Actor, organisation_id: int | None, what: str = "risk") -> None:
    require(
        can_decide(actor, organisation_id),
        f"Only the owning department's Chief Innovation Officer can take {what} decisions",
    )
