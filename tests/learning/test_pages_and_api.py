"""Pages and the JSON API over HTTP: search, case studies, components, the registration hint,
the duplicates report, exports, and CSRF on forms."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from missionhub.accounts.permissions import Visibility
from tests.factories import World
from tests.learning.factories import case_study, component

TAX = "An online chatbot answering questions about tax credits for citizens"


def _csrf(client: TestClient, path: str) -> str:
    html = client.get(path).text
    return html.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]


def test_a_citizen_searches_and_opens_a_published_case_study(
    client: TestClient, world: World
) -> None:
    alice = world.member(world.department())
    study = case_study(world, alice, publish=True, title="Tax chatbot lessons", summary=TAX)
    case_study(world, alice, title="Unpublished chatbot notes", summary=TAX)
    page = client.get("/search", params={"q": "chatbot"})
    assert page.status_code == 200
    assert "Tax <mark>chatbot</mark> lessons" in page.text
    assert "Unpublished" not in page.text
    opened = client.get(f"/case-studies/{study.id}")
    assert opened.status_code == 200
    assert "Tax chatbot lessons" in opened.text


def test_search_api_applies_visibility_and_filters(client: TestClient, world: World) -> None:
    alice = world.member(world.department())
    world.project(alice, visibility=Visibility.PUBLISHED, title="Tax chatbot", summary=TAX)
    world.project(alice, visibility=Visibility.DRAFT, title="Draft tax chatbot", summary=TAX)
    body = client.get("/api/learning/search", params={"q": "tax chatbot"}).json()
    assert [i["document"]["title"] for i in body["items"]] == ["Tax chatbot"]
    signed = client.get(
        "/api/learning/search", params={"q": "tax chatbot"}, headers=world.bearer(alice)
    ).json()
    assert {i["document"]["title"] for i in signed["items"]} == {"Tax chatbot", "Draft tax chatbot"}
    none = client.get("/api/learning/search", params={"q": "tax", "country": "France"}).json()
    assert none["total"] == 0
    assert client.get("/api/learning/search", params={"page_size": 1000}).status_code == 422


def test_registration_hint_shows_similar_projects_elsewhere(
    client: TestClient, world: World
) -> None:
    moj = world.member(world.department("Ministry of Justice"))
    world.project(moj, visibility=Visibility.INTERNAL, title="Tax credits chatbot", summary=TAX)
    alice = world.member(world.department())
    world.sign_in(client, alice)
    form = client.get("/projects/new")
    assert '<div id="similar-projects" aria-live="polite">' in form.text
    assert "/learning/similar.js" in form.text
    hint = client.get(
        "/learning/similar-projects",
        params={"title": "Chatbot for tax credit questions", "summary": TAX},
    )
    assert "1 similar project exists elsewhere" in hint.text
    assert "Tax credits chatbot" in hint.text
    world.sign_in(client, None)
    assert client.get("/learning/similar-projects", params={"title": "x"}).status_code == 303


def test_project_page_panel_and_reuse_form(client: TestClient, world: World) -> None:
    alice = world.member(world.department())
    api = component(world, alice)
    project = world.project(alice, title="Tax chatbot", summary=TAX)
    world.project(world.member(world.department("Home Office")), title="Visa chatbot", summary=TAX)
    world.sign_in(client, alice)
    page = client.get(f"/projects/{project.id}")
    assert "Similar projects elsewhere" in page.text
    assert "Visa chatbot" in page.text
    token = _csrf(client, f"/projects/{project.id}")
    refused = client.post(f"/projects/{project.id}/reuses", data={"component_id": api.id})
    assert refused.status_code == 403
    done = client.post(
        f"/projects/{project.id}/reuses", data={"component_id": api.id, "csrf_token": token}
    )
    assert done.status_code == 303
    assert "Address matching API" in client.get(f"/projects/{project.id}").text
    assert ">1<" in client.get("/components").text


def test_case_study_form_round_trip_with_errors_named(client: TestClient, world: World) -> None:
    dwp = world.department()
    alice = world.member(dwp)
    project = world.project(alice, title="Kiosk", summary="Self-service kiosks", problem="Queues")
    world.sign_in(client, alice)
    form = client.get("/case-studies/new", params={"project_id": project.id})
    assert 'value="Kiosk"' in form.text
    token = _csrf(client, "/case-studies/new")
    bad = client.post(
        "/case-studies/new",
        data={"csrf_token": token, "project_id": project.id, "title": "Kiosk", "links": "x"},
    )
    assert bad.status_code == 400
    assert "Enter summary" in bad.text
    assert "Enter a web address starting with https://" in bad.text
    good = client.post(
        "/case-studies/new",
        data={
            "csrf_token": token,
            "project_id": project.id,
            "title": "Kiosk lessons",
            "summary": "Kiosks did not get used",
            "problem": "Queues",
            "contact_role": "Service owner",
        },
    )
    assert good.status_code == 303
    study_url = good.headers["location"]
    assert client.post(study_url + "/submit", data={"csrf_token": token}).status_code == 303
    assert "In review" in client.get(study_url).text
    world.sign_in(client, world.cio(dwp))
    token = _csrf(client, study_url)
    client.post(study_url + "/publish", data={"csrf_token": token})
    world.sign_in(client, None)
    assert client.get(study_url).status_code == 200


def test_duplicates_report_for_cios_only(client: TestClient, world: World) -> None:
    dwp = world.department()
    alice = world.member(dwp)
    first = world.project(alice, title="Tax chatbot", summary=TAX)
    world.project(alice, title="Tax chatbot again", summary=TAX)
    world.sign_in(client, alice)
    assert client.get("/duplicates").status_code == 403
    world.sign_in(client, world.cio(dwp))
    page = client.get("/duplicates")
    assert "Tax chatbot again" in page.text
    token = _csrf(client, "/duplicates")
    decided = client.post(
        "/duplicates/decide",
        data={
            "csrf_token": token,
            "project_id": first.id,
            "other_kind": "project",
            "other_ref_id": first.id + 1,
            "verdict": "dismissed",
        },
    )
    assert decided.status_code == 303
    remaining = client.get("/duplicates").text
    assert remaining.count("Record decision") == 1


def test_exports(client: TestClient, world: World) -> None:
    alice = world.member(world.department())
    ai = world.project(
        alice, visibility=Visibility.PUBLISHED, title="Letter triage", summary="Sorts", uses_ai=True
    )
    csv_text = client.get("/learning/catalogue.csv").text
    assert csv_text.splitlines()[0].startswith("kind,id,title")
    assert "Letter triage" in csv_text
    assert json.loads(client.get("/learning/catalogue.json").text)[0]["title"] == "Letter triage"
    atrs = client.get(f"/projects/{ai.id}/atrs.json").json()
    assert atrs["tier_1"]["name"] == "Letter triage"
    assert client.get(f"/api/learning/projects/{ai.id}/atrs").json() == atrs


def test_component_edit_form(client: TestClient, world: World) -> None:
    alice = world.member(world.department())
    api = component(world, alice)
    world.sign_in(client, world.member(world.department("Home Office")))
    assert client.get(f"/components/{api.id}/edit").status_code == 403
    world.sign_in(client, alice)
    form = client.get(f"/components/{api.id}/edit")
    assert 'value="Address matching API"' in form.text
    token = _csrf(client, f"/components/{api.id}/edit")
    bad = client.post(
        f"/components/{api.id}/edit",
        data={"csrf_token": token, "name": "", "documentation_url": "ftp://x"},
    )
    assert bad.status_code == 400
    assert "Enter name" in bad.text
    good = client.post(
        f"/components/{api.id}/edit",
        data={
            "csrf_token": token,
            "name": "Address matching API v2",
            "kind": "api",
            "description": "Matches addresses",
            "owner": "Data Science Hub",
            "maturity": "supported",
            "visibility": "published",
        },
    )
    assert good.status_code == 303
    assert "Address matching API v2" in client.get(f"/components/{api.id}").text
