"""Validated input and output shapes for accounts."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator

from missionhub.accounts.models import OrgKind, Role
from missionhub.accounts.passwords import password_problem
from missionhub.db.base import MAX_ID
from missionhub.validation import InputModel


class UserIn(InputModel):
    email: EmailStr
    display_name: str = Field(min_length=1, max_length=120)
    password: str = Field(max_length=200)
    role: Role
    organisation_id: int = Field(gt=0, le=MAX_ID)

    @field_validator("email")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.lower()

    @field_validator("password")
    @classmethod
    def _strong(cls, value: str) -> str:
        problem = password_problem(value)
        if problem:
            raise ValueError(problem)
        return value


class OrganisationIn(InputModel):
    name: str = Field(min_length=2, max_length=200)
    abbreviation: str | None = Field(None, max_length=40)
    kind: OrgKind
    parent_id: int | None = Field(None, gt=0, le=MAX_ID)
    company_number: str | None = Field(None, max_length=20)
    website: str | None = Field(None, max_length=300)


class OrganisationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    slug: str
    name: str
    abbreviation: str | None
    kind: OrgKind
    parent_id: int | None


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    display_name: str
    role: Role
    organisation_id: int


class TokenIn(InputModel):
    name: str = Field(min_length=1, max_length=100)
    days: int = Field(90, ge=1, le=366)


class TokenOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None


class NewTokenOut(TokenOut):
    token: str = Field(description="Shown once. Send as `Authorization: Bearer <token>`.")


class AuditEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    actor_label: str
    action: str
    entity_type: str
    entity_id: str | None
    record_type: str
    record_id: str | None
    before: dict[str, object] | None
    after: dict[str, object] | None
