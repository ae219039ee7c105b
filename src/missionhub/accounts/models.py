"""Organisations, users, their sessions and tokens, login failures and the audit log."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from missionhub.db.base import Base, IdMixin, enum_type, utcnow


class OrgKind(StrEnum):
    """Kinds of organisation; the public-sector ones follow the GOV.UK ATRS finder facet."""

    MINISTERIAL = "ministerial-department"
    NON_MINISTERIAL = "non-ministerial-department"
    AGENCY = "agency-or-public-body"
    LOCAL_AUTHORITY = "local-authority"
    DEVOLVED = "devolved-administration"
    PUBLIC_CORPORATION = "public-corporation"
    SUPPLIER = "supplier"

    @property
    def label(self) -> str:
        return {
            "ministerial-department": "Ministerial department",
            "non-ministerial-department": "Non-ministerial department",
            "agency-or-public-body": "Agency or other public body",
            "local-authority": "Local authority",
            "devolved-administration": "Devolved administration",
            "public-corporation": "Public corporation",
            "supplier": "Supplier",
        }[self.value]

    @property
    def is_public_sector(self) -> bool:
        return self is not OrgKind.SUPPLIER


class Role(StrEnum):
    """What a signed-in user may do. Anonymous visitors have no role (the public)."""

    MEMBER = "member"
    CIO = "cio"
    COMMERCIAL = "commercial"
    SUPPLIER = "supplier"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return {
            "member": "Member of a department",
            "cio": "Chief Innovation Officer",
            "commercial": "Commercial officer",
            "supplier": "Supplier",
            "admin": "Administrator",
        }[self.value]


class Organisation(IdMixin, Base):
    __tablename__ = "organisations"

    slug: Mapped[str] = mapped_column(String(120), unique=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    abbreviation: Mapped[str | None] = mapped_column(String(40))
    kind: Mapped[OrgKind] = mapped_column(enum_type(OrgKind))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    company_number: Mapped[str | None] = mapped_column(String(20), index=True)
    website: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    parent: Mapped[Organisation | None] = relationship(remote_side="Organisation.id")

    @property
    def is_public_sector(self) -> bool:
        return self.kind.is_public_sector

    def __str__(self) -> str:
        return self.name


class User(IdMixin, Base):
    __tablename__ = "users"
    __audit_exclude__ = frozenset({"password_hash"})

    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(enum_type(Role))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]

    organisation: Mapped[Organisation] = relationship(lazy="joined")


class UserSession(IdMixin, Base):
    """A browser login. The cookie holds a random token; only its SHA-256 is stored."""

    __tablename__ = "user_sessions"
    __audited__ = False

    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(300))

    user: Mapped[User] = relationship(lazy="joined")


class ApiToken(IdMixin, Base):
    """A bearer token for the JSON API. Shown once; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"
    __audit_exclude__ = frozenset({"token_hash"})

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(lazy="joined")

    def audit_record(self) -> tuple[str, int | None]:
        return "users", self.user_id


class LoginFailure(IdMixin, Base):
    """One failed login, kept for rate limiting."""

    __tablename__ = "login_failures"
    __audited__ = False
    __table_args__ = (Index("ix_login_failures_email_at", "email", "at"),)

    email: Mapped[str] = mapped_column(String(254))
    ip: Mapped[str | None] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditEvent(IdMixin, Base):
    """One write: who, when, which row, and its values before and after."""

    __tablename__ = "audit_events"
    __audited__ = False
    __table_args__ = (Index("ix_audit_events_record", "record_type", "record_id"),)

    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    actor_label: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(20))
    entity_type: Mapped[str] = mapped_column(String(80))
    entity_id: Mapped[str | None] = mapped_column(String(80))
    record_type: Mapped[str] = mapped_column(String(80))
    record_id: Mapped[str | None] = mapped_column(String(80))
    before: Mapped[dict[str, Any] | None]
    after: Mapped[dict[str, Any] | None]
    note: Mapped[str | None] = mapped_column(Text)
