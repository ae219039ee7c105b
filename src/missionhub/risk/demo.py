"""Demo data for risk: appetite statements, set by the demo CIOs of the two demo departments.
They are invented and say so in their reason. No risks are invented: registers start empty (the
demo's projects are real public records, and fictional risks do not belong on them).
Safe to run again: nothing is duplicated."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from missionhub.accounts.models import Organisation, Role, User
from missionhub.accounts.permissions import Actor
from missionhub.accounts.service import actor_for
from missionhub.risk import appetite
from missionhub.risk.models import (
    AppetiteLevel,
    RiskAppetite,
    RiskCategory,
)
from missionhub.risk.schemas import AppetiteIn

DEMO_NOTE = "(demo data: an invented appetite statement)"
APPETITES: dict[str, dict[RiskCategory, AppetiteLevel]] = {
    "Department for Work and Pensions": {
        RiskCategory.TECHNOLOGY: AppetiteLevel.OPEN,
        RiskCategory.INFORMATION: AppetiteLevel.CAUTIOUS,
        RiskCategory.LEGAL: AppetiteLevel.MINIMAL,
        RiskCategory.SECURITY: AppetiteLevel.MINIMAL,
        RiskCategory.PEOPLE: AppetiteLevel.OPEN,
        RiskCategory.PROJECT: AppetiteLevel.OPEN,
    },
    "Ministry of Justice": {
        RiskCategory.TECHNOLOGY: AppetiteLevel.CAUTIOUS,
        RiskCategory.REPUTATIONAL: AppetiteLevel.MINIMAL,
    },
}
EXAMPLE_TITLE = "Example: AI-assisted sorting of claimant letters (demo)"


def _cio(session: Session, org: Organisation) -> User | None:
    return session.scalar(
        select(User).where(User.organisation_id == org.id, User.role == Role.CIO).order_by(User.id)
    )


def _appetites(session: Session) -> int:
    done = 0
    for name, levels in APPETITES.items():
        org = session.scalar(select(Organisation).where(Organisation.name == name))
        cio = _cio(session, org) if org else None
        if org is None or cio is None:
            continue
        if session.scalar(select(RiskAppetite.id).where(RiskAppetite.organisation_id == org.id)):
            continue
        for category, level in levels.items():
            appetite.set_appetite(
                session,
                actor=actor_for(cio),
                organisation_id=org.id,
                data=AppetiteIn(category=category, level=level, reason=DEMO_NOTE),
            )
            done += 1
    return done


def load(session: Session, *, data_dir: Path) -> str:
    """Load the demo appetites and example register; returns a one-line summary."""
    session.info.setdefault("actor", Actor.system("demo load"))
    levels = _appetites(session)
    return f"Risk: {levels} demo appetite levels set."
