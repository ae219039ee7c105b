"""Linkage projects, the people in them, and their versioned linkage schemas.

Who may do what (decision 0061): the person who creates a project is its data steward; the
steward names data owners, each a civil servant of a participating department. Stewards shape
the project and start link runs; an owner uploads encodings for their own department and
downloads their own department's mapping, and nothing else. A project is invisible (NotFound)
to everyone else except administrators, who may see it but hold no owner's rights.
"""

from __future__ import annotations

import json
import secrets

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from missionhub.accounts.models import Organisation, User
from missionhub.accounts.permissions import Actor, require
from missionhub.errors import FieldError, Invalid, NotFound
from missionhub.linkage.linkage_schema import LinkageSchema, parse_schema, person_template
from missionhub.linkage.models import (
    LinkageMember,
    LinkageParty,
    LinkageProject,
    LinkageSchemaVersion,
    MemberRole,
)
from missionhub.linkage.schemas import OwnerIn, ProjectIn


def role_in(project: LinkageProject, actor: Actor) -> MemberRole | None:
    """The actor's role in the project (a steward who is also an owner counts as steward)."""
    roles = {m.role for m in project.members if m.user_id == actor.user_id and actor.user_id}
    if MemberRole.STEWARD in roles:
        return MemberRole.STEWARD
    return MemberRole.OWNER if roles else None


def owner_party(project: LinkageProject, actor: Actor) -> int | None:
    """The department the actor is a data owner for in this project, if any."""
    is_owner = any(
        m.user_id == actor.user_id and m.role is MemberRole.OWNER for m in project.members
    )
    if not is_owner or actor.organisation_id not in {p.organisation_id for p in project.parties}:
        return None
    return actor.organisation_id


def is_steward(project: LinkageProject, actor: Actor) -> bool:
    return actor.is_admin or role_in(project, actor) is MemberRole.STEWARD


def visible_projects(actor: Actor) -> Select[LinkageProject]:
    stmt = select(LinkageProject).order_by(
        LinkageProject.created_at.desc(), LinkageProject.id.desc()
    )
    if actor.is_admin:
        return stmt
    mine = select(LinkageMember.project_id).where(LinkageMember.user_id == actor.user_id)
    return stmt.where(LinkageProject.id.in_(mine))


def list_projects(session: Session, *, actor: Actor) -> list[LinkageProject]:
    if not actor.is_authenticated:
        return []
    return list(session.scalars(visible_projects(actor)).unique())


def get_project(session: Session, *, actor: Actor, project_id: int) -> LinkageProject:
    project = session.get(LinkageProject, project_id)
    if project is None or not (actor.is_admin or role_in(project, actor) is not None):
        raise NotFound(f"No linkage project with id {project_id}")
    return project


def stewarded_project(session: Session, *, actor: Actor, project_id: int) -> LinkageProject:
    project = get_project(session, actor=actor, project_id=project_id)
    require(is_steward(project, actor), "Only the project's data steward can do this")
    return project


def _check_departments(session: Session, ids: list[int]) -> list[Organisation]:
    orgs = [session.get(Organisation, i) for i in ids]
    if any(o is None or not o.is_public_sector for o in orgs):
        raise Invalid("Select public-sector departments only", field="organisation_ids")
    return [o for o in orgs if o is not None]


def create_project(session: Session, *, actor: Actor, data: ProjectIn) -> LinkageProject:
    """A new project with its departments and the person template as schema version 1."""
    require(actor.is_civil_servant, "Only civil servants can set up a linkage project")
    orgs = _check_departments(session, data.organisation_ids)
    assert actor.organisation_id is not None or actor.is_admin
    project = LinkageProject(
        reference=f"lp-{secrets.token_hex(8)}",
        name=data.name,
        purpose=data.purpose,
        hub_name=data.hub_name,
        schema_version=1,
        organisation_id=actor.organisation_id or orgs[0].id,
        created_by_id=actor.user_id,
    )
    project.parties = [LinkageParty(organisation_id=o.id) for o in orgs]
    if actor.user_id is not None:
        project.members = [LinkageMember(user_id=actor.user_id, role=MemberRole.STEWARD)]
    session.add(project)
    session.flush()
    _add_version(session, project, {**person_template(), "project": project.reference}, actor)
    return project


def _add_version(
    session: Session, project: LinkageProject, definition: dict[str, object], actor: Actor
) -> LinkageSchema:
    schema = parse_schema({**definition, "version": project.schema_version}, prefix="definition.")
    session.add(
        LinkageSchemaVersion(
            project_id=project.id,
            version=schema.version,
            definition=schema.model_dump(mode="json"),
            fingerprint=schema.fingerprint,
            created_by_id=actor.user_id,
        )
    )
    session.flush()
    return schema


def current_schema(session: Session, project: LinkageProject) -> LinkageSchema:
    row = session.scalar(
        select(LinkageSchemaVersion).where(
            LinkageSchemaVersion.project_id == project.id,
            LinkageSchemaVersion.version == project.schema_version,
        )
    )
    assert row is not None, "every project has its current schema version"
    return LinkageSchema.model_validate(row.definition)


def schema_for(session: Session, *, actor: Actor, project_id: int) -> LinkageSchema:
    """The current schema, for the data owners' encoders (it holds no secret)."""
    return current_schema(session, get_project(session, actor=actor, project_id=project_id))


def new_schema_version(
    session: Session, *, actor: Actor, project_id: int, definition: str
) -> LinkageSchema:
    """Replace the schema: the hub numbers the new version and fixes the project reference.
    Encodings made with earlier versions can no longer be linked."""
    project = stewarded_project(session, actor=actor, project_id=project_id)
    try:
        data = json.loads(definition)
    except ValueError as exc:
        raise Invalid(f"The schema is not valid JSON: {exc}", field="definition") from exc
    if not isinstance(data, dict):
        raise Invalid("The schema must be a JSON object", field="definition")
    data.pop("version", None)
    data["project"] = project.reference
    parse_schema({**data, "version": project.schema_version + 1}, prefix="definition.")
    project.schema_version += 1
    return _add_version(session, project, data, actor)


def add_owner(session: Session, *, actor: Actor, project_id: int, data: OwnerIn) -> LinkageMember:
    """Make a civil servant of a participating department a data owner for that department."""
    project = stewarded_project(session, actor=actor, project_id=project_id)
    user = session.scalar(select(User).where(User.email == str(data.email).lower()))
    parties = {p.organisation_id for p in project.parties}
    if user is None or not user.is_active or user.organisation_id not in parties:
        raise Invalid(
            [FieldError("email", "Enter the email of a user in one of the project's departments")]
        )
    existing = next(
        (m for m in project.members if m.user_id == user.id and m.role is MemberRole.OWNER), None
    )
    if existing is not None:
        return existing
    member = LinkageMember(user_id=user.id, role=MemberRole.OWNER)
    project.members.append(member)
    session.flush()
    return member
