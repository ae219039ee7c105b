"""Who may do what, for every role x action x own/other department, enforced by the services.

The expected outcomes are written out here as a table, not derived from the rules under test.
`None` marks a role that has no department of its own (the public, suppliers).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from missionhub.accounts import service as accounts
from missionhub.accounts.models import Role, User
from missionhub.accounts.permissions import Actor, Visibility
from missionhub.accounts.schemas import UserIn
from missionhub.errors import NotFound, PermissionDenied
from missionhub.portfolio import gates, projects
from missionhub.portfolio.models import GateOutcome, Project, Stage
from missionhub.portfolio.projects import ProjectFilter
from missionhub.portfolio.schemas import (
    GateDecisionIn,
    KpiIn,
    ProjectIn,
    StageRequestIn,
)
from tests.factories import World

ROLES = ["public", "member", "cio", "commercial", "supplier", "admin"]
Y, N, X = True, False, None

# action -> role -> (on own department's project, on another department's project)
EXPECTED: dict[str, dict[str, tuple[bool | None, bool]]] = {
    "read draft": {
        "public": (X, N),
        "member": (Y, N),
        "cio": (Y, N),
        "commercial": (Y, N),
        "supplier": (X, N),
        "admin": (Y, Y),
    },
    "read internal": {
        "public": (X, N),
        "member": (Y, Y),
        "cio": (Y, Y),
        "commercial": (Y, Y),
        "supplier": (X, N),
        "admin": (Y, Y),
    },
    "read published": {
        "public": (X, Y),
        "member": (Y, Y),
        "cio": (Y, Y),
        "commercial": (Y, Y),
        "supplier": (X, Y),
        "admin": (Y, Y),
    },
    "list internal": {
        "public": (X, N),
        "member": (Y, Y),
        "cio": (Y, Y),
        "commercial": (Y, Y),
        "supplier": (X, N),
        "admin": (Y, Y),
    },
    "edit": {
        "public": (X, N),
        "member": (Y, N),
        "cio": (Y, N),
        "commercial": (Y, N),
        "supplier": (X, N),
        "admin": (Y, Y),
    },
    "add kpi": {
        "public": (X, N),
        "member": (Y, N),
        "cio": (Y, N),
        "commercial": (Y, N),
        "supplier": (X, N),
        "admin": (Y, Y),
    },
    "register": {
        "public": (X, N),
        "member": (Y, N),
        "cio": (Y, N),
        "commercial": (Y, N),
        "supplier": (X, N),
        "admin": (Y, Y),
    },
    "request stage": {
        "public": (X, N),
        "member": (Y, N),
        "cio": (Y, N),
        "commercial": (Y, N),
        "supplier": (X, N),
        "admin": (Y, Y),
    },
    "decide gate": {
        "public": (X, N),
        "member": (N, N),
        "cio": (Y, N),
        "commercial": (N, N),
        "supplier": (X, N),
        "admin": (N, N),
    },
}
ADMIN_ONLY = ["read audit log", "create user"]


def _attempt(fn: Callable[[], object]) -> bool:
    try:
        fn()
    except (PermissionDenied, NotFound):
        return False
    return True


class Scene:
    """Two departments, a person of each role, and one project owned by each department."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.own = world.department("Department for Work and Pensions")
        self.other = world.department("Ministry of Justice")
        admin_org = world.department("Cabinet Office")
        self.users: dict[str, User | None] = {"public": None}
        for role in (Role.MEMBER, Role.CIO, Role.COMMERCIAL):
            self.users[role.value] = world.user(role, self.own)
        self.users["supplier"] = world.user(Role.SUPPLIER, world.supplier_org())
        self.users["admin"] = world.user(Role.ADMIN, admin_org)
        self.owners = {"own": self.own, "other": self.other}
        self.admin_org = admin_org

    def owner_org(self, role: str, scope: str):  # type: ignore[no-untyped-def]
        if role == "admin" and scope == "own":
            return self.admin_org
        return self.owners[scope]

    def project(self, role: str, scope: str, visibility: Visibility) -> Project:
        org = self.owner_org(role, scope)
        return self.world.project(self.world.member(org), visibility=visibility)


def _do(action: str, session: Session, scene: Scene, actor: Actor, role: str, scope: str) -> bool:
    vis = {"read draft": Visibility.DRAFT, "read published": Visibility.PUBLISHED}.get(
        action, Visibility.INTERNAL if action != "edit" else Visibility.DRAFT
    )
    if action == "register":
        org = scene.owner_org(role, scope)
        return _attempt(
            lambda: projects.register_project(
                session,
                actor=actor,
                data=ProjectIn(title="New", summary="New idea", organisation_id=org.id),
            )
        )
    project = scene.project(role, scope, vis)
    pid = project.id
    if action.startswith("read"):
        return _attempt(lambda: projects.get_project(session, actor=actor, project_id=pid))
    if action == "list internal":
        listed = projects.list_projects(
            session, actor=actor, filters=ProjectFilter(), page_size=500
        ).items
        return project in listed
    if action == "edit":
        return _attempt(
            lambda: projects.update_project(
                session,
                actor=actor,
                project_id=pid,
                data=ProjectIn(title="Edited", summary="S", visibility=Visibility.DRAFT),
            )
        )
    if action == "add kpi":
        return _attempt(
            lambda: projects.add_kpi(
                session,
                actor=actor,
                project_id=pid,
                data=KpiIn(
                    name="K",
                    unit="%",
                    direction="increase",
                    baseline=Decimal(1),
                    target=Decimal(2),
                    target_date="2030-01-01",
                ),
            )
        )
    if action == "request stage":
        return _attempt(
            lambda: gates.request_stage_change(
                session,
                actor=actor,
                project_id=pid,
                data=StageRequestIn(requested_stage=Stage.DISCOVERY, case="Evidence"),
            )
        )
    if action == "decide gate":
        gates.request_stage_change(
            session,
            actor=scene.world.actor(scene.world.member(scene.owner_org(role, scope))),
            project_id=pid,
            data=StageRequestIn(requested_stage=Stage.DISCOVERY, case="Evidence"),
        )
        return _attempt(
            lambda: gates.decide(
                session,
                actor=actor,
                project_id=pid,
                data=(GateDecisionIn(outcome=GateOutcome.PROCEED, rationale="OK")),
            )
        )
    raise AssertionError(action)


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
    assert _do(action, session, scene, actor, role, scope) is expected


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", ADMIN_ONLY)
def test_admin_only_actions(world: World, session: Session, role: str, action: str) -> None:
    scene = Scene(world)
    actor = world.actor(scene.users[role])
    if action == "read audit log":
        allowed = _attempt(lambda: accounts.audit_log(session, actor=actor))
    else:
        allowed = _attempt(
            lambda: accounts.create_user(
                session,
                actor=actor,
                data=UserIn(
                    email="new.person@dwp.example.org",
                    display_name="New",
                    password="long enough pw",
                    role=Role.MEMBER,
                    organisation_id=scene.own.id,
                ),
            )
        )
    assert allowed is (role == "admin")


def test_every_role_and_action_is_covered() -> None:
    assert all(set(by_role) == set(ROLES) for by_role in EXPECTED.values())
    assert len(CASES) == sum(
        1 for by_role in EXPECTED.values() for r in ROLES for e in by_role[r] if e is not None
    )
