"""The JSON API: the same rules as the pages, validation errors that name the field."""

from __future__ import annotations

from fastapi.testclient import TestClient

from missionhub.accounts.permissions import Visibility
from missionhub.portfolio.models import Stage
from tests.factories import World


def test_anonymous_callers_see_only_published_projects(client: TestClient, world: World) -> None:
    member = world.member(world.department())
    world.project(member, title="Public one", visibility=Visibility.PUBLISHED)
    world.project(member, title="Internal one", visibility=Visibility.INTERNAL)
    world.project(member, title="Draft one", visibility=Visibility.DRAFT)
    titles = {p["title"] for p in client.get("/api/projects").json()["items"]}
    assert titles == {"Public one"}
    own = {
        p["title"]
        for p in client.get("/api/projects", headers=world.bearer(member)).json()["items"]
    }
    assert own == {"Public one", "Internal one", "Draft one"}


def test_validation_errors_name_the_field(client: TestClient, world: World) -> None:
    headers = world.bearer(world.member(world.department()))
    response = client.post(
        "/api/projects", headers=headers, json={"title": "", "summary": "ok", "stage": "live"}
    )
    assert response.status_code == 422
    problems = {tuple(e["loc"]): e["msg"] for e in response.json()["detail"]}
    assert ("body", "title") in problems
    assert ("body", "stage") in problems  # the stage cannot be set directly


def test_register_then_request_then_cio_decides_through_the_api(
    client: TestClient, world: World
) -> None:
    dwp = world.department()
    member, cio = world.bearer(world.member(dwp)), world.bearer(world.cio(dwp))
    created = client.post(
        "/api/projects", headers=member, json={"title": "Fraud triage", "summary": "Rank referrals"}
    )
    assert created.status_code == 201
    pid = created.json()["id"]
    assert created.json()["stage"] == "idea"
    kpi = client.post(
        f"/api/projects/{pid}/kpis",
        headers=member,
        json={
            "name": "Hours saved",
            "unit": "hours",
            "direction": "increase",
            "baseline": 0,
            "target": -5,
            "target_date": "2027-01-01",
        },
    )
    assert kpi.status_code == 422
    assert kpi.json()["detail"][0]["loc"] == ["body", "target"]
    asked = client.post(
        f"/api/projects/{pid}/stage-requests",
        headers=member,
        json={"requested_stage": "discovery", "case": "Evidence"},
    )
    assert asked.status_code == 201
    assert (
        client.post(
            f"/api/projects/{pid}/decisions",
            headers=member,
            json={"outcome": "proceed", "rationale": "me"},
        ).status_code
        == 403
    )
    assert [d["id"] for d in client.get("/api/decisions/pending", headers=cio).json()] == [
        asked.json()["id"]
    ]
    decided = client.post(
        f"/api/projects/{pid}/decisions",
        headers=cio,
        json={"outcome": "proceed", "rationale": "Good"},
    )
    assert decided.status_code == 201
    project = client.get(f"/api/projects/{pid}", headers=member).json()
    assert project["stage"] == "discovery"
    assert [e["stage"] for e in project["stage_events"]] == ["idea", "discovery"]


def test_the_funnel_api_matches_the_funnel_page(client: TestClient, world: World) -> None:
    member = world.member(world.department())
    world.advance(world.project(member, visibility=Visibility.PUBLISHED), Stage.ALPHA)
    world.project(member, visibility=Visibility.PUBLISHED)
    data = client.get("/api/funnel").json()
    assert data["tried"] == 2
    assert data["reached_alpha_or_later"] == 1
    reached = {s["stage"]: s["reached"] for s in data["stages"]}
    assert reached == {"idea": 2, "discovery": 1, "alpha": 1, "beta": 0, "live": 0}
    assert "Of 2 projects tried, <strong>1</strong> reached alpha" in client.get("/funnel").text


def test_missions_are_public(client: TestClient, world: World) -> None:
    world.missions()
    missions = client.get("/api/missions").json()
    assert [m["number"] for m in missions] == [1, 2, 3, 4, 5]
    nhs = client.get("/api/missions/nhs").json()
    assert nhs["milestones"][0]["target"] == "92.0000"


def test_openapi_is_published(client: TestClient) -> None:
    spec = client.get("/api/openapi.json").json()
    assert spec["info"]["title"] == "Mission Hub API"
    assert "/api/projects" in spec["paths"]
    assert "/sign-in" not in spec["paths"], "pages are not part of the API description"


def test_absurd_ids_and_nul_characters_are_refused_not_crashes(
    client: TestClient, world: World
) -> None:
    """Found by the schemathesis run: both once reached the database and failed there."""
    headers = world.bearer(world.member(world.department()))
    assert client.get("/api/projects/271329106175564644352").status_code == 422
    assert client.delete("/api/tokens/99999999999999", headers=headers).status_code == 422
    assert client.get("/api/projects?organisation_id=99999999999999").status_code == 422
    nul = client.post("/api/projects", headers=headers, json={"title": "A\x00B", "summary": "x"})
    assert nul.status_code == 422
    assert nul.json()["detail"][0]["loc"] == ["body", "title"]
    assert client.get("/projects?q=%00").status_code == 400
    assert client.get("/projects/99999999999999").status_code == 400  # pages: a 400 page
