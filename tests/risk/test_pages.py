"""The risk pages, through the web app: forms, errors, CSRF, the project panel, dashboards."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from missionhub.risk.models import DecisionStatus, Risk, RiskDecision
from missionhub.web.security import CSRF_FIELD
from tests.factories import World
from tests.risk.factories import RiskWorld


def csrf(client: TestClient, path: str) -> str:
    page = client.get(path)
    assert page.status_code == 200, page.text
    match = re.search(rf'name="{CSRF_FIELD}" value="([^"]+)"', page.text)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def risk_form(**changes: Any) -> dict[str, Any]:
    review = date.today() + timedelta(days=30)
    return {
        "title": "Claimants cannot reach the service during migration",
        "cause": "the old telephony is switched off before the new one is ready",
        "event": "calls fail for a week",
        "effect": "claimants miss appointments and payments are delayed",
        "category": "technology",
        "owner": "Service owner",
        "inherent_likelihood": "5",
        "inherent_impact": "5",
        "residual_likelihood": "4",
        "residual_impact": "4",
        "proximity": "near",
        "review_on-day": str(review.day),
        "review_on-month": str(review.month),
        "review_on-year": str(review.year),
        "status": "open",
        **changes,
    }


def error_summary(html: str) -> str:
    match = re.search(r'govuk-error-summary__list">(.*?)</ul>', html, re.S)
    assert match, "no error summary"
    return match.group(1)


def _count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_a_member_raises_a_risk_beyond_appetite_and_it_reaches_the_cio(
    client: TestClient, session: Session, world: World
) -> None:
    dwp = world.department()
    member, cio = world.member(dwp), world.cio(dwp)
    project = world.project(member)
    world.sign_in(client, member)
    token = csrf(client, f"/projects/{project.id}/risks/new")
    response = client.post(
        f"/projects/{project.id}/risks/new", data={**risk_form(), CSRF_FIELD: token}
    )
    assert response.status_code == 303
    risk = session.scalars(select(Risk)).one()
    assert response.headers["location"] == f"/risks/{risk.id}"
    page = client.get(f"/risks/{risk.id}")
    assert "Waiting for a decision" in page.text
    assert "beyond the department&#39;s cautious appetite" in page.text

    world.sign_in(client, cio)
    queue = client.get("/risk-decisions")
    assert risk.title in queue.text
    token = csrf(client, f"/risks/{risk.id}/decision")
    expiry = date.today() + timedelta(days=90)
    decided = client.post(
        f"/risks/{risk.id}/decision",
        data={
            "response": "tolerate",
            "rationale": "A week of disruption is worth the new service; comms plan agreed",
            "conditions": "Text every affected claimant",
            "expires_on-day": str(expiry.day),
            "expires_on-month": str(expiry.month),
            "expires_on-year": str(expiry.year),
            CSRF_FIELD: token,
        },
    )
    assert decided.status_code == 303
    assert decided.headers["location"] == f"/projects/{project.id}#risks"
    project_page = client.get(f"/projects/{project.id}")
    assert "Tolerate (accept)" in project_page.text
    assert "comms plan agreed" in project_page.text
    assert "Text every affected claimant" in project_page.text


def test_bad_input_on_the_form_names_the_fields_and_writes_nothing(
    client: TestClient, session: Session, world: World
) -> None:
    dwp = world.department()
    member = world.member(dwp)
    project = world.project(member)
    world.sign_in(client, member)
    token = csrf(client, f"/projects/{project.id}/risks/new")
    before = _count(session, Risk)
    response = client.post(
        f"/projects/{project.id}/risks/new",
        data={
            **risk_form(residual_likelihood="7", category="weather", cause=""),
            CSRF_FIELD: token,
        },
    )
    assert response.status_code == 400
    summary = error_summary(response.text)
    assert "Residual likelihood must be 5 or less" in summary
    assert "Select category" in summary
    assert "Enter cause" in summary
    assert _count(session, Risk) == before


def test_a_decision_without_rationale_is_refused_and_the_risk_stays_pending(
    client: TestClient, session: Session, world: World, risks: RiskWorld
) -> None:
    dwp = world.department()
    member, cio = world.member(dwp), world.cio(dwp)
    risk = risks.risk(world.project(member), member, likelihood=4, impact=4)
    world.sign_in(client, cio)
    token = csrf(client, f"/risks/{risk.id}/decision")
    response = client.post(
        f"/risks/{risk.id}/decision",
        data={"response": "tolerate", "rationale": " ", CSRF_FIELD: token},
    )
    assert response.status_code == 400
    assert "Enter rationale" in response.text
    assert "Enter the date this decision expires" in response.text
    statuses = session.scalars(select(RiskDecision.status)).all()
    assert statuses == [DecisionStatus.PENDING]


def test_a_form_post_without_the_csrf_token_is_refused(
    client: TestClient, session: Session, world: World
) -> None:
    dwp = world.department()
    member = world.member(dwp)
    project = world.project(member)
    world.sign_in(client, member)
    response = client.post(f"/projects/{project.id}/risks/new", data=risk_form())
    assert response.status_code == 403
    assert _count(session, Risk) == 0


def test_other_departments_and_the_public_see_counts_not_details(
    client: TestClient, world: World, risks: RiskWorld
) -> None:
    from missionhub.accounts.permissions import Visibility

    dwp, moj = world.department(), world.department("Ministry of Justice")
    member = world.member(dwp)
    project = world.project(member, visibility=Visibility.PUBLISHED)
    risk = risks.risk(project, member, likelihood=4, impact=4, title="Secret weakness")
    for viewer in (None, world.member(moj)):
        world.sign_in(client, viewer)
        page = client.get(f"/projects/{project.id}")
        assert page.status_code == 200
        assert "1 live risk, 1 beyond appetite, 1 waiting for a decision" in page.text
        assert "Secret weakness" not in page.text
        assert client.get(f"/risks/{risk.id}").status_code in (303, 404)
        dashboard = client.get(f"/risks?organisation_id={dwp.id}")
        assert "Secret weakness" not in dashboard.text
        assert "Risk details are visible only" in dashboard.text


def test_the_dashboard_draws_the_heat_map_and_gives_the_same_numbers_in_a_table(
    client: TestClient, world: World, risks: RiskWorld
) -> None:
    dwp = world.department()
    member = world.member(dwp)
    project = world.project(member)
    for lik, imp in ((4, 4), (4, 4), (2, 3), (1, 1)):
        risks.risk(project, member, likelihood=lik, impact=imp)
    page = client.get(f"/risks?organisation_id={dwp.id}").text
    assert "4 live risks by residual likelihood and impact" in page
    cells = dict(
        ((int(lik), int(imp)), int(n))
        for lik, imp, n in re.findall(r'data-likelihood="(\d)" data-impact="(\d)">(\d+)<', page)
    )
    assert len(cells) == 25
    assert {k: v for k, v in cells.items() if v} == {(4, 4): 2, (2, 3): 1, (1, 1): 1}
    svg = re.search(r'<svg role="img" aria-labelledby="heat-map-title.*?</svg>', page, re.S)
    assert svg, "no heat map"
    assert sorted(re.findall(r'font-weight="bold">(\d+)<', svg.group(0))) == ["1", "1", "2"]


def test_the_cio_sets_appetite_through_the_form_and_it_shows_in_the_history(
    client: TestClient, world: World
) -> None:
    dwp = world.department()
    cio = world.cio(dwp)
    world.sign_in(client, cio)
    token = csrf(client, "/risks/appetite/technology")
    empty = client.post("/risks/appetite/technology", data={CSRF_FIELD: token})
    assert empty.status_code == 400
    assert "Enter appetite level" in empty.text
    assert "Enter reason" in empty.text
    done = client.post(
        "/risks/appetite/technology",
        data={"level": "open", "reason": "Digital transformation plan", CSRF_FIELD: token},
    )
    assert done.status_code == 303
    page = client.get("/risks/appetite").text
    assert "Technology: default → Open" in page
    assert "Digital transformation plan" in page
    world.sign_in(client, world.member(dwp))
    assert client.get("/risks/appetite/technology").status_code == 403


def test_an_assessment_through_the_pages_ends_in_a_cio_decision(
    client: TestClient, session: Session, world: World
) -> None:
    dwp = world.department()
    member, cio = world.member(dwp), world.cio(dwp)
    world.sign_in(client, member)
    token = csrf(client, "/adoption/new")
    answers = {
        "product": "CaseSummariser",
        "supplier": "Acme Analytics Ltd",
        "kind": "ai-tool",
        "purpose": "Summarise case notes",
        "personal_data": "true",
        "dpia": "in-progress",
        "security": "passed",
        "supplier_assurance": "passed",
        **{f"principle_{n}": "met" for n in range(1, 11)},
    }
    missing = client.post("/adoption/new", data={**answers, "principle_4": "", CSRF_FIELD: token})
    assert missing.status_code == 400
    assert "Rate every AI Playbook principle for an AI tool" in missing.text
    created = client.post("/adoption/new", data={**answers, CSRF_FIELD: token})
    assert created.status_code == 303
    path = created.headers["location"]
    assert "Time-limited pilot with safeguards" in client.get(path).text
    assert client.post(f"{path}/submit", data={CSRF_FIELD: token}).status_code == 303

    world.sign_in(client, cio)
    assert "CaseSummariser" in client.get("/risk-decisions").text
    token = csrf(client, f"{path}/decision")
    review = date.today() + timedelta(days=60)
    decided = client.post(
        f"{path}/decision",
        data={
            "route": "pilot",
            "rationale": "Pilot with ten caseworkers until the DPIA is signed off",
            "review_on-day": str(review.day),
            "review_on-month": str(review.month),
            "review_on-year": str(review.year),
            CSRF_FIELD: token,
        },
    )
    assert decided.status_code == 303
    assert "Decision: Pilot" in client.get(path).text


def test_the_public_dashboard_is_not_served_from_the_page_cache(
    client: TestClient, world: World
) -> None:
    """Its ages and overdue counts change with the date even when nothing is written."""
    world.sign_in(client, None)
    first, second = client.get("/risks"), client.get("/risks")
    assert (first.status_code, second.status_code) == (200, 200)
    assert second.headers.get("x-cache") != "hit"
