"""Validated input for procurement forms, CSV rows and the API."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from missionhub.accounts.permissions import Visibility
from missionhub.procurement.models import NoticeType, ReturnSource, Scale

Amount = Annotated[Decimal, Field(ge=0, max_digits=16, decimal_places=2, allow_inf_nan=False)]


class _In(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value


class PaymentIn(_In):
    subcontractor: str = Field(min_length=1, max_length=300)
    company_number: str | None = Field(None, max_length=20)
    amount: Amount


class ReturnIn(_In):
    award_id: int = Field(gt=0)
    prime_supplier_id: int = Field(gt=0)
    period_start: date
    period_end: date
    revenue: Amount
    source: ReturnSource = ReturnSource.SUPPLIER
    payments: list[PaymentIn] = Field(default_factory=list, max_length=500)

    @field_validator("period_end")
    @classmethod
    def _after_start(cls, value: date, info: ValidationInfo) -> date:
        start = info.data.get("period_start")
        if start and value < start:
            raise ValueError("The period must end on or after the day it starts")
        if start and (value - start).days > 366:
            raise ValueError("A return covers at most a year")
        return value


class DeclareIn(_In):
    subcontractor: str = Field(min_length=1, max_length=300)
    company_number: str | None = Field(None, max_length=20)
    planned_amount: Amount | None = None
    named_on: date


class OverrideIn(_In):
    scale: Scale
    evidence: str = Field(min_length=10, max_length=5000)


class PlannedIn(_In):
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(min_length=1, max_length=20_000)
    estimated_value: Amount
    notice_type: NoticeType = NoticeType.UK3
    publish_on: date
    tender_start: date | None = None
    contract_start: date | None = None
    contract_end: date | None = None
    sme_suitable: bool = False
    mission_id: int | None = Field(None, gt=0)
    use_case_id: int | None = Field(None, gt=0)
    visibility: Visibility = Visibility.PUBLISHED
    organisation_id: int | None = Field(None, gt=0)

    @field_validator("contract_end")
    @classmethod
    def _end_after_start(cls, value: date | None, info: ValidationInfo) -> date | None:
        start = info.data.get("contract_start")
        if value and start and value < start:
            raise ValueError("The contract must end after it starts")
        return value

    @field_validator("tender_start")
    @classmethod
    def _tender_after_publish(cls, value: date | None, info: ValidationInfo) -> date | None:
        publish = info.data.get("publish_on")
        if value and publish and value < publish:
            raise ValueError("The tender cannot start before the notice is published")
        return value
