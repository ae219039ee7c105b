"""Validated input for case studies, components, reuse, questions and duplicate decisions."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import Field, field_validator

from missionhub.accounts.permissions import Visibility
from missionhub.db.base import MAX_ID
from missionhub.learning.models import ComponentKind, DocKind, Maturity, Verdict
from missionhub.portfolio.schemas import LongText, OptionalText, ShortText
from missionhub.validation import InputModel

Url = Annotated[str | None, Field(None, max_length=500)]


def _web_address(value: str | None) -> str | None:
    if value is not None and not value.startswith(("https://", "http://")):
        raise ValueError("Enter a web address starting with https://")
    return value


class CaseStudyIn(InputModel):
    project_id: int | None = Field(
        None, gt=0, le=MAX_ID, description="The project it is about, if any"
    )
    title: ShortText
    summary: LongText
    problem: LongText
    users: OptionalText = None
    approach: OptionalText = None
    outcomes: OptionalText = None
    kpi_evidence: OptionalText = None
    cost: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=2, allow_inf_nan=False)
    cost_note: str | None = Field(None, max_length=500)
    worked: OptionalText = None
    did_not_work: OptionalText = None
    contact_role: str = Field(min_length=1, max_length=200, description="A role, not a person")
    contact_email: str | None = Field(None, max_length=254, description="A team mailbox")
    links: str | None = Field(None, max_length=5000, description="One web address per line")
    component_ids: list[int] = Field(default_factory=list, max_length=50)

    @field_validator("contact_email")
    @classmethod
    def _mailbox(cls, value: str | None) -> str | None:
        if value is not None and ("@" not in value or " " in value):
            raise ValueError("Enter an email address like team@department.gov.uk")
        return value

    @field_validator("links")
    @classmethod
    def _links(cls, value: str | None) -> str | None:
        for line in (value or "").splitlines():
            if line.strip():
                _web_address(line.strip())
        return value

    def link_list(self) -> list[str]:
        return [line.strip() for line in (self.links or "").splitlines() if line.strip()]


class ComponentIn(InputModel):
    name: ShortText
    kind: ComponentKind
    description: LongText
    owner: str = Field(min_length=1, max_length=200, description="The team that owns it")
    licence: str | None = Field(None, max_length=100)
    maturity: Maturity
    documentation_url: Url = None
    visibility: Visibility = Visibility.INTERNAL

    @field_validator("documentation_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return _web_address(value)


class ReuseIn(InputModel):
    component_id: int = Field(gt=0, le=MAX_ID)
    note: str | None = Field(None, max_length=500)


class QuestionIn(InputModel):
    body: str = Field(min_length=1, max_length=5000)


class AnswerIn(InputModel):
    answer: str = Field(min_length=1, max_length=20_000)
    published: bool = False


class ReviewIn(InputModel):
    note: str | None = Field(None, max_length=5000)


class WithdrawIn(InputModel):
    reason: str = Field(min_length=1, max_length=5000)


class DecisionIn(InputModel):
    project_id: int = Field(gt=0, le=MAX_ID)
    other_kind: DocKind
    other_ref_id: int = Field(gt=0, le=MAX_ID)
    verdict: Verdict
    note: str | None = Field(None, max_length=2000)
