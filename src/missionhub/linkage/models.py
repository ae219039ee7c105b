"""Linkage projects: parties (departments), people's roles in a project, versioned linkage
schemas, uploaded encodings, link runs, each party's mapping and every mapping download.

The hub stores encodings (bits and keyed hashes) and mappings (record reference to link id),
never a raw identifier and never the secret that keys the encodings.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from missionhub.accounts.models import Organisation, User
from missionhub.db.base import Base, IdMixin, enum_type, utcnow
from missionhub.jobs.models import Job


class MemberRole(StrEnum):
    STEWARD = "steward"
    OWNER = "owner"

    @property
    def label(self) -> str:
        return "Data steward" if self is MemberRole.STEWARD else "Data owner"


class LinkageProject(IdMixin, Base):
    __tablename__ = "linkage_projects"

    reference: Mapped[str] = mapped_column(String(19), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    purpose: Mapped[str] = mapped_column(Text)
    hub_name: Mapped[str] = mapped_column(String(200))
    schema_version: Mapped[int] = mapped_column(default=1)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    organisation: Mapped[Organisation] = relationship(lazy="joined")
    parties: Mapped[list[LinkageParty]] = relationship(
        back_populates="project", order_by="LinkageParty.id", cascade="all, delete-orphan"
    )
    members: Mapped[list[LinkageMember]] = relationship(
        back_populates="project", order_by="LinkageMember.id", cascade="all, delete-orphan"
    )


class LinkageParty(IdMixin, Base):
    """A department taking part: it encodes its own records and receives its own mapping."""

    __tablename__ = "linkage_parties"
    __table_args__ = (UniqueConstraint("project_id", "organisation_id"),)

    project_id: Mapped[int] = mapped_column(ForeignKey("linkage_projects.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))

    project: Mapped[LinkageProject] = relationship(back_populates="parties")
    organisation: Mapped[Organisation] = relationship(lazy="joined")

    def audit_record(self) -> tuple[str, int | None]:
        return "linkage_projects", self.project_id


class LinkageMember(IdMixin, Base):
    """A person's role in one project: its data steward, or a data owner for their department."""

    __tablename__ = "linkage_members"
    __table_args__ = (UniqueConstraint("project_id", "user_id", "role"),)

    project_id: Mapped[int] = mapped_column(ForeignKey("linkage_projects.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[MemberRole] = mapped_column(enum_type(MemberRole))

    project: Mapped[LinkageProject] = relationship(back_populates="members")
    user: Mapped[User] = relationship(lazy="joined")

    def audit_record(self) -> tuple[str, int | None]:
        return "linkage_projects", self.project_id


class LinkageSchemaVersion(IdMixin, Base):
    __tablename__ = "linkage_schema_versions"
    __table_args__ = (UniqueConstraint("project_id", "version"),)

    project_id: Mapped[int] = mapped_column(ForeignKey("linkage_projects.id"), index=True)
    version: Mapped[int]
    definition: Mapped[dict[str, Any]]
    fingerprint: Mapped[str] = mapped_column(String(64))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def audit_record(self) -> tuple[str, int | None]:
        return "linkage_projects", self.project_id


class EncodingUpload(IdMixin, Base):
    """One party's encodings file, checked against the schema; the newest one counts."""

    __tablename__ = "linkage_uploads"

    project_id: Mapped[int] = mapped_column(ForeignKey("linkage_projects.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    schema_version: Mapped[int]
    fingerprint: Mapped[str] = mapped_column(String(64))
    key_check: Mapped[str] = mapped_column(String(16))
    records: Mapped[int]
    has_truth: Mapped[bool] = mapped_column(default=False)
    filename: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)

    organisation: Mapped[Organisation] = relationship(lazy="joined")

    def audit_record(self) -> tuple[str, int | None]:
        return "linkage_projects", self.project_id


class LinkRun(IdMixin, Base):
    """One comparison at the hub (a background job); its quality report when it succeeded."""

    __tablename__ = "linkage_runs"

    project_id: Mapped[int] = mapped_column(ForeignKey("linkage_projects.id"), index=True)
    schema_version: Mapped[int]
    method: Mapped[str] = mapped_column(String(20))
    threshold: Mapped[float]
    upload_ids: Mapped[list[str]]
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id"))
    quality: Mapped[dict[str, Any] | None]
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]

    job: Mapped[Job | None] = relationship(lazy="joined")
    mappings: Mapped[list[LinkMapping]] = relationship(order_by="LinkMapping.id")

    def audit_record(self) -> tuple[str, int | None]:
        return "linkage_projects", self.project_id


class LinkMapping(IdMixin, Base):
    """One party's result of a run: its record ids to link ids, kept as a file at the hub."""

    __tablename__ = "linkage_mappings"
    __table_args__ = (UniqueConstraint("run_id", "organisation_id"),)

    run_id: Mapped[int] = mapped_column(ForeignKey("linkage_runs.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    records: Mapped[int]
    matched: Mapped[int]

    organisation: Mapped[Organisation] = relationship(lazy="joined")

    def audit_record(self) -> tuple[str, int | None]:
        return "linkage_runs", self.run_id


class MappingDownload(IdMixin, Base):
    """A mapping handed to its owner: the row exists so the download is in the audit log."""

    __tablename__ = "linkage_downloads"

    mapping_id: Mapped[int] = mapped_column(ForeignKey("linkage_mappings.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    project_id: Mapped[int] = mapped_column(ForeignKey("linkage_projects.id"))

    def audit_record(self) -> tuple[str, int | None]:
        return "linkage_projects", self.project_id
