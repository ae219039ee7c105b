"""The five missions of the 2024 government and their milestones as measurable metrics.

Source: "Plan for Change: Milestones for mission-led government" (Prime Minister's Office,
December 2024) and the missions set out in July 2024. Baselines are given only where the
source states one; the rest are left for an admin to fill in, with a note saying so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from missionhub.portfolio.models import Direction, Milestone, Mission

PLAN_FOR_CHANGE = "https://www.gov.uk/missions"
END_OF_PARLIAMENT = date(2029, 7, 31)
PARLIAMENT_NOTE = "Target date: the end of this Parliament (taken as July 2029)."


@dataclass(frozen=True)
class MilestoneSeed:
    slug: str
    title: str
    metric: str
    unit: str
    direction: Direction
    target: Decimal | None
    target_date: date | None
    baseline: Decimal | None = None
    baseline_date: date | None = None
    note: str = ""


MISSIONS: list[tuple[int, str, str, str, list[MilestoneSeed]]] = [
    (
        1,
        "economic-growth",
        "Kickstart economic growth",
        "Secure the highest sustained growth in the G7, with good jobs and productivity growth in "
        "every part of the country.",
        [
            MilestoneSeed(
                "living-standards",
                "Raising living standards in every part of the UK",
                "Real household disposable income per person",
                "% change since July 2024",
                Direction.INCREASE,
                None,
                END_OF_PARLIAMENT,
                Decimal(0),
                date(2024, 7, 1),
                "The milestone asks for higher income per person by the end of the Parliament; "
                "no numeric target is set. " + PARLIAMENT_NOTE,
            ),
            MilestoneSeed(
                "homes",
                "Building 1.5 million homes in England",
                "Net additional homes in England since July 2024",
                "homes",
                Direction.INCREASE,
                Decimal(1_500_000),
                END_OF_PARLIAMENT,
                Decimal(0),
                date(2024, 7, 1),
                PARLIAMENT_NOTE,
            ),
            MilestoneSeed(
                "infrastructure-decisions",
                "Fast-tracking planning decisions on major infrastructure projects",
                "Planning decisions on major economic infrastructure projects since July 2024",
                "decisions",
                Direction.INCREASE,
                Decimal(150),
                END_OF_PARLIAMENT,
                Decimal(0),
                date(2024, 7, 1),
                PARLIAMENT_NOTE,
            ),
        ],
    ),
    (
        2,
        "nhs",
        "Build an NHS fit for the future",
        "Build an NHS fit for the future that is there when people need it, with fewer lives lost "
        "to the biggest killers.",
        [
            MilestoneSeed(
                "elective-waits",
                "Ending hospital backlogs",
                "Patients in England waiting no longer than 18 weeks for elective treatment",
                "% of patients",
                Direction.INCREASE,
                Decimal(92),
                date(2029, 3, 31),
                Decimal(59),
                date(2024, 10, 31),
                "Baseline: the Plan for Change gives about 59% in late 2024.",
            ),
        ],
    ),
    (
        3,
        "safer-streets",
        "Safer streets",
        "Halve serious violent crime and raise confidence in the police and criminal justice "
        "system to its highest levels.",
        [
            MilestoneSeed(
                "neighbourhood-officers",
                "Putting police back on the beat",
                "Additional police officers, PCSOs and special constables in neighbourhood roles",
                "officers",
                Direction.INCREASE,
                Decimal(13_000),
                END_OF_PARLIAMENT,
                Decimal(0),
                date(2024, 7, 1),
                PARLIAMENT_NOTE,
            ),
        ],
    ),
    (
        4,
        "opportunity",
        "Break down barriers to opportunity",
        "Break the link between young people's background and their success.",
        [
            MilestoneSeed(
                "ready-to-learn",
                "Giving children the best start in life",
                "Five-year-olds in England reaching a good level of development",
                "% of children",
                Direction.INCREASE,
                Decimal(75),
                date(2028, 7, 31),
                note="Baseline to be entered by an admin from the latest Early Years Foundation "
                "Stage Profile results.",
            ),
        ],
    ),
    (
        5,
        "clean-energy",
        "Make Britain a clean energy superpower",
        "Cut bills, create jobs and deliver security with cheaper, zero-carbon electricity "
        "by 2030.",
        [
            MilestoneSeed(
                "clean-power",
                "Clean Power by 2030",
                "Great Britain's electricity generation from clean sources",
                "% of generation",
                Direction.INCREASE,
                Decimal(95),
                date(2030, 12, 31),
                note="Baseline to be entered by an admin from the latest energy statistics.",
            ),
        ],
    ),
]


def seed_missions(session: Session) -> int:
    """Create missing missions and milestones; existing ones (maybe edited) are kept."""
    created = 0
    for number, slug, title, summary, milestones in MISSIONS:
        mission = session.scalar(select(Mission).where(Mission.slug == slug))
        if mission is None:
            mission = Mission(
                slug=slug, number=number, title=title, summary=summary, source_url=PLAN_FOR_CHANGE
            )
            session.add(mission)
            created += 1
        for seed in milestones:
            if session.scalar(select(Milestone.id).where(Milestone.slug == seed.slug)) is None:
                mission.milestones.append(_milestone(seed))
                created += 1
    session.flush()
    return created


def _milestone(seed: MilestoneSeed) -> Milestone:
    return Milestone(
        slug=seed.slug,
        title=seed.title,
        metric=seed.metric,
        unit=seed.unit,
        direction=seed.direction,
        baseline=seed.baseline,
        baseline_date=seed.baseline_date,
        target=seed.target,
        target_date=seed.target_date,
        source_note=seed.note or None,
    )
