"""Pages, API and CLI over the same services: forms with CSRF, uploads, the report (HTML,
PDF, CSV), and what suppliers and the public can and cannot reach."""

from __future__ import annotations

import io
import json
import re

import pandas as pd
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from missionhub.challenges import service
from missionhub.challenges.cli import app as cli_app
from missionhub.db.session import Database
from missionhub.jobs.worker import work_until_empty
from tests.challenges.conftest import ChallengeWorld, predictions_for, small_suite
from tests.conftest import require_data


def _csrf(client: TestClient, path: str) -> str:
    page = client.get(path)
    assert page.status_code == 200, page.text[:500]
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match, "form without a CSRF token"
    return match.group(1)


def _csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode()


def test_owner_creates_a_challenge_and_uploads_a_suite_through_the_pages(
    cw: ChallengeWorld, client: TestClient
) -> None:
    cw.world.sign_in(client, cw.owner)
    token = _csrf(client, "/challenges/new")
    refused = client.post("/challenges/new", data={"title": "No token"})
    assert refused.status_code == 403
    empty = client.post("/challenges/new", data={"csrf_token": token})
    assert empty.status_code == 400
    assert "Enter title" in empty.text
    assert "Choose the use case or the mission" in empty.text
    mission = next(iter(cw.missions.values()))
    made = client.post(
        "/challenges/new",
        data={
            "csrf_token": token,
            "title": "Spot hateful posts",
            "brief": "Find them.",
            "mission_id": str(mission.id),
            "positive_label": "hateful",
            "negative_label": "non-hateful",
            "primary_metric": "f1",
            "min_denominator": "30",
        },
    )
    assert made.status_code == 303
    url = made.headers["location"]
    bad = small_suite()
    bad.loc[0, "label"] = "spam"
    token = _csrf(client, url + "/suite")
    refused = client.post(
        url + "/suite",
        data={"csrf_token": token, "source": "upload"},
        files={"file": ("suite.csv", _csv(bad), "text/csv")},
    )
    assert refused.status_code == 400
    assert "Row 2, column label: Unknown label &#39;spam&#39;" in refused.text
    stored = client.post(
        url + "/suite",
        data={"csrf_token": token, "source": "upload"},
        files={"file": ("suite.csv", _csv(small_suite()), "text/csv")},
    )
    assert stored.status_code == 303
    page = client.get(url)
    assert "Suite versions" in page.text
    assert "suite.csv" in page.text


def test_supplier_submits_owner_evaluates_and_downloads_the_report(
    cw: ChallengeWorld, client: TestClient, db: Database
) -> None:
    challenge = cw.open()
    supplier = cw.supplier()
    cw.world.sign_in(client, supplier)
    inputs = client.get(f"/challenges/{challenge.id}/inputs.csv")
    assert inputs.status_code == 200
    frame = pd.read_csv(io.StringIO(inputs.text))
    assert list(frame.columns) == ["case_id", "text"]
    suite = cw.suite_frame(challenge)
    token = _csrf(client, f"/challenges/{challenge.id}/submit")
    sent = client.post(
        f"/challenges/{challenge.id}/submit",
        data={"csrf_token": token, "name": "Model A"},
        files={"file": ("p.csv", _csv(predictions_for(suite, "women")), "text/csv")},
    )
    assert sent.status_code == 303, sent.text[:400]
    assert client.get(f"/challenges/{challenge.id}/report").status_code == 403
    cw.close(challenge)

    cw.world.sign_in(client, cw.owner)
    token = _csrf(client, f"/challenges/{challenge.id}")
    queued = client.post(f"/challenges/{challenge.id}/evaluate", data={"csrf_token": token})
    assert queued.headers["location"].startswith("/jobs/")
    cw.session.flush()
    work_until_empty(db)
    cw.session.expire_all()
    report = client.get(f"/challenges/{challenge.id}/report")
    assert report.status_code == 200
    assert "Largest group gaps" in report.text
    assert "For the ATRS Tier 2 record" in report.text
    assert challenge.suite is not None
    assert challenge.suite.content_sha256 in report.text
    chosen = client.get(f"/challenges/{challenge.id}/report?metric=fpr")
    assert "False positive rate by target" in chosen.text
    pdf = client.get(f"/challenges/{challenge.id}/report.pdf")
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")
    rows = pd.read_csv(io.StringIO(client.get(f"/challenges/{challenge.id}/report.csv").text))
    women = rows[(rows.cell == "women") & (rows.metric == "fpr")].iloc[0]
    assert women.value == 1.0
    assert women.denominator == 20
    assert set(rows.suite_content_sha256) == {challenge.suite.content_sha256}

    cw.world.sign_in(client, supplier)
    assert "not released results yet" in client.get(f"/challenges/{challenge.id}/results").text
    service.release_results(cw.session, actor=cw.world.actor(cw.owner), challenge_id=challenge.id)
    cw.session.flush()
    results = client.get(f"/challenges/{challenge.id}/results")
    assert "Released aggregates for Model A" in results.text
    for secret in ("c0-women", "template 0", "Largest group gaps"):
        assert secret not in results.text
    for path in ("/report", "/report.pdf", "/report.csv"):
        assert client.get(f"/challenges/{challenge.id}{path}").status_code == 403


