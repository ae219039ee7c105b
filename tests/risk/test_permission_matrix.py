"""Who may read and decide what about risk, for every role x action x own/other department,
enforced by the services. The expected outcomes are written out as a table, not derived from the
rules under test. `None` marks a role that has no department of its own (the public, suppliers).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest
from sqlalchemy.orm import Session

from missionhub.accounts.models import Organisation, Role, User
from missionhub.accounts.permissions import Actor
from missionhub.errors import NotFound, PermissionDenied
from missionhub.risk import appetite, assessments, dashboards, escalation, register
from missionhub.risk.adoption import PRINCIPLES, Route
from missionhub.risk.models import AppetiteLevel, Response, Risk, RiskCategory
from missionhub.risk.schemas import (
    AppetiteIn,
    AssessmentDecisionIn,
    AssessmentIn,
    RiskDecisionIn,
)
from tests.factories import World
from tests.risk.factories import RiskWorld, risk_in

ROLES = ["public", "member", "cio", "commercial", "supplier", "admin"]
Y, N, X = True, False, None
STAFF = {"public": (X, N), "member": (Y, N), "cio": (Y, N), "commercial": (Y, N),
         "supplier": (X, N), "admin": (Y, Y)}  # fmt: skip
CIO_ONLY = {"public": (X, N), "member": (N, N), "cio": (Y, N), "commercial": (N, N),
            "supplier": (X, N), "admin": (N, N)}  # fmt: skip

# action -> role -> (in own department, in another department)
EXPECTED: dict[str, dict[str, tuple[bool | None, bool]]] = {
    "read risk": STAFF,
    "list risks": STAFF,
    "read project register": STAFF,
    "raise risk": STAFF,
    "edit risk": STAFF,
    "read assessment": STAFF,
    "decide risk": CIO_ONLY,
    "set appetite": CIO_ONLY,
    "decide assessment": CIO_ONLY,
    "see in decision queue": {"public": (X, N), "member": (N, N), "cio": (Y, N),
                              "commercial": (N, N), "supplier": (X, N), "admin": (Y, Y)},
    "read appetite": {"public": (X, N), "member": (Y, Y), "cio": (Y, Y), "commercial": (Y, Y),
                      "supplier": (X, N), "admin": (Y, Y)},
    "read aggregates": {"public": (X, Y), "member": (Y, Y), "cio": (Y, Y), "commercial": (Y, Y),
                        "supplier": (X, Y), "admin": (Y, Y)},
}  # fmt: skip


def _attempt(fn: Callable[[], object]) -> bool:
    try:
        fn()
    except (PermissionDenied, NotFound):
        return False
    return True


class Scene:
    """Two departments and an admin's, a person of each role, and in the department under test a
    project with a risk beyond appetite (escalated) and a submitted adoption assessment."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.risks = RiskWorld(world)
        self.own = world.department("Department for Work and Pensions")
        self.other = world.department("Ministry of Justice")
        self.admin_org = world.department("Cabinet Office")
        self.users: dict[str, User | None] = {"public": None}
        for role in (Role.MEMBER, Role.CIO, Role.COMMERCIAL):
            self.users[role.value] = world.user(role, self.own)
        self.users["supplier"] = world.user(Role.SUPPLIER, world.supplier_org())
        self.users["admin"] = world.user(Role.ADMIN, self.admin_org)

    def org(self, role: str, scope: str) -> Organisation:
        if scope == "other":
            return self.other
        return self.admin_org if role == "admin" else self.own

    def risk(self, org: Organisation) -> Risk:
        member = self.world.member(org)
        return self.risks.risk(self.world.project(member), member, likelihood=4, impact=4)

    def assessment_id(self, org: Organisation) -> int:
        actor = self.world.actor(self.world.member(org))
        data = AssessmentIn(
            product="Tool",
            supplier="Acme",
            kind="ai-tool",
            purpose="Triage",
            dpia="not-needed",
            security="passed",
            supplier_assurance="passed",
            **{p.key: "met" for p in PRINCIPLES},
        )
        found = assessments.create_assessment(self.world.session, actor=actor, data=data)
        assessments.submit(self.world.session, actor=actor, assessment_id=found.id)
        return found.id


def _do(action: str, session: Session, scene: Scene, actor: Actor, org: Organisation) -> bool:
    later = date.today() + timedelta(days=30)
    if action == "set appetite":
        data = AppetiteIn(category=RiskCategory.LEGAL, level=AppetiteLevel.OPEN, reason="r")
        return _attempt(
            lambda: appetite.set_appetite(session, actor=actor, organisation_id=org.id, data=data)
        )
    if action == "read appetite":
        return _attempt(
            lambda: appetite.department_appetite(session, actor=actor, organisation_id=org.id)
        )
    if action in ("read assessment", "decide assessment"):
        aid = scene.assessment_id(org)
        if action == "read assessment":
            return _attempt(
                lambda: assessments.get_assessment(session, actor=actor, assessment_id=aid)
            )
        data = AssessmentDecisionIn(route=Route.PILOT, rationale="r", review_on=later)
        return _attempt(
            lambda: assessments.decide(session, actor=actor, assessment_id=aid, data=data)
        )
    risk = scene.risk(org)
    rid = risk.id
    checks: dict[str, Callable[[], object]] = {
        "read risk": lambda: register.get_risk(session, actor=actor, risk_id=rid),
        "read project register": lambda: register.project_register(
            session, actor=actor, project_id=risk.project_id
        ),
        "raise risk": lambda: register.add_risk(
            session, actor=actor, project_id=risk.project_id, data=risk_in()
        ),
        "edit risk": lambda: register.update_risk(
            session, actor=actor, risk_id=rid, data=risk_in(likelihood=4, impact=4)
        ),
        "decide risk": lambda: escalation.decide(
            session,
            actor=actor,
            risk_id=rid,
            data=RiskDecisionIn(response=Response.TOLERATE, rationale="r", expires_on=later),
        ),
        "read aggregates": lambda: dashboards.dashboard(
            session, actor=actor, scope=dashboards.Scope(organisation_id=org.id)
        ),
    }
    if action == "list risks":
        found = register.list_risks(session, actor=actor, filters=register.RiskFilter())
        return risk in found
    if action == "see in decision queue":
        try:
            queue = escalation.decision_queue(session, actor=actor)
        except PermissionDenied:
            return False
        return any(d.risk_id == rid for d in queue)
    return _attempt(checks[action])


CASES = [
    (action, role, scope)
    for action, by_role in EXPECTED.items()
    for role in ROLES
    for scope, expected in zip(("own", "other"), by_role[role], strict=True)
    if expected is not None
]


@pytest.mark.parametrize(
    ("action", "role", "scope"), CASES, ids=[f"{a}-{r}-{s}" for a, r, s in CASES]
)
def test_permission(world: World, session: Session, action: str, role: str, scope: str) -> None:
    scene = Scene(world)
    actor = world.actor(scene.users[role])
    expected = EXPECTED[action][role][0 if scope == "own" else 1]
    assert _do(action, session, scene, actor, scene.org(role, scope)) is expected


def test_every_role_and_action_is_covered() -> None:
    assert all(set(by_role) == set(ROLES) for by_role in EXPECTED.values())
    assert len(CASES) == sum(
        1 for by_role in EXPECTED.values() for r in ROLES for e in by_role[r] if e is not None
    )
