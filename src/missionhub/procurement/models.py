"""Procurement: raw OCDS releases and compiled processes, the supplier register with SME
classifications and their provenance, awards, departmental spend, supply-chain returns,
named subcontractors and the buying pipeline.

Raw releases, compiled processes and spend lines are bulk machine imports: each is recorded in
the audit log through its ingest batch (``OcdsIngest``, ``SpendUpload``), not row by row.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Numeric, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from missionhub.accounts.models import Organisation
from missionhub.accounts.permissions import Visibility
from missionhub.db.base import Base, IdMixin, TimestampMixin, enum_type, utcnow

Money = Numeric(16, 2)


def table(model: type[Base]) -> Table:
    """A model's table, for bulk inserts of machine-imported rows (not audited row by row)."""
    found = model.__table__
    assert isinstance(found, Table)
    return found


class Scale(StrEnum):
    """A supplier's size, as OCDS ``parties[].details.scale`` spells it (sme covers micro too)."""

    SME = "sme"
    LARGE = "large"
    UNKNOWN = "unknown"

    @property
    def label(self) -> str:
        return {"sme": "SME", "large": "Large", "unknown": "Not known"}[self.value]


class ClassificationSource(StrEnum):
    OCDS_SCALE = "ocds-details-scale"
    OCDS_SME_FLAG = "ocds-party-sme-flag"
    OFFICER = "commercial-officer"

    @property
    def label(self) -> str:
        return {
            "ocds-details-scale": "OCDS parties[].details.scale",
            "ocds-party-sme-flag": "OCDS party-level sme flag (older Contracts Finder)",
            "commercial-officer": "Commercial officer override",
        }[self.value]


class ReturnSource(StrEnum):
    """Column F (a supplier's return) or column H (collected by the department outside it)."""

    SUPPLIER = "supplier"
    DEPARTMENT = "department"


class NamedSource(StrEnum):
    AWARD = "award"
    DECLARED = "declared"


class NoticeType(StrEnum):
    """Procurement Act 2023 notices published before a tender (UK OCDS profile noticeType)."""

    UK1 = "UK1"
    UK2 = "UK2"
    UK3 = "UK3"

    @property
    def label(self) -> str:
        return {
            "UK1": "UK1: pipeline notice",
            "UK2": "UK2: preliminary market engagement notice",
            "UK3": "UK3: planned procurement notice",
        }[self.value]


class OcdsIngest(IdMixin, Base):
    """One OCDS file loaded: what it held, what was new, what was rejected and why."""

    __tablename__ = "ocds_ingests"

    filename: Mapped[str] = mapped_column(String(300))
    sha256: Mapped[str | None] = mapped_column(String(64))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    releases_read: Mapped[int] = mapped_column(default=0)
    releases_new: Mapped[int] = mapped_column(default=0)
    releases_existing: Mapped[int] = mapped_column(default=0)
    processes_compiled: Mapped[int] = mapped_column(default=0)
    rejects: Mapped[list[Any] | None] = mapped_column(JSON)
    warnings: Mapped[list[Any] | None] = mapped_column(JSON)


class OcdsRelease(IdMixin, Base):
    """A raw release exactly as received (kept for ever; the compiled process derives from it)."""

    __tablename__ = "ocds_releases"
    __audited__ = False
    __table_args__ = (UniqueConstraint("ocid", "release_id"),)

    ocid: Mapped[str] = mapped_column(String(200), index=True)
    release_id: Mapped[str] = mapped_column(String(300))
    date: Mapped[str] = mapped_column(String(40))
    tags: Mapped[list[str]]
    raw: Mapped[str] = mapped_column(Text)
    ingest_id: Mapped[int] = mapped_column(ForeignKey("ocds_ingests.id"), index=True)


class OcdsProcess(IdMixin, Base):
    """A contracting process: its compiled release (ocdsmerge) and what pages show of it."""

    __tablename__ = "ocds_processes"
    __audited__ = False

    ocid: Mapped[str] = mapped_column(String(200), unique=True)
    title: Mapped[str | None] = mapped_column(String(500))
    buyer_name: Mapped[str | None] = mapped_column(String(300))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    release_count: Mapped[int] = mapped_column(default=0)
    compiled: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    organisation: Mapped[Organisation | None] = relationship()


