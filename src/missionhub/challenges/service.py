"""The operations on challenges. Keyword-only functions over a session; they check who may
do what (decision 0050), validate, write and flush; they never commit, render or know HTTP.

Who may do what:
- owners: civil servants (member, CIO, commercial officer) of the owning department, and
  admins. They write the brief, hold the suite, evaluate, see the full report and release.
- suppliers (users of a supplier organisation) submit to open challenges, and see only the
  aggregates of their own submissions, once released, with small cells withheld.
- everyone reads a brief once the challenge is no longer a draft.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import ColumnElement, func, or_, select, true
from sqlalchemy.orm import Session, undefer

from missionhub.accounts.models import Role
from missionhub.accounts.permissions import Actor, can_edit, readable, require
from missionhub.challenges import predictions as preds
from missionhub.challenges import suites
from missionhub.challenges.models import (
    Challenge,
    ChallengeStatus,
    Evaluation,
    Submission,
    SubmissionKind,
    SubmissionStatus,
    Suite,
)
from missionhub.challenges.schemas import AwardIn, ChallengeIn, EndpointIn, SubmissionIn
from missionhub.db.base import utcnow
from missionhub.errors import Conflict, Invalid, NotFound
from missionhub.pagination import Page, paginate
from missionhub.portfolio.missions import get_use_case
from missionhub.portfolio.models import Mission, UseCase

# draft -> open -> closed -> evaluated -> awarded; an owner may also reopen a closed one.
TRANSITIONS = {
    ChallengeStatus.DRAFT: {ChallengeStatus.OPEN},
    ChallengeStatus.OPEN: {ChallengeStatus.CLOSED},
    ChallengeStatus.CLOSED: {ChallengeStatus.OPEN},
    ChallengeStatus.EVALUATED: set(),
    ChallengeStatus.AWARDED: set(),
}


# Permissions -------------------------------------------------------------------------------


def can_own(actor: Actor, challenge: Challenge | None = None, org_id: int | None = None) -> bool:
    """Civil-servant staff of the owning department, or an admin (decision 0050)."""
    owner = challenge.organisation_id if challenge else org_id
    return actor.is_admin or (actor.is_civil_servant and can_edit(actor, owner_org_id=owner))


def is_supplier(actor: Actor) -> bool:
    return actor.role is Role.SUPPLIER and actor.organisation_id is not None


def can_read(actor: Actor, challenge: Challenge) -> bool:
    return challenge.status is not ChallengeStatus.DRAFT or can_own(actor, challenge)


def visible_use_case(actor: Actor, challenge: Challenge) -> UseCase | None:
    """The use case the challenge answers, if ``actor`` may read it: a page or API answer
    must not show the title or id of a draft or internal use case to someone who cannot."""
    return challenge.use_case if readable(actor, challenge.use_case) else None


def _visible(actor: Actor) -> ColumnElement[bool]:
    if actor.is_admin:
        return true()
    published = Challenge.status != ChallengeStatus.DRAFT
    if actor.is_civil_servant and actor.organisation_id is not None:
        return or_(published, Challenge.organisation_id == actor.organisation_id)
    return published


# Challenges --------------------------------------------------------------------------------


def list_challenges(
    session: Session, *, actor: Actor, page: int = 1, page_size: int = 20
) -> Page[Challenge]:
    stmt = select(Challenge).where(_visible(actor)).order_by(Challenge.id.desc())
    return paginate(session, stmt, page=page, page_size=page_size)


def get_challenge(session: Session, *, actor: Actor, challenge_id: int) -> Challenge:
    challenge = session.get(Challenge, challenge_id)
    if challenge is None or not can_read(actor, challenge):
        raise NotFound(f"No challenge with id {challenge_id}")
    return challenge


def owned_challenge(session: Session, *, actor: Actor, challenge_id: int) -> Challenge:
    challenge = get_challenge(session, actor=actor, challenge_id=challenge_id)
    require(can_own(actor, challenge), "Only the owning department can do this")
    return challenge


def _apply(session: Session, actor: Actor, challenge: Challenge, data: ChallengeIn) -> None:
    if data.use_case_id is not None:
        try:
            get_use_case(session, actor=actor, use_case_id=data.use_case_id)
        except NotFound:
            raise Invalid("Choose a use case you can see", "use_case_id") from None
    if data.mission_id is not None and session.get(Mission, data.mission_id) is None:
        raise Invalid("Choose a mission", "mission_id")
    for key, value in data.model_dump(exclude={"organisation_id"}).items():
        setattr(challenge, key, value)


def create_challenge(session: Session, *, actor: Actor, data: ChallengeIn) -> Challenge:
    org = data.organisation_id if actor.is_admin and data.organisation_id else actor.organisation_id
    require(
        org is not None and can_own(actor, org_id=org),
        "Only civil servants can create challenges, for their own department",
    )
    challenge = Challenge(organisation_id=org, owner_id=actor.user_id, status=ChallengeStatus.DRAFT)
    _apply(session, actor, challenge, data)
    session.add(challenge)
    session.flush()
    return challenge


def update_challenge(
    session: Session, *, actor: Actor, challenge_id: int, data: ChallengeIn
) -> Challenge:
    challenge = owned_challenge(session, actor=actor, challenge_id=challenge_id)
    if challenge.status is not ChallengeStatus.DRAFT and challenge.labels != (
        data.positive_label,
        data.negative_label,
    ):
        raise Invalid("The labels cannot change once the challenge is open", "positive_label")
    _apply(session, actor, challenge, data)
    session.flush()
    return challenge


def change_status(
    session: Session, *, actor: Actor, challenge_id: int, to: ChallengeStatus
) -> Challenge:
    challenge = owned_challenge(session, actor=actor, challenge_id=challenge_id)
    if to not in TRANSITIONS[challenge.status]:
        raise Conflict(f"A challenge that is {challenge.status.value} cannot become {to.value}")
    if to is ChallengeStatus.OPEN and challenge.suite is None:
        raise Conflict("Add a hidden test suite before opening the challenge")
    challenge.status = to
    session.flush()
    return challenge


def award(session: Session, *, actor: Actor, challenge_id: int, data: AwardIn) -> Challenge:
    challenge = owned_challenge(session, actor=actor, challenge_id=challenge_id)
    if challenge.status is not ChallengeStatus.EVALUATED:
        raise Conflict("Only an evaluated challenge can be awarded")
    if data.submission_id not in {s.id for s in challenge.submissions}:
        raise Invalid("Choose one of this challenge's submissions", "submission_id")
    challenge.awarded_submission_id = data.submission_id
    challenge.award_rationale = data.rationale
    challenge.status = ChallengeStatus.AWARDED
    session.flush()
    return challenge


# Suites ------------------------------------------------------------------------------------


def add_suite(
    session: Session,
    *,
    actor: Actor,
    challenge_id: int,
    raw: pd.DataFrame,
    first_row: int,
    filename: str,
    file_sha256: str,
    source: str = "upload",
) -> Suite:
    """Check and store a new version of the hidden suite (whole, or not at all)."""
    challenge = owned_challenge(session, actor=actor, challenge_id=challenge_id)
    if challenge.status not in (ChallengeStatus.DRAFT, ChallengeStatus.OPEN):
        raise Conflict("The suite cannot change once the challenge has closed")
    parsed = suites.parse_suite(raw, first_row, challenge.labels)
    for existing in challenge.suites:
        if existing.content_sha256 == parsed.content_sha256:
            raise Conflict(f"These cases are already version {existing.version} of the suite")
    suite = Suite(
        challenge_id=challenge.id,
        version=max((s.version for s in challenge.suites), default=0) + 1,
        source=source,
        filename=filename[:300],
        file_sha256=file_sha256,
        content_sha256=parsed.content_sha256,
        cases=parsed.cases,
        positives=parsed.positives(challenge.positive_label),
        group_columns=parsed.group_columns,
        input_columns=parsed.input_columns,
        has_templates=parsed.has_templates,
        has_functionality=parsed.has_functionality,
        created_by_id=actor.user_id,
        data=suites.to_parquet(parsed.frame),
    )
    session.add(suite)
    session.flush()
    session.refresh(challenge, ["suites"])
    return suite


def upload_suite(
    session: Session, *, actor: Actor, challenge_id: int, path: Path, filename: str, sha256: str
) -> Suite:
    owned_challenge(session, actor=actor, challenge_id=challenge_id)
    raw, first_row = suites.read_table(path)
    return add_suite(
        session,
        actor=actor,
        challenge_id=challenge_id,
        raw=raw,
        first_row=first_row,
        filename=filename,
        file_sha256=sha256,
    )


def import_suite(
    session: Session, *, actor: Actor, challenge_id: int, source: str, data_dir: Path
) -> Suite:
    """A ready-made suite (HateCheck, Multilingual HateCheck, UCI Adult) from the datasets,
    with random case ids (so a new import has a new content hash: the same dataset is
    recognised by its file hash instead)."""
    challenge = owned_challenge(session, actor=actor, challenge_id=challenge_id)
    raw, name = suites.import_source(source, data_dir)
    sha = suites.file_sha256(_source_path(source, data_dir))
    for existing in challenge.suites:
        if existing.source == source and existing.file_sha256 == sha:
            raise Conflict(f"This dataset is already version {existing.version} of the suite")
    return add_suite(
        session,
        actor=actor,
        challenge_id=challenge_id,
        raw=raw,
        first_row=1,
        filename=name,
        file_sha256=sha,
        source=source,
    )


def _source_path(source: str, data_dir: Path) -> Path:
    folder = data_dir / "assurance"
    return {
        "hatecheck": folder / "hatecheck_test_suite_cases.csv",
        "mhc": folder / "multilingual_hatecheck",
        "adult": folder / "adult.test",
    }[source]


def suite_frame(session: Session, suite: Suite) -> pd.DataFrame:
    data = session.scalar(select(Suite.data).where(Suite.id == suite.id))
    assert data is not None
    return suites.from_parquet(data)


def suite_inputs(session: Session, *, actor: Actor, challenge_id: int) -> pd.DataFrame:
    """The cases' ids and inputs (no labels, groups, templates or functionalities), for
    suppliers of an open challenge and for its owners."""
    challenge = get_challenge(session, actor=actor, challenge_id=challenge_id)
    owner = can_own(actor, challenge)
    require(
        owner or (is_supplier(actor) and challenge.status is ChallengeStatus.OPEN),
        "Test inputs are given to suppliers while the challenge is open",
    )
    suite = challenge.suite
    if suite is None:
        raise NotFound("This challenge has no test suite yet")
    return suites.inputs_frame(suite_frame(session, suite), suite.input_columns)


# Submissions -------------------------------------------------------------------------------


def _open_for(session: Session, actor: Actor, challenge_id: int) -> tuple[Challenge, Suite]:
    challenge = get_challenge(session, actor=actor, challenge_id=challenge_id)
    require(is_supplier(actor), "Only suppliers can submit to a challenge")
    if challenge.status is not ChallengeStatus.OPEN or challenge.suite is None:
        raise Conflict("This challenge is not open for submissions")
    today = date.today()
    if challenge.closes_on is not None and today > challenge.closes_on:
        raise Conflict(f"This challenge closed to submissions on {challenge.closes_on:%d %B %Y}")
    if challenge.opens_on is not None and today < challenge.opens_on:
        raise Conflict(f"This challenge opens to submissions on {challenge.opens_on:%d %B %Y}")
    # One submission at a time per challenge (PostgreSQL row lock; SQLite has one writer), so
    # two at once cannot both pass the limit.
    session.execute(select(Challenge.id).where(Challenge.id == challenge.id).with_for_update())
    used = submissions_used(session, challenge, actor.organisation_id)
    limit = challenge.max_submissions_per_supplier
    if used >= limit:
        raise Conflict(
            f"Your organisation has made {used} of the {limit} submission"
            f"{'' if limit == 1 else 's'} this challenge allows each supplier"
        )
    return challenge, challenge.suite


def submissions_used(session: Session, challenge: Challenge, organisation_id: int | None) -> int:
    """The submissions an organisation has made to a challenge that count towards its limit:
    every one, on any suite version, except those whose endpoint failed (no results)."""
    stmt = select(func.count(Submission.id)).where(
        Submission.challenge_id == challenge.id,
        Submission.organisation_id == organisation_id,
        Submission.status != SubmissionStatus.FAILED,
    )
    return int(session.scalar(stmt) or 0)


def submissions_left(session: Session, *, actor: Actor, challenge: Challenge) -> int | None:
    """How many more submissions the actor's organisation may make (None if not a supplier)."""
    if not is_supplier(actor):
        return None
    used = submissions_used(session, challenge, actor.organisation_id)
    return max(challenge.max_submissions_per_supplier - used, 0)


