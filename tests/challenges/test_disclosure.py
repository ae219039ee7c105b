"""What a challenge's page and API disclose to someone who may read the challenge but not what
it is linked to, and that user text on the challenge pages is always escaped."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient

from missionhub.accounts.permissions import Visibility
from missionhub.challenges import service
from missionhub.portfolio.missions import create_use_case
from missionhub.portfolio.models import UseCase
from missionhub.portfolio.schemas import UseCaseIn
from tests.challenges.conftest import ChallengeWorld

TEMPLATES = Path(__file__).parents[2] / "src/missionhub/challenges/templates/challenges"


def _use_case(cw: ChallengeWorld, visibility: Visibility) -> UseCase:
    return create_use_case(
        cw.session,
        actor=cw.world.actor(cw.owner),
        data=UseCaseIn(
            title="Secret triage pilot",
            problem="Not yet announced",
            visibility=visibility,
        ),
    )


def test_a_draft_use_case_is_not_shown_to_those_who_cannot_read_it(
    cw: ChallengeWorld, client: TestClient
) -> None:
    use_case = _use_case(cw, Visibility.DRAFT)
    mission = next(iter(cw.missions.values()))
    challenge = cw.open(cw.with_suite(cw.challenge(use_case_id=use_case.id)))
    cw.session.flush()

    page = client.get(f"/challenges/{challenge.id}")  # anonymous
    assert page.status_code == 200
    assert "Secret triage pilot" not in page.text
    assert f"/use-cases/{use_case.id}" not in page.text
    assert f'href="/missions/{mission.slug}"' in page.text  # missions are public: linked
    api = client.get(f"/api/challenges/{challenge.id}").json()
    assert api["use_case_id"] is None
    assert api["mission_id"] == mission.id
    listed = client.get("/api/challenges").json()["items"]
    assert [c["use_case_id"] for c in listed if c["id"] == challenge.id] == [None]

    supplier = cw.supplier()
    cw.world.sign_in(client, supplier)
    assert "Secret triage pilot" not in client.get(f"/challenges/{challenge.id}").text
    headers = cw.world.bearer(supplier)
    assert (
        client.get(f"/api/challenges/{challenge.id}", headers=headers).json()["use_case_id"] is None
    )

    cw.world.sign_in(client, cw.owner)  # the owning department reads its draft: linked
    page = client.get(f"/challenges/{challenge.id}")
    assert (
        f'<a class="govuk-link" href="/use-cases/{use_case.id}">Secret triage pilot</a>'
        in page.text
    )
    owner_api = client.get(f"/api/challenges/{challenge.id}", headers=cw.world.bearer(cw.owner))
    assert owner_api.json()["use_case_id"] == use_case.id


def test_a_published_use_case_is_linked_for_everyone(
    cw: ChallengeWorld, client: TestClient
) -> None:
    use_case = _use_case(cw, Visibility.PUBLISHED)
    challenge = cw.open(cw.with_suite(cw.challenge(use_case_id=use_case.id, mission_id=None)))
    cw.session.flush()
    page = client.get(f"/challenges/{challenge.id}")
    assert f'href="/use-cases/{use_case.id}">Secret triage pilot</a> (use case)' in page.text
    assert client.get(f"/api/challenges/{challenge.id}").json()["use_case_id"] == use_case.id
    assert service.visible_use_case(cw.world.actor(None), challenge) is use_case


def test_user_text_on_challenge_pages_is_escaped(cw: ChallengeWorld, client: TestClient) -> None:
    script = "<script>alert(1)</script>"
    use_case = create_use_case(
        cw.session,
        actor=cw.world.actor(cw.owner),
        data=UseCaseIn(title=f"U {script}", problem="P", visibility=Visibility.PUBLISHED),
    )
    challenge = cw.open(
        cw.with_suite(
            cw.challenge(
                title=f"T {script}", brief=f"B {script}", criteria=script, use_case_id=use_case.id
            )
        )
    )
    supplier = cw.supplier(f"Evil {script} Ltd")
    cw.session.flush()
    page = client.get(f"/challenges/{challenge.id}")
    assert script not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert f'href="/use-cases/{use_case.id}">U &lt;script&gt;' in page.text
    cw.world.sign_in(client, supplier)
    for path in ("", "/submit", "/submit?kind=endpoint", "/results"):
        text = client.get(f"/challenges/{challenge.id}{path}").text
        assert script not in text, path


def test_challenge_templates_mark_nothing_safe_and_link_only_to_our_own_pages() -> None:
    for template in TEMPLATES.glob("*.html"):
        text = template.read_text()
        assert "|safe" not in text.replace(" ", ""), template.name
        assert "Markup" not in text, template.name
        for href in re.findall(r'href="([^"]*)"', text):
            assert href.startswith(("/", "#", "?")), (template.name, href)