class Supplier(IdMixin, Base):
    """One supplier in the register, resolved by identifier (e.g. GB-COH-01234567), then name."""

    __tablename__ = "suppliers"

    name: Mapped[str] = mapped_column(String(300))
    normalised_name: Mapped[str] = mapped_column(String(300), index=True)
    identifier: Mapped[str | None] = mapped_column(String(120), unique=True)
    scale: Mapped[Scale] = mapped_column(enum_type(Scale), default=Scale.UNKNOWN)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    organisation: Mapped[Organisation | None] = relationship()
    classifications: Mapped[list[SmeClassification]] = relationship(
        order_by="SmeClassification.id", cascade="all, delete-orphan", back_populates="supplier"
    )

    @property
    def is_sme(self) -> bool:
        return self.scale is Scale.SME


class SmeClassification(IdMixin, Base):
    """One statement of a supplier's size and where it came from (a release, or an officer)."""

    __tablename__ = "sme_classifications"

    supplier_id: Mapped[int] = mapped_column(
        ForeignKey("suppliers.id", ondelete="CASCADE"), index=True
    )
    scale: Mapped[Scale] = mapped_column(enum_type(Scale))
    source: Mapped[ClassificationSource] = mapped_column(enum_type(ClassificationSource))
    ocid: Mapped[str | None] = mapped_column(String(200))
    release_id: Mapped[str | None] = mapped_column(String(300))
    observed_at: Mapped[str | None] = mapped_column(String(40))
    evidence: Mapped[str | None] = mapped_column(Text)
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    supplier: Mapped[Supplier] = relationship(back_populates="classifications")

    def audit_record(self) -> tuple[str, int | None]:
        return "suppliers", self.supplier_id


class Award(IdMixin, Base):
    """An award of a compiled process, with the value that counts as spend (see split rules)."""

    __tablename__ = "awards"
    __table_args__ = (UniqueConstraint("ocid", "award_id"),)

    ocid: Mapped[str] = mapped_column(String(200), index=True)
    award_id: Mapped[str] = mapped_column(String(300))
    title: Mapped[str | None] = mapped_column(String(500))
    buyer_name: Mapped[str | None] = mapped_column(String(300))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    status: Mapped[str | None] = mapped_column(String(40))
    award_date: Mapped[date | None]
    financial_year: Mapped[str | None] = mapped_column(String(7), index=True)
    value: Mapped[Decimal | None] = mapped_column(Money)
    currency: Mapped[str | None] = mapped_column(String(3))
    is_agreement: Mapped[bool] = mapped_column(default=False)
    agreement_reason: Mapped[str | None] = mapped_column(String(300))
    split_rule: Mapped[str] = mapped_column(String(40))

    organisation: Mapped[Organisation | None] = relationship()
    suppliers: Mapped[list[AwardSupplier]] = relationship(
        order_by="AwardSupplier.id", cascade="all, delete-orphan", back_populates="award"
    )

    @property
    def counted_value(self) -> Decimal:
        return Decimal(0) if self.is_agreement or self.value is None else self.value


class AwardSupplier(IdMixin, Base):
    __tablename__ = "award_suppliers"
    __table_args__ = (UniqueConstraint("award_id", "supplier_id"),)

    award_id: Mapped[int] = mapped_column(ForeignKey("awards.id", ondelete="CASCADE"), index=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id"), index=True)
    share: Mapped[Decimal] = mapped_column(Numeric(9, 8))
    named_value: Mapped[Decimal | None] = mapped_column(Money)
    removed_by_amendment: Mapped[bool] = mapped_column(default=False)

    award: Mapped[Award] = relationship(back_populates="suppliers")
    supplier: Mapped[Supplier] = relationship(lazy="joined")

    def audit_record(self) -> tuple[str, int | None]:
        return "awards", self.award_id


class SpendUpload(IdMixin, Base):
    """One "spend over £25,000" file, for one department."""

    __tablename__ = "spend_uploads"
    __table_args__ = (UniqueConstraint("organisation_id", "sha256"),)

    filename: Mapped[str] = mapped_column(String(300))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    rows: Mapped[int] = mapped_column(default=0)
    total: Mapped[Decimal] = mapped_column(Money, default=Decimal(0))
    unmatched: Mapped[list[Any] | None] = mapped_column(JSON)

    organisation: Mapped[Organisation] = relationship()


class SpendLine(IdMixin, Base):
    """One line of a spend file. Several lines may share a transaction number; credits are < 0."""

    __tablename__ = "spend_lines"
    __audited__ = False
    __table_args__ = (Index("ix_spend_lines_org_fy", "organisation_id", "financial_year"),)

    upload_id: Mapped[int] = mapped_column(
        ForeignKey("spend_uploads.id", ondelete="CASCADE"), index=True
    )
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    line: Mapped[int]
    entity: Mapped[str | None] = mapped_column(String(200))
    paid_on: Mapped[date]
    financial_year: Mapped[str] = mapped_column(String(7))
    expense_type: Mapped[str | None] = mapped_column(String(300))
    expense_area: Mapped[str | None] = mapped_column(String(300))
    supplier_name: Mapped[str] = mapped_column(String(300))
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("suppliers.id"), index=True)
    transaction_number: Mapped[str | None] = mapped_column(String(100))
    amount: Mapped[Decimal] = mapped_column(Money)
    description: Mapped[str | None] = mapped_column(Text)

    supplier: Mapped[Supplier | None] = relationship()


