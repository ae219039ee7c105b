"""Browser journeys for risk (Chromium, every page checked with axe-core)."""

from __future__ import annotations

import re
import secrets
from datetime import date, timedelta

import pytest
from playwright.sync_api import Locator

from tests.browser.conftest import Journey

pytestmark = pytest.mark.browser

MEMBER, CIO = "member@dwp.missionhub.example", "cio@dwp.missionhub.example"


def fill_date(group: Locator, day: date) -> None:
    group.get_by_label("Day").fill(str(day.day))
    group.get_by_label("Month").fill(str(day.month))
    group.get_by_label("Year").fill(str(day.year))


def test_a_risk_beyond_appetite_goes_to_the_cio_who_decides_and_the_project_shows_it(
    journey: Journey,
) -> None:
    page = journey.page
    title = f"Letters reach the wrong office {secrets.token_hex(3)}"
    journey.sign_in(MEMBER)

    journey.goto("/projects/new")
    page.get_by_label("Project name").fill(f"Claimant letters service {secrets.token_hex(3)}")
    page.get_by_label("Summary").fill("Sorting incoming letters faster.")
    page.get_by_label("Internal (all civil servants)").check()
    journey.submit("Register project")
    project_url = page.url

    page.get_by_role("link", name="Raise a risk").click()
    journey.check()
    journey.submit("Save risk")  # empty form: the error summary names the fields
    summary = page.locator(".govuk-error-summary").inner_text()
    assert "Enter short name" in summary
    assert "Select category" in summary

    page.get_by_label("Short name").fill(title)
    page.get_by_label("Cause").fill("the new scanning supplier misreads handwritten addresses")
    page.get_by_label("Event").fill("letters are routed to the wrong office")
    page.get_by_label("Effect").fill("claimants' changes of circumstance are applied late")
    page.get_by_label("Category").select_option("technology")
    page.get_by_label("Risk owner").fill("Service owner")
    page.get_by_label("Inherent likelihood").select_option("5")
    page.get_by_label("Inherent impact").select_option("4")
    page.get_by_label("Residual likelihood").select_option("4")
    page.get_by_label("Residual impact").select_option("4")  # 16: beyond an open appetite (12)
    page.get_by_label("Within 3 months").check()
    fill_date(page.get_by_role("group", name="Next review date"), date.today() + timedelta(30))
    journey.submit("Save risk")
    main = page.inner_text("main")
    assert "it is beyond appetite, so it has gone to your Chief Innovation Officer" in main
    assert "Waiting for a decision" in main
    journey.sign_out()

    journey.sign_in(CIO)
    journey.goto("/risk-decisions")
    page.get_by_role("link", name=re.compile(f"Decide on {re.escape(title)}")).click()
    journey.check()
    page.get_by_label("Tolerate (accept)").check()
    journey.submit("Record decision")  # no rationale, no expiry: refused, field by field
    summary = page.locator(".govuk-error-summary").inner_text()
    assert "Enter rationale" in summary
    assert "Enter the date this decision expires" in summary

    page.get_by_label("Tolerate (accept)").check()
    page.get_by_label("Rationale").fill("Manual check of every misrouted letter during beta.")
    page.get_by_label("Conditions").fill("Report misrouting weekly")
    fill_date(page.get_by_role("group", name="Expiry date"), date.today() + timedelta(90))
    journey.submit("Record decision")
    assert page.url.split("#")[0] == project_url
    risks_section = page.inner_text("main")
    assert "Decision recorded: Tolerate (accept)" in risks_section
    assert "Manual check of every misrouted letter during beta." in risks_section
    assert "Report misrouting weekly" in risks_section
    journey.sign_out()

    journey.sign_in(MEMBER)
    journey.goto(project_url.replace(journey.base, ""))
    card = page.locator("#risk-decisions ~ .govuk-summary-card").first
    assert "Tolerate (accept)" in card.inner_text()
    assert title in card.inner_text()

    journey.goto("/risks")
    assert page.locator("#heat-map-table").is_visible()
    assert page.locator("#accepted ~ .govuk-summary-card", has_text=title).count() == 1


def test_the_public_sees_risk_aggregates_but_no_details(journey: Journey) -> None:
    page = journey.page
    journey.goto("/risks")
    assert "Heat map of live risks" in page.inner_text("main")
    assert "Risk details are visible only" in page.inner_text("main")
    assert page.locator("#accepted").count() == 0
    assert page.locator("#pending").count() == 0


def test_an_ai_tool_is_assessed_the_cio_decides_a_pilot_and_raises_appetite(
    journey: Journey,
) -> None:
    page = journey.page
    product = f"LetterReader {secrets.token_hex(3)}"
    journey.sign_in(MEMBER)
    journey.goto("/risks/register")
    journey.goto("/adoption")
    page.get_by_role("button", name="Start an assessment").click()
    journey.check()
    page.get_by_label("Product name").fill(product)
    page.get_by_label("Supplier", exact=True).fill("Example Vision Ltd")
    page.get_by_label("AI tool").check()
    page.get_by_label("Purpose").fill("Read handwritten letters and suggest the right team")
    page.get_by_label("It processes personal data").check()
    page.get_by_role("group", name="Data protection impact assessment").get_by_label(
        "In progress"
    ).check()
    page.get_by_role("group", name="Security assurance").get_by_label("Passed", exact=True).check()
    page.get_by_role("group", name="Supplier assurance").get_by_label("Passed", exact=True).check()
    for n in range(1, 11):
        group = page.get_by_role("group", name=re.compile(rf"^{n}\. "))
        group.get_by_label("Met", exact=True).check()
    journey.submit("Save draft")
    assert "Pilot" in page.inner_text("#recommended-route")
    journey.submit("Send to the Chief Innovation Officer")
    journey.sign_out()

    journey.sign_in(CIO)
    journey.goto("/risk-decisions")
    page.get_by_role("link", name=f"Decide on {product}").click()
    journey.check()
    page.get_by_label("Time-limited pilot with safeguards, then decide again").check()
    page.get_by_label("Rationale").fill("Pilot in two offices until the DPIA is signed off.")
    fill_date(page.get_by_role("group", name="Review date"), date.today() + timedelta(60))
    journey.submit("Record decision")
    assert "Decision: Pilot" in page.inner_text("#decision")

    journey.goto("/risks/appetite")
    page.get_by_role("link", name="Change the appetite for reputational risk").click()
    journey.check()
    page.get_by_label("Open: Considers every option").check()
    page.get_by_label("Reason").fill("Public trials of new services are expected")
    journey.submit("Save appetite")
    assert "Reputational: default → Open" in page.inner_text("#history ~ table")
