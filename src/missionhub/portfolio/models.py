"""Missions, milestones, use cases and projects, with their stage history, gate decisions,
team, funding, outcome KPIs, mission links and lessons."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, ForeignKey, Index, Numeric, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from missionhub.accounts.models import Organisation, User
from missionhub.accounts.permissions import Visibility
from missionhub.db.base import Base, IdMixin, TimestampMixin, enum_type, utcnow

Money = Numeric(14, 2)
Measure = Numeric(18, 4)


class Stage(StrEnum):
    """GOV.UK Service Standard phases, plus the idea before discovery and a stop from anywhere."""

    IDEA = "idea"
    DISCOVERY = "discovery"
    ALPHA = "alpha"
    BETA = "beta"
    LIVE = "live"
    RETIRED = "retired"
    STOPPED = "stopped"

    @property
    def label(self) -> str:
        return self.value.capitalize()

    @property
    def rank(self) -> int:
        """Position in the forward order; stopped has none (-1)."""
        return STAGE_ORDER.index(self) if self in STAGE_ORDER else -1

    @property
    def is_closed(self) -> bool:
        return self in (Stage.RETIRED, Stage.STOPPED)


STAGE_ORDER: tuple[Stage, ...] = (
    Stage.IDEA,
    Stage.DISCOVERY,
    Stage.ALPHA,
    Stage.BETA,
    Stage.LIVE,
    Stage.RETIRED,
)


class StopReason(StrEnum):
    NO_USER_NEED = "no-user-need"
    NOT_FEASIBLE = "not-feasible"
    VALUE_FOR_MONEY = "value-for-money"
    PRIORITIES_CHANGED = "priorities-changed"
    FUNDING_WITHDRAWN = "funding-withdrawn"
    DUPLICATE = "duplicate-or-reused"
    RISK = "risk-beyond-appetite"
    OTHER = "other"

    @property
    def label(self) -> str:
        return {
            "no-user-need": "User need not found or not validated",
            "not-feasible": "Not technically or operationally feasible",
            "value-for-money": "Benefits do not justify the cost",
            "priorities-changed": "Policy or priorities changed",
            "funding-withdrawn": "Funding withdrawn",
            "duplicate-or-reused": "Duplicates or reuses work elsewhere",
            "risk-beyond-appetite": "Risk beyond appetite",
            "other": "Other",
        }[self.value]


class GateOutcome(StrEnum):
    PROCEED = "proceed"
    PAUSE = "pause"
    PIVOT = "pivot"
    STOP = "stop"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class DecisionStatus(StrEnum):
    PENDING = "pending"
    DECIDED = "decided"
    WITHDRAWN = "withdrawn"


class TeamRole(StrEnum):
    PRODUCT_MANAGER = "product-manager"
    DELIVERY_MANAGER = "delivery-manager"
    USER_RESEARCH = "user-research"
    DESIGN = "design"
    ARCHITECTURE = "architecture"
    ENGINEERING = "engineering"
    DATA = "data"

    @property
    def label(self) -> str:
        return self.value.replace("-", " ").capitalize()


class Sourcing(StrEnum):
    IN_HOUSE = "in-house"
    CONTRACTED = "contracted"

    @property
    def label(self) -> str:
        return "In-house" if self is Sourcing.IN_HOUSE else "Contracted"


class Direction(StrEnum):
    INCREASE = "increase"
    DECREASE = "decrease"

    @property
    def label(self) -> str:
        return "Higher is better" if self is Direction.INCREASE else "Lower is better"


class LessonKind(StrEnum):
    WORKED = "worked"
    DID_NOT_WORK = "did-not-work"
    DO_DIFFERENTLY = "do-differently"

    @property
    def label(self) -> str:
        return {
            "worked": "What worked",
            "did-not-work": "What did not work",
            "do-differently": "What we would do differently",
        }[self.value]


class Mission(IdMixin, Base):
    __tablename__ = "missions"

    slug: Mapped[str] = mapped_column(String(80), unique=True)
    number: Mapped[int] = mapped_column(unique=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text)
    source_url: Mapped[str | None] = mapped_column(String(300))

    milestones: Mapped[list[Milestone]] = relationship(
        back_populates="mission", order_by="Milestone.id"
    )


class Milestone(IdMixin, Base):
    """A measurable milestone of a mission: a metric with a baseline and a target by a date."""

    __tablename__ = "milestones"

    mission_id: Mapped[int] = mapped_column(ForeignKey("missions.id"), index=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    metric: Mapped[str] = mapped_column(String(300))
    unit: Mapped[str] = mapped_column(String(60))
    direction: Mapped[Direction] = mapped_column(enum_type(Direction))
    baseline: Mapped[Decimal | None] = mapped_column(Measure)
    baseline_date: Mapped[date | None]
    target: Mapped[Decimal | None] = mapped_column(Measure)
    target_date: Mapped[date | None]
    source_note: Mapped[str | None] = mapped_column(Text)

    mission: Mapped[Mission] = relationship(back_populates="milestones")

    def audit_record(self) -> tuple[str, int | None]:
        return "missions", self.mission_id


use_case_organisations = Table(
    "use_case_organisations",
    Base.metadata,
    Column("use_case_id", ForeignKey("use_cases.id", ondelete="CASCADE"), primary_key=True),
    Column("organisation_id", ForeignKey("organisations.id"), primary_key=True),
)
use_case_milestones = Table(
    "use_case_milestones",
    Base.metadata,
    Column("use_case_id", ForeignKey("use_cases.id", ondelete="CASCADE"), primary_key=True),
    Column("milestone_id", ForeignKey("milestones.id"), primary_key=True),
)
use_case_missions = Table(
    "use_case_missions",
    Base.metadata,
    Column("use_case_id", ForeignKey("use_cases.id", ondelete="CASCADE"), primary_key=True),
    Column("mission_id", ForeignKey("missions.id"), primary_key=True),
)


class UseCase(IdMixin, TimestampMixin, Base):
    """A cross-departmental problem, led by one organisation with others taking part."""

    __tablename__ = "use_cases"

    title: Mapped[str] = mapped_column(String(200))
    problem: Mapped[str] = mapped_column(Text)
    outcome: Mapped[str | None] = mapped_column(Text)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    visibility: Mapped[Visibility] = mapped_column(enum_type(Visibility), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    organisation: Mapped[Organisation] = relationship(lazy="joined")
    participants: Mapped[list[Organisation]] = relationship(
        secondary=use_case_organisations, order_by="Organisation.name"
    )
    missions: Mapped[list[Mission]] = relationship(
        secondary=use_case_missions, order_by="Mission.number"
    )
    milestones: Mapped[list[Milestone]] = relationship(
        secondary=use_case_milestones, order_by="Milestone.id"
    )


class Project(IdMixin, TimestampMixin, Base):
    __tablename__ = "projects"

    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text)
    problem: Mapped[str | None] = mapped_column(Text)
    users: Mapped[str | None] = mapped_column(Text)
    approach: Mapped[str | None] = mapped_column(Text)
    uses_ai: Mapped[bool] = mapped_column(default=False)
    atrs_capability: Mapped[str | None] = mapped_column(String(60))
    atrs_function: Mapped[str | None] = mapped_column(String(60))
    atrs_phase: Mapped[str | None] = mapped_column(String(60))
    stage: Mapped[Stage] = mapped_column(enum_type(Stage), index=True)
    paused: Mapped[bool] = mapped_column(default=False)
    stop_reason: Mapped[StopReason | None] = mapped_column(enum_type(StopReason))
    stop_detail: Mapped[str | None] = mapped_column(Text)
    visibility: Mapped[Visibility] = mapped_column(enum_type(Visibility), index=True)
    use_case_id: Mapped[int | None] = mapped_column(ForeignKey("use_cases.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Provenance of imported records: which fields came from the source, which were assumed.
    source: Mapped[str | None] = mapped_column(String(40), index=True)
    source_id: Mapped[str | None] = mapped_column(String(300))
    source_url: Mapped[str | None] = mapped_column(String(500))
    source_licence: Mapped[str | None] = mapped_column(String(100))
    imported_fields: Mapped[list[str] | None]
    assumed_fields: Mapped[dict[str, Any] | None]

    __table_args__ = (
        UniqueConstraint("source", "source_id"),
        Index("ix_projects_updated_at_id", "updated_at", "id"),  # the lists' order
    )

    organisation: Mapped[Organisation] = relationship(lazy="selectin")
    use_case: Mapped[UseCase | None] = relationship()
    created_by: Mapped[User | None] = relationship()
    stage_events: Mapped[list[StageEvent]] = relationship(
        order_by="StageEvent.entered_at, StageEvent.id", cascade="all, delete-orphan"
    )
    decisions: Mapped[list[GateDecision]] = relationship(
        order_by="GateDecision.id.desc()", cascade="all, delete-orphan"
    )
    team: Mapped[list[TeamMember]] = relationship(
        order_by="TeamMember.id", cascade="all, delete-orphan"
    )
    funding: Mapped[list[Funding]] = relationship(
        order_by="Funding.financial_year, Funding.id", cascade="all, delete-orphan"
    )
    kpis: Mapped[list[Kpi]] = relationship(order_by="Kpi.id", cascade="all, delete-orphan")
    mission_links: Mapped[list[MissionLink]] = relationship(
        order_by="MissionLink.id", cascade="all, delete-orphan"
    )
    lessons: Mapped[list[Lesson]] = relationship(
        order_by="Lesson.id.desc()", cascade="all, delete-orphan"
    )

    @property
    def is_imported(self) -> bool:
        return self.source is not None


class _ProjectChild:
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )

    def audit_record(self) -> tuple[str, int | None]:
        return "projects", self.project_id


class StageEvent(IdMixin, _ProjectChild, Base):
    """The project entered ``stage`` at ``entered_at`` (by a gate decision, or on registration)."""

    __tablename__ = "stage_events"

    stage: Mapped[Stage] = mapped_column(enum_type(Stage))
    entered_at: Mapped[datetime] = mapped_column(default=utcnow)
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("gate_decisions.id"))
    note: Mapped[str | None] = mapped_column(String(300))

    decision: Mapped[GateDecision | None] = relationship()


class GateDecision(IdMixin, _ProjectChild, Base):
    """A request to change stage and the owning department CIO's decision on it."""

    __tablename__ = "gate_decisions"

    from_stage: Mapped[Stage] = mapped_column(enum_type(Stage))
    requested_stage: Mapped[Stage] = mapped_column(enum_type(Stage))
    case: Mapped[str | None] = mapped_column(Text)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[DecisionStatus] = mapped_column(enum_type(DecisionStatus), index=True)
    outcome: Mapped[GateOutcome | None] = mapped_column(enum_type(GateOutcome))
    rationale: Mapped[str | None] = mapped_column(Text)
    conditions: Mapped[str | None] = mapped_column(Text)
    stop_reason: Mapped[StopReason | None] = mapped_column(enum_type(StopReason))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_on: Mapped[date | None]
    decided_at: Mapped[datetime | None]

    project: Mapped[Project] = relationship(back_populates="decisions")
    requested_by: Mapped[User | None] = relationship(foreign_keys=[requested_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])