def submit_predictions_file(
    session: Session,
    *,
    actor: Actor,
    challenge_id: int,
    data: SubmissionIn,
    path: Path,
    filename: str,
) -> Submission:
    """:func:`submit_predictions` for an uploaded CSV or Parquet file."""
    from missionhub.challenges.suites import read_table

    raw, first_row = read_table(path)
    return submit_predictions(
        session, actor=actor, challenge_id=challenge_id, data=data, raw=raw,
        first_row=first_row, filename=filename,
    )  # fmt: skip


def submit_predictions(
    session: Session,
    *,
    actor: Actor,
    challenge_id: int,
    data: SubmissionIn,
    raw: pd.DataFrame,
    first_row: int,
    filename: str,
) -> Submission:
    """Check a predictions file against the current suite; store it whole or not at all."""
    challenge, suite = _open_for(session, actor, challenge_id)
    frame = suite_frame(session, suite)
    parsed = preds.parse_predictions(raw, first_row, frame["case_id"], challenge.labels)
    submission = _submission(challenge, suite, actor, data, SubmissionKind.FILE)
    submission.filename = filename[:300]
    _store(submission, parsed)
    session.add(submission)
    session.flush()
    session.expire(challenge, ["submissions"])
    return submission


def _submission(
    challenge: Challenge, suite: Suite, actor: Actor, data: SubmissionIn, kind: SubmissionKind
) -> Submission:
    assert actor.organisation_id is not None
    return Submission(
        challenge_id=challenge.id,
        suite_id=suite.id,
        organisation_id=actor.organisation_id,
        submitted_by_id=actor.user_id,
        name=data.name,
        description=data.description,
        kind=kind,
        status=SubmissionStatus.WAITING,
    )


