"""Who may see and do what. Every service function asks these rules; templates only mirror them.

Visibility of a record:
- ``draft``: its owning organisation's people (and admins);
- ``internal``: every civil servant (users of a public-sector organisation);
- ``published``: everyone, including anonymous visitors.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, false, or_, true
from sqlalchemy.orm import InstrumentedAttribute

from missionhub.accounts.models import Role
from missionhub.errors import PermissionDenied


class Visibility(StrEnum):
    DRAFT = "draft"
    INTERNAL = "internal"
    PUBLISHED = "published"

    @property
    def label(self) -> str:
        return {
            "draft": "Draft (own organisation)",
            "internal": "Internal (all civil servants)",
            "published": "Published (everyone)",
        }[self.value]


@dataclass(frozen=True, slots=True)
class Actor:
    """The person (or process) on whose behalf a service function runs."""

    user_id: int | None
    role: Role | None
    organisation_id: int | None
    public_sector: bool
    label: str

    @classmethod
    def public(cls) -> Actor:
        return cls(None, None, None, False, "Public")

    @classmethod
    def system(cls, label: str = "system") -> Actor:
        """A trusted process (CLI administration, importers): admin powers, no user."""
        return cls(None, Role.ADMIN, None, True, label)

    @property
    def is_authenticated(self) -> bool:
        return self.role is not None

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    @property
    def is_civil_servant(self) -> bool:
        return self.role is not None and self.role is not Role.SUPPLIER and self.public_sector

    def belongs_to(self, organisation_id: int | None) -> bool:
        return organisation_id is not None and self.organisation_id == organisation_id

    def is_cio_of(self, organisation_id: int | None) -> bool:
        return self.role is Role.CIO and self.belongs_to(organisation_id)


STAFF_ROLES = frozenset({Role.MEMBER, Role.CIO, Role.COMMERCIAL})


def can_read(actor: Actor, *, owner_org_id: int | None, visibility: Visibility) -> bool:
    if visibility is Visibility.PUBLISHED or actor.is_admin:
        return True
    if visibility is Visibility.INTERNAL:
        return actor.is_civil_servant
    return actor.is_civil_servant and actor.belongs_to(owner_org_id)


def visible_clause(
    actor: Actor, org_col: InstrumentedAttribute[int], vis_col: InstrumentedAttribute[Visibility]
) -> ColumnElement[bool]:
    """The SQL form of :func:`can_read`, for lists and counts."""
    if actor.is_admin:
        return true()
    published = vis_col == Visibility.PUBLISHED
    if not actor.is_civil_servant:
        return published
    own_draft = (org_col == actor.organisation_id) if actor.organisation_id is not None else false()
    return or_(vis_col.in_([Visibility.PUBLISHED, Visibility.INTERNAL]), own_draft)


def readable(actor: Actor, record: Any) -> bool:
    """Whether ``actor`` may read a record that has ``organisation_id`` and ``visibility``
    (for records linked from a page the actor is reading: show a link only if this holds)."""
    return record is not None and can_read(
        actor, owner_org_id=record.organisation_id, visibility=record.visibility
    )


def can_edit(actor: Actor, *, owner_org_id: int | None) -> bool:
    """Staff of the owning organisation, or an admin, may change its records."""
    if actor.is_admin:
        return True
    return actor.role in STAFF_ROLES and actor.belongs_to(owner_org_id)


def require(allowed: bool, message: str) -> None:
    """Raise :class:`PermissionDenied` with ``message`` unless ``allowed``."""
    if not allowed:
        raise PermissionDenied(message)


def require_admin(actor: Actor) -> None:
    require(actor.is_admin, "Only an administrator can do this")