class TeamMember(IdMixin, _ProjectChild, Base):
    __tablename__ = "team_members"

    role: Mapped[TeamRole] = mapped_column(enum_type(TeamRole))
    sourcing: Mapped[Sourcing] = mapped_column(enum_type(Sourcing))
    name: Mapped[str | None] = mapped_column(String(120))
    fte: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))


class Funding(IdMixin, _ProjectChild, Base):
    __tablename__ = "funding"

    financial_year: Mapped[str] = mapped_column(String(7))
    amount: Mapped[Decimal] = mapped_column(Money)
    source: Mapped[str | None] = mapped_column(String(200))


class Kpi(IdMixin, _ProjectChild, Base):
    """An outcome KPI: what changes for people, with a baseline and a target by a date."""

    __tablename__ = "kpis"

    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(60))
    direction: Mapped[Direction] = mapped_column(enum_type(Direction))
    baseline: Mapped[Decimal] = mapped_column(Measure)
    baseline_date: Mapped[date | None]
    target: Mapped[Decimal] = mapped_column(Measure)
    target_date: Mapped[date]

    actuals: Mapped[list[KpiActual]] = relationship(
        order_by="KpiActual.observed_on", cascade="all, delete-orphan"
    )

    @property
    def latest(self) -> KpiActual | None:
        return self.actuals[-1] if self.actuals else None