def _store(submission: Submission, parsed: preds.ParsedPredictions) -> None:
    submission.data = suites.to_parquet(parsed.frame)
    submission.predictions_sha256 = parsed.sha256
    submission.has_scores = parsed.has_scores
    submission.status = SubmissionStatus.RECEIVED
    submission.error = None


def register_endpoint(
    session: Session, *, actor: Actor, challenge_id: int, data: EndpointIn, allow_private: bool
) -> tuple[Submission, Any]:
    """Register a model endpoint and queue the job that calls it for every case."""
    from missionhub.challenges import jobs
    from missionhub.challenges.endpoint import check_url

    challenge, suite = _open_for(session, actor, challenge_id)
    url = check_url(data.endpoint_url, allow_private=allow_private)
    submission = _submission(challenge, suite, actor, data, SubmissionKind.ENDPOINT)
    submission.endpoint_url = url
    session.add(submission)
    session.flush()
    session.expire(challenge, ["submissions"])
    job = jobs.enqueue_collection(session, actor, submission, allow_private)
    return submission, job


def own_submissions(session: Session, *, actor: Actor, challenge_id: int) -> list[Submission]:
    challenge = get_challenge(session, actor=actor, challenge_id=challenge_id)
    if can_own(actor, challenge):
        return list(challenge.submissions)
    return [s for s in challenge.submissions if actor.belongs_to(s.organisation_id)]


