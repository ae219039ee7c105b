"""Demo data: the real US and EU inventories, and one example case study and component.

The example case study and component are written from a real published ATRS record's
description and say so in their text; nothing else is invented. Safe to run again.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from missionhub.accounts.permissions import Actor, Visibility
from missionhub.learning import library, records
from missionhub.learning.models import (
    CaseStudy,
    CaseStudyStatus,
    Component,
    ComponentKind,
    Maturity,
)
from missionhub.learning.schemas import CaseStudyIn, ComponentIn
from missionhub.portfolio.atrs import SOURCE as ATRS
from missionhub.portfolio.models import Project

EXAMPLE_TITLE = "Ask HMRC online: what a digital assistant taught us (example)"
COMPONENT_NAME = "Digital assistant pattern (example)"
EXAMPLE_RECORD = "https://www.gov.uk/algorithmic-transparency-records/hmrc-ask-hmrc-online"


def load(session: Session, *, data_dir: Path) -> str:
    system = Actor.system("demo load")
    folder = data_dir / "registry"
    reports = [
        records.import_file(session, actor=system, path=folder / name, source=source)
        for source, name in records.DEFAULT_FILES
        if source != records.ATRS_SOURCE  # the spine's demo already imported the ATRS index
    ]
    _example(session, system)
    loaded = sum(r.created + r.updated + r.unchanged for r in reports)
    skipped = sum(len(r.skipped) for r in reports)
    return (
        f"Learning: {loaded} inventory records ({skipped} bad rows skipped, see `learning import`)."
    )


def _example(session: Session, system: Actor) -> None:
    if session.scalar(select(CaseStudy.id).where(CaseStudy.title == EXAMPLE_TITLE)):
        return
    project = session.scalar(
        select(Project).where(Project.source == ATRS, Project.source_id == EXAMPLE_RECORD)
    )
    if project is None:
        return
    actor = Actor(None, system.role, project.organisation_id, True, "demo load")
    component = session.scalar(select(Component).where(Component.name == COMPONENT_NAME))
    if component is None:
        component = library.create_component(
            session,
            actor=actor,
            data=ComponentIn(
                name=COMPONENT_NAME,
                kind=ComponentKind.PATTERN,
                description="How a department answers common questions online with a digital "
                "assistant, as described in the published ATRS record for Ask HMRC online. "
                "(An example component loaded with the demo data.)",
                owner="HMRC digital assistant team (example)",
                maturity=Maturity.IN_USE,
                documentation_url=EXAMPLE_RECORD,
                visibility=Visibility.PUBLISHED,
            ),
        )
    study = library.create_case_study(
        session,
        actor=actor,
        data=CaseStudyIn(
            project_id=project.id,
            title=EXAMPLE_TITLE,
            summary=project.summary,
            problem="Many people contact HMRC with common questions that a digital assistant can "
            "answer at any time. (An example case study written from the published ATRS "
            "record's description; the outcomes are not stated there.)",
            contact_role="HMRC digital assistant team (example)",
            links=EXAMPLE_RECORD,
            component_ids=[component.id],
        ),
    )
    study.status = CaseStudyStatus.IN_REVIEW
    library.publish(session, actor=system, case_study_id=study.id, note="Example, demo data")
