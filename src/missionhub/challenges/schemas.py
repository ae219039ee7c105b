"""Validated input (forms and API bodies share these) and API output shapes for challenges."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from missionhub.challenges.metrics import METRICS
from missionhub.challenges.models import ChallengeStatus, SubmissionKind, SubmissionStatus
from missionhub.db.base import MAX_ID
from missionhub.portfolio.schemas import LongText, OptionalText, ShortText
from missionhub.validation import InputModel

MAX_SUBMISSIONS = 20  # each one released to a supplier is another view of the same gold labels


class ChallengeIn(InputModel):
    title: ShortText
    brief: LongText = Field(description="The problem, for whom, and what a good answer does")
    eligibility: OptionalText = None
    criteria: OptionalText = Field(None, description="How submissions will be judged")
    use_case_id: int | None = Field(None, gt=0, le=MAX_ID)
    mission_id: int | None = Field(None, gt=0, le=MAX_ID, validate_default=True)
    opens_on: date | None = None
    closes_on: date | None = None
    positive_label: str = Field("hateful", min_length=1, max_length=100)
    negative_label: str = Field("non-hateful", min_length=1, max_length=100)
    primary_metric: str = Field("f1", description="Metric the ranking uses")
    min_denominator: int = Field(30, ge=1, le=100_000)
    max_submissions_per_supplier: int = Field(
        3,
        ge=1,
        le=MAX_SUBMISSIONS,
        description="How many submissions each supplier organisation may make (decision 0057)",
    )
    organisation_id: int | None = Field(None, gt=0, le=MAX_ID, description="Owning department")

    @field_validator("mission_id")
    @classmethod
    def _tied(cls, value: int | None, info: ValidationInfo) -> int | None:
        if value is None and info.data.get("use_case_id") is None:
            raise ValueError("Choose the use case or the mission this challenge answers")
        return value

    @field_validator("closes_on")
    @classmethod
    def _after_opening(cls, value: date | None, info: ValidationInfo) -> date | None:
        opens = info.data.get("opens_on")
        if value and opens and value <= opens:
            raise ValueError("The closing date must be after the opening date")
        return value

    @field_validator("negative_label")
    @classmethod
    def _distinct(cls, value: str, info: ValidationInfo) -> str:
        if value == info.data.get("positive_label"):
            raise ValueError("The two labels must differ")
        return value

    @field_validator("primary_metric")
    @classmethod
    def _metric(cls, value: str) -> str:
        if value not in METRICS:
            raise ValueError(f"Choose one of {', '.join(METRICS)}")
        return value


class StatusIn(InputModel):
    status: ChallengeStatus


class SubmissionIn(InputModel):
    name: ShortText = Field(description="The solution's name")
    description: OptionalText = Field(None, description="What the model is and how it was trained")


class EndpointIn(SubmissionIn):
    endpoint_url: str = Field(min_length=8, max_length=500)


class AwardIn(InputModel):
    submission_id: int = Field(gt=0, le=MAX_ID)
    rationale: LongText


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class SuiteOut(_Out):
    id: int
    version: int
    source: str
    filename: str
    file_sha256: str
    content_sha256: str
    cases: int
    group_columns: list[str]
    has_templates: bool
    has_functionality: bool
    created_at: datetime


class ChallengeOut(_Out):
    id: int
    title: str
    brief: str
    eligibility: str | None
    criteria: str | None
    organisation_id: int
    use_case_id: int | None
    mission_id: int | None
    opens_on: date | None
    closes_on: date | None
    status: ChallengeStatus
    positive_label: str
    negative_label: str
    primary_metric: str
    max_submissions_per_supplier: int
    results_released_at: datetime | None


class SubmissionOut(_Out):
    id: int
    challenge_id: int
    organisation_id: int
    name: str
    kind: SubmissionKind
    status: SubmissionStatus
    error: str | None
    has_scores: bool
    predictions_sha256: str | None
    suite_id: int
    created_at: datetime
