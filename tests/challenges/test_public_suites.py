"""Ready-made suites from public datasets: case ids and order that do not lead back to the
public file's rows, and a warning to owners that the labels may be known to suppliers."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from missionhub.challenges import jobs, service, suites
from missionhub.challenges.models import Challenge
from missionhub.errors import Conflict
from tests.challenges.conftest import ChallengeWorld
from tests.conftest import DATA_DIR, require_data

OPAQUE = re.compile(r"^case-[0-9a-f]{16}$")


def _import(cw: ChallengeWorld, challenge: Challenge, source: str = "hatecheck") -> None:
    service.import_suite(
        cw.session,
        actor=cw.world.actor(cw.owner),
        challenge_id=challenge.id,
        source=source,
        data_dir=DATA_DIR,
    )


def test_adult_cases_get_random_ids_in_a_random_order() -> None:
    public = suites.import_adult(require_data("assurance", "adult.test"))
    first, _ = suites.import_source("adult", DATA_DIR)
    second, _ = suites.import_source("adult", DATA_DIR)
    assert first["case_id"].map(OPAQUE.match).all()
    assert not set(first["case_id"]) & set(public["case_id"])  # no "adult-1"
    assert not set(first["case_id"]) & set(second["case_id"])
    assert first["case_id"].is_unique
    features = [c for c in public.columns if c != "case_id"]
    # the same cases, in another order: the n-th input is not the file's n-th row
    assert (first[features].head(50).to_numpy() != public[features].head(50).to_numpy()).any()
    key = features
    pd.testing.assert_frame_equal(
        first[key].sort_values(key).reset_index(drop=True),
        public[key].sort_values(key).reset_index(drop=True),
    )


def test_an_imported_suite_gives_suppliers_no_public_ids(
    cw: ChallengeWorld, session: Session
) -> None:
    challenge = cw.challenge()
    _import(cw, challenge)
    public = suites.import_hatecheck(require_data("assurance", "hatecheck_test_suite_cases.csv"))
    cw.open(challenge)
    inputs = service.suite_inputs(
        session, actor=cw.world.actor(cw.supplier()), challenge_id=challenge.id
    )
    assert len(inputs) == 3728
    assert inputs["case_id"].map(OPAQUE.match).all()
    assert not set(inputs["case_id"]) & set(public["case_id"])
    assert inputs["text"].head(20).tolist() != public["text"].head(20).tolist()
    stored = cw.suite_frame(challenge)
    assert sorted(stored["label"]) == sorted(public["label"])  # the gold labels came along


def test_the_same_dataset_is_not_imported_twice(cw: ChallengeWorld) -> None:
    challenge = cw.challenge()
    _import(cw, challenge)
    with pytest.raises(Conflict, match="already version 1"):
        _import(cw, challenge)


def test_owners_are_warned_on_the_page_and_in_the_report(
    cw: ChallengeWorld, client: TestClient, session: Session
) -> None:
    challenge = cw.challenge()
    _import(cw, challenge)
    cw.open(challenge)
    supplier = cw.supplier()
    frame = cw.suite_frame(challenge)
    cw.submit(challenge, supplier, frame[["case_id", "label"]])
    cw.close(challenge)
    jobs.evaluate_now(session, actor=cw.world.actor(cw.owner), challenge_id=challenge.id)
    session.flush()

    cw.world.sign_in(client, cw.owner)
    warning = "This suite comes from a public dataset (HateCheck (English))"
    assert warning in client.get(f"/challenges/{challenge.id}").text
    report = client.get(f"/challenges/{challenge.id}/report")
    assert warning in report.text
    assert "its labels may be known to suppliers" in report.text  # the ATRS testing data field

    cw.world.sign_in(client, supplier)
    assert warning not in client.get(f"/challenges/{challenge.id}").text


def test_an_uploaded_suite_carries_no_warning(cw: ChallengeWorld, client: TestClient) -> None:
    challenge = cw.with_suite(cw.challenge())
    cw.session.flush()
    cw.world.sign_in(client, cw.owner)
    page = client.get(f"/challenges/{challenge.id}")
    assert "Hidden test suite" in page.text
    assert "public dataset" not in page.text
