"""Fixtures for linkage tests: the departments, people in their roles, and the linkage world."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from missionhub.accounts.models import Organisation, User
from missionhub.db.session import Database
from tests.factories import World
from tests.linkage.factories import LinkageWorld


@pytest.fixture
def linkage(world: World, db: Database, tmp_path: Path) -> LinkageWorld:
    return LinkageWorld(world, db, tmp_path)


@dataclass
class Cast:
    """A steward at the Cabinet Office, data owners at DWP and MoJ, and bystanders."""

    cabinet: Organisation
    dwp: Organisation
    moj: Organisation
    steward: User
    dwp_owner: User
    moj_owner: User
    dwp_colleague: User
    outsider: User
    admin: User


@pytest.fixture
def cast(world: World) -> Cast:
    cabinet = world.department("Cabinet Office")
    dwp = world.department("Department for Work and Pensions")
    moj = world.department("Ministry of Justice")
    return Cast(
        cabinet=cabinet,
        dwp=dwp,
        moj=moj,
        steward=world.member(cabinet),
        dwp_owner=world.member(dwp),
        moj_owner=world.member(moj),
        dwp_colleague=world.member(dwp),
        outsider=world.member(world.department("HM Treasury")),
        admin=world.admin(),
    )
