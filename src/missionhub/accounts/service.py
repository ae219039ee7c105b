"""Accounts: organisations, users, logins, sessions, API tokens and the audit log.

Every function takes the session first and the acting :class:`Actor` by keyword; none commits.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Select, delete, func, select
from sqlalchemy.orm import Session

from missionhub.accounts.models import (
    ApiToken,
    AuditEvent,
    LoginFailure,
    Organisation,
    OrgKind,
    Role,
    User,
    UserSession,
)
from missionhub.accounts.passwords import hash_password, new_token, token_hash, verify_password
from missionhub.accounts.permissions import Actor, require, require_admin
from missionhub.accounts.schemas import OrganisationIn, TokenIn, UserIn
from missionhub.db.base import utcnow
from missionhub.errors import Conflict, FieldError, Invalid, NotFound
from missionhub.text import slugify

API_TOKEN_PREFIX = "mh_"  # noqa: S105 (a prefix, not a secret)


class LoginRefused(Exception):
    """Wrong email or password, an inactive account, or too many attempts."""


def actor_for(user: User) -> Actor:
    return Actor(
        user_id=user.id,
        role=user.role,
        organisation_id=user.organisation_id,
        public_sector=user.organisation.is_public_sector,
        label=f"{user.display_name} ({user.email})",
    )


# Organisations -------------------------------------------------------------------------------


def create_organisation(session: Session, *, actor: Actor, data: OrganisationIn) -> Organisation:
    require_admin(actor)
    if session.scalar(select(Organisation.id).where(Organisation.name == data.name)):
        raise Invalid(f"An organisation called {data.name!r} already exists", field="name")
    org = Organisation(slug=_unique_slug(session, data.name), **data.model_dump())
    session.add(org)
    session.flush()
    return org


def _unique_slug(session: Session, name: str) -> str:
    base = slugify(name)
    slug, n = base, 1
    while session.scalar(select(Organisation.id).where(Organisation.slug == slug)):
        n += 1
        slug = f"{base}-{n}"
    return slug


def get_organisation(session: Session, organisation_id: int) -> Organisation:
    org = session.get(Organisation, organisation_id)
    if org is None:
        raise NotFound(f"No organisation with id {organisation_id}")
    return org


def organisation_by_slug(session: Session, slug: str) -> Organisation:
    org = session.scalar(select(Organisation).where(Organisation.slug == slug))
    if org is None:
        raise NotFound(f"No organisation {slug!r}")
    return org


def list_organisations(
    session: Session, *, kinds: set[OrgKind] | None = None
) -> list[Organisation]:
    stmt: Select[Organisation] = select(Organisation).order_by(Organisation.name)
    if kinds:
        stmt = stmt.where(Organisation.kind.in_(kinds))
    return list(session.scalars(stmt))


# Users ---------------------------------------------------------------------------------------

_ROLE_NEEDS_PUBLIC_SECTOR = {Role.MEMBER, Role.CIO, Role.COMMERCIAL, Role.ADMIN}


def create_user(session: Session, *, actor: Actor, data: UserIn) -> User:
    require_admin(actor)
    org = session.get(Organisation, data.organisation_id)
    if org is None:
        raise Invalid("No such organisation", field="organisation_id")
    problems = validate_role_for_org(data.role, org)
    if problems:
        raise Invalid(problems)
    if session.scalar(select(User.id).where(User.email == data.email)):
        raise Invalid("A user with this email already exists", field="email")
    user = User(
        email=data.email,
        display_name=data.display_name,
        password_hash=hash_password(data.password),
        role=data.role,
        organisation_id=org.id,
    )
    session.add(user)
    session.flush()
    return user


def get_user(session: Session, *, actor: Actor, user_id: int) -> User:
    require(actor.is_admin or actor.user_id == user_id, "You can only see your own account")
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"No user with id {user_id}")
    return user


def list_users(session: Session, *, actor: Actor) -> list[User]:
    require_admin(actor)
    return list(session.scalars(select(User).order_by(User.email)))


# Login, sessions, rate limiting -------------------------------------------------------------


def authenticate(
    session: Session,
    *,
    email: str,
    password: str,
    ip: str | None,
    max_failures: int,
    max_failures_per_ip: int,
    window: timedelta,
) -> User:
    """The user with these credentials. Refused while too many recent failures are on record."""
    email = email.strip().lower()
    since = utcnow() - window
    failures = session.scalar(
        select(func.count()).where(LoginFailure.email == email, LoginFailure.at >= since)
    )
    ip_failures = (
        session.scalar(select(func.count()).where(LoginFailure.ip == ip, LoginFailure.at >= since))
        if ip
        else 0
    )
    if (failures or 0) >= max_failures or (ip_failures or 0) >= max_failures_per_ip:
        minutes = int(window.total_seconds() // 60)
        raise LoginRefused(f"Too many failed sign-in attempts. Try again in {minutes} minutes.")
    user = session.scalar(select(User).where(User.email == email))
    if not verify_password(user.password_hash if user else None, password) or user is None:
        session.add(LoginFailure(email=email, ip=ip))
        raise LoginRefused("Enter a correct email address and password")
    if not user.is_active:
        raise LoginRefused("This account has been deactivated")
    session.execute(delete(LoginFailure).where(LoginFailure.email == email))
    user.last_login_at = utcnow()
    return user


def start_session(
    session: Session, *, user: User, hours: int, ip: str | None, user_agent: str | None
) -> str:
    """Record a login; returns the cookie token (only its hash is stored)."""
    token = new_token()
    session.add(
        UserSession(
            token_hash=token_hash(token),
            user_id=user.id,
            expires_at=utcnow() + timedelta(hours=hours),
            ip=ip,
            user_agent=(user_agent or "")[:300] or None,
        )
    )
    return token


def actor_from_session(session: Session, token: str | None) -> Actor | None:
    if not token:
        return None
    row = session.scalar(select(UserSession).where(UserSession.token_hash == token_hash(token)))
    if row is None or row.revoked_at is not None or row.expires_at <= utcnow():
        return None
    if not row.user.is_active:
        return None
    return actor_for(row.user)


def end_session(session: Session, token: str | None) -> None:
    if not token:
        return
    row = session.scalar(select(UserSession).where(UserSession.token_hash == token_hash(token)))
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()


# API tokens ----------------------------------------------------------------------------------


def create_api_token(session: Session, *, actor: Actor, data: TokenIn) -> tuple[ApiToken, str]:
    require(actor.user_id is not None, "Sign in to create an API token")
    token = new_token(API_TOKEN_PREFIX)
    row = ApiToken(
        user_id=actor.user_id,
        name=data.name,
        token_hash=token_hash(token),
        prefix=token[: len(API_TOKEN_PREFIX) + 6],
        expires_at=utcnow() + timedelta(days=data.days),
    )
    session.add(row)
    session.flush()
    return row, token


def list_api_tokens(session: Session, *, actor: Actor) -> list[ApiToken]:
    require(actor.user_id is not None, "Sign in to see your API tokens")
    stmt = select(ApiToken).where(ApiToken.user_id == actor.user_id, ApiToken.revoked_at.is_(None))
    return list(session.scalars(stmt.order_by(ApiToken.created_at.desc())))


def revoke_api_token(session: Session, *, actor: Actor, token_id: int) -> None:
    row = session.get(ApiToken, token_id)
    if row is None or (row.user_id != actor.user_id and not actor.is_admin):
        raise NotFound(f"No API token with id {token_id}")
    if row.revoked_at is not None:
        raise Conflict("This token is already revoked")
    row.revoked_at = utcnow()


def actor_from_api_token(session: Session, token: str) -> Actor | None:
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash(token)))
    now = utcnow()
    if row is None or row.revoked_at is not None or not row.user.is_active:
        return None
    if row.expires_at is not None and row.expires_at <= now:
        return None
    if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=5):
        row.last_used_at = now
    return actor_for(row.user)


# Audit log -----------------------------------------------------------------------------------


def audit_log(
    session: Session,
    *,
    actor: Actor,
    entity_type: str | None = None,
    page: int = 1,
    page_size: int = 50,
) -> tuple[list[AuditEvent], int]:
    """The whole audit log, newest first (admins only)."""
    require_admin(actor)
    stmt = select(AuditEvent)
    if entity_type:
        stmt = stmt.where(AuditEvent.entity_type == entity_type)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(
        stmt.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .offset((page - 1) * page_size)
        .limit(page_size)
    )
    return list(rows), total


def validate_role_for_org(role: Role, org: Organisation) -> list[FieldError]:
    """Problems with giving ``role`` to a member of ``org``."""
    if role in _ROLE_NEEDS_PUBLIC_SECTOR and not org.is_public_sector:
        return [
            FieldError(
                "organisation_id", f"A {role.label} must belong to a public-sector organisation"
            )
        ]
    if role is Role.SUPPLIER and org.is_public_sector:
        return [FieldError("organisation_id", "A supplier must belong to a supplier organisation")]
    return []