def predictions_frame(session: Session, submission: Submission) -> pd.DataFrame:
    data = session.scalar(select(Submission.data).where(Submission.id == submission.id))
    assert data is not None
    return suites.from_parquet(data)


# Evaluation and release --------------------------------------------------------------------


def evaluable(challenge: Challenge) -> list[Submission]:
    suite = challenge.suite
    return [
        s
        for s in challenge.submissions
        if suite is not None and s.suite_id == suite.id and s.status is SubmissionStatus.RECEIVED
    ]


def request_evaluation(session: Session, *, actor: Actor, challenge_id: int) -> Any:
    from missionhub.challenges import jobs

    challenge = owned_challenge(session, actor=actor, challenge_id=challenge_id)
    if challenge.status not in (ChallengeStatus.CLOSED, ChallengeStatus.EVALUATED):
        raise Conflict("Close the challenge to submissions before evaluating it")
    if not evaluable(challenge):
        raise Conflict("No submission against the current suite has been received")
    return jobs.enqueue_evaluation(session, actor, challenge)


def latest_evaluation(session: Session, challenge: Challenge) -> Evaluation | None:
    stmt = (
        select(Evaluation)
        .where(Evaluation.challenge_id == challenge.id)
        .options(undefer(Evaluation.results))
        .order_by(Evaluation.id.desc())
        .limit(1)
    )
    return session.scalar(stmt)


def owner_report(session: Session, *, actor: Actor, challenge_id: int) -> Evaluation:
    """The full evaluation, for the owning department only."""
    challenge = owned_challenge(session, actor=actor, challenge_id=challenge_id)
    evaluation = latest_evaluation(session, challenge)
    if evaluation is None:
        raise NotFound("This challenge has not been evaluated yet")
    return evaluation


def release_results(session: Session, *, actor: Actor, challenge_id: int) -> Challenge:
    challenge = owned_challenge(session, actor=actor, challenge_id=challenge_id)
    if latest_evaluation(session, challenge) is None:
        raise Conflict("Evaluate the challenge before releasing results")
    challenge.results_released_at = utcnow()
    session.flush()
    return challenge


def supplier_results(session: Session, *, actor: Actor, challenge_id: int) -> dict[str, Any]:
    """What a supplier may see: its own submissions' aggregates, once released, with cells
    below the minimum denominator withheld. Never gold labels, cases or other suppliers."""
    from missionhub.challenges.release import released_view

    challenge = get_challenge(session, actor=actor, challenge_id=challenge_id)
    require(is_supplier(actor) or can_own(actor, challenge), "Sign in as a supplier")
    mine = {str(s.id) for s in challenge.submissions if actor.belongs_to(s.organisation_id)}
    evaluation = latest_evaluation(session, challenge)
    if challenge.results_released_at is None or evaluation is None:
        return {"released": False, "submissions": []}
    return released_view(evaluation.results, mine, challenge.min_denominator)
