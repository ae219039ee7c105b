"""Background jobs: call a supplier's endpoint for every case, and evaluate a challenge."""

from __future__ import annotations

from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from missionhub.accounts.permissions import Actor
from missionhub.challenges import predictions as preds
from missionhub.challenges import service, suites
from missionhub.challenges.endpoint import EndpointError, EndpointPolicy, call_endpoint
from missionhub.challenges.evaluation import Progress, SubmissionArrays, evaluate
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
    submission = session.get(Submission, ctx.params["submission_id"])
    if submission is None:
        raise NotFound("The submission no longer exists")
    challenge = submission.challenge
    frame = service.suite_frame(session, submission.suite)
    inputs = suites.inputs_frame(frame, submission.suite.input_columns)
    policy = EndpointPolicy(allow_private=bool(ctx.params.get("allow_private")))
    try:
        assert submission.endpoint_url is not None
        raw = call_endpoint(
            submission.endpoint_url,
            inputs,
            policy,
            progress=lambda done, total: ctx.progress(done, total, "Cases sent"),
        )
        parsed = preds.parse_predictions(raw, 1, frame["case_id"], challenge.labels)
    except (EndpointError, Invalid) as exc:
        # Recorded in this job's own transaction, so the job succeeds with the submission
        # marked failed and the reason kept (a failed job would roll the record back).
        submission.status = SubmissionStatus.FAILED
        submission.error = str(exc)[:2000]
        session.flush()
        return {
            "link": f"/challenges/{challenge.id}",
            "link_text": "The endpoint failed: see why on the challenge",
            "error": submission.error,
        }
    service._store(submission, parsed)
    session.flush()
    return {"link": f"/challenges/{challenge.id}", "link_text": "Back to the challenge"}


@handler(EVALUATE)
def run_evaluation(session: Session, ctx: JobContext) -> dict[str, Any]:
    evaluation = evaluate_now(
        session,
        actor=ctx.actor,
        challenge_id=ctx.params["challenge_id"],
        job_id=ctx.job_id,
        progress=lambda done, total, message: ctx.progress(done, total, message),
    )
    return {
        "link": f"/challenges/{evaluation.challenge_id}/report",
        "link_text": "See the report",
    }


def evaluate_now(
    session: Session,
    *,
    actor: Actor,
    challenge_id: int,
    job_id: int | None = None,
    progress: Progress | None = None,
) -> Evaluation:
    """Evaluate every received submission against the current suite and store the result."""
    challenge = service.owned_challenge(session, actor=actor, challenge_id=challenge_id)
    suite = challenge.suite
    subs = service.evaluable(challenge)
    if suite is None or not subs:
        raise NotFound("Nothing to evaluate")
    frame = service.suite_frame(session, suite)
    arrays = suites.suite_arrays(frame, challenge.positive_label)
    answers = [_arrays(session, s, challenge.positive_label) for s in subs]
    results = evaluate(
        arrays,
        answers,
        min_denominator=challenge.min_denominator,
        primary_metric=challenge.primary_metric,
        progress=progress,
    )
    results["suite"] = {
        "id": suite.id,
        "version": suite.version,
        "content_sha256": suite.content_sha256,
        "file_sha256": suite.file_sha256,
        "filename": suite.filename,
        "source": suite.source,
    }
    results["predictions_sha256"] = {str(s.id): s.predictions_sha256 for s in subs}
    evaluation = Evaluation(
        challenge_id=challenge.id,
        suite_id=suite.id,
        job_id=job_id,
        submission_ids=[str(s.id) for s in subs],
        results=results,
        results_sha256=_digest(results),
        created_by_id=actor.user_id,
    )
    session.add(evaluation)
    challenge.status = ChallengeStatus.EVALUATED
    challenge.results_released_at = None
    session.flush()
    return evaluation


def _arrays(session: Session, sub: Submission, positive: str) -> SubmissionArrays:
    frame = service.predictions_frame(session, sub)
    scores = frame["score"].to_numpy(dtype=np.float64) if sub.has_scores else None
    pred = (frame["label"] == positive).to_numpy()
    return SubmissionArrays(str(sub.id), f"{sub.name} ({sub.organisation.name})", pred, scores)


def _digest(results: dict[str, Any]) -> str:
    import hashlib
    import json

    return hashlib.sha256(json.dumps(results, sort_keys=True).encode()).hexdigest()
