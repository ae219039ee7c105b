"""Browser journey for challenges (Chromium, every page checked with axe-core): an owner opens
a challenge and uploads a suite, a supplier submits, the owner evaluates, reads the report and
downloads the PDF, and the supplier sees only the released aggregates."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from tests.browser.conftest import Journey
from tests.challenges.conftest import predictions_for, small_suite

pytestmark = pytest.mark.browser

OWNER, SUPPLIER = "member@moj.missionhub.example", "supplier@supplier.missionhub.example"


def test_owner_opens_a_challenge_supplier_submits_owner_reads_the_report(
    journey: Journey, tmp_path: Path
) -> None:
    page = journey.page
    title = f"Flag hateful posts {secrets.token_hex(3)}"
    suite = small_suite()
    suite_file = tmp_path / "suite.csv"
    suite.to_csv(suite_file, index=False)
    answers = tmp_path / "predictions.csv"
    predictions_for(suite, wrong_for="Muslims").to_csv(answers, index=False)

    journey.sign_in(OWNER)
    journey.goto("/challenges/new")
    journey.submit("Create challenge")  # empty: the error summary names the fields
    assert "Enter title" in page.locator(".govuk-error-summary").inner_text()
    page.get_by_label("Title").fill(title)
    page.get_by_label("Brief").fill("Find hateful posts among reports of online abuse.")
    page.get_by_label("Mission", exact=True).select_option(index=1)
    journey.submit("Create challenge")
    assert page.get_by_role("heading", level=1).inner_text() == title
    challenge_url = page.url.replace(journey.base, "")

    page.get_by_role("link", name="Add a hidden test suite").click()
    journey.check()
    page.get_by_label("Upload a CSV or Parquet file").check()
    page.get_by_label("Suite file (CSV or Parquet)").set_input_files(str(suite_file))
    journey.submit("Store the suite")
    assert "Suite version 1 stored: 120 cases" in page.inner_text("main")
    journey.submit("Open to suppliers")
    assert "The challenge is now open" in page.inner_text("main")
    journey.sign_out()

    journey.sign_in(SUPPLIER)
    journey.goto(challenge_url)
    assert "Hidden test suite" not in page.inner_text("main")
    page.get_by_role("link", name="Upload predictions").click()
    journey.check()
    page.get_by_label("Solution name").fill("Journey model")
    page.get_by_label("Predictions file").set_input_files(str(answers))
    journey.submit("Submit predictions")
    assert "Predictions received" in page.inner_text("main")
    assert "your organisation has 2 left" in page.inner_text("#submissions-left")
    journey.sign_out()

    journey.sign_in(OWNER)
    journey.goto(challenge_url)
    journey.submit("Close to submissions")
    journey.submit("Evaluate 1 submission")
    page.get_by_role("link", name="See the report").wait_for(timeout=30_000)
    journey.check()
    page.get_by_role("link", name="See the report").click()
    journey.check()
    assert "Evaluation report" in page.inner_text("h1")
    gaps = page.locator("#gaps-table").inner_text()
    assert "Muslims" in gaps
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the report (PDF)").click()
    pdf = Path(download.value.path())
    assert pdf.read_bytes().startswith(b"%PDF")
    journey.goto(challenge_url)
    journey.submit("Release aggregate results to suppliers")
    assert "released to each supplier" in page.inner_text("main")
    journey.sign_out()

    journey.sign_in(SUPPLIER)
    journey.goto(challenge_url)
    page.get_by_role("link", name="See your results").click()
    journey.check()
    text = page.inner_text("main")
    assert "Released aggregates for Journey model" in text
    assert "Case counts are rounded to the nearest 10" in text
    for secret in ("c0-women", "template 0", "Largest group gaps", "non-hateful"):
        assert secret not in text
    response = page.goto(journey.base + challenge_url + "/report")
    journey.check()
    assert response is not None
    assert response.status == 403
