"""The project pages: registering, editing, adding outcomes, gate decisions, visibility."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from missionhub.accounts.permissions import Visibility
from missionhub.portfolio.models import Stage
from tests.factories import World


def csrf(client: TestClient, path: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text)
    assert match
    return match[1]


def post(client: TestClient, path: str, data: dict[str, str], form_path: str | None = None):  # type: ignore[no-untyped-def]
    return client.post(path, data={**data, "csrf_token": csrf(client, form_path or path)})


def test_registering_with_errors_names_each_field_and_keeps_what_was_typed(
    client: TestClient, world: World
) -> None:
    world.sign_in(client, world.member(world.department()))
    response = post(
        client,
        "/projects/new",
        {"title": "", "summary": "", "problem": "Kept", "atrs_capability": "forecasting"},
    )
    assert response.status_code == 400
    html = response.text
    assert "There is a problem" in html
    assert '<a href="#title">Enter project name</a>' in html
    assert '<a href="#summary">Enter summary</a>' in html
    assert "applies only to projects that use AI" in html
    assert ">Kept</textarea>" in html
    assert html.startswith("<!DOCTYPE html>")
    assert "<title>Error: Register a project" in html


def test_registering_a_project_then_adding_a_kpi_and_an_actual(
    client: TestClient, world: World
) -> None:
    world.sign_in(client, world.member(world.department()))
    created = post(
        client,
        "/projects/new",
        {
            "title": "Reminders",
            "summary": "SMS reminders",
            "visibility": "internal",
            "uses_ai": "true",
            "atrs_capability": "forecasting",
        },
    )
    assert created.status_code == 303
    url = created.headers["location"]
    kpi = post(
        client,
        f"{url}/add/kpis",
        {
            "name": "Attendance",
            "unit": "%",
            "direction": "increase",
            "baseline": "70",
            "target": "60",
            "target_date-day": "31",
            "target_date-month": "2",
            "target_date-year": "2027",
        },
    )
    assert kpi.status_code == 400
    assert "Target must be above the baseline" in kpi.text
    assert "Target date must be a real date" in kpi.text
    ok = post(
        client,
        f"{url}/add/kpis",
        {
            "name": "Attendance",
            "unit": "%",
            "direction": "increase",
            "baseline": "70",
            "target": "85",
            "target_date-day": "31",
            "target_date-month": "3",
            "target_date-year": "2027",
        },
        form_path=f"{url}/add/kpis",
    )
    assert ok.status_code == 303
    page = client.get(url).text
    assert "Attendance" in page
    assert "None yet" in page
    kpi_id = re.search(r"/kpis/(\d+)/actuals", page)
    assert kpi_id
    actual = post(
        client,
        f"{url}/kpis/{kpi_id[1]}/actuals",
        {
            "observed_on-day": "1",
            "observed_on-month": "6",
            "observed_on-year": "2026",
            "value": "78",
        },
    )
    assert actual.status_code == 303
    assert "53%" in client.get(url).text  # (78 - 70) / (85 - 70)


def test_a_mission_link_without_a_kpi_is_flagged_unevidenced_everywhere(
    client: TestClient, world: World
) -> None:
    member = world.member(world.department())
    missions = world.missions()
    project = world.project(member, visibility=Visibility.PUBLISHED, title="Retrofit advice")
    world.sign_in(client, member)
    link = post(
        client,
        f"/projects/{project.id}/add/mission-links",
        {"mission_id": str(missions["clean-energy"].id), "contribution": "Saves energy"},
    )
    assert link.status_code == 303
    assert "Unevidenced" in client.get(f"/projects/{project.id}").text
    mission_page = client.get("/missions/clean-energy").text
    assert "Retrofit advice" in mission_page
    assert "Unevidenced" in mission_page
    overview = client.get("/missions").text
    row = re.search(
        r"clean energy superpower</a></td>\s*<td[^>]*>(\d+)</td><td[^>]*>(\d+)</td>", overview
    )
    assert row
    assert row.groups() == ("1", "1"), "one contributing project, one unevidenced link"


def test_the_gate_decision_form_is_for_the_cio_only(client: TestClient, world: World) -> None:
    dwp = world.department()
    member, cio = world.member(dwp), world.cio(dwp)
    project = world.project(member)
    world.sign_in(client, member)
    asked = post(
        client,
        f"/projects/{project.id}/stage-request",
        {"requested_stage": "discovery", "case": "Users told us"},
    )
    assert asked.status_code == 303
    refused = post(
        client,
        f"/projects/{project.id}/decision",
        {"outcome": "proceed", "rationale": "Self-approved"},
        form_path=f"/projects/{project.id}",
    )
    assert refused.status_code == 403
    world.sign_in(client, cio)
    assert project.title in client.get("/decisions").text
    missing = post(client, f"/projects/{project.id}/decision", {"outcome": "stop", "rationale": ""})
    assert missing.status_code == 400
    assert "Enter rationale" in missing.text
    assert "Select why the project is stopping" in missing.text
    decided = post(
        client,
        f"/projects/{project.id}/decision",
        {"outcome": "proceed", "rationale": "Clear need"},
    )
    assert decided.status_code == 303
    assert "Discovery" in client.get(f"/projects/{project.id}").text


def test_drafts_are_hidden_from_other_departments_and_the_public(
    client: TestClient, world: World
) -> None:
    dwp, moj = world.department(), world.department("Ministry of Justice")
    draft = world.project(world.member(dwp), visibility=Visibility.DRAFT, title="Secret idea")
    world.sign_in(client, world.member(moj))
    assert client.get(f"/projects/{draft.id}").status_code == 404
    assert "Secret idea" not in client.get("/projects").text
    assert "Secret idea" not in client.get("/projects.csv").text
    world.sign_in(client, None)
    assert client.get(f"/projects/{draft.id}").status_code == 404
    assert client.get(f"/api/projects/{draft.id}").status_code == 404


def test_unknown_pages_get_the_404_page_and_errors_the_500_page(client: TestClient, app) -> None:  # type: ignore[no-untyped-def]
    missing = client.get("/no-such-page")
    assert missing.status_code == 404
    assert "Page not found" in missing.text

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("kaboom")

    with TestClient(app, base_url="https://testserver", raise_server_exceptions=False) as c:
        failed = c.get("/boom")
    assert failed.status_code == 500
    assert "Sorry, there is a problem with the service" in failed.text
    assert "kaboom" not in failed.text


def test_funnel_and_mission_pages_draw_a_chart_and_give_the_same_numbers_as_a_table(
    client: TestClient, world: World
) -> None:
    dwp = world.department()
    member = world.member(dwp)
    for i in range(3):
        project = world.project(member, title=f"P{i}", visibility=Visibility.PUBLISHED)
        if i:
            world.advance(project, Stage.ALPHA)
    page = client.get(f"/funnel?organisation_id={dwp.id}").text
    assert '<svg role="img"' in page
    assert 'id="funnel-table"' in page
    assert "Idea: 3; Discovery: 2; Alpha: 2; Beta: 0; Live: 0" in page
    assert "Of 3 projects tried, <strong>2</strong> reached alpha or later" in page


def test_a_form_refused_with_errors_changes_nothing(client: TestClient, world: World) -> None:
    """Review finding: a rejected use-case edit used to be saved (even publishing a draft)."""
    from missionhub.portfolio.missions import create_use_case
    from missionhub.portfolio.schemas import UseCaseIn

    dwp = world.department()
    member = world.member(dwp)
    use_case = create_use_case(
        world.session,
        actor=world.actor(member),
        data=UseCaseIn(title="Original", problem="P", visibility=Visibility.DRAFT),
    )
    supplier = world.supplier_org()
    world.sign_in(client, member)
    refused = post(
        client,
        f"/use-cases/{use_case.id}/edit",
        {
            "title": "Changed",
            "problem": "P",
            "visibility": "published",
            "participant_ids": str(supplier.id),
        },
    )
    assert refused.status_code == 400
    assert "Participants must be public-sector organisations" in refused.text
    world.session.expire_all()
    assert (use_case.title, use_case.visibility) == ("Original", Visibility.DRAFT)
    assert use_case.participants == []


def test_a_refused_gate_decision_leaves_no_pending_request(
    client: TestClient, world: World
) -> None:
    dwp = world.department()
    project = world.project(world.member(dwp))
    world.sign_in(client, world.cio(dwp))
    refused = post(
        client,
        f"/projects/{project.id}/decision",
        {"requested_stage": "stopped", "outcome": "proceed", "rationale": "Go"},
    )
    assert refused.status_code == 400
    world.session.expire_all()
    assert project.decisions == []


def test_a_published_project_does_not_disclose_a_draft_use_case(
    client: TestClient, world: World
) -> None:
    """Review finding: the title of a draft use case showed on a published project."""
    from missionhub.portfolio.missions import create_use_case
    from missionhub.portfolio.schemas import UseCaseIn

    member = world.member(world.department())
    use_case = create_use_case(
        world.session,
        actor=world.actor(member),
        data=UseCaseIn(
            title="Secret cross-government plan", problem="P", visibility=Visibility.DRAFT
        ),
    )
    project = world.project(member, visibility=Visibility.PUBLISHED, use_case_id=use_case.id)
    page = client.get(f"/projects/{project.id}")
    assert page.status_code == 200
    assert "Secret cross-government plan" not in page.text
    assert client.get(f"/api/projects/{project.id}").json()["use_case_id"] is None
    world.sign_in(client, member)
    own = client.get(f"/projects/{project.id}").text
    assert '<a class="govuk-link" href="/use-cases/' in own  # a real link, not escaped text
    assert "Secret cross-government plan" in own
