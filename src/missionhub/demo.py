"""Demo data: the real departments, missions and ATRS records, plus one account per role.

Everything loaded here is real public data, except the demo accounts, the demo supplier and the
example use case, which are named as such. Safe to run again: nothing is duplicated.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from missionhub.accounts.models import Organisation, OrgKind, Role, User
from missionhub.accounts.permissions import Actor, Visibility
from missionhub.accounts.schemas import UserIn
from missionhub.accounts.seed import ensure_organisation, seed_departments
from missionhub.accounts.service import create_user
from missionhub.domains import domain_modules
from missionhub.portfolio import atrs
from missionhub.portfolio.missions import create_use_case
from missionhub.portfolio.models import Mission, UseCase
from missionhub.portfolio.schemas import UseCaseIn
from missionhub.portfolio.seed import seed_missions

DEMO_SUPPLIER = "Demo Supplier Ltd (fictional)"
DEFAULT_DEMO_PASSWORD = "mission-hub-demo"  # noqa: S105  (development demo accounts only)

DEMO_ACCOUNTS: list[tuple[str, str, Role, str]] = [
    ("admin@missionhub.example", "Demo Administrator", Role.ADMIN, "Cabinet Office"),
    (
        "member@dwp.missionhub.example",
        "Demo DWP Member",
        Role.MEMBER,
        "Department for Work and Pensions",
    ),
    (
        "cio@dwp.missionhub.example",
        "Demo DWP Chief Innovation Officer",
        Role.CIO,
        "Department for Work and Pensions",
    ),
    (
        "commercial@dwp.missionhub.example",
        "Demo DWP Commercial Officer",
        Role.COMMERCIAL,
        "Department for Work and Pensions",
    ),
    ("member@moj.missionhub.example", "Demo MoJ Member", Role.MEMBER, "Ministry of Justice"),
    (
        "cio@moj.missionhub.example",
        "Demo MoJ Chief Innovation Officer",
        Role.CIO,
        "Ministry of Justice",
    ),
    ("supplier@supplier.missionhub.example", "Demo Supplier User", Role.SUPPLIER, DEMO_SUPPLIER),
]


@dataclass(frozen=True)
class DemoReport:
    new_organisations: int
    new_mission_items: int
    projects: atrs.ImportReport
    new_accounts: list[str]
    domains: list[str]


def load_demo(
    session: Session,
    *,
    data_dir: Path,
    password: str,
    progress: Callable[[int, int], None] | None = None,
) -> DemoReport:
    system = Actor.system("demo load")
    session.info["actor"] = system
    before = session.query(Organisation).count()
    seed_departments(session)
    ensure_organisation(session, DEMO_SUPPLIER, OrgKind.SUPPLIER)
    mission_items = seed_missions(session)
    report = atrs.import_index(session, data_dir / "registry" / "uk_atrs_index.json", progress)
    accounts = _demo_accounts(session, system, password)
    _example_use_case(session)
    # Each domain may add demo data of its own: missionhub.<domain>.demo.load(session, data_dir)
    # returns a one-line summary of what it loaded.
    summaries = [str(module.load(session, data_dir=data_dir)) for module in domain_modules("demo")]
    return DemoReport(
        session.query(Organisation).count() - before, mission_items, report, accounts, summaries
    )


def _demo_accounts(session: Session, system: Actor, password: str) -> list[str]:
    created = []
    for email, name, role, org_name in DEMO_ACCOUNTS:
        if session.scalar(select(User.id).where(User.email == email)):
            continue
        org = session.scalar(select(Organisation).where(Organisation.name == org_name))
        assert org is not None, org_name
        create_user(
            session,
            actor=system,
            data=UserIn(
                email=email, display_name=name, password=password, role=role, organisation_id=org.id
            ),
        )
        created.append(email)
    return created


def _example_use_case(session: Session) -> None:
    title = "Court attendance of domestic-abuse victims (example)"
    if session.scalar(select(UseCase.id).where(UseCase.title == title)):
        return
    moj = session.scalar(select(Organisation).where(Organisation.name == "Ministry of Justice"))
    others = session.scalars(
        select(Organisation).where(
            Organisation.name.in_(
                [
                    "Department of Health and Social Care",
                    "Ministry of Housing, Communities & Local Government",
                ]
            )
        )
    ).all()
    safer = session.scalar(select(Mission).where(Mission.slug == "safer-streets"))
    assert moj is not None
    assert safer is not None
    create_use_case(
        session,
        actor=Actor.system("demo load"),
        data=UseCaseIn(
            title=title,
            problem="Victims of domestic abuse often do not attend court hearings, and cases "
            "collapse. Support sits with justice, health and local government, and none of "
            "them sees the whole journey. (An example use case loaded with the demo data.)",
            outcome="More victims supported to give evidence; fewer cases lost for want of it.",
            organisation_id=moj.id,
            participant_ids=[o.id for o in others],
            mission_ids=[safer.id],
            visibility=Visibility.INTERNAL,
        ),
    )
