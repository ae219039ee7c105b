"""Browser journeys for the portfolio (Chromium, every page checked with axe-core)."""

from __future__ import annotations

import re
import secrets

import pytest

from tests.browser.conftest import Journey

pytestmark = pytest.mark.browser

MEMBER, CIO = "member@dwp.missionhub.example", "cio@dwp.missionhub.example"


def test_member_registers_a_project_cio_moves_it_to_alpha_and_the_funnel_counts_it(
    journey: Journey,
) -> None:
    page = journey.page
    title = f"Jobcentre appointment reminders {secrets.token_hex(3)}"
    journey.sign_in(MEMBER)

    journey.goto("/projects/new")
    journey.submit("Register project")  # empty form: the error summary names the fields
    summary = page.locator(".govuk-error-summary")
    assert "Enter project name" in summary.inner_text()
    assert "Enter summary" in summary.inner_text()

    page.get_by_label("Project name").fill(title)
    page.get_by_label("Summary").fill("Text reminders so fewer claimants miss appointments.")
    page.get_by_label("Internal (all civil servants)").check()
    journey.submit("Register project")
    assert page.get_by_role("heading", level=1).inner_text() == title
    project_url = page.url

    page.get_by_role("link", name="Add an outcome KPI").click()
    journey.check()
    page.get_by_label("KPI name").fill("Appointments attended")
    page.get_by_label("Unit").fill("% of appointments")
    page.get_by_label("Higher is better").check()
    page.get_by_label("Baseline", exact=True).fill("71")
    page.get_by_label("Target", exact=True).fill("85")
    target = page.get_by_role("group", name="Target date")
    target.get_by_label("Day").fill("31")
    target.get_by_label("Month").fill("3")
    target.get_by_label("Year").fill("2028")
    journey.submit("Save")
    assert "Appointments attended" in page.locator("#kpis ~ table").first.inner_text()

    page.get_by_role("button", name="Ask to move to another stage").click()
    journey.check()
    page.get_by_label("Alpha").check()
    page.get_by_label("Case for the move").fill("Discovery with 40 claimants showed the need.")
    journey.submit("Send request")
    assert "Waiting for a decision" in page.inner_text("main")
    journey.sign_out()

    journey.sign_in(CIO)
    journey.goto("/decisions")
    page.get_by_role("link", name=re.compile(f"Decide.*{re.escape(title)}")).click()
    journey.check()
    page.get_by_label("Proceed").check()
    page.get_by_label("Rationale").fill("Strong discovery evidence; alpha to test SMS and app.")
    journey.submit("Record decision")
    assert page.url == project_url
    assert "Decision recorded: Proceed" in page.inner_text("main")
    stage_tags = page.locator("main .govuk-tag").all_inner_texts()
    assert "Alpha" in stage_tags

    journey.goto("/funnel")
    page.get_by_label("Department or organisation").select_option(
        label="Department for Work and Pensions"
    )
    journey.submit("Update")
    rows = {
        r.locator("th").inner_text(): r.locator("td").all_inner_texts()
        for r in page.locator("#funnel-table tbody tr").all()
    }
    assert int(rows["Alpha"][0]) >= 1, rows
    assert "Jobcentre appointment reminders" in journey.goto(
        project_url.replace(journey.base, "")
    ).inner_text("h1")


def test_the_public_sees_only_published_records(journey: Journey) -> None:
    page = journey.page
    title = f"Draft benefits chatbot {secrets.token_hex(3)}"
    journey.sign_in(MEMBER)
    journey.goto("/projects/new")
    page.get_by_label("Project name").fill(title)
    page.get_by_label("Summary").fill("Early idea, not for publication.")
    page.get_by_label("Draft (own organisation)").check()
    journey.submit("Register project")
    draft_path = page.url.replace(journey.base, "")
    journey.sign_out()

    journey.goto("/projects?q=" + title.split()[-1])
    assert "No projects match" in page.inner_text("main")
    response = page.goto(journey.base + draft_path)
    journey.check()
    assert response is not None
    assert response.status == 404
    assert "Page not found" in page.inner_text("h1")

    journey.goto("/projects?source=uk-atrs")
    first = page.locator("#project-list li h2 a").first
    first.click()
    journey.check()
    assert "Imported from the" in page.inner_text("#provenance")
    assert "Sign in" in page.inner_text("header")
