"""Challenges as their users meet them: owners, suppliers, the public; suites, submissions,
evaluation as a background job, release of aggregates, and bad uploads refused whole."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from missionhub.accounts.models import AuditEvent
from missionhub.challenges import service
from missionhub.challenges.evaluation import SubmissionArrays, evaluate
from missionhub.challenges.models import (
    ChallengeStatus,
    Evaluation,
    Submission,
    SubmissionStatus,
    Suite,
)
from missionhub.challenges.suites import suite_arrays
from missionhub.db.session import Database
from missionhub.errors import Conflict, Invalid, NotFound, PermissionDenied
from missionhub.jobs.models import Job, JobStatus
from missionhub.jobs.worker import work_until_empty
from tests.challenges.conftest import ChallengeWorld, predictions_for, small_suite


def _count(session: Session, model: type) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_a_draft_is_seen_only_by_its_department_and_an_open_brief_by_everyone(
    cw: ChallengeWorld, session: Session
) -> None:
    challenge = cw.with_suite(cw.challenge())
    other = cw.world.member(cw.world.department("Ministry of Justice"))
    supplier = cw.supplier()
    for outsider in (None, other, supplier):
        with pytest.raises(NotFound):
            service.get_challenge(
                session, actor=cw.world.actor(outsider), challenge_id=challenge.id
            )
    cw.open(challenge)
    for reader in (None, other, supplier):
        found = service.get_challenge(
            session, actor=cw.world.actor(reader), challenge_id=challenge.id
        )
        assert found.status is ChallengeStatus.OPEN
    listed = service.list_challenges(session, actor=cw.world.actor(None)).items
    assert challenge in listed


def test_a_challenge_cannot_open_without_a_suite_or_skip_a_stage(
    cw: ChallengeWorld, session: Session
) -> None:
    challenge = cw.challenge()
    actor = cw.world.actor(cw.owner)
    with pytest.raises(Conflict, match="suite"):
        service.change_status(
            session, actor=actor, challenge_id=challenge.id, to=ChallengeStatus.OPEN
        )
    with pytest.raises(Conflict):
        service.change_status(
            session, actor=actor, challenge_id=challenge.id, to=ChallengeStatus.EVALUATED
        )


def test_a_challenge_must_answer_a_use_case_or_a_mission(cw: ChallengeWorld) -> None:
    with pytest.raises(Exception, match="use case or the mission"):
        cw.challenge(mission_id=None)


def test_suites_are_versioned_by_content_hash(cw: ChallengeWorld, session: Session) -> None:
    challenge = cw.with_suite(cw.challenge())
    first = challenge.suite
    assert first is not None
    assert (first.version, first.cases) == (1, 120)
    assert first.group_columns == ["group_target"]
    assert first.has_templates
    assert first.has_functionality
    reordered = small_suite().sample(frac=1.0, random_state=1)[::-1]
    same_cases = reordered.sort_index()[list(reversed(small_suite().columns))]
    with pytest.raises(Conflict, match="already version 1"):
        cw.with_suite(challenge, same_cases)
    cw.with_suite(challenge, small_suite(templates=41))
    assert [s.version for s in challenge.suites] == [2, 1]
    assert challenge.suite is not None
    assert challenge.suite.content_sha256 != first.content_sha256


def test_a_bad_suite_names_its_rows_and_stores_nothing(
    cw: ChallengeWorld, session: Session
) -> None:
    challenge = cw.challenge()
    frame = small_suite()
    frame.loc[3, "case_id"] = ""
    frame.loc[5, "case_id"] = frame.loc[4, "case_id"]
    frame.loc[7, "label"] = "offensive"
    with pytest.raises(Invalid) as caught:
        cw.with_suite(challenge, frame)
    message = str(caught.value)
    assert "row 5, column case_id: Enter a case id" in message
    assert "rows 6, 7, column case_id: Case id 'c1-black' is repeated" in message
    assert "row 9, column label: Unknown label 'offensive'" in message
    assert _count(session, Suite) == 0


def test_bad_predictions_name_the_rows_and_nothing_is_stored(
    cw: ChallengeWorld, session: Session
) -> None:
    challenge = cw.open()
    supplier = cw.supplier()
    suite = cw.suite_frame(challenge)
    bad = predictions_for(suite).iloc[:-2].astype(object)  # the last two cases: no prediction
    bad.loc[0, "case_id"] = ""
    bad.loc[2, "case_id"] = bad.loc[1, "case_id"]
    bad.loc[4, "label"] = "maybe"
    bad.loc[6, "case_id"] = "not-a-case"
    bad.loc[8, "score"] = "high"
    with pytest.raises(Invalid) as caught:
        cw.submit(challenge, supplier, bad)
    errors = {e.field + ": " + e.message for e in caught.value.errors}
    assert "row 2, column case_id: Enter a case id" in errors
    assert any(e.startswith("rows 3, 4, column case_id: Case id 'c0-black'") for e in errors)
    assert any(e.startswith("row 6, column label: Unknown label 'maybe'") for e in errors)
    assert "row 8, column case_id: Not a case in this suite: 'not-a-case'" in errors
    assert "row 10, column score: Enter the score as a number" in errors
    missing = next(e for e in errors if e.startswith("file: No prediction for"))
    assert "'c39-black'" in missing
    assert "'c39-Muslims'" in missing
    assert _count(session, Submission) == 0


def test_only_suppliers_submit_and_only_while_open(cw: ChallengeWorld, session: Session) -> None:
    challenge = cw.open()
    preds = predictions_for(cw.suite_frame(challenge))
    with pytest.raises(PermissionDenied):
        cw.submit(challenge, cw.owner, preds)
    supplier = cw.supplier()
    cw.close(challenge)
    with pytest.raises(Conflict, match="not open"):
        cw.submit(challenge, supplier, preds)


def _evaluated(cw: ChallengeWorld, db: Database) -> tuple:
    challenge = cw.open()
    suite = cw.suite_frame(challenge)
    acme, beta = cw.supplier("Acme Analytics Ltd"), cw.supplier("Beta Models Ltd")
    a = cw.submit(challenge, acme, predictions_for(suite), "Careful model")
    b = cw.submit(challenge, beta, predictions_for(suite, wrong_for="Muslims"), "Biased model")
    cw.close(challenge)
    job = service.request_evaluation(
        cw.session, actor=cw.world.actor(cw.owner), challenge_id=challenge.id
    )
    cw.session.flush()
    assert work_until_empty(db) == 1
    cw.session.expire_all()
    assert cw.session.get(Job, job.id).status is JobStatus.SUCCEEDED, cw.session.get(
        Job, job.id
    ).error
    return challenge, suite, acme, beta, a, b


def test_evaluation_runs_as_a_job_and_finds_the_biased_model(
    cw: ChallengeWorld, db: Database, session: Session
) -> None:
    challenge, suite, *_, a, b = _evaluated(cw, db)
    assert challenge.status is ChallengeStatus.EVALUATED
    evaluation = service.owner_report(
        session, actor=cw.world.actor(cw.owner), challenge_id=challenge.id
    )
    results = evaluation.results
    assert next(r["name"] for r in results["ranking"]).startswith("Careful model")
    gap = results["largest_gaps"][0]
    assert gap["cell"] == "Muslims"
    assert gap["name"].startswith("Biased model")
    # the stored numbers are the engine's numbers on the same arrays
    arrays = suite_arrays(suite, "hateful")
    direct = evaluate(
        arrays,
        [
            SubmissionArrays(
                str(a.id),
                "a",
                (predictions_for(suite)["label"] == "hateful").to_numpy(),
                predictions_for(suite)["score"].to_numpy(dtype=float),
            ),
            SubmissionArrays(
                str(b.id),
                "b",
                (predictions_for(suite, "Muslims")["label"] == "hateful").to_numpy(),
                predictions_for(suite, "Muslims")["score"].to_numpy(dtype=float),
            ),
        ],
        min_denominator=challenge.min_denominator,
    )
    assert results["submissions"][1]["cells"] == json.loads(
        json.dumps(direct["submissions"][1]["cells"])
    )
    cf = results["submissions"][1]["counterfactual"]
    assert cf["templates"] == 40
    assert cf["consistent"] == 20  # every non-hateful template: Muslims alone marked hateful
    assert {g["group"]: g["odd_one_out"] for g in cf["by_group"]}["Muslims"] == 20


def test_suppliers_see_only_their_own_released_aggregates(
    cw: ChallengeWorld, db: Database, session: Session
) -> None:
    challenge, _suite, acme, _beta, a, _b = _evaluated(cw, db)
    before = service.supplier_results(
        session, actor=cw.world.actor(acme), challenge_id=challenge.id
    )
    assert before == {"released": False, "submissions": []}
    with pytest.raises(PermissionDenied):
        service.owner_report(session, actor=cw.world.actor(acme), challenge_id=challenge.id)
    service.release_results(session, actor=cw.world.actor(cw.owner), challenge_id=challenge.id)
    view = service.supplier_results(session, actor=cw.world.actor(acme), challenge_id=challenge.id)
    assert [s["key"] for s in view["submissions"]] == [str(a.id)]
    text = json.dumps(view)
    for secret in ("c0-women", "template 0", "tp", "fn", "gap_overall", "q", "Biased model"):
        assert f'"{secret}"' not in text, secret
    cells = {c["cell"]: c for c in view["submissions"][0]["cells"]}
    # 40 cases about Muslims, 20 of them negative: under 30, the false positive rate is withheld
    assert cells["Muslims"]["n"] == 40
    assert cells["Muslims"]["metrics"]["fpr"] == {"withheld": True}
    assert cells["Muslims"]["metrics"]["accuracy"]["withheld"] is False
    overall = view["submissions"][0]["cells"][0]
    assert overall["metrics"]["accuracy"]["value"] == 1.0


def test_endpoint_is_called_in_batches_with_retries_and_only_sees_inputs(
    cw: ChallengeWorld, db: Database, session: Session, fake_model
) -> None:
    from missionhub.challenges.schemas import EndpointIn

    challenge = cw.open()
    supplier = cw.supplier()
    fake_model.fail_first = 2
    submission, job = service.register_endpoint(
        session,
        actor=cw.world.actor(supplier),
        challenge_id=challenge.id,
        data=EndpointIn(name="Hosted model", endpoint_url=fake_model.url),
        allow_private=True,
    )
    assert submission.status is SubmissionStatus.WAITING
    session.flush()
    assert work_until_empty(db) == 1
    session.expire_all()
    assert session.get(Job, job.id).status is JobStatus.SUCCEEDED, session.get(Job, job.id).error
    assert submission.status is SubmissionStatus.RECEIVED
    assert submission.has_scores
    assert fake_model.batches == [100, 20]
    assert fake_model.seen_keys == {"case_id", "inputs", "text"}
    stored = service.predictions_frame(session, submission)
    assert (stored["label"] == "hateful").sum() == 40  # the cases about women


def test_a_broken_endpoint_fails_the_job_and_says_why(
    cw: ChallengeWorld, db: Database, session: Session, fake_model
) -> None:
    from missionhub.challenges.schemas import EndpointIn

    challenge = cw.open()
    fake_model.broken = True
    submission, job = service.register_endpoint(
        session,
        actor=cw.world.actor(cw.supplier()),
        challenge_id=challenge.id,
        data=EndpointIn(name="Broken", endpoint_url=fake_model.url),
        allow_private=True,
    )
    session.flush()
    work_until_empty(db)
    session.expire_all()
    done = session.get(Job, job.id)
    assert done.status is JobStatus.SUCCEEDED
    assert "must answer" in done.result["error"]
    assert submission.status is SubmissionStatus.FAILED
    assert "must answer" in (submission.error or "")


def test_a_private_endpoint_is_refused_outside_development(
    cw: ChallengeWorld, session: Session
) -> None:
    from missionhub.challenges.schemas import EndpointIn

    challenge = cw.open()
    for url in ("http://127.0.0.1:9/x", "http://10.0.0.5/x", "http://localhost/x", "ftp://a.b/"):
        with pytest.raises(Invalid):
            service.register_endpoint(
                session,
                actor=cw.world.actor(cw.supplier()),
                challenge_id=challenge.id,
                data=EndpointIn(name="X", endpoint_url=url),
                allow_private=False,
            )


def test_writes_are_audited_without_the_hidden_data(cw: ChallengeWorld, session: Session) -> None:
    challenge = cw.open()
    events = session.scalars(
        select(AuditEvent).where(
            AuditEvent.record_type == "challenges", AuditEvent.record_id == str(challenge.id)
        )
    ).all()
    kinds = {(e.entity_type, e.action) for e in events}
    assert ("challenges", "create") in kinds
    assert ("challenge_suites", "create") in kinds
    suite_event = next(e for e in events if e.entity_type == "challenge_suites")
    assert "data" not in (suite_event.after or {})
    assert "template 0" not in json.dumps([e.after for e in events])


def test_award_needs_an_evaluated_challenge(
    cw: ChallengeWorld, db: Database, session: Session
) -> None:
    from missionhub.challenges.schemas import AwardIn

    challenge, _, _, _, a, _ = _evaluated(cw, db)
    service.award(
        session,
        actor=cw.world.actor(cw.owner),
        challenge_id=challenge.id,
        data=AwardIn(submission_id=a.id, rationale="Best and fairest"),
    )
    assert challenge.status is ChallengeStatus.AWARDED
    assert challenge.awarded_submission_id == a.id
    assert _count(session, Evaluation) == 1


def test_inputs_for_suppliers_carry_no_labels_groups_or_templates(
    cw: ChallengeWorld, session: Session
) -> None:
    challenge = cw.open()
    frame = service.suite_inputs(
        session, actor=cw.world.actor(cw.supplier()), challenge_id=challenge.id
    )
    assert list(frame.columns) == ["case_id", "text"]
    assert len(frame) == 120
    with pytest.raises(PermissionDenied):
        service.suite_inputs(session, actor=cw.world.actor(None), challenge_id=challenge.id)
    assert isinstance(np.asarray(frame["case_id"])[0], str)
    assert pd.api.types.is_string_dtype(frame["text"]) or frame["text"].dtype == object


def test_a_slow_endpoint_times_out_and_is_retried(
    cw: ChallengeWorld, db: Database, session: Session, fake_model
) -> None:
    from missionhub.challenges.endpoint import EndpointPolicy, call_endpoint

    fake_model.slow_first = 1.0
    inputs = pd.DataFrame({"case_id": ["a", "b"], "text": ["about women", "about cats"]})
    policy = EndpointPolicy(
        timeout_seconds=0.3, retries=2, backoff_seconds=0.01, allow_private=True
    )
    answer = call_endpoint(fake_model.url, inputs, policy)
    assert answer["label"].tolist() == ["hateful", "non-hateful"]
    fake_model.fail_first = 5
    with pytest.raises(Exception, match="failed after 3 attempts: answered HTTP 503"):
        call_endpoint(fake_model.url, inputs, policy)


def test_the_demo_loads_an_evaluated_hatecheck_challenge_once(session: Session) -> None:
    from missionhub.demo import DEFAULT_DEMO_PASSWORD, load_demo
    from tests.conftest import DATA_DIR

    report = load_demo(session, data_dir=DATA_DIR, password=DEFAULT_DEMO_PASSWORD)
    assert "three baseline submissions" in " ".join(report.domains)
    from missionhub.challenges.demo import TITLE

    challenge = session.scalar(select(service.Challenge).where(service.Challenge.title == TITLE))
    assert challenge is not None
    assert challenge.status is ChallengeStatus.EVALUATED
    assert challenge.results_released_at is not None
    assert len(challenge.submissions) == 3
    assert challenge.suite is not None
    assert challenge.suite.cases == 3728
    again = load_demo(session, data_dir=DATA_DIR, password=DEFAULT_DEMO_PASSWORD)
    assert "already loaded" in " ".join(again.domains)


def test_submissions_keep_to_the_challenges_dates(cw: ChallengeWorld, session: Session) -> None:
    from datetime import date, timedelta

    challenge = cw.open()
    preds = predictions_for(cw.suite_frame(challenge))
    supplier = cw.supplier()
    challenge.closes_on = date.today() - timedelta(days=1)
    with pytest.raises(Conflict, match="closed to submissions on"):
        cw.submit(challenge, supplier, preds)
    challenge.closes_on, challenge.opens_on = None, date.today() + timedelta(days=3)
    with pytest.raises(Conflict, match="opens to submissions on"):
        cw.submit(challenge, supplier, preds)
    challenge.opens_on = date.today()
    assert cw.submit(challenge, supplier, preds).status is SubmissionStatus.RECEIVED
