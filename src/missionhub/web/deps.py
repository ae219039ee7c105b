"""FastAPI dependencies: one database transaction per request, and the actor behind it.

Pages authenticate with the session cookie; the JSON API with ``Authorization: Bearer``.
The transaction commits when the route function returns, before the response is sent, so a
failed commit is a 500, never a success page over a lost write. A page rendered with an error
status (a form re-shown with its errors) rolls the transaction back instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Path, Query, Request
from sqlalchemy.orm import Session

from missionhub.accounts.permissions import Actor
from missionhub.accounts.service import actor_from_api_token, actor_from_session
from missionhub.db.base import MAX_ID
from missionhub.db.session import Database
from missionhub.settings import Settings
from missionhub.web.security import CSRF_FIELD, SESSION_COOKIE, csrf_valid


class LoginRequired(Exception):
    """Raised by pages that need a signed-in user; answered with a redirect to sign in."""


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_database(request: Request) -> Database:
    return request.app.state.db


def db_session(request: Request) -> Iterator[Session]:
    database: Database = request.app.state.db
    with database.session_factory() as session:
        try:
            yield session
        except BaseException:
            session.rollback()
            raise
        if getattr(request.state, "failed", False):
            session.rollback()  # the page reported errors: keep nothing the handler changed
        else:
            session.commit()


def current_actor(
    request: Request, session: Annotated[Session, Depends(db_session, scope="function")]
) -> Actor:
    actor: Actor | None
    auth = request.headers.get("authorization")
    if auth:
        scheme, _, token = auth.partition(" ")
        actor = actor_from_api_token(session, token.strip()) if scheme.lower() == "bearer" else None
        if actor is None:
            raise HTTPException(
                401, "Invalid or expired API token", headers={"WWW-Authenticate": "Bearer"}
            )
    elif request.url.path.startswith("/api/"):
        actor = None
    else:
        actor = actor_from_session(session, request.cookies.get(SESSION_COOKIE))
    actor = actor or Actor.public()
    session.info["actor"] = actor
    request.state.actor = actor
    return actor


def signed_in_actor(actor: Annotated[Actor, Depends(current_actor)]) -> Actor:
    if not actor.is_authenticated:
        raise LoginRequired()
    return actor


async def csrf_protect(request: Request) -> None:
    """Refuse a form POST whose CSRF token does not match this browser's session."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    form = await request.form()
    token = form.get(CSRF_FIELD)
    if not csrf_valid(
        request, request.app.state.settings, token if isinstance(token, str) else None
    ):
        raise HTTPException(
            403,
            "This form has expired or came from another site. Go back, "
            "refresh the page and try again.",
        )


DbSession = Annotated[Session, Depends(db_session, scope="function")]
CurrentActor = Annotated[Actor, Depends(current_actor)]
SignedInActor = Annotated[Actor, Depends(signed_in_actor)]
AppSettings = Annotated[Settings, Depends(get_settings)]

# Ids in paths and queries: bounded, so that an absurd number is a 422, not a database error.
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]
QueryId = Annotated[int | None, Query(ge=1, le=MAX_ID)]