def test_the_api_gives_suppliers_only_their_released_aggregates(
    cw: ChallengeWorld, client: TestClient, db: Database
) -> None:
    challenge = cw.open()
    supplier = cw.supplier()
    headers = cw.world.bearer(supplier)
    suite = cw.suite_frame(challenge)
    bad = predictions_for(suite).drop(index=[5, 6])
    refused = client.post(
        f"/api/challenges/{challenge.id}/submissions",
        headers=headers,
        data={"name": "API model"},
        files={"file": ("p.csv", _csv(bad), "text/csv")},
    )
    assert refused.status_code == 422
    assert "No prediction for 2 cases" in json.dumps(refused.json())
    sent = client.post(
        f"/api/challenges/{challenge.id}/submissions",
        headers=headers,
        data={"name": "API model"},
        files={"file": ("p.csv", _csv(predictions_for(suite)), "text/csv")},
    )
    assert sent.status_code == 201, sent.text
    owner = cw.world.bearer(cw.owner)
    client.post(f"/api/challenges/{challenge.id}/status", headers=owner, json={"status": "closed"})
    assert (
        client.post(f"/api/challenges/{challenge.id}/evaluations", headers=owner).status_code == 202
    )
    cw.session.flush()
    work_until_empty(db)
    cw.session.expire_all()
    assert client.get(f"/api/challenges/{challenge.id}/report", headers=headers).status_code == 403
    full = client.get(f"/api/challenges/{challenge.id}/report", headers=owner).json()
    assert full["submissions"][0]["cells"][0]["tp"] == 60
    assert client.get(f"/api/challenges/{challenge.id}/results", headers=headers).json() == {
        "released": False,
        "submissions": [],
    }
    client.post(f"/api/challenges/{challenge.id}/release", headers=owner)
    view = client.get(f"/api/challenges/{challenge.id}/results", headers=headers).json()
    assert view["submissions"][0]["name"].startswith("API model")
    assert "tp" not in view["submissions"][0]["cells"][0]
    detail = client.get(f"/api/challenges/{challenge.id}", headers=headers).json()
    assert detail["suite"] is None, "suppliers do not see the suite's hashes or groups"
    assert client.get(f"/api/challenges/{challenge.id}").status_code == 200  # a public brief


def test_cli_evaluates_files_and_prints_json(cw: ChallengeWorld, tmp_path) -> None:  # type: ignore[no-untyped-def]
    suite = small_suite()
    suite_path = cw.write(suite, "suite.parquet")
    a = cw.write(predictions_for(suite), "careful.csv")
    b = cw.write(predictions_for(suite, "women"), "biased.csv")
    result = CliRunner().invoke(
        cli_app,
        [
            "evaluate",
            "--suite",
            str(suite_path),
            "--predictions",
            str(a),
            "--predictions",
            str(b),
            "--positive",
            "hateful",
            "--resamples",
            "100",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert [r["name"] for r in out["ranking"]] == ["careful", "biased"]
    assert out["n"] == 120
    for secret in ("c0-women", "template 0"):  # aggregates only: no case leaves the command
        assert secret not in result.stdout
    bad = predictions_for(suite).iloc[1:]
    broken = CliRunner().invoke(
        cli_app,
        [
            "evaluate",
            "--suite",
            str(suite_path),
            "--predictions",
            str(cw.write(bad, "bad.csv")),
            "--positive",
            "hateful",
        ],
    )
    assert broken.exit_code == 1
    assert "No prediction for 1 case" in broken.output


def test_importers_read_the_real_datasets() -> None:
    from missionhub.challenges import suites

    hatecheck = suites.import_hatecheck(require_data("assurance", "hatecheck_test_suite_cases.csv"))
    parsed = suites.parse_suite(hatecheck, 1, ("hateful", "non-hateful"))
    assert parsed.cases == 3728
    assert parsed.positives("hateful") == 2563
    assert parsed.has_templates
    assert parsed.has_functionality
    arrays = suites.suite_arrays(parsed.frame, "hateful")
    assert len(arrays.groups["target"][1]) == 8  # seven identities and "(not stated)"
    mhc = suites.import_multilingual_hatecheck(require_data("assurance", "multilingual_hatecheck"))
    assert len(mhc) == 36582
    assert mhc["group_language"].nunique() == 10
    adult = suites.parse_suite(
        suites.import_adult(require_data("assurance", "adult.test")), 1, (">50K", "<=50K")
    )
    assert adult.cases == 16281
    assert adult.positives(">50K") == 3846
    assert adult.group_columns == ["group_age", "group_race", "group_sex"]
    assert "sex" not in adult.input_columns
    assert "age" in adult.input_columns
