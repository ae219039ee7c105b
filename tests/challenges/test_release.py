"""What suppliers see of their own results (decision 0057): no withheld figure can be worked
out from the shown ones, counts and rates are rounded, and each supplier organisation has a
limited number of submissions. The owner's report keeps every exact figure."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy.orm import Session

from missionhub.challenges import jobs, service
from missionhub.challenges.evaluation import SubmissionArrays, evaluate
from missionhub.challenges.models import SubmissionStatus
from missionhub.challenges.release import released_cells, round_count, round_rate
from missionhub.challenges.schemas import ChallengeIn, EndpointIn
from missionhub.challenges.suites import suite_arrays
from missionhub.db.session import Database
from missionhub.errors import Conflict
from missionhub.jobs.worker import work_until_empty
from tests.challenges.conftest import ChallengeWorld, FakeModel, predictions_for

MIN_N = 30


def _suite(groups: dict[str, list[str]], seed: int = 7) -> pd.DataFrame:
    """Cases with the given group columns, random gold labels, no templates."""
    rng = np.random.default_rng(seed)
    n = len(next(iter(groups.values())))
    frame = pd.DataFrame(
        {
            "case_id": [f"c{i}" for i in range(n)],
            "label": np.where(rng.random(n) < 0.4, "hateful", "non-hateful"),
            "template_id": "",
            "functionality": "",
        }
    )
    for name, values in groups.items():
        frame[f"group_{name}"] = values
    return frame


def _cells(frame: pd.DataFrame, seed: int = 3) -> tuple[list[dict], list[dict]]:
    """The owner's exact cells and the supplier's released ones, for one submission."""
    rng = np.random.default_rng(seed)
    gold = (frame["label"] == "hateful").to_numpy()
    pred = np.where(rng.random(len(frame)) < 0.8, gold, ~gold)
    results = evaluate(
        suite_arrays(frame, "hateful"),
        [SubmissionArrays("1", "Model", pred)],
        min_denominator=MIN_N,
        n_resamples=20,
    )
    exact = results["submissions"][0]["cells"]
    return exact, released_cells(exact, MIN_N)


def _repeat(counts: dict[str, int]) -> list[str]:
    return [name for name, count in counts.items() for _ in range(count)]


def _withheld(released: list[dict], grouping: str) -> set[str]:
    return {c["cell"] for c in released if c["grouping"] == grouping and c["withheld"]}


def _recoverable(
    frame: pd.DataFrame, released: list[dict], metric: str | None = None
) -> list[tuple[str, str]]:
    """Withheld cells whose size a supplier could compute exactly from the shown cells, by any
    sums and differences. Independent of the code under test: every cell is a set of atoms
    (the finest combination of every group column), a shown cell is an equation over the
    atoms, and a withheld cell can be computed exactly iff its row lies in their span."""
    groups = sorted(c for c in frame.columns if c.startswith("group_"))
    atoms = frame[groups].astype(str).agg("|".join, axis=1)
    index = {a: i for i, a in enumerate(sorted(atoms.unique()))}

    def row(cell: dict) -> np.ndarray:
        vector = np.zeros(len(index))
        if cell["grouping"] == "overall":
            vector[:] = 1
            return vector
        names = [f"group_{g}" for g in cell["grouping"].split(" \u00d7 ")]
        labels = cell["cell"].split(" \u00d7 ")
        mask = np.ones(len(frame), dtype=bool)
        for name, label in zip(names, labels, strict=True):
            mask &= frame[name].astype(str).to_numpy() == label
        for atom in atoms[mask].unique():
            vector[index[atom]] = 1
        return vector

    def hidden(cell: dict) -> bool:
        return cell["withheld"] if metric is None else cell["metrics"][metric]["withheld"]

    shown = [row(c) for c in released if not hidden(c)]
    base = np.linalg.matrix_rank(np.array(shown)) if shown else 0
    return [
        (c["grouping"], c["cell"])
        for c in released
        if hidden(c)
        and np.linalg.matrix_rank(np.array([*shown, row(c)])) == base  # in the span: derivable
    ]


# Complementary suppression -------------------------------------------------------------------


def test_a_lone_small_cell_takes_the_next_smallest_with_it() -> None:
    frame = _suite({"sex": _repeat({"F": 100, "M": 20})})
    _exact, released = _cells(frame)
    # M alone withheld would be overall minus F: F is withheld too
    assert _withheld(released, "sex") == {"F", "M"}
    assert _recoverable(frame, released) == []
    assert released[0]["withheld"] is False  # everyone is still shown


def test_two_small_cells_that_together_reach_the_minimum_protect_each_other() -> None:
    frame = _suite({"sex": _repeat({"F": 100, "M": 20, "X": 15})})
    _exact, released = _cells(frame)
    assert _withheld(released, "sex") == {"M", "X"}


def test_withheld_cells_that_together_stay_small_take_another_with_them() -> None:
    # M and X together are 20 cases: overall minus F would give an aggregate of 20
    frame = _suite({"sex": _repeat({"F": 100, "G": 60, "M": 10, "X": 10})})
    _exact, released = _cells(frame)
    assert _withheld(released, "sex") == {"G", "M", "X"}


def _three_attributes(seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(150, 600))
    return _suite(
        {
            "sex": list(rng.choice(["F", "M", "X"], size=n, p=[0.5, 0.45, 0.05])),
            "race": list(rng.choice(list("ABCDE"), size=n, p=[0.55, 0.2, 0.12, 0.08, 0.05])),
            "age": list(
                rng.choice(["<25", "25-44", "45-64", "65+"], size=n, p=[0.2, 0.45, 0.25, 0.1])
            ),
        },
        seed=seed,
    )


@pytest.mark.parametrize("seed", [0, 9, 11, 23])
def test_no_withheld_cell_of_an_intersection_can_be_recovered_by_subtraction(seed: int) -> None:
    frame = _three_attributes(seed)
    exact, released = _cells(frame, seed)
    primary_only = [c | {"withheld": c["n"] < MIN_N} for c in exact]
    assert _recoverable(frame, primary_only), "a case where primary suppression alone leaks"
    assert any(not c["withheld"] for c in released if c["dimension"] == "intersection")
    assert _recoverable(frame, released) == []
    for metric in ("accuracy", "precision", "recall", "fpr", "fnr", "selection_rate", "f1"):
        assert _recoverable(frame, released, metric) == [], metric


def test_without_complementary_suppression_the_lone_cell_would_be_recoverable() -> None:
    """The check above can fail: with primary suppression alone, M is overall minus F."""
    frame = _suite({"sex": _repeat({"F": 100, "M": 20})})
    exact, _released = _cells(frame)
    primary_only = [c | {"withheld": c["n"] < MIN_N} for c in exact]
    assert _recoverable(frame, primary_only) == [("sex", "M")]


# Rounding ------------------------------------------------------------------------------------


def test_counts_round_to_tens_and_rates_to_whole_points_with_intervals_outwards() -> None:
    assert [round_count(v) for v in (34, 35, 63, 120.0, None)] == [30, 40, 60, 120, None]
    assert round_rate(0.8749) == 0.87
    assert round_rate(0.285) == 0.29
    assert round_rate(0.8712, lambda x: int(np.floor(x))) == 0.87
    assert round_rate(0.8712, lambda x: int(np.ceil(x))) == 0.88


def test_no_exact_count_or_rate_reaches_the_supplier() -> None:
    frame = _suite({"sex": _repeat({"F": 163, "M": 137})})
    exact, released = _cells(frame)
    for owner, shown in zip(exact, released, strict=True):
        if shown["withheld"]:
            continue
        assert shown["n"] % 10 == 0
        assert abs(shown["n"] - owner["n"]) <= 5
        for metric, entry in shown["metrics"].items():
            if entry["withheld"] or entry["value"] is None:
                continue
            exact_entry = owner["metrics"][metric]
            assert entry["value"] == round(entry["value"], 2)
            assert abs(entry["value"] - exact_entry["value"]) <= 0.005 + 1e-12
            if entry["low"] is not None:
                assert entry["low"] <= exact_entry["low"] <= exact_entry["high"] <= entry["high"]
            assert entry["den"] % 10 == 0
    assert {c["n"] for c in released} == {300, 160, 140}


def test_released_results_are_rounded_and_the_owners_report_exact(
    cw: ChallengeWorld, db: Database, session: Session
) -> None:
    challenge = cw.open()
    suite = cw.suite_frame(challenge)
    supplier = cw.supplier()
    cw.submit(challenge, supplier, predictions_for(suite, wrong_for="women"))
    cw.close(challenge)
    jobs.evaluate_now(session, actor=cw.world.actor(cw.owner), challenge_id=challenge.id)
    service.release_results(session, actor=cw.world.actor(cw.owner), challenge_id=challenge.id)
    view = service.supplier_results(
        session, actor=cw.world.actor(supplier), challenge_id=challenge.id
    )
    report = service.owner_report(
        session, actor=cw.world.actor(cw.owner), challenge_id=challenge.id
    )
    owner = report.results["submissions"][0]["cells"][0]["metrics"]["precision"]
    shown = view["submissions"][0]["cells"][0]["metrics"]["precision"]
    assert owner["value"] == pytest.approx(60 / 80)  # 60 hateful right, 20 women wrongly flagged
    assert owner["den"] == 80
    assert shown["value"] == 0.75
    assert shown["low"] == np.floor(owner["low"] * 100) / 100
    assert shown["high"] == np.ceil(owner["high"] * 100) / 100
    assert owner["low"] != shown["low"]


# The limit on submissions ----------------------------------------------------------------------


def test_each_supplier_organisation_has_a_limited_number_of_submissions(
    cw: ChallengeWorld, session: Session
) -> None:
    challenge = cw.open(cw.with_suite(cw.challenge(max_submissions_per_supplier=2)))
    preds = predictions_for(cw.suite_frame(challenge))
    acme = cw.supplier("Acme Analytics Ltd")
    colleague = cw.world.user(acme.role, acme.organisation)
    beta = cw.supplier("Beta Models Ltd")
    cw.submit(challenge, acme, preds, "First")
    cw.submit(challenge, colleague, preds, "Second")  # the limit is per organisation
    with pytest.raises(Conflict, match="made 2 of the 2 submissions this challenge allows"):
        cw.submit(challenge, acme, preds, "Third")
    with pytest.raises(Conflict, match="made 2 of the 2"):
        service.register_endpoint(
            session,
            actor=cw.world.actor(colleague),
            challenge_id=challenge.id,
            data=EndpointIn(name="Fourth", endpoint_url="http://127.0.0.1:9/x"),
            allow_private=True,
        )
    assert cw.submit(challenge, beta, preds, "Beta's first").status is SubmissionStatus.RECEIVED
    left = service.submissions_left(session, actor=cw.world.actor(beta), challenge=challenge)
    assert left == 1


def test_an_endpoint_that_failed_does_not_count(
    cw: ChallengeWorld, db: Database, session: Session, fake_model: FakeModel
) -> None:
    challenge = cw.open(cw.with_suite(cw.challenge(max_submissions_per_supplier=1)))
    supplier = cw.supplier()
    fake_model.broken = True
    submission, _ = service.register_endpoint(
        session,
        actor=cw.world.actor(supplier),
        challenge_id=challenge.id,
        data=EndpointIn(name="Broken", endpoint_url=fake_model.url),
        allow_private=True,
    )
    with pytest.raises(Conflict, match="made 1 of the 1 submission this"):
        cw.submit(challenge, supplier, predictions_for(cw.suite_frame(challenge)))
    session.flush()
    work_until_empty(db)
    session.expire_all()
    assert submission.status is SubmissionStatus.FAILED
    fixed = cw.submit(challenge, supplier, predictions_for(cw.suite_frame(challenge)))
    assert fixed.status is SubmissionStatus.RECEIVED


@pytest.mark.parametrize("value", [0, -1, 21, 1000])
def test_the_limit_is_between_one_and_twenty(cw: ChallengeWorld, value: int) -> None:
    mission_id = next(iter(cw.missions.values())).id
    with pytest.raises(ValidationError, match="max_submissions_per_supplier"):
        ChallengeIn(title="T", brief="B", mission_id=mission_id, max_submissions_per_supplier=value)
    assert (
        ChallengeIn(title="T", brief="B", mission_id=mission_id).max_submissions_per_supplier == 3
    )


def test_the_form_and_the_api_take_and_check_the_limit(
    cw: ChallengeWorld, client: TestClient
) -> None:
    from tests.challenges.test_web import _csrf

    cw.world.sign_in(client, cw.owner)
    mission_id = next(iter(cw.missions.values())).id
    form = {
        "csrf_token": _csrf(client, "/challenges/new"),
        "title": "Limited",
        "brief": "A brief",
        "mission_id": str(mission_id),
        "positive_label": "hateful",
        "negative_label": "non-hateful",
        "primary_metric": "f1",
        "min_denominator": "30",
        "max_submissions_per_supplier": "0",
    }
    refused = client.post("/challenges/new", data=form)
    assert refused.status_code == 400
    assert "Submissions per supplier" in refused.text
    created = client.post("/challenges/new", data=form | {"max_submissions_per_supplier": "5"})
    assert created.status_code == 303
    challenge_id = int(created.headers["location"].rsplit("/", 1)[1])
    page = client.get(f"/challenges/{challenge_id}")
    assert "5 at most" in page.text
    api = client.get(f"/api/challenges/{challenge_id}", headers=cw.world.bearer(cw.owner))
    assert api.json()["max_submissions_per_supplier"] == 5
    bad = client.post(
        "/api/challenges",
        headers=cw.world.bearer(cw.owner),
        json={
            "title": "T",
            "brief": "B",
            "mission_id": mission_id,
            "max_submissions_per_supplier": 99,
        },
    )
    assert bad.status_code == 422
