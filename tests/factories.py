"""Factories that speak the domain, so tests read like user stories:

dwp = world.department("Department for Work and Pensions")
alice = world.member(dwp)
project = world.project(alice, title="Universal Credit triage")
world.advance(project, to=Stage.ALPHA)
"""

from __future__ import annotations

import secrets
from datetime import date
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from missionhub.accounts import service as accounts
from missionhub.accounts.models import Organisation, OrgKind, Role, User
from missionhub.accounts.permissions import Actor, Visibility
from missionhub.accounts.schemas import TokenIn, UserIn
from missionhub.accounts.seed import ensure_organisation
from missionhub.portfolio import gates, projects
from missionhub.portfolio.models import (
    Direction,
    GateOutcome,
    Kpi,
    Mission,
    Project,
    Stage,
    StopReason,
)
from missionhub.portfolio.schemas import (
    GateDecisionIn,
    KpiActualIn,
    KpiIn,
    ProjectIn,
    StageRequestIn,
)
from missionhub.portfolio.seed import seed_missions
from missionhub.web.security import SESSION_COOKIE

PASSWORD = "correct horse battery staple"
SYSTEM = Actor.system("test")


class World:
    def __init__(self, session: Session) -> None:
        self.session = session

    # Organisations and people ------------------------------------------------------------------

    def department(self, name: str = "Department for Work and Pensions") -> Organisation:
        return ensure_organisation(self.session, name, OrgKind.MINISTERIAL)

    def supplier_org(self, name: str = "Acme Analytics Ltd") -> Organisation:
        return ensure_organisation(self.session, name, OrgKind.SUPPLIER)

    def user(self, role: Role, org: Organisation, email: str | None = None) -> User:
        email = email or f"{role.value}-{secrets.token_hex(3)}@{org.slug}.example.org"
        return accounts.create_user(
            self.session,
            actor=SYSTEM,
            data=UserIn(
                email=email,
                display_name=f"{role.label} of {org.name}",
                password=PASSWORD,
                role=role,
                organisation_id=org.id,
            ),
        )

    def member(self, org: Organisation) -> User:
        return self.user(Role.MEMBER, org)

    def cio(self, org: Organisation) -> User:
        return self.user(Role.CIO, org)

    def admin(self) -> User:
        return self.user(Role.ADMIN, self.department("Cabinet Office"))

    def actor(self, user: User | None) -> Actor:
        return Actor.public() if user is None else accounts.actor_for(user)

    # Projects ---------------------------------------------------------------------------------

    def project(
        self, owner: User, *, visibility: Visibility = Visibility.INTERNAL, **fields: Any
    ) -> Project:
        data = {
            "title": "Court attendance support",
            "summary": "Helps victims attend court.",
            **fields,
            "visibility": visibility,
        }
        return projects.register_project(
            self.session, actor=self.actor(owner), data=ProjectIn(**data)
        )

    def advance(
        self, project: Project, to: Stage, cio: User | None = None, member: User | None = None
    ) -> Project:
        """Ask for ``to`` and have the owning CIO proceed: the only way a stage changes."""
        org = self.session.get(Organisation, project.organisation_id)
        assert org is not None
        cio = cio or self.cio(org)
        member = member or self.member(org)
        gates.request_stage_change(
            self.session,
            actor=self.actor(member),
            project_id=project.id,
            data=StageRequestIn(requested_stage=to, case="Evidence."),
        )
        gates.decide(
            self.session,
            actor=self.actor(cio),
            project_id=project.id,
            data=GateDecisionIn(outcome=GateOutcome.PROCEED, rationale="Good evidence"),
        )
        return project

    def stop(
        self,
        project: Project,
        reason: StopReason = StopReason.NO_USER_NEED,
        cio: User | None = None,
    ) -> Project:
        org = self.session.get(Organisation, project.organisation_id)
        assert org is not None
        gates.decide(
            self.session,
            actor=self.actor(cio or self.cio(org)),
            project_id=project.id,
            data=GateDecisionIn(
                outcome=GateOutcome.STOP, rationale="No need found", stop_reason=reason
            ),
        )
        return project

    def kpi(
        self,
        project: Project,
        owner: User,
        *,
        baseline: str = "40",
        target: str = "60",
        unit: str = "% of victims",
        actual: str | None = None,
        name: str = "Attendance",
        direction: Direction = Direction.INCREASE,
    ) -> Kpi:
        kpi = projects.add_kpi(
            self.session,
            actor=self.actor(owner),
            project_id=project.id,
            data=KpiIn(
                name=name,
                unit=unit,
                direction=direction,
                baseline=Decimal(baseline),
                target=Decimal(target),
                baseline_date=date(2025, 1, 1),
                target_date=date(2027, 1, 1),
            ),
        )
        if actual is not None:
            projects.record_actual(
                self.session,
                actor=self.actor(owner),
                project_id=project.id,
                kpi_id=kpi.id,
                data=KpiActualIn(observed_on=date(2026, 1, 1), value=Decimal(actual)),
            )
        return kpi

    def missions(self) -> dict[str, Mission]:
        seed_missions(self.session)
        return {m.slug: m for m in self.session.query(Mission)}

    # Signing in -------------------------------------------------------------------------------

    def sign_in(self, client: TestClient, user: User | None) -> TestClient:
        """Give the client a browser session for ``user`` (None: sign out)."""
        client.cookies.clear()
        if user is not None:
            token = accounts.start_session(
                self.session, user=user, hours=1, ip=None, user_agent="pytest"
            )
            self.session.flush()
            client.cookies.set(SESSION_COOKIE, token)
        return client

    def bearer(self, user: User) -> dict[str, str]:
        _, token = accounts.create_api_token(
            self.session, actor=self.actor(user), data=TokenIn(name="tests")
        )
        self.session.flush()
        return {"Authorization": f"Bearer {token}"}
