"""Challenges, their hidden test suites, supplier submissions and evaluations.

A suite's cases and a submission's predictions are stored inside the store as Parquet bytes
(``data`` columns, kept out of the audit log), so that they are written in the same
transaction as their row, never leave the platform by a file path, and work the same for
every app process (decision 0051).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from missionhub.accounts.models import Organisation, User
from missionhub.db.base import Base, IdMixin, TimestampMixin, enum_type, utcnow
from missionhub.portfolio.models import Mission, UseCase


class ChallengeStatus(StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"
    EVALUATED = "evaluated"
    AWARDED = "awarded"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class SubmissionKind(StrEnum):
    FILE = "file"
    ENDPOINT = "endpoint"

    @property
    def label(self) -> str:
        return "Predictions file" if self is SubmissionKind.FILE else "HTTP endpoint"


class SubmissionStatus(StrEnum):
    WAITING = "waiting"  # an endpoint not yet called
    RECEIVED = "received"  # predictions stored and checked against the suite
    FAILED = "failed"  # the endpoint could not be called, or answered wrongly

    @property
    def label(self) -> str:
        return {"waiting": "Waiting for the endpoint", "received": "Received", "failed": "Failed"}[
            self.value
        ]


class Challenge(IdMixin, TimestampMixin, Base):
    """A problem put to suppliers, tied to a use case or a mission, with a hidden test suite."""

    __tablename__ = "challenges"

    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    title: Mapped[str] = mapped_column(String(200))
    brief: Mapped[str] = mapped_column(Text)
    eligibility: Mapped[str | None] = mapped_column(Text)
    criteria: Mapped[str | None] = mapped_column(Text)
    use_case_id: Mapped[int | None] = mapped_column(ForeignKey("use_cases.id"), index=True)
    mission_id: Mapped[int | None] = mapped_column(ForeignKey("missions.id"), index=True)
    opens_on: Mapped[date | None]
    closes_on: Mapped[date | None]
    status: Mapped[ChallengeStatus] = mapped_column(enum_type(ChallengeStatus), index=True)
    positive_label: Mapped[str] = mapped_column(String(100))
    negative_label: Mapped[str] = mapped_column(String(100))
    primary_metric: Mapped[str] = mapped_column(String(40), default="f1")
    min_denominator: Mapped[int] = mapped_column(default=30)
    # each supplier organisation's submissions, failed ones aside (decision 0057)
    max_submissions_per_supplier: Mapped[int] = mapped_column(default=3, server_default="3")
    results_released_at: Mapped[datetime | None]
    awarded_submission_id: Mapped[int | None] = mapped_column(
        ForeignKey("challenge_submissions.id", use_alter=True, ondelete="SET NULL")
    )
    award_rationale: Mapped[str | None] = mapped_column(Text)

    organisation: Mapped[Organisation] = relationship(lazy="joined")
    owner: Mapped[User | None] = relationship()
    use_case: Mapped[UseCase | None] = relationship()
    mission: Mapped[Mission | None] = relationship()
    suites: Mapped[list[Suite]] = relationship(
        order_by="Suite.version.desc()", back_populates="challenge"
    )
    submissions: Mapped[list[Submission]] = relationship(
        order_by="Submission.id",
        back_populates="challenge",
        foreign_keys="Submission.challenge_id",
    )

    @property
    def suite(self) -> Suite | None:
        """The current (newest) version of the hidden suite."""
        return self.suites[0] if self.suites else None

    @property
    def labels(self) -> tuple[str, str]:
        return self.positive_label, self.negative_label


class Suite(IdMixin, Base):
    """One version of a challenge's hidden test suite: cases with gold labels and groups."""

    __tablename__ = "challenge_suites"
    __table_args__ = (UniqueConstraint("challenge_id", "version"),)
    __audit_exclude__ = frozenset({"data"})

    challenge_id: Mapped[int] = mapped_column(
        ForeignKey("challenges.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int]
    source: Mapped[str] = mapped_column(String(40))
    filename: Mapped[str] = mapped_column(String(300))
    file_sha256: Mapped[str] = mapped_column(String(64))
    content_sha256: Mapped[str] = mapped_column(String(64), index=True)
    cases: Mapped[int]
    positives: Mapped[int]
    group_columns: Mapped[list[str]]
    input_columns: Mapped[list[str]]
    has_templates: Mapped[bool] = mapped_column(default=False)
    has_functionality: Mapped[bool] = mapped_column(default=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    data: Mapped[bytes] = deferred(mapped_column(LargeBinary))

    challenge: Mapped[Challenge] = relationship(back_populates="suites")

    def audit_record(self) -> tuple[str, int | None]:
        return "challenges", self.challenge_id


class Submission(IdMixin, Base):
    """A supplier's answer: predictions for every case of one suite version."""

    __tablename__ = "challenge_submissions"
    __audit_exclude__ = frozenset({"data"})

    challenge_id: Mapped[int] = mapped_column(
        ForeignKey("challenges.id", ondelete="CASCADE"), index=True
    )
    suite_id: Mapped[int] = mapped_column(ForeignKey("challenge_suites.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[SubmissionKind] = mapped_column(enum_type(SubmissionKind))
    endpoint_url: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[SubmissionStatus] = mapped_column(enum_type(SubmissionStatus))
    error: Mapped[str | None] = mapped_column(Text)
    filename: Mapped[str | None] = mapped_column(String(300))
    predictions_sha256: Mapped[str | None] = mapped_column(String(64))
    has_scores: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    data: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))

    challenge: Mapped[Challenge] = relationship(
        back_populates="submissions", foreign_keys=[challenge_id]
    )
    suite: Mapped[Suite] = relationship()
    organisation: Mapped[Organisation] = relationship(lazy="joined")

    def audit_record(self) -> tuple[str, int | None]:
        return "challenges", self.challenge_id


class Evaluation(IdMixin, Base):
    """One run of the engine over a suite version and every received submission for it.

    ``results`` holds aggregates only (cells, never cases)."""

    __tablename__ = "challenge_evaluations"
    __audit_exclude__ = frozenset({"results"})

    challenge_id: Mapped[int] = mapped_column(
        ForeignKey("challenges.id", ondelete="CASCADE"), index=True
    )
    suite_id: Mapped[int] = mapped_column(ForeignKey("challenge_suites.id"))
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id"))
    submission_ids: Mapped[list[str]]
    results: Mapped[dict[str, Any]] = deferred(mapped_column(JSON))
    results_sha256: Mapped[str] = mapped_column(String(64))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    suite: Mapped[Suite] = relationship()

    def audit_record(self) -> tuple[str, int | None]:
        return "challenges", self.challenge_id
