"""Validated input (forms and API bodies share these) and API output shapes for linkage."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator

from missionhub.jobs.models import JobStatus
from missionhub.validation import InputModel

ShortText = Annotated[str, Field(min_length=1, max_length=200)]


class ProjectIn(InputModel):
    name: ShortText
    purpose: Annotated[str, Field(min_length=1, max_length=5_000)]
    hub_name: ShortText = "Mission Hub (this service)"
    organisation_ids: list[int] = Field(
        min_length=2, description="The participating departments (two or more)."
    )

    @field_validator("organisation_ids", mode="before")
    @classmethod
    def _ids(cls, value: object) -> object:
        if isinstance(value, list):
            return [int(v) for v in value if str(v).strip().isdigit()]
        return value

    @field_validator("organisation_ids")
    @classmethod
    def _distinct(cls, value: list[int]) -> list[int]:
        distinct = list(dict.fromkeys(value))
        if len(distinct) < 2:
            raise ValueError("Select at least two departments")
        return distinct


class OwnerIn(InputModel):
    email: EmailStr


class SchemaIn(InputModel):
    definition: Annotated[str, Field(min_length=2, max_length=50_000)]


class RunIn(InputModel):
    threshold: float | None = Field(None, gt=0.0, le=1.0)
    method: Literal["clk", "match-keys"] = "clk"


class PartyOut(BaseModel):
    organisation_id: int
    organisation_name: str
    owners: list[str]
    latest_upload_records: int | None
    latest_upload_version: int | None


class ProjectOut(BaseModel):
    id: int
    reference: str
    name: str
    purpose: str
    hub_name: str
    schema_version: int
    steward_organisation: str
    parties: list[PartyOut]
    created_at: datetime


class UploadOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    project_id: int
    organisation_id: int
    schema_version: int
    records: int
    has_truth: bool
    filename: str
    sha256: str
    uploaded_at: datetime


class RunOut(BaseModel):
    id: int
    project_id: int
    schema_version: int
    method: str
    threshold: float
    job_id: int | None
    status: JobStatus | None
    quality: dict[str, Any] | None
    created_at: datetime
    finished_at: datetime | None


class RunStarted(BaseModel):
    run_id: int
    job_id: int
