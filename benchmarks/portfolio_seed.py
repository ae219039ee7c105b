"""Seed a store with many projects quickly (bulk inserts), for the page benchmarks.

Projects are spread over the real departments and missions, with stage histories, KPIs with
actuals, mission links (some unevidenced) and team roles, like a portfolio a few years in.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select

from missionhub.accounts.models import Organisation
from missionhub.accounts.permissions import Actor, Visibility
from missionhub.accounts.seed import seed_departments
from missionhub.db.session import Database
from missionhub.portfolio.models import (
    STAGE_ORDER,
    Direction,
    Kpi,
    KpiActual,
    Milestone,
    MissionLink,
    Project,
    Sourcing,
    Stage,
    StageEvent,
    StopReason,
    TeamMember,
    TeamRole,
)
from missionhub.portfolio.seed import seed_missions

WORDS = (
    "appointment",
    "reminders",
    "fraud",
    "triage",
    "correspondence",
    "routing",
    "planning",
    "permission",
    "court",
    "attendance",
    "benefit",
    "eligibility",
    "flood",
    "forecasting",
    "school",
    "readiness",
    "housing",
    "repairs",
    "energy",
    "advice",
    "prison",
    "violence",
    "risk",
    "waiting",
    "list",
    "validation",
    "translation",
    "summarisation",
    "search",
    "chatbot",
    "inspection",
    "scheduling",
)


def seed(db: Database, n_projects: int, seed_value: int = 7) -> None:
    rng = random.Random(seed_value)
    with db.transaction(Actor.system("benchmark seed")) as session:
        seed_departments(session)
        seed_missions(session)
        orgs = list(session.scalars(select(Organisation.id)))
        milestones = list(session.execute(select(Milestone.id, Milestone.mission_id)).all())
    now = datetime.now(UTC)
    batch = 1000
    for start in range(0, n_projects, batch):
        with db.transaction(Actor.system("benchmark seed")) as session:
            rows = [_project(rng, orgs, now) for _ in range(min(batch, n_projects - start))]
            ids = session.scalars(
                insert(Project).returning(Project.id, sort_by_parameter_order=True),
                [r[0] for r in rows],
            ).all()
            children: dict[type, list[dict[str, Any]]] = {StageEvent: [], TeamMember: [], Kpi: []}
            links: list[dict[str, Any]] = []
            for pid, (_, visits) in zip(ids, rows, strict=True):
                children[StageEvent] += [
                    {"project_id": pid, "stage": s, "entered_at": t} for s, t in visits
                ]
                children[TeamMember].append(
                    {
                        "project_id": pid,
                        "role": TeamRole.PRODUCT_MANAGER,
                        "sourcing": Sourcing.IN_HOUSE,
                    }
                )
                children[Kpi].append(
                    {
                        "project_id": pid,
                        "name": "Outcome for users",
                        "unit": "% of users",
                        "direction": Direction.INCREASE,
                        "baseline": Decimal(40),
                        "target": Decimal(60),
                        "target_date": date(2028, 3, 31),
                    }
                )
                ms_id, mission_id = rng.choice(milestones)
                links.append(
                    {
                        "project_id": pid,
                        "mission_id": mission_id,
                        "milestone_id": ms_id,
                        "contribution": "Contributes",
                    }
                )
            for model, values in children.items():
                if model is Kpi:
                    kpi_ids = session.scalars(
                        insert(Kpi).returning(Kpi.id, sort_by_parameter_order=True), values
                    ).all()
                    session.execute(
                        insert(KpiActual),
                        [
                            {
                                "kpi_id": k,
                                "observed_on": date(2026, 1, 1),
                                "value": Decimal(rng.randint(35, 65)),
                            }
                            for k in kpi_ids
                        ],
                    )
                    for link, kid in zip(links, kpi_ids, strict=True):
                        link["kpi_id"] = kid if rng.random() < 0.7 else None
                else:
                    session.execute(insert(model), values)
            session.execute(insert(MissionLink), links)


def _project(
    rng: random.Random, orgs: list[int], now: datetime
) -> tuple[dict[str, Any], list[tuple[Stage, datetime]]]:
    started = now - timedelta(days=rng.randint(30, 1500))
    furthest = rng.choices(range(6), weights=[30, 25, 20, 12, 10, 3])[0]
    visits, at = [], started
    for stage in STAGE_ORDER[: furthest + 1]:
        visits.append((stage, at))
        at += timedelta(days=rng.randint(20, 200))
    stopped = furthest < 4 and rng.random() < 0.35
    if stopped:
        visits.append((Stage.STOPPED, at))
    title = " ".join(rng.sample(WORDS, 3)).capitalize()
    return {
        "organisation_id": rng.choice(orgs),
        "title": title,
        "summary": f"{title} for the public: " + " ".join(rng.sample(WORDS, 12)),
        "problem": " ".join(rng.sample(WORDS, 15)),
        "uses_ai": rng.random() < 0.4,
        "stage": visits[-1][0],
        "paused": False,
        "stop_reason": rng.choice(list(StopReason)) if stopped else None,
        "visibility": Visibility.PUBLISHED if rng.random() < 0.8 else Visibility.INTERNAL,
        "created_at": started,
        "updated_at": at if not stopped else visits[-1][1],
    }, visits
