"""Risk appetite per department, project risk registers, CIO risk decisions, adoption
assessments.

Risk rows are sensitive: their audit events are shown on the risk itself (``risks``), never on
the project's history, which every civil servant can read.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from missionhub.accounts.models import Organisation, User
from missionhub.db.base import Base, IdMixin, TimestampMixin, enum_type, utcnow
from missionhub.portfolio.models import Project


class RiskCategory(StrEnum):
    """The HM Treasury Orange Book risk categories."""

    STRATEGIC = "strategic"
    GOVERNANCE = "governance"
    OPERATIONS = "operations"
    LEGAL = "legal"
    PROPERTY = "property"
    FINANCIAL = "financial"
    COMMERCIAL = "commercial"
    PEOPLE = "people"
    TECHNOLOGY = "technology"
    INFORMATION = "information-and-data"
    SECURITY = "security"
    PROJECT = "project-programme"
    REPUTATIONAL = "reputational"

    @property
    def label(self) -> str:
        return {
            "information-and-data": "Information and data",
            "project-programme": "Project or programme",
        }.get(self.value, self.value.capitalize())


class AppetiteLevel(StrEnum):
    """The Orange Book appetite levels, from least to most willing to take risk."""

    AVERSE = "averse"
    MINIMAL = "minimal"
    CAUTIOUS = "cautious"
    OPEN = "open"
    EAGER = "eager"

    @property
    def label(self) -> str:
        return self.value.capitalize()

    @property
    def description(self) -> str:
        return {
            "averse": "Avoiding risk and uncertainty is a key objective.",
            "minimal": "Prefers very safe options with little inherent risk and limited reward.",
            "cautious": "Prefers safe options with low residual risk; some reward accepted.",
            "open": "Considers every option and picks the most likely to deliver, "
            "with an acceptable level of reward.",
            "eager": "Seeks innovation and the highest benefit, accepting high residual risk.",
        }[self.value]


class RiskStatus(StrEnum):
    OPEN = "open"
    TREATING = "treating"
    ACCEPTED = "accepted"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class Proximity(StrEnum):
    """How soon the risk could happen."""

    IMMINENT = "imminent"
    NEAR = "near"
    DISTANT = "distant"

    @property
    def label(self) -> str:
        return {
            "imminent": "Within 3 months",
            "near": "In 3 to 12 months",
            "distant": "More than 12 months away",
        }[self.value]


class ActionKind(StrEnum):
    CONTROL = "control"
    MITIGATION = "mitigation"

    @property
    def label(self) -> str:
        return {
            "control": "Control (in place)",
            "mitigation": "Mitigation (planned)",
        }[self.value]


class Response(StrEnum):
    """The four Ts: how the CIO decides to respond to a risk beyond appetite."""

    TREAT = "treat"
    TOLERATE = "tolerate"
    TRANSFER = "transfer"
    TERMINATE = "terminate"

    @property
    def label(self) -> str:
        return {
            "treat": "Treat",
            "tolerate": "Tolerate (accept)",
            "transfer": "Transfer",
            "terminate": "Terminate",
        }[self.value]


class DecisionStatus(StrEnum):
    """An escalation waits (pending), is decided, or stops: the risk came back within appetite
    or closed before a decision (withdrawn), or a material change re-opened the decision."""

    PENDING = "pending"
    DECIDED = "decided"
    REOPENED = "reopened"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        return {
            "pending": "Waiting for a decision",
            "decided": "Decided",
            "reopened": "Re-opened",
            "withdrawn": "Withdrawn",
        }[self.value]


class RiskAppetite(IdMixin, Base):
    """A department's current appetite for one category of risk."""

    __tablename__ = "risk_appetites"
    __table_args__ = (UniqueConstraint("organisation_id", "category"),)

    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    category: Mapped[RiskCategory] = mapped_column(enum_type(RiskCategory))
    level: Mapped[AppetiteLevel] = mapped_column(enum_type(AppetiteLevel))
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    set_at: Mapped[datetime] = mapped_column(default=utcnow)
    reason: Mapped[str] = mapped_column(Text)

    def audit_record(self) -> tuple[str, int | None]:
        return "risk_appetite", self.organisation_id


class AppetiteScale(IdMixin, Base):
    """A department's mapping of each appetite level to the highest acceptable residual score."""

    __tablename__ = "risk_appetite_scales"
    __table_args__ = (UniqueConstraint("organisation_id", "level"),)

    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    level: Mapped[AppetiteLevel] = mapped_column(enum_type(AppetiteLevel))
    max_score: Mapped[int]

    def audit_record(self) -> tuple[str, int | None]:
        return "risk_appetite", self.organisation_id


class AppetiteChange(IdMixin, Base):
    """One change of appetite (a category's level, or the scale): who, when, why."""

    __tablename__ = "risk_appetite_changes"

    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    category: Mapped[RiskCategory | None] = mapped_column(enum_type(RiskCategory))
    from_level: Mapped[AppetiteLevel | None] = mapped_column(enum_type(AppetiteLevel))
    to_level: Mapped[AppetiteLevel | None] = mapped_column(enum_type(AppetiteLevel))
    scale_before: Mapped[dict[str, Any] | None]
    scale_after: Mapped[dict[str, Any] | None]
    reason: Mapped[str] = mapped_column(Text)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    changed_by: Mapped[User | None] = relationship()

    def audit_record(self) -> tuple[str, int | None]:
        return "risk_appetite", self.organisation_id


