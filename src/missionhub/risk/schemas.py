"""Validated input (forms and API bodies share these) and API output shapes for risk."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from missionhub.risk.adoption import Assurance, DpiaStatus, PrincipleRating, Route
from missionhub.risk.models import (
    ActionKind,
    AppetiteLevel,
    AssessmentKind,
    DecisionStatus,
    Proximity,
    Response,
    RiskCategory,
    RiskStatus,
)
from missionhub.validation import Id, InputModel

ShortText = Annotated[str, Field(min_length=1, max_length=200)]
Name = Annotated[str, Field(min_length=1, max_length=120)]
LongText = Annotated[str, Field(min_length=1, max_length=20_000)]
OptionalText = Annotated[str | None, Field(None, max_length=20_000)]
Rating = Annotated[int, Field(ge=1, le=5)]
MAX_EXPIRY_YEARS = 5


class AppetiteIn(InputModel):
    category: RiskCategory
    level: AppetiteLevel
    reason: LongText = Field(description="Why the appetite is set at this level")


class ScaleIn(InputModel):
    """The highest acceptable residual score (1..25) for each appetite level."""

    averse: int = Field(ge=1, le=25)
    minimal: int = Field(ge=1, le=25)
    cautious: int = Field(ge=1, le=25)
    open: int = Field(ge=1, le=25)
    eager: int = Field(ge=1, le=25)
    reason: LongText

    def as_scale(self) -> dict[AppetiteLevel, int]:
        return {level: getattr(self, level.value) for level in AppetiteLevel}


class RiskIn(InputModel):
    title: ShortText
    cause: LongText = Field(description="Because of ... (the cause)")
    event: LongText = Field(description="... this may happen (the event)")
    effect: LongText = Field(description="... leading to (the effect)")
    category: RiskCategory
    owner: Name = Field(description="Who owns the risk (a name or role)")
    inherent_likelihood: Rating
    inherent_impact: Rating
    residual_likelihood: Rating
    residual_impact: Rating
    proximity: Proximity
    review_on: date = Field(description="When the risk is next reviewed")
    status: RiskStatus = RiskStatus.OPEN

    @field_validator("residual_impact")
    @classmethod
    def _residual_not_above_inherent(cls, value: int, info: ValidationInfo) -> int:
        lik, inh_l, inh_i = (
            info.data.get(k)
            for k in ("residual_likelihood", "inherent_likelihood", "inherent_impact")
        )
        if None in (lik, inh_l, inh_i):
            return value
        if lik * value > inh_l * inh_i:  # type: ignore[operator]
            raise ValueError(
                "Residual score cannot be higher than the inherent score: controls do not "
                "make a risk worse"
            )
        return value


class RiskActionIn(InputModel):
    kind: ActionKind
    description: LongText
    owner: Name
    due_on: date | None = None
    done_on: date | None = None

    @field_validator("done_on")
    @classmethod
    def _not_future(cls, value: date | None) -> date | None:
        if value and value > date.today():
            raise ValueError("Date done cannot be in the future")
        return value


class RiskDecisionIn(InputModel):
    response: Response
    rationale: LongText = Field(description="Why: recorded and shown on the project")
    conditions: OptionalText = None
    expires_on: date | None = Field(
        None, validate_default=True, description="When the decision must be looked at again"
    )

    @field_validator("expires_on")
    @classmethod
    def _expiry(cls, value: date | None, info: ValidationInfo) -> date | None:
        if value is None:
            if info.data.get("response") is Response.TERMINATE:
                return None
            raise ValueError("Enter the date this decision expires")
        if value <= date.today():
            raise ValueError("Expiry must be a date in the future")
        if value > date.today() + timedelta(days=366 * MAX_EXPIRY_YEARS):
            raise ValueError(f"Expiry must be within {MAX_EXPIRY_YEARS} years")
        return value


# Output --------------------------------------------------------------------------------------


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class RiskActionOut(_Out):
    id: int
    kind: ActionKind
    description: str
    owner: str
    due_on: date | None
    done_on: date | None


class RiskDecisionOut(_Out):
    id: int
    risk_id: int
    status: DecisionStatus
    escalated_at: datetime
    trigger: str
    response: Response | None
    rationale: str | None
    conditions: str | None
    expires_on: date | None
    decided_at: datetime | None
    snapshot: dict[str, Any] | None
    above_appetite: bool | None
    closed_at: datetime | None
    closed_reason: str | None


class RiskOut(_Out):
    id: int
    reference: str
    project_id: int
    organisation_id: int
    title: str
    cause: str
    event: str
    effect: str
    category: RiskCategory
    owner: str
    inherent_likelihood: int
    inherent_impact: int
    inherent_score: int
    residual_likelihood: int
    residual_impact: int
    residual_score: int
    proximity: Proximity
    review_on: date
    status: RiskStatus
    created_at: datetime
    updated_at: datetime
    actions: list[RiskActionOut]
    decisions: list[RiskDecisionOut]


class AppetiteOut(BaseModel):
    category: RiskCategory
    level: AppetiteLevel
    max_score: int
    is_default: bool
    reason: str | None
    set_at: datetime | None


class AppetiteChangeOut(_Out):
    category: RiskCategory | None
    from_level: AppetiteLevel | None
    to_level: AppetiteLevel | None
    scale_before: dict[str, Any] | None
    scale_after: dict[str, Any] | None
    reason: str
    changed_at: datetime


PRINCIPLE_FIELDS = tuple(f"principle_{n}" for n in range(1, 11))


class AssessmentIn(InputModel):
    """An adoption assessment. The ten principle ratings are required for an AI tool and
    refused for other software."""

    product: ShortText
    supplier: ShortText
    kind: AssessmentKind
    purpose: LongText = Field(description="What the department wants to use it for")
    project_id: Id | None = Field(None, description="The project it is for, if any")
    personal_data: bool = False
    special_category_data: bool = False
    dpia: DpiaStatus
    security: Assurance
    supplier_assurance: Assurance
    public_facing: bool = Field(False, description="Members of the public interact with it")
    influences_decisions: bool = Field(
        False, description="It significantly influences decisions that affect the public"
    )
    principle_1: PrincipleRating | None = Field(None, validate_default=True)
    principle_2: PrincipleRating | None = Field(None, validate_default=True)
    principle_3: PrincipleRating | None = Field(None, validate_default=True)
    principle_4: PrincipleRating | None = Field(None, validate_default=True)
    principle_5: PrincipleRating | None = Field(None, validate_default=True)
    principle_6: PrincipleRating | None = Field(None, validate_default=True)
    principle_7: PrincipleRating | None = Field(None, validate_default=True)
    principle_8: PrincipleRating | None = Field(None, validate_default=True)
    principle_9: PrincipleRating | None = Field(None, validate_default=True)
    principle_10: PrincipleRating | None = Field(None, validate_default=True)
    notes: OptionalText = None

    @field_validator("special_category_data")
    @classmethod
    def _special_is_personal(cls, value: bool, info: ValidationInfo) -> bool:
        if value and not info.data.get("personal_data"):
            raise ValueError("Special category data is personal data: tick personal data too")
        return value

    @field_validator("dpia")
    @classmethod
    def _dpia_needed(cls, value: DpiaStatus, info: ValidationInfo) -> DpiaStatus:
        required = info.data.get("special_category_data") or (
            info.data.get("personal_data") and info.data.get("kind") is AssessmentKind.AI_TOOL
        )
        if required and value is DpiaStatus.NOT_NEEDED:
            raise ValueError(
                "A DPIA is needed for special category data, or for personal data in an AI tool"
            )
        return value

    @field_validator(*PRINCIPLE_FIELDS)
    @classmethod
    def _principles_for_ai(
        cls, value: PrincipleRating | None, info: ValidationInfo
    ) -> PrincipleRating | None:
        kind = info.data.get("kind")
        if kind is AssessmentKind.AI_TOOL and value is None:
            raise ValueError("Rate every AI Playbook principle for an AI tool")
        if kind is AssessmentKind.SOFTWARE and value is not None:
            raise ValueError("The AI Playbook principles apply only to AI tools")
        return value

    def answers(self) -> dict[str, Any]:
        return self.model_dump(
            mode="json", exclude={"product", "supplier", "purpose", "project_id", "notes"}
        )


class AssessmentDecisionIn(InputModel):
    route: Route
    rationale: LongText
    conditions: OptionalText = None
    review_on: date = Field(description="When the decision is reviewed")

    @field_validator("review_on")
    @classmethod
    def _future(cls, value: date) -> date:
        if value <= date.today():
            raise ValueError("Review date must be in the future")
        if value > date.today() + timedelta(days=366 * MAX_EXPIRY_YEARS):
            raise ValueError(f"Review date must be within {MAX_EXPIRY_YEARS} years")
        return value


class AssessmentOut(_Out):
    id: int
    organisation_id: int
    project_id: int | None
    product: str
    supplier: str
    kind: AssessmentKind
    purpose: str
    answers: dict[str, Any]
    status: str
    recommended_route: str | None
    recommendation: dict[str, Any] | None
    atrs_needed: bool | None
    route: str | None
    rationale: str | None
    conditions: str | None
    review_on: date | None
    decided_at: datetime | None
