"""JSON API for the signed-in user, API tokens, organisations and the audit log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from missionhub.accounts import service
from missionhub.accounts.schemas import (
    AuditEventOut,
    NewTokenOut,
    OrganisationOut,
    TokenIn,
    TokenOut,
    UserOut,
)
from missionhub.web.deps import CurrentActor, DbSession, PathId

router = APIRouter(tags=["accounts"])


@router.get("/me", summary="The user the token belongs to")
def me(session: DbSession, actor: CurrentActor) -> UserOut:
    if actor.user_id is None:
        raise HTTPException(401, "Authentication required", headers={"WWW-Authenticate": "Bearer"})
    return UserOut.model_validate(service.get_user(session, actor=actor, user_id=actor.user_id))


@router.get("/organisations", summary="Organisations")
def organisations(session: DbSession) -> list[OrganisationOut]:
    return [OrganisationOut.model_validate(o) for o in service.list_organisations(session)]


@router.get("/tokens", summary="Your API tokens (never their values)")
def tokens(session: DbSession, actor: CurrentActor) -> list[TokenOut]:
    return [TokenOut.model_validate(t) for t in service.list_api_tokens(session, actor=actor)]


@router.post("/tokens", status_code=201, summary="Create an API token (its value is shown once)")
def create_token(data: TokenIn, session: DbSession, actor: CurrentActor) -> NewTokenOut:
    row, token = service.create_api_token(session, actor=actor, data=data)
    return NewTokenOut(**TokenOut.model_validate(row).model_dump(), token=token)


@router.delete("/tokens/{token_id}", status_code=204, summary="Revoke an API token")
def revoke_token(token_id: PathId, session: DbSession, actor: CurrentActor) -> None:
    service.revoke_api_token(session, actor=actor, token_id=token_id)


@router.get("/audit", summary="The audit log (admins)")
def audit(
    session: DbSession,
    actor: CurrentActor,
    entity_type: Annotated[str | None, Query(max_length=80)] = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> list[AuditEventOut]:
    events, _ = service.audit_log(session, actor=actor, entity_type=entity_type, page=page)
    return [AuditEventOut.model_validate(e) for e in events]