class KpiActual(IdMixin, Base):
    __tablename__ = "kpi_actuals"
    __table_args__ = (UniqueConstraint("kpi_id", "observed_on"),)

    kpi_id: Mapped[int] = mapped_column(ForeignKey("kpis.id", ondelete="CASCADE"), index=True)
    observed_on: Mapped[date]
    value: Mapped[Decimal] = mapped_column(Measure)
    note: Mapped[str | None] = mapped_column(String(300))

    kpi: Mapped[Kpi] = relationship(back_populates="actuals")

    def audit_record(self) -> tuple[str, int | None]:
        return "projects", self.kpi.project_id if self.kpi else None


class MissionLink(IdMixin, _ProjectChild, Base):
    """How a project contributes to a mission (and milestone), and the KPI that evidences it.

    A link without an evidencing KPI is *unevidenced*: mission language with nothing behind it.
    """

    __tablename__ = "mission_links"
    __table_args__ = (UniqueConstraint("project_id", "mission_id", "milestone_id"),)

    mission_id: Mapped[int] = mapped_column(ForeignKey("missions.id"), index=True)
    milestone_id: Mapped[int | None] = mapped_column(ForeignKey("milestones.id"), index=True)
    contribution: Mapped[str] = mapped_column(Text)
    kpi_id: Mapped[int | None] = mapped_column(ForeignKey("kpis.id", ondelete="SET NULL"))

    mission: Mapped[Mission] = relationship(lazy="joined")
    milestone: Mapped[Milestone | None] = relationship(lazy="joined")
    kpi: Mapped[Kpi | None] = relationship()

    @property
    def evidenced(self) -> bool:
        return self.kpi_id is not None


class Lesson(IdMixin, _ProjectChild, Base):
    __tablename__ = "lessons"

    kind: Mapped[LessonKind] = mapped_column(enum_type(LessonKind))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    stage: Mapped[Stage] = mapped_column(enum_type(Stage))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
