"""Fetching risk records with the access rules applied (shared by the service modules)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from missionhub.accounts.permissions import Actor, require
from missionhub.errors import NotFound
from missionhub.portfolio.models import Project
from missionhub.portfolio.projects import get_project
from missionhub.risk import access
from missionhub.risk.models import Risk


def get_risk(session: Session, *, actor: Actor, risk_id: int) -> Risk:
    """A risk, to those who may read its details; to anyone else it does not exist."""
    risk = session.scalar(
        select(Risk)
        .where(Risk.id == risk_id)
        .options(selectinload(Risk.actions), selectinload(Risk.decisions))
    )
    if risk is None or not access.can_read_details(actor, risk.organisation_id):
        raise NotFound(f"No risk with id {risk_id}")
    return risk


def editable_risk(session: Session, *, actor: Actor, risk_id: int) -> Risk:
    risk = get_risk(session, actor=actor, risk_id=risk_id)
    require(
        access.can_change(actor, risk.organisation_id),
        "Only the owning department's team can change this risk",
    )
    return risk


def register_project(session: Session, *, actor: Actor, project_id: int) -> Project:
    """A project whose register the actor may read (NotFound if the project is hidden;
    PermissionDenied if the project is visible but its risks are not)."""
    project = get_project(session, actor=actor, project_id=project_id)
    require(
        access.can_read_details(actor, project.organisation_id),
        "Only the owning department can see this project's risks",
    )
    return project
