"""A department's risk appetite: set by its CIO, with history of who, when and why."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from missionhub.accounts.models import Role
from missionhub.errors import Invalid, PermissionDenied
from missionhub.risk import appetite
from missionhub.risk.models import AppetiteChange, AppetiteLevel, RiskCategory
from missionhub.risk.schemas import AppetiteIn, ScaleIn
from missionhub.risk.scoring import DEFAULT_SCALE
from tests.factories import World
from tests.risk.factories import RiskWorld

TECH = RiskCategory.TECHNOLOGY


def test_a_department_starts_at_the_default_cautious_appetite(
    session: Session, world: World
) -> None:
    dwp = world.department()
    found = appetite.department_appetite(
        session, actor=world.actor(world.member(dwp)), organisation_id=dwp.id
    )
    assert found.scale_is_default
    assert found.scale == DEFAULT_SCALE
    assert {a.level for a in found.levels.values()} == {AppetiteLevel.CAUTIOUS}
    assert all(a.is_default for a in found.levels.values())
    assert len(found.levels) == 13, "every Orange Book category"


def test_the_cio_sets_appetite_and_the_history_says_who_when_why(
    session: Session, world: World, risks: RiskWorld
) -> None:
    dwp = world.department()
    cio = world.cio(dwp)
    risks.appetite(dwp, TECH, AppetiteLevel.OPEN, cio, reason="We want to test new tools")
    risks.appetite(dwp, TECH, AppetiteLevel.EAGER, cio, reason="Innovation fund agreed")
    found = appetite.appetite_of(session, dwp.id)
    assert (found.levels[TECH].level, found.levels[TECH].max_score) == (AppetiteLevel.EAGER, 16)
    assert not found.levels[TECH].is_default
    history = appetite.appetite_history(
        session, actor=world.actor(world.member(dwp)), organisation_id=dwp.id
    )
    assert [(h.from_level, h.to_level, h.reason, h.changed_by_id) for h in history] == [
        (AppetiteLevel.OPEN, AppetiteLevel.EAGER, "Innovation fund agreed", cio.id),
        (None, AppetiteLevel.OPEN, "We want to test new tools", cio.id),
    ]
    assert all(h.changed_at is not None for h in history)


@pytest.mark.parametrize("who", ["member", "admin", "other_cio"])
def test_only_the_departments_own_cio_sets_appetite(
    session: Session, world: World, who: str
) -> None:
    dwp = world.department()
    actor = {
        "member": world.member(dwp),
        "admin": world.admin(),
        "other_cio": world.cio(world.department("Ministry of Justice")),
    }[who]
    with pytest.raises(PermissionDenied):
        appetite.set_appetite(
            session,
            actor=world.actor(actor),
            organisation_id=dwp.id,
            data=AppetiteIn(category=TECH, level=AppetiteLevel.EAGER, reason="Why not"),
        )
    assert appetite.appetite_of(session, dwp.id).levels[TECH].is_default


def test_restating_the_same_level_is_refused_on_the_level_field(
    session: Session, world: World, risks: RiskWorld
) -> None:
    dwp = world.department()
    cio = world.cio(dwp)
    risks.appetite(dwp, TECH, AppetiteLevel.OPEN, cio)
    with pytest.raises(Invalid) as caught:
        risks.appetite(dwp, TECH, AppetiteLevel.OPEN, cio)
    assert caught.value.errors[0].field == "level"


def _scale(**levels: int) -> ScaleIn:
    base = {level.value: value for level, value in DEFAULT_SCALE.items()}
    return ScaleIn(**{**base, **levels, "reason": "Board review"})


def test_the_cio_configures_the_scale_and_it_changes_thresholds(
    session: Session, world: World
) -> None:
    dwp = world.department()
    cio = world.actor(world.cio(dwp))
    appetite.set_scale(session, actor=cio, organisation_id=dwp.id, data=_scale(cautious=8))
    found = appetite.appetite_of(session, dwp.id)
    assert not found.scale_is_default
    assert found.limit(TECH) == 8
    (change,) = appetite.appetite_history(session, actor=cio, organisation_id=dwp.id)
    assert (change.scale_before["cautious"], change.scale_after["cautious"]) == (9, 8)


def test_a_scale_that_does_not_rise_is_refused_naming_the_level_and_changes_nothing(
    session: Session, world: World
) -> None:
    dwp = world.department()
    cio = world.actor(world.cio(dwp))
    with pytest.raises(Invalid) as caught:
        appetite.set_scale(session, actor=cio, organisation_id=dwp.id, data=_scale(open=9, eager=4))
    assert [e.field for e in caught.value.errors] == ["open", "eager"]
    assert appetite.appetite_of(session, dwp.id).scale_is_default
    assert session.scalar(select(func.count(AppetiteChange.id))) == 0


def test_the_public_and_suppliers_cannot_read_appetite(session: Session, world: World) -> None:
    dwp = world.department()
    supplier = world.user(Role.SUPPLIER, world.supplier_org())
    for actor in (world.actor(None), world.actor(supplier)):
        with pytest.raises(PermissionDenied):
            appetite.department_appetite(session, actor=actor, organisation_id=dwp.id)
