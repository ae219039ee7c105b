"""Who may do what with a challenge, enforced by the services. Expected outcomes are written
out as a table (decision 0050), not derived from the rules under test."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy.orm import Session

from missionhub.accounts.models import Role
from missionhub.challenges import service
from missionhub.challenges.models import ChallengeStatus
from missionhub.challenges.schemas import ChallengeIn, SubmissionIn
from missionhub.errors import NotFound, PermissionDenied
from tests.challenges.conftest import ChallengeWorld, predictions_for, small_suite

WHO = ["public", "own member", "own cio", "own commercial", "other member", "supplier", "admin"]
Y, N = True, False
EXPECTED: dict[str, list[bool]] = {
    #                      public own-m own-c own-co other supplier admin
    "read draft": [N, Y, Y, Y, N, N, Y],
    "read open brief": [Y, Y, Y, Y, Y, Y, Y],
    "create for own dept": [N, Y, Y, Y, Y, N, Y],
    "add suite": [N, Y, Y, Y, N, N, Y],
    "open": [N, Y, Y, Y, N, N, Y],
    "download inputs": [N, Y, Y, Y, N, Y, Y],
    "submit": [N, N, N, N, N, Y, N],
    "read report": [N, Y, Y, Y, N, N, Y],
}


def _ok(fn: Callable[[], object]) -> bool:
    try:
        fn()
    except (PermissionDenied, NotFound):
        return False
    return True


@pytest.mark.parametrize("action", list(EXPECTED))
@pytest.mark.parametrize("who", WHO)
def test_permission(cw: ChallengeWorld, session: Session, action: str, who: str) -> None:
    w = cw.world
    users = {
        "public": None,
        "own member": cw.owner,
        "own cio": w.user(Role.CIO, cw.dept),
        "own commercial": w.user(Role.COMMERCIAL, cw.dept),
        "other member": w.member(w.department("Ministry of Justice")),
        "supplier": cw.supplier(),
        "admin": w.admin(),
    }
    actor = w.actor(users[who])
    draft = cw.challenge()
    opened = cw.open()
    cid = draft.id
    attempts: dict[str, Callable[[], object]] = {
        "read draft": lambda: service.get_challenge(session, actor=actor, challenge_id=cid),
        "read open brief": lambda: service.get_challenge(
            session, actor=actor, challenge_id=opened.id
        ),
        "create for own dept": lambda: service.create_challenge(
            session,
            actor=actor,
            data=ChallengeIn(title="T", brief="B", mission_id=next(iter(cw.missions.values())).id),
        ),
        "add suite": lambda: service.add_suite(
            session,
            actor=actor,
            challenge_id=cid,
            raw=small_suite().astype(str),
            first_row=2,
            filename="s.csv",
            file_sha256="0" * 64,
        ),
        "open": lambda: service.change_status(
            session, actor=actor, challenge_id=cw.with_suite(draft).id, to=ChallengeStatus.OPEN
        ),
        "download inputs": lambda: service.suite_inputs(
            session, actor=actor, challenge_id=opened.id
        ),
        "submit": lambda: service.submit_predictions(
            session,
            actor=actor,
            challenge_id=opened.id,
            data=SubmissionIn(name="M"),
            raw=predictions_for(cw.suite_frame(opened)).astype(str),
            first_row=2,
            filename="p.csv",
        ),
        "read report": lambda: _report(session, actor, opened.id),
    }
    expected = EXPECTED[action][WHO.index(who)]
    assert _ok(attempts[action]) is expected


def _report(session: Session, actor, challenge_id: int) -> None:  # type: ignore[no-untyped-def]
    try:
        service.owner_report(session, actor=actor, challenge_id=challenge_id)
    except NotFound as exc:
        if "not been evaluated" not in str(exc):
            raise
        # allowed to ask; there is simply no evaluation yet


def test_the_table_covers_every_role() -> None:
    assert all(len(row) == len(WHO) for row in EXPECTED.values())
