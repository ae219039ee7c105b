"""Signing in and out, rate limiting, sessions, CSRF, cookies and API tokens."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from missionhub.accounts.models import LoginFailure, UserSession
from missionhub.web.security import BROWSER_COOKIE, SESSION_COOKIE
from tests.factories import PASSWORD, World


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match[1]


def sign_in(client: TestClient, email: str, password: str, next: str = "/"):  # type: ignore[no-untyped-def]
    token = csrf_from(client.get("/sign-in").text)
    return client.post(
        "/sign-in", data={"email": email, "password": password, "csrf_token": token, "next": next}
    )


def test_sign_in_sets_a_secure_httponly_session_cookie_and_redirects(
    client: TestClient, world: World
) -> None:
    user = world.member(world.department())
    response = sign_in(client, user.email, PASSWORD, next="/projects")
    assert response.status_code == 303
    assert response.headers["location"] == "/projects"
    cookie = next(
        h for h in response.headers.get_list("set-cookie") if h.startswith(SESSION_COOKIE)
    )
    assert "Secure" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie or "SameSite=Lax" in cookie
    assert "Your account" in client.get("/projects").text


def test_wrong_password_is_refused_without_saying_which_part_was_wrong(
    client: TestClient, world: World
) -> None:
    user = world.member(world.department())
    for email in (user.email, "nobody@dwp.example.org"):
        response = sign_in(client, email, "not the password")
        assert response.status_code == 400
        assert "Enter a correct email address and password" in response.text
        assert SESSION_COOKIE not in response.cookies


def test_repeated_failures_lock_the_account_for_the_window(
    client: TestClient, world: World, session: Session
) -> None:
    user = world.member(world.department())
    for _ in range(5):
        assert sign_in(client, user.email, "wrong").status_code == 400
    locked = sign_in(client, user.email, PASSWORD)
    assert locked.status_code == 400
    assert "Too many failed sign-in attempts" in locked.text
    assert session.scalar(select(LoginFailure.id).where(LoginFailure.email == user.email))


def test_open_redirects_are_refused(client: TestClient, world: World) -> None:
    user = world.member(world.department())
    for target in ("//evil.example", "https://evil.example/", "/\\evil.example"):
        assert sign_in(client, user.email, PASSWORD, next=target).headers["location"] == "/"


def test_sign_out_ends_the_session_on_the_server(
    client: TestClient, world: World, session: Session
) -> None:
    user = world.member(world.department())
    sign_in(client, user.email, PASSWORD)
    stolen = client.cookies.get(SESSION_COOKIE)
    token = csrf_from(client.get("/sign-out").text)
    assert client.post("/sign-out", data={"csrf_token": token}).status_code == 303
    client.cookies.set(SESSION_COOKIE, stolen)  # replaying the old cookie does not work
    assert "Sign in" in client.get("/").text
    assert session.scalar(select(UserSession.revoked_at).where(UserSession.user_id == user.id))


def test_a_form_post_without_the_csrf_token_is_refused_and_changes_nothing(
    client: TestClient, world: World
) -> None:
    user = world.member(world.department())
    world.sign_in(client, user)
    client.get("/projects/new")
    response = client.post("/projects/new", data={"title": "Sneaky", "summary": "x"})
    assert response.status_code == 403
    assert "This form has expired" in response.text
    assert "No projects match" in client.get("/projects?q=Sneaky").text


def test_a_csrf_token_from_another_browser_is_refused(client: TestClient, world: World) -> None:
    token = csrf_from(client.get("/sign-in").text)
    client.cookies.set(BROWSER_COOKIE, "someone-elses-browser")
    user = world.member(world.department())
    response = client.post(
        "/sign-in", data={"email": user.email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 403


def test_security_headers_on_every_page(client: TestClient) -> None:
    headers = client.get("/").headers
    assert "default-src 'self'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert "max-age" in headers["strict-transport-security"]


def test_api_tokens_authenticate_and_revoked_or_bad_tokens_do_not(
    client: TestClient, world: World
) -> None:
    user = world.member(world.department())
    headers = world.bearer(user)
    me = client.get("/api/me", headers=headers)
    assert me.status_code == 200
    assert me.json()["email"] == user.email
    token_id = client.get("/api/tokens", headers=headers).json()[0]["id"]
    assert client.delete(f"/api/tokens/{token_id}", headers=headers).status_code == 204
    assert client.get("/api/me", headers=headers).status_code == 401
    assert client.get("/api/me", headers={"Authorization": "Bearer mh_nonsense"}).status_code == 401
    assert client.get("/api/me").status_code == 401


def test_the_api_ignores_the_browser_session_cookie(client: TestClient, world: World) -> None:
    """API calls authenticate by bearer token only, so a cross-site form cannot act through
    them with someone's cookie."""
    user = world.member(world.department())
    world.sign_in(client, user)
    assert client.get("/api/me").status_code == 401


def test_a_created_token_is_shown_once_and_stored_only_as_a_hash(
    client: TestClient, world: World, session: Session
) -> None:
    from missionhub.accounts.models import ApiToken

    user = world.member(world.department())
    world.sign_in(client, user)
    page = client.get("/account").text
    response = client.post(
        "/account/tokens", data={"name": "export", "days": "30", "csrf_token": csrf_from(page)}
    )
    token = re.search(r'<code id="new-token">([^<]+)</code>', response.text)
    assert token
    stored = session.scalars(select(ApiToken.token_hash)).all()
    assert token[1] not in stored
    assert len(stored[0]) == 64
    assert (
        client.get("/api/me", headers={"Authorization": f"Bearer {token[1]}"}).json()["email"]
        == user.email
    )
