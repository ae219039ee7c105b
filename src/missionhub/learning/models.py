"""Case studies, reusable components, questions, imported inventory records, the search index
and remembered duplicate decisions."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Column,
    ForeignKey,
    Index,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Mapped, Session, deferred, mapped_column, relationship

from missionhub.accounts.models import Organisation, User
from missionhub.accounts.permissions import Visibility
from missionhub.db.base import Base, IdMixin, TimestampMixin, enum_type, utcnow
from missionhub.portfolio.models import Project, Stage

# The SQLite FTS5 index over learning_documents (and its shadow tables) is created by the
# migration, not the ORM: the model check and autogenerate skip it (see db.migrate).
FTS_TABLE = "learning_documents_fts"
Base.metadata.info.setdefault("unmanaged_tables", set()).add(FTS_TABLE)


class DocKind(StrEnum):
    """What a search result is."""

    PROJECT = "project"
    CASE_STUDY = "case-study"
    COMPONENT = "component"
    RECORD = "record"

    @property
    def label(self) -> str:
        return {
            "project": "Project",
            "case-study": "Case study",
            "component": "Reusable component",
            "record": "Inventory record",
        }[self.value]


class CaseStudyStatus(StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in-review"
    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        return {
            "draft": "Draft",
            "in-review": "In review",
            "published": "Published",
            "withdrawn": "Withdrawn",
        }[self.value]


class ComponentKind(StrEnum):
    CODE = "code"
    API = "api"
    DATASET = "dataset"
    MODEL = "model"
    PATTERN = "pattern"
    FRAMEWORK = "commercial-framework"
    CONTRACT = "contract"

    @property
    def label(self) -> str:
        return {
            "code": "Code",
            "api": "API",
            "dataset": "Dataset",
            "model": "Model",
            "pattern": "Pattern",
            "commercial-framework": "Commercial framework",
            "contract": "Contract",
        }[self.value]


class Maturity(StrEnum):
    EXPERIMENTAL = "experimental"
    IN_USE = "in-use"
    SUPPORTED = "supported"
    DEPRECATED = "deprecated"

    @property
    def label(self) -> str:
        return {
            "experimental": "Experimental",
            "in-use": "In use by its owner",
            "supported": "Supported for reuse",
            "deprecated": "Deprecated",
        }[self.value]


class Verdict(StrEnum):
    """A CIO's or admin's decision on a duplicate candidate."""

    SAME = "same"
    REUSES = "reuses"
    DISMISSED = "dismissed"

    @property
    def label(self) -> str:
        return {
            "same": "Confirmed: the same project",
            "reuses": "Reuses the other's work",
            "dismissed": "Dismissed: not a duplicate",
        }[self.value]


case_study_components = Table(
    "learning_case_study_components",
    Base.metadata,
    Column(
        "case_study_id",
        ForeignKey("learning_case_studies.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column(
        "component_id", ForeignKey("learning_components.id", ondelete="CASCADE"), primary_key=True
    ),
)


class Component(IdMixin, TimestampMixin, Base):
    """Something the next team can reuse: code, an API, a dataset, a model, a pattern, a
    commercial framework or a contract."""

    __tablename__ = "learning_components"

    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[ComponentKind] = mapped_column(enum_type(ComponentKind))
    description: Mapped[str] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(200))
    licence: Mapped[str | None] = mapped_column(String(100))
    maturity: Mapped[Maturity] = mapped_column(enum_type(Maturity))
    documentation_url: Mapped[str | None] = mapped_column(String(500))
    visibility: Mapped[Visibility] = mapped_column(enum_type(Visibility), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    organisation: Mapped[Organisation] = relationship(lazy="joined")
    reuses: Mapped[list[ComponentReuse]] = relationship(
        back_populates="component", cascade="all, delete-orphan", order_by="ComponentReuse.id"
    )


class ComponentReuse(IdMixin, Base):
    """A project records that it reuses a component."""

    __tablename__ = "learning_component_reuses"
    __table_args__ = (UniqueConstraint("component_id", "project_id"),)

    component_id: Mapped[int] = mapped_column(
        ForeignKey("learning_components.id", ondelete="CASCADE"), index=True
    )
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    note: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    component: Mapped[Component] = relationship(back_populates="reuses")
    project: Mapped[Project] = relationship()

    def audit_record(self) -> tuple[str, int | None]:
        return "projects", self.project_id


class CaseStudy(IdMixin, TimestampMixin, Base):
    """What a project (live, retired or stopped) learned, written up for the next team."""

    __tablename__ = "learning_case_studies"

    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    project_id: Mapped[int | None] = mapped_column(
        ForeignKey("projects.id", ondelete="SET NULL"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text)
    problem: Mapped[str] = mapped_column(Text)
    users: Mapped[str | None] = mapped_column(Text)
    approach: Mapped[str | None] = mapped_column(Text)
    outcomes: Mapped[str | None] = mapped_column(Text)
    kpi_evidence: Mapped[str | None] = mapped_column(Text)
    cost: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    cost_note: Mapped[str | None] = mapped_column(String(500))
    worked: Mapped[str | None] = mapped_column(Text)
    did_not_work: Mapped[str | None] = mapped_column(Text)
    contact_role: Mapped[str] = mapped_column(String(200))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    links: Mapped[list[str] | None]
    status: Mapped[CaseStudyStatus] = mapped_column(enum_type(CaseStudyStatus), index=True)
    review_note: Mapped[str | None] = mapped_column(Text)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    published_at: Mapped[datetime | None]
    withdrawn_reason: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    organisation: Mapped[Organisation] = relationship(lazy="joined")
    project: Mapped[Project | None] = relationship()
    components: Mapped[list[Component]] = relationship(
        secondary=case_study_components, order_by="Component.name"
    )
    questions: Mapped[list[Question]] = relationship(
        back_populates="case_study", cascade="all, delete-orphan", order_by="Question.id"
    )

    @property
    def visibility(self) -> Visibility:
        """Published case studies are public; the rest stay in the owning organisation."""
        published = self.status is CaseStudyStatus.PUBLISHED
        return Visibility.PUBLISHED if published else Visibility.DRAFT


class Question(IdMixin, Base):
    """A member's question on a case study and the owning team's answer."""

    __tablename__ = "learning_questions"

    case_study_id: Mapped[int] = mapped_column(
        ForeignKey("learning_case_studies.id", ondelete="CASCADE"), index=True
    )
    body: Mapped[str] = mapped_column(Text)
    asked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    asked_at: Mapped[datetime] = mapped_column(default=utcnow)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    answered_at: Mapped[datetime | None]
    published: Mapped[bool] = mapped_column(default=False)

    case_study: Mapped[CaseStudy] = relationship(back_populates="questions")
    asked_by: Mapped[User | None] = relationship(foreign_keys=[asked_by_id])

    def audit_record(self) -> tuple[str, int | None]:
        return "learning_case_studies", self.case_study_id


class ImportedRecord(IdMixin, Base):
    """A use case from a public inventory (US federal, EU AI Watch), with its provenance."""

    __tablename__ = "learning_records"
    __table_args__ = (UniqueConstraint("source", "source_id"),)

    source: Mapped[str] = mapped_column(String(40), index=True)
    source_id: Mapped[str] = mapped_column(String(300))
    source_file: Mapped[str] = mapped_column(String(200))
    source_line: Mapped[int]
    source_url: Mapped[str | None] = mapped_column(String(500))
    licence: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text)
    organisation: Mapped[str] = mapped_column(String(200), index=True)
    unit: Mapped[str | None] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(60), index=True)
    topic: Mapped[str | None] = mapped_column(String(200))
    capability: Mapped[str | None] = mapped_column(String(200))
    stage: Mapped[Stage | None] = mapped_column(enum_type(Stage))
    source_stage: Mapped[str | None] = mapped_column(String(200))
    year: Mapped[int | None]
    fields: Mapped[dict[str, Any]]
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


def _search_vector() -> Any:
    """A tsvector on PostgreSQL (kept by a trigger); unused text on SQLite (FTS5 does it)."""
    return Text().with_variant(postgresql.TSVECTOR(), "postgresql")


class SearchDocument(IdMixin, Base):
    """One searchable thing, denormalised for full-text search and similarity.

    Kept in step with projects, case studies, components and records by a flush hook
    (learning.indexing); a derived index, so not in the audit log.
    """

    __tablename__ = "learning_documents"
    __audited__ = False
    __table_args__ = (
        UniqueConstraint("kind", "ref_id"),
        Index("ix_learning_documents_search_vector", "search_vector", postgresql_using="gin"),
    )

    kind: Mapped[DocKind] = mapped_column(enum_type(DocKind), index=True)
    ref_id: Mapped[int]
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    organisation_id: Mapped[int | None] = mapped_column(index=True)
    organisation_name: Mapped[str] = mapped_column(String(200), index=True)
    country: Mapped[str] = mapped_column(String(60), index=True)
    source: Mapped[str] = mapped_column(String(40), index=True)
    stage: Mapped[str | None] = mapped_column(String(40), index=True)
    topic: Mapped[str | None] = mapped_column(String(200), index=True)
    mission_ids: Mapped[str] = mapped_column(String(100), default="")
    visibility: Mapped[Visibility] = mapped_column(enum_type(Visibility), index=True)
    url: Mapped[str] = mapped_column(String(500))
    tags: Mapped[str] = mapped_column(Text, default="")  # learning.tags: filters for the engine
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    search_vector: Mapped[str | None] = deferred(mapped_column(_search_vector()))


class DuplicateDecision(IdMixin, Base):
    """A remembered verdict on a (project, similar record) pair from the duplicates report."""

    __tablename__ = "learning_duplicate_decisions"
    __table_args__ = (UniqueConstraint("project_id", "other_kind", "other_ref_id"),)

    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    other_kind: Mapped[DocKind] = mapped_column(enum_type(DocKind))
    other_ref_id: Mapped[int]
    verdict: Mapped[Verdict] = mapped_column(enum_type(Verdict))
    note: Mapped[str | None] = mapped_column(Text)
    score: Mapped[float | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)

    def audit_record(self) -> tuple[str, int | None]:
        return "projects", self.project_id


@event.listens_for(Session, "after_flush")
def _index_after_flush(session: Session, context: Any) -> None:
    """Keep the search documents in step with every flush (see learning.indexing)."""
    from missionhub.learning.indexing import after_flush

    after_flush(session, context)
