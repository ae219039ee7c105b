"""Browser journey for linked data (Chromium, every page checked with axe-core): a steward sets
up a project, two owners upload encodings, the link job runs with visible progress, and each
owner downloads its own mapping."""

from __future__ import annotations

import csv
import io
import secrets
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from missionhub.linkage.encoder import encode_file
from missionhub.linkage.models import LinkageProject
from missionhub.linkage.projects import current_schema
from tests.browser.conftest import Journey, LiveServer
from tests.linkage.factories import A_OPTIONS, B_OPTIONS, PEOPLE_A, PEOPLE_B, SECRET

pytestmark = pytest.mark.browser

STEWARD, DWP_OWNER, MOJ_OWNER = (
    "cio@moj.missionhub.example",
    "member@dwp.missionhub.example",
    "member@moj.missionhub.example",
)


def encode_for(live_server: LiveServer, name: str, frame, options, folder: Path) -> Path:
    """What a data owner does offline: encode its records with the schema and the secret."""
    with live_server.db.transaction() as session:
        project = session.scalar(select(LinkageProject).where(LinkageProject.name == name))
        assert project is not None
        schema = current_schema(session, project)
    source, out = folder / f"{secrets.token_hex(3)}.csv", folder / f"{secrets.token_hex(3)}.parquet"
    frame.to_csv(source, index=False)
    encode_file(source, out, schema, SECRET, options)
    return out


def upload_as(journey: Journey, email: str, project_url: str, path: Path) -> None:
    journey.sign_in(email)
    journey.goto(project_url)
    journey.page.get_by_label("Encodings file (.parquet)").set_input_files(str(path))
    journey.submit("Upload encodings")
    assert "Encodings of" in journey.page.inner_text("main")
    journey.sign_out()


def download_mapping(journey: Journey, email: str, run_url: str) -> list[dict[str, str]]:
    journey.sign_in(email)
    journey.goto(run_url)
    with journey.page.expect_download() as info:
        journey.page.get_by_role("button", name="Download your department's mapping (CSV)").click()
    text = Path(info.value.path()).read_text()
    journey.sign_out()
    return list(csv.DictReader(io.StringIO(text)))


def test_steward_sets_up_owners_upload_the_job_links_and_each_owner_gets_its_mapping(
    journey: Journey, live_server: LiveServer, tmp_path: Path
) -> None:
    page = journey.page
    name = f"Court attendance {secrets.token_hex(3)}"
    journey.sign_in(STEWARD)
    journey.goto("/linkage")
    page.get_by_role("button", name="Set up a linkage project").click()
    journey.check()
    journey.submit("Set up project")
    assert "Enter project name" in page.locator(".govuk-error-summary").inner_text()
    page.get_by_label("Project name").fill(name)
    page.get_by_label("Purpose").fill("Follow victims' journeys through courts and services.")
    page.get_by_label("Department for Work and Pensions").check()
    page.get_by_label("Ministry of Justice", exact=True).check()
    journey.submit("Set up project")
    assert page.get_by_role("heading", level=1).inner_text() == name
    project_url = page.url.replace(journey.base, "")
    for owner in (DWP_OWNER, MOJ_OWNER):
        page.get_by_label("Email address").fill(owner)
        journey.submit("Add data owner")
        assert f"{owner} is a data owner" in page.inner_text("main")
    journey.sign_out()

    upload_as(
        journey,
        DWP_OWNER,
        project_url,
        encode_for(live_server, name, PEOPLE_A, A_OPTIONS, tmp_path),
    )
    upload_as(
        journey,
        MOJ_OWNER,
        project_url,
        encode_for(live_server, name, PEOPLE_B, B_OPTIONS, tmp_path),
    )

    journey.sign_in(STEWARD)
    journey.goto(project_url)
    assert "Waiting" not in page.locator("#parties").inner_text()
    journey.submit("Start linking")
    assert "/jobs/" in page.url
    expect(page.locator("#job-status")).to_be_visible()
    expect(page.locator("#job-status")).to_contain_text("Succeeded", timeout=60_000)
    journey.check()
    page.get_by_role("link", name="See the linkage quality report").click()
    journey.check()
    run_url = page.url.replace(journey.base, "")
    assert "Score distribution" in page.inner_text("main")
    assert "F1" in page.locator("#threshold-table").inner_text()
    assert page.get_by_text("Download your department's mapping").count() == 0
    journey.sign_out()

    dwp = {r["record_id"]: r for r in download_mapping(journey, DWP_OWNER, run_url)}
    moj = {r["record_id"]: r for r in download_mapping(journey, MOJ_OWNER, run_url)}
    assert set(dwp) == {"a1", "a2", "a3", "a4", "a5", "a6"}
    assert set(moj) == {"b1", "b2", "b3", "b4", "b5"}
    assert dwp["a1"]["link_id"] == moj["b1"]["link_id"]
    assert dwp["a5"]["link_id"] not in {r["link_id"] for r in moj.values()}
