"""Background jobs: call a supplier's endpoint for every case, and evaluate a challenge."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from missionhub.accounts.permissions import Actor
from missionhub.challenges import predictions as preds
from missionhub.challenges import service, suites
from missionhub.challenges.endpoint import EndpointError, EndpointPolicy, call_endpoint
from missionhub.challenges.evaluation import Progress, SubmissionArrays, SuiteArrays, evaluate
from missionhub.challenges.models import (
    Challenge,
    ChallengeStatus,
    Evaluation,
    Submission,
    SubmissionStatus,
)
from missionhub.errors import Invalid, NotFound
from missionhub.jobs.models import Job
from missionhub.jobs.service import JobContext, enqueue, handler

COLLECT = "challenges.collect"
EVALUATE = "challenges.evaluate"


def enqueue_collection(
    session: Session, actor: Actor, submission: Submission, allow_private: bool
) -> Job:
    return enqueue(
        session,
        actor=actor,
        kind=COLLECT,
        title=f"Calling the endpoint for {submission.name}",
        params={"submission_id": submission.id, "allow_private": allow_private},
    )


def enqueue_evaluation(session: Session, actor: Actor, challenge: Challenge) -> Job:
    return enqueue(
        session,
        actor=actor,
        kind=EVALUATE,
        title=f"Evaluating {challenge.title}",
        params={"challenge_id": challenge.id},
    )


@handler(COLLECT)
def collect(session: Session, ctx: JobContext) -> dict[str, Any]:
    """Call the endpoint in batches; store the predictions, or record why it failed."""
    submission_id = ctx.params["submission_id"]
    with ctx.db.transaction(ctx.actor) as read:  # read apart from the writes (see run_evaluation)
        found = read.get(Submission, submission_id)
        if found is None or found.endpoint_url is None:
            raise NotFound("The submission no longer exists")
        url, labels = found.endpoint_url, found.challenge.labels
        frame = service.suite_frame(read, found.suite)
        inputs = suites.inputs_frame(frame, found.suite.input_columns)
    policy = EndpointPolicy(allow_private=bool(ctx.params.get("allow_private")))
    error = None
    try:
        raw = call_endpoint(
            url,
            inputs,
            policy,
            progress=lambda done, total: ctx.progress(done, total, "Cases sent"),
        )
        parsed = preds.parse_predictions(raw, 1, frame["case_id"], labels)
    except (EndpointError, Invalid) as exc:
        error = str(exc)[:2000]
    submission = session.get(Submission, submission_id)
    assert submission is not None
    link = f"/challenges/{submission.challenge_id}"
    if error is not None:
        # Kept in this job's own transaction: the job succeeds, the submission is marked
        # failed with the reason (a failed job would roll the record back).
        submission.status = SubmissionStatus.FAILED
        submission.error = error
        session.flush()
        return {"link": link, "link_text": "The endpoint failed: see why", "error": error}
    service._store(submission, parsed)
    session.flush()
    return {"link": link, "link_text": "Back to the challenge"}


@handler(EVALUATE)
def run_evaluation(session: Session, ctx: JobContext) -> dict[str, Any]:
    # Read in a short transaction of its own, compute, then write in the job's transaction:
    # on SQLite a transaction that read before the progress updates could not write after them.
    with ctx.db.transaction(ctx.actor) as read:
        prepared = prepare(read, actor=ctx.actor, challenge_id=ctx.params["challenge_id"])
    results = compute(prepared, lambda done, total, message: ctx.progress(done, total, message))
    evaluation = store(
        session, actor=ctx.actor, prepared=prepared, results=results, job_id=ctx.job_id
    )
    return {
        "link": f"/challenges/{evaluation.challenge_id}/report",
        "link_text": "See the report",
    }


@dataclass(frozen=True)
class Prepared:
    """Everything an evaluation reads, held in memory."""

    challenge_id: int
    suite: dict[str, Any]
    suite_arrays: SuiteArrays
    answers: list[SubmissionArrays]
    predictions_sha256: dict[str, str | None]
    min_denominator: int
    primary_metric: str


def prepare(session: Session, *, actor: Actor, challenge_id: int) -> Prepared:
    challenge = service.owned_challenge(session, actor=actor, challenge_id=challenge_id)
    suite = challenge.suite
    subs = service.evaluable(challenge)
    if suite is None or not subs:
        raise NotFound("Nothing to evaluate")
    frame = service.suite_frame(session, suite)
    return Prepared(
        challenge_id=challenge.id,
        suite={
            "id": suite.id,
            "version": suite.version,
            "content_sha256": suite.content_sha256,
            "file_sha256": suite.file_sha256,
            "filename": suite.filename,
            "source": suite.source,
        },
        suite_arrays=suites.suite_arrays(frame, challenge.positive_label),
        answers=[_arrays(session, s, challenge.positive_label) for s in subs],
        predictions_sha256={str(s.id): s.predictions_sha256 for s in subs},
        min_denominator=challenge.min_denominator,
        primary_metric=challenge.primary_metric,
    )


def compute(prepared: Prepared, progress: Progress | None = None) -> dict[str, Any]:
    results = evaluate(
        prepared.suite_arrays,
        prepared.answers,
        min_denominator=prepared.min_denominator,
        primary_metric=prepared.primary_metric,
        progress=progress,
    )
    results["suite"] = prepared.suite
    results["predictions_sha256"] = prepared.predictions_sha256
    return results


def store(
    session: Session,
    *,
    actor: Actor,
    prepared: Prepared,
    results: dict[str, Any],
    job_id: int | None = None,
) -> Evaluation:
    challenge = service.owned_challenge(session, actor=actor, challenge_id=prepared.challenge_id)
    evaluation = Evaluation(
        challenge_id=challenge.id,
        suite_id=prepared.suite["id"],
        job_id=job_id,
        submission_ids=list(prepared.predictions_sha256),
        results=results,
        results_sha256=_digest(results),
        created_by_id=actor.user_id,
    )
    session.add(evaluation)
    challenge.status = ChallengeStatus.EVALUATED
    challenge.results_released_at = None
    session.flush()
    return evaluation


def evaluate_now(session: Session, *, actor: Actor, challenge_id: int) -> Evaluation:
    """Prepare, compute and store in one session (the demo loader, tests)."""
    prepared = prepare(session, actor=actor, challenge_id=challenge_id)
    return store(session, actor=actor, prepared=prepared, results=compute(prepared))


def _arrays(session: Session, sub: Submission, positive: str) -> SubmissionArrays:
    frame = service.predictions_frame(session, sub)
    scores = frame["score"].to_numpy(dtype=np.float64) if sub.has_scores else None
    pred = (frame["label"] == positive).to_numpy()
    return SubmissionArrays(str(sub.id), f"{sub.name} ({sub.organisation.name})", pred, scores)


def _digest(results: dict[str, Any]) -> str:
    import hashlib
    import json

    return hashlib.sha256(json.dumps(results, sort_keys=True).encode()).hexdigest()
