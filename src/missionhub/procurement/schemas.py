"""Validated input for procurement forms, CSV rows and the API."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated

from pydantic import Field, ValidationInfo, field_validator

from missionhub.accounts.permissions import Visibility
from missionhub.db.base import MAX_ID
from missionhub.procurement.models import NoticeType, ReturnSource, Scale
from missionhub.validation import InputModel

Amount = Annotated[Decimal, Field(ge=0, max_digits=16, decimal_places=2, allow_inf_nan=False)]


class PaymentIn(InputModel):
    subcontractor: str = Field(min_length=1, max_length=300)
    company_number: str | None = Field(None, max_length=20)
    amount: Amount


class ReturnIn(InputModel):
    award_id: int = Field(gt=0, le=MAX_ID)
    prime_supplier_id: int = Field(gt=0, le=MAX_ID)
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


class DeclareIn(InputModel):
    subcontractor: str = Field(min_length=1, max_length=300)
    company_number: str | None = Field(None, max_length=20)
    planned_amount: Amount | None = None
    named_on: date


class OverrideIn(InputModel):
    scale: Scale
    evidence: str = Field(min_length=10, max_length=5000)


class PlannedIn(InputModel):
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(min_length=1, max_length=20_000)
    estimated_value: Amount
    notice_type: NoticeType = NoticeType.UK3
    publish_on: date
    tender_start: date | None = None
    contract_start: date | None = None
    contract_end: date | None = None
    sme_suitable: bool = False
    mission_id: int | None = Field(None, gt=0, le=MAX_ID)
    use_case_id: int | None = Field(None, gt=0, le=MAX_ID)
    visibility: Visibility = Visibility.PUBLISHED
    organisation_id: int | None = Field(None, gt=0, le=MAX_ID)

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