class SupplyChainReturn(IdMixin, Base):
    """A prime supplier's payments to subcontractors on one contract in one period (PPN 01/18)."""

    __tablename__ = "supply_chain_returns"
    __table_args__ = (UniqueConstraint("award_id", "prime_supplier_id", "period_start", "source"),)

    award_id: Mapped[int] = mapped_column(ForeignKey("awards.id"), index=True)
    prime_supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id"), index=True)
    period_start: Mapped[date]
    period_end: Mapped[date]
    financial_year: Mapped[str] = mapped_column(String(7), index=True)
    revenue: Mapped[Decimal] = mapped_column(Money)
    source: Mapped[ReturnSource] = mapped_column(enum_type(ReturnSource))
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    award: Mapped[Award] = relationship()
    prime_supplier: Mapped[Supplier] = relationship()
    payments: Mapped[list[SupplyChainPayment]] = relationship(
        order_by="SupplyChainPayment.id", cascade="all, delete-orphan", back_populates="ret"
    )


class SupplyChainPayment(IdMixin, Base):
    __tablename__ = "supply_chain_payments"

    return_id: Mapped[int] = mapped_column(
        ForeignKey("supply_chain_returns.id", ondelete="CASCADE"), index=True
    )
    subcontractor_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money)

    ret: Mapped[SupplyChainReturn] = relationship(back_populates="payments")
    subcontractor: Mapped[Supplier] = relationship(lazy="joined")

    def audit_record(self) -> tuple[str, int | None]:
        return "supply_chain_returns", self.return_id


class NamedSubcontractor(IdMixin, Base):
    """A subcontractor named at award (in the award, or declared by the prime on the form)."""

    __tablename__ = "named_subcontractors"
    __table_args__ = (UniqueConstraint("award_id", "subcontractor_id"),)

    award_id: Mapped[int] = mapped_column(ForeignKey("awards.id", ondelete="CASCADE"), index=True)
    subcontractor_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id"), index=True)
    planned_amount: Mapped[Decimal | None] = mapped_column(Money)
    named_on: Mapped[date]
    source: Mapped[NamedSource] = mapped_column(enum_type(NamedSource))
    removed_on: Mapped[date | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    award: Mapped[Award] = relationship()
    subcontractor: Mapped[Supplier] = relationship(lazy="joined")

    def audit_record(self) -> tuple[str, int | None]:
        return "awards", self.award_id


class PlannedProcurement(IdMixin, TimestampMixin, Base):
    """A department's intention to buy, published as a GOV.UK page and an OCDS planning release."""

    __tablename__ = "planned_procurements"

    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    ocid: Mapped[str] = mapped_column(String(200), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    estimated_value: Mapped[Decimal] = mapped_column(Money)
    notice_type: Mapped[NoticeType] = mapped_column(enum_type(NoticeType))
    publish_on: Mapped[date]
    tender_start: Mapped[date | None]
    contract_start: Mapped[date | None]
    contract_end: Mapped[date | None]
    sme_suitable: Mapped[bool] = mapped_column(default=False)
    mission_id: Mapped[int | None] = mapped_column(ForeignKey("missions.id"))
    use_case_id: Mapped[int | None] = mapped_column(ForeignKey("use_cases.id"))
    visibility: Mapped[Visibility] = mapped_column(enum_type(Visibility), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    organisation: Mapped[Organisation] = relationship(lazy="joined")
