"""Demo data for risk: appetite statements for the demo departments and one fictional example
project (a draft, so only its department sees it) with a small register. Everything here is
invented and labelled as such. Safe to run again: nothing is duplicated."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from missionhub.accounts.models import Organisation, Role, User
from missionhub.accounts.permissions import Actor, Visibility
from missionhub.accounts.service import actor_for
from missionhub.portfolio.models import Project
from missionhub.portfolio.projects import register_project
from missionhub.portfolio.schemas import ProjectIn
from missionhub.risk import appetite, escalation, register
from missionhub.risk.models import (
    AppetiteLevel,
    Proximity,
    Response,
    RiskAppetite,
    RiskCategory,
)
from missionhub.risk.schemas import AppetiteIn, RiskDecisionIn, RiskIn

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


def _risk(title: str, category: RiskCategory, residual: tuple[int, int], days: int) -> RiskIn:
    return RiskIn(
        title=title,
        cause="letters arrive in many formats and the model was trained on a sample of them",
        event=f"{title.lower()}",
        effect="claimants wait longer for a reply (an invented example)",
        category=category,
        owner="Service owner (demo)",
        inherent_likelihood=5,
        inherent_impact=4,
        residual_likelihood=residual[0],
        residual_impact=residual[1],
        proximity=Proximity.NEAR,
        review_on=date.today() + timedelta(days=days),
    )


def _example_project(session: Session) -> int:
    if session.scalar(select(Project.id).where(Project.title == EXAMPLE_TITLE)):
        return 0
    dwp = session.scalar(
        select(Organisation).where(Organisation.name == "Department for Work and Pensions")
    )
    if dwp is None:
        return 0
    member = session.scalar(
        select(User).where(User.organisation_id == dwp.id, User.role == Role.MEMBER)
    )
    cio = _cio(session, dwp)
    if member is None or cio is None:
        return 0
    team = actor_for(member)
    project = register_project(
        session,
        actor=team,
        data=ProjectIn(
            title=EXAMPLE_TITLE,
            summary="An invented project that shows a risk register, escalation and a decision.",
            uses_ai=True,
            visibility=Visibility.DRAFT,
        ),
    )
    for title, category, residual, days in (
        ("Letters are sorted to the wrong team", RiskCategory.TECHNOLOGY, (3, 3), 30),
        ("Personal data is sent to the supplier", RiskCategory.INFORMATION, (3, 4), 14),
        ("Caseworkers over-trust the suggestions", RiskCategory.PEOPLE, (4, 4), -5),
    ):
        register.add_risk(
            session, actor=team, project_id=project.id, data=_risk(title, category, residual, days)
        )
    worst = register.list_risks(
        session, actor=team, filters=register.RiskFilter(project_id=project.id)
    )[0]
    escalation.decide(
        session,
        actor=actor_for(cio),
        risk_id=worst.id,
        data=RiskDecisionIn(
            response=Response.TOLERATE,
            rationale="Caseworkers check every suggestion during the pilot (demo decision)",
            expires_on=date.today() + timedelta(days=90),
        ),
    )
    return 3


def load(session: Session, *, data_dir: Path) -> str:
    """Load the demo appetites and example register; returns a one-line summary."""
    session.info.setdefault("actor", Actor.system("demo load"))
    levels = _appetites(session)
    risks = _example_project(session)
    return f"Risk: {levels} demo appetite levels set; {risks} example risks added."
