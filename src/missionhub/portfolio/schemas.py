"""Validated input (forms and API bodies share these) and API output shapes for the portfolio."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from missionhub.accounts.permissions import Visibility
from missionhub.db.base import MAX_ID
from missionhub.portfolio.atrs_facets import CAPABILITIES, FUNCTIONS, PHASES
from missionhub.portfolio.models import (
    Direction,
    GateOutcome,
    LessonKind,
    Sourcing,
    Stage,
    StopReason,
    TeamRole,
)
from missionhub.validation import Id, InputModel

ShortText = Annotated[str, Field(min_length=1, max_length=200)]
LongText = Annotated[str, Field(min_length=1, max_length=20_000)]
OptionalText = Annotated[str | None, Field(None, max_length=20_000)]
FINANCIAL_YEAR = re.compile(r"^(\d{4})-(\d{2})$")
# Numeric(18, 4) holds up to 14 digits before the point.
MeasureValue = Annotated[Decimal, Field(max_digits=18, decimal_places=4, allow_inf_nan=False)]


class ProjectIn(InputModel):
    organisation_id: int | None = Field(
        None, gt=0, le=MAX_ID, description="Owning organisation; defaults to the user's own."
    )
    title: ShortText
    summary: LongText
    problem: OptionalText = None
    users: OptionalText = None
    approach: OptionalText = None
    uses_ai: bool = False
    atrs_capability: str | None = Field(None, description="ATRS capability facet value")
    atrs_function: str | None = Field(None, description="ATRS function facet value")
    atrs_phase: str | None = Field(None, description="ATRS phase facet value")
    visibility: Visibility = Visibility.DRAFT
    use_case_id: int | None = Field(None, gt=0, le=MAX_ID)

    @field_validator("atrs_capability")
    @classmethod
    def _capability(cls, value: str | None, info: ValidationInfo) -> str | None:
        return _facet(value, CAPABILITIES, "capability", info)

    @field_validator("atrs_function")
    @classmethod
    def _function(cls, value: str | None, info: ValidationInfo) -> str | None:
        return _facet(value, FUNCTIONS, "function", info)

    @field_validator("atrs_phase")
    @classmethod
    def _phase(cls, value: str | None, info: ValidationInfo) -> str | None:
        return _facet(value, PHASES, "phase", info)


def _facet(
    value: str | None, allowed: dict[str, str], name: str, info: ValidationInfo
) -> str | None:
    if value is None:
        return None
    if value not in allowed:
        raise ValueError(f"Unknown ATRS {name} {value!r}; choose one of {', '.join(allowed)}")
    if not info.data.get("uses_ai"):
        raise ValueError(f"The ATRS {name} applies only to projects that use AI")
    return value


class UseCaseIn(InputModel):
    title: ShortText
    problem: LongText
    outcome: OptionalText = None
    organisation_id: int | None = Field(None, gt=0, le=MAX_ID, description="Lead organisation")
    participant_ids: list[Id] = Field(default_factory=list, max_length=50)
    mission_ids: list[Id] = Field(default_factory=list, max_length=10)
    milestone_ids: list[Id] = Field(default_factory=list, max_length=30)
    visibility: Visibility = Visibility.DRAFT


class TeamMemberIn(InputModel):
    role: TeamRole
    sourcing: Sourcing
    name: str | None = Field(None, max_length=120)
    fte: Decimal | None = Field(None, ge=0, le=100, max_digits=5, decimal_places=2)


class FundingIn(InputModel):
    financial_year: str = Field(description="UK financial year, e.g. 2025-26")
    amount: Decimal = Field(ge=0, max_digits=14, decimal_places=2, allow_inf_nan=False)
    source: str | None = Field(None, max_length=200)

    @field_validator("financial_year")
    @classmethod
    def _fy(cls, value: str) -> str:
        match = FINANCIAL_YEAR.match(value)
        if not match or (int(match[1]) + 1) % 100 != int(match[2]):
            raise ValueError("Enter a financial year like 2025-26")
        if not 2000 <= int(match[1]) <= 2100:
            raise ValueError("Financial year must be between 2000-01 and 2100-01")
        return value


class KpiIn(InputModel):
    name: ShortText
    unit: str = Field(min_length=1, max_length=60)
    direction: Direction
    baseline: MeasureValue
    baseline_date: date | None = None
    target: MeasureValue
    target_date: date

    @field_validator("target")
    @classmethod
    def _target_moves_the_right_way(cls, value: Decimal, info: ValidationInfo) -> Decimal:
        direction, baseline = info.data.get("direction"), info.data.get("baseline")
        if baseline is None:
            return value
        if direction is Direction.INCREASE and value <= baseline:
            raise ValueError("Target must be above the baseline when higher is better")
        if direction is Direction.DECREASE and value >= baseline:
            raise ValueError("Target must be below the baseline when lower is better")
        return value

    @field_validator("target_date")
    @classmethod
    def _target_after_baseline(cls, value: date, info: ValidationInfo) -> date:
        baseline_date = info.data.get("baseline_date")
        if baseline_date and value <= baseline_date:
            raise ValueError("Target date must be after the baseline date")
        return value


class KpiActualIn(InputModel):
    observed_on: date
    value: MeasureValue
    note: str | None = Field(None, max_length=300)

    @field_validator("observed_on")
    @classmethod
    def _not_future(cls, value: date) -> date:
        if value > date.today():
            raise ValueError("An actual cannot be observed in the future")
        return value


class MissionLinkIn(InputModel):
    mission_id: int = Field(gt=0, le=MAX_ID)
    milestone_id: int | None = Field(None, gt=0, le=MAX_ID)
    contribution: LongText
    kpi_id: int | None = Field(
        None, gt=0, le=MAX_ID, description="The KPI that evidences the contribution"
    )


class LessonIn(InputModel):
    kind: LessonKind
    title: ShortText
    body: LongText


class StageRequestIn(InputModel):
    requested_stage: Stage
    case: LongText = Field(description="Why the project should move: the evidence for the gate")


class GateDecisionIn(InputModel):
    outcome: GateOutcome
    rationale: LongText
    conditions: OptionalText = None
    decided_on: date | None = None
    stop_reason: StopReason | None = Field(None, validate_default=True)

    @field_validator("decided_on")
    @classmethod
    def _not_future(cls, value: date | None) -> date | None:
        if value and value > date.today():
            raise ValueError("A decision cannot be dated in the future")
        return value

    @field_validator("stop_reason")
    @classmethod
    def _stop_needs_reason(
        cls, value: StopReason | None, info: ValidationInfo
    ) -> StopReason | None:
        outcome = info.data.get("outcome")
        if outcome is GateOutcome.STOP and value is None:
            raise ValueError("Select why the project is stopping")
        if outcome is not GateOutcome.STOP and value is not None:
            raise ValueError("A stop reason applies only to a decision to stop")
        return value


# Output --------------------------------------------------------------------------------------


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class KpiActualOut(_Out):
    observed_on: date
    value: Decimal
    note: str | None


class KpiOut(_Out):
    id: int
    name: str
    unit: str
    direction: Direction
    baseline: Decimal
    baseline_date: date | None
    target: Decimal
    target_date: date
    actuals: list[KpiActualOut]


class MissionLinkOut(_Out):
    id: int
    mission_id: int
    milestone_id: int | None
    contribution: str
    kpi_id: int | None
    evidenced: bool


class TeamMemberOut(_Out):
    id: int
    role: TeamRole
    sourcing: Sourcing
    name: str | None
    fte: Decimal | None


class FundingOut(_Out):
    id: int
    financial_year: str
    amount: Decimal
    source: str | None


class StageEventOut(_Out):
    stage: Stage
    entered_at: datetime
    decision_id: int | None


class GateDecisionOut(_Out):
    id: int
    from_stage: Stage
    requested_stage: Stage
    case: str | None
    requested_at: datetime
    status: str
    outcome: GateOutcome | None
    rationale: str | None
    conditions: str | None
    stop_reason: StopReason | None
    decided_on: date | None


class LessonOut(_Out):
    id: int
    kind: LessonKind
    title: str
    body: str
    stage: Stage
    created_at: datetime


class ProjectSummaryOut(_Out):
    id: int
    title: str
    summary: str
    organisation_id: int
    organisation_name: str
    stage: Stage
    paused: bool
    uses_ai: bool
    visibility: Visibility
    source: str | None
    updated_at: datetime


class ProjectOut(ProjectSummaryOut):
    problem: str | None
    users: str | None
    approach: str | None
    atrs_capability: str | None
    atrs_function: str | None
    atrs_phase: str | None
    stop_reason: StopReason | None
    stop_detail: str | None
    use_case_id: int | None
    source_id: str | None
    source_url: str | None
    source_licence: str | None
    imported_fields: list[str] | None
    assumed_fields: dict[str, str] | None
    created_at: datetime
    team: list[TeamMemberOut]
    funding: list[FundingOut]
    kpis: list[KpiOut]
    mission_links: list[MissionLinkOut]
    stage_events: list[StageEventOut]
    decisions: list[GateDecisionOut]
    lessons: list[LessonOut]


class UseCaseOut(_Out):
    id: int
    title: str
    problem: str
    outcome: str | None
    organisation_id: int
    visibility: Visibility
    participant_ids: list[int]
    mission_ids: list[int]
    milestone_ids: list[int]


class MilestoneOut(_Out):
    id: int
    slug: str
    title: str
    metric: str
    unit: str
    direction: Direction
    baseline: Decimal | None
    baseline_date: date | None
    target: Decimal | None
    target_date: date | None
    source_note: str | None


class MissionOut(_Out):
    id: int
    slug: str
    number: int
    title: str
    summary: str
    milestones: list[MilestoneOut]


class MilestoneIn(InputModel):
    title: ShortText
    metric: str = Field(min_length=1, max_length=300)
    unit: str = Field(min_length=1, max_length=60)
    direction: Direction
    baseline: MeasureValue | None = None
    baseline_date: date | None = None
    target: MeasureValue | None = None
    target_date: date | None = None
    source_note: OptionalText = None
