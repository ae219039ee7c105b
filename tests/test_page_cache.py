"""Public pages are served from memory until the next write; personal pages never are."""

from __future__ import annotations

from fastapi.testclient import TestClient

from missionhub.accounts.permissions import Visibility
from missionhub.web.security import inline_script_hashes
from tests.factories import World


def test_an_anonymous_page_is_cached_until_a_write(client: TestClient, world: World) -> None:
    member = world.member(world.department())
    world.project(member, title="First project", visibility=Visibility.PUBLISHED)
    first = client.get("/projects")
    assert first.headers["x-cache"] == "miss"
    again = client.get("/projects")
    assert again.headers["x-cache"] == "hit"
    assert again.text == first.text
    world.project(member, title="Second project", visibility=Visibility.PUBLISHED)
    world.session.commit()  # a request commits its writes; only committed writes move the version
    after_write = client.get("/projects")
    assert after_write.headers["x-cache"] == "miss"
    assert "Second project" in after_write.text


def test_signed_in_and_personal_pages_are_never_cached(client: TestClient, world: World) -> None:
    client.get("/sign-in")
    assert "x-cache" not in client.get("/sign-in").headers  # has a CSRF token for this browser
    world.sign_in(client, world.member(world.department()))
    client.get("/projects")
    assert "x-cache" not in client.get("/projects").headers


def test_a_cached_page_still_gets_fresh_security_headers_and_cookies(client: TestClient) -> None:
    client.get("/missions")
    fresh = TestClient(client.app, base_url="https://testserver")
    hit = fresh.get("/missions")
    assert hit.headers["x-cache"] == "hit"
    assert "mh_browser=" in hit.headers["set-cookie"]
    assert inline_script_hashes() in hit.headers["content-security-policy"]


def test_the_inline_script_is_allowed_by_its_hash_only() -> None:
    hashes = inline_script_hashes()
    assert hashes.startswith("'sha256-")
    assert hashes.count("sha256-") == 1