class Risk(IdMixin, TimestampMixin, Base):
    """One entry of a project's risk register, described as cause, event and effect."""

    __tablename__ = "risks"
    __table_args__ = (UniqueConstraint("project_id", "number"),)

    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    number: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    cause: Mapped[str] = mapped_column(Text)
    event: Mapped[str] = mapped_column(Text)
    effect: Mapped[str] = mapped_column(Text)
    category: Mapped[RiskCategory] = mapped_column(enum_type(RiskCategory), index=True)
    owner: Mapped[str] = mapped_column(String(120))
    inherent_likelihood: Mapped[int]
    inherent_impact: Mapped[int]
    residual_likelihood: Mapped[int]
    residual_impact: Mapped[int]
    proximity: Mapped[Proximity] = mapped_column(enum_type(Proximity))
    review_on: Mapped[date] = mapped_column(index=True)
    status: Mapped[RiskStatus] = mapped_column(enum_type(RiskStatus), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    assessment_id: Mapped[int | None] = mapped_column(
        ForeignKey("adoption_assessments.id", ondelete="SET NULL")
    )

    project: Mapped[Project] = relationship()
    organisation: Mapped[Organisation] = relationship(lazy="joined")
    actions: Mapped[list[RiskAction]] = relationship(
        back_populates="risk", order_by="RiskAction.id", cascade="all, delete-orphan"
    )
    decisions: Mapped[list[RiskDecision]] = relationship(
        back_populates="risk",
        order_by="RiskDecision.id.desc()",
        cascade="all, delete-orphan",
        foreign_keys="RiskDecision.risk_id",
    )

    @property
    def inherent_score(self) -> int:
        return self.inherent_likelihood * self.inherent_impact

    @property
    def residual_score(self) -> int:
        return self.residual_likelihood * self.residual_impact

    @property
    def reference(self) -> str:
        return f"R{self.number}"

    @property
    def is_live(self) -> bool:
        return self.status is not RiskStatus.CLOSED


class RiskAction(IdMixin, Base):
    """A control in place or a mitigation planned, with its owner and due date."""

    __tablename__ = "risk_actions"

    risk_id: Mapped[int] = mapped_column(ForeignKey("risks.id", ondelete="CASCADE"), index=True)
    kind: Mapped[ActionKind] = mapped_column(enum_type(ActionKind))
    description: Mapped[str] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(120))
    due_on: Mapped[date | None]
    done_on: Mapped[date | None]

    risk: Mapped[Risk] = relationship(back_populates="actions")

    def audit_record(self) -> tuple[str, int | None]:
        return "risks", self.risk_id


class RiskDecision(IdMixin, Base):
    """An escalation of a risk beyond appetite to the CIO, and the CIO's decision on it.

    ``snapshot`` is the risk as it stood when decided; a material change against it (score up,
    another category) or the expiry passing re-opens the decision.
    """

    __tablename__ = "risk_decisions"
    __table_args__ = (
        # At most one escalation of a risk waits at a time, even with concurrent writers.
        Index(
            "uq_risk_decisions_one_pending",
            "risk_id",
            unique=True,
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
    )

    risk_id: Mapped[int] = mapped_column(ForeignKey("risks.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    status: Mapped[DecisionStatus] = mapped_column(enum_type(DecisionStatus), index=True)
    escalated_at: Mapped[datetime] = mapped_column(default=utcnow)
    trigger: Mapped[str] = mapped_column(Text)
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("risk_decisions.id"))
    response: Mapped[Response | None] = mapped_column(enum_type(Response))
    rationale: Mapped[str | None] = mapped_column(Text)
    conditions: Mapped[str | None] = mapped_column(Text)
    expires_on: Mapped[date | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    snapshot: Mapped[dict[str, Any] | None]
    above_appetite: Mapped[bool | None]
    closed_at: Mapped[datetime | None]
    closed_reason: Mapped[str | None] = mapped_column(Text)

    risk: Mapped[Risk] = relationship(back_populates="decisions", foreign_keys=[risk_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    def audit_record(self) -> tuple[str, int | None]:
        return "risks", self.risk_id


class AssessmentKind(StrEnum):
    SOFTWARE = "commercial-software"
    AI_TOOL = "ai-tool"

    @property
    def label(self) -> str:
        return "Commercial software" if self is AssessmentKind.SOFTWARE else "AI tool"


class AssessmentStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    DECIDED = "decided"

    @property
    def label(self) -> str:
        return {
            "draft": "Draft",
            "submitted": "Waiting for a decision",
            "decided": "Decided",
        }[self.value]


class AdoptionAssessment(IdMixin, TimestampMixin, Base):
    """A structured assessment of bringing commercial software or an AI tool into a department,
    ending in the CIO's decision on the route."""

    __tablename__ = "adoption_assessments"

    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    project_id: Mapped[int | None] = mapped_column(
        ForeignKey("projects.id", ondelete="SET NULL"), index=True
    )
    product: Mapped[str] = mapped_column(String(200))
    supplier: Mapped[str] = mapped_column(String(200))
    kind: Mapped[AssessmentKind] = mapped_column(enum_type(AssessmentKind))
    purpose: Mapped[str] = mapped_column(Text)
    answers: Mapped[dict[str, Any]]
    status: Mapped[AssessmentStatus] = mapped_column(enum_type(AssessmentStatus), index=True)
    recommended_route: Mapped[str | None] = mapped_column(String(40))
    recommendation: Mapped[dict[str, Any] | None]
    atrs_needed: Mapped[bool | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[datetime | None]
    route: Mapped[str | None] = mapped_column(String(40))
    rationale: Mapped[str | None] = mapped_column(Text)
    conditions: Mapped[str | None] = mapped_column(Text)
    review_on: Mapped[date | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]

    organisation: Mapped[Organisation] = relationship(lazy="joined")
    project: Mapped[Project | None] = relationship()
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
