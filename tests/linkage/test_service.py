"""Linkage projects at the hub, on SQLite and PostgreSQL: who may do what, uploads checked in
full before anything is stored, the link job, and mappings that only their owners get."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from missionhub.accounts.models import AuditEvent
from missionhub.errors import Conflict, Invalid, NotFound, PermissionDenied
from missionhub.jobs.models import Job, JobStatus
from missionhub.linkage import exchange, projects
from missionhub.linkage.models import EncodingUpload, LinkRun, MappingDownload
from missionhub.linkage.schemas import OwnerIn, ProjectIn
from tests.factories import World
from tests.linkage.conftest import Cast
from tests.linkage.factories import (
    A_OPTIONS,
    B_OPTIONS,
    PEOPLE_A,
    PEOPLE_B,
    RAW_VALUES,
    SECRET,
    LinkageWorld,
)


@pytest.fixture
def project(linkage: LinkageWorld, cast: Cast):
    project = linkage.project(cast.steward, [cast.dwp, cast.moj])
    linkage.owner(project, cast.dwp_owner, steward=cast.steward)
    linkage.owner(project, cast.moj_owner, steward=cast.steward)
    return project


def upload_both(linkage: LinkageWorld, cast: Cast, project) -> None:
    linkage.upload(cast.dwp_owner, project, linkage.encode(project, PEOPLE_A, A_OPTIONS))
    linkage.upload(cast.moj_owner, project, linkage.encode(project, PEOPLE_B, B_OPTIONS))


def mapping_rows(linkage: LinkageWorld, world: World, user, run_id: int) -> list[dict[str, str]]:
    _, lines = exchange.download_mapping(
        linkage.s, actor=linkage.as_(user), run_id=run_id, root=linkage.root
    )
    return list(csv.DictReader(io.StringIO("".join(lines))))


def test_a_steward_sets_up_a_project_with_two_departments_and_a_versioned_schema(
    linkage: LinkageWorld, cast: Cast, project
) -> None:
    assert [p.organisation_id for p in project.parties] == [cast.dwp.id, cast.moj.id]
    schema = linkage.schema(project)
    assert (schema.project, schema.version) == (project.reference, 1)
    edited = schema.model_dump(mode="json", exclude={"version", "project"})
    edited["threshold"] = 0.85
    import json

    v2 = projects.new_schema_version(
        linkage.s,
        actor=linkage.world.actor(cast.steward),
        project_id=project.id,
        definition=json.dumps(edited),
    )
    assert (v2.version, v2.threshold, project.schema_version) == (2, 0.85, 2)
    assert v2.fingerprint != schema.fingerprint


def test_a_project_needs_two_departments(cast: Cast) -> None:
    with pytest.raises(ValueError, match="at least two"):
        ProjectIn(name="x", purpose="y", organisation_ids=[cast.dwp.id, cast.dwp.id])


def test_a_bad_schema_names_the_field(linkage: LinkageWorld, cast: Cast, project) -> None:
    with pytest.raises(Invalid) as exc:
        projects.new_schema_version(
            linkage.s,
            actor=linkage.world.actor(cast.steward),
            project_id=project.id,
            definition='{"name": "person", "fields": [{"name": "dob", "kind": "birthday"}]}',
        )
    assert "definition.fields.0.kind" in str(exc.value)
    assert project.schema_version == 1


def test_only_people_in_the_project_see_it_and_only_stewards_shape_it(
    linkage: LinkageWorld, world: World, cast: Cast, project
) -> None:
    for outsider in (cast.outsider, cast.dwp_colleague):
        with pytest.raises(NotFound):
            projects.get_project(linkage.s, actor=world.actor(outsider), project_id=project.id)
    for user in (cast.steward, cast.dwp_owner, cast.admin):
        projects.get_project(linkage.s, actor=world.actor(user), project_id=project.id)
    with pytest.raises(PermissionDenied):
        projects.add_owner(
            linkage.s,
            actor=world.actor(cast.dwp_owner),
            project_id=project.id,
            data=OwnerIn(email=cast.dwp_colleague.email),
        )
    with pytest.raises(Invalid, match="one of the project's departments"):
        projects.add_owner(
            linkage.s,
            actor=world.actor(cast.steward),
            project_id=project.id,
            data=OwnerIn(email=cast.outsider.email),
        )


def test_owners_upload_link_and_each_downloads_only_its_own_mapping(
    linkage: LinkageWorld, world: World, cast: Cast, project
) -> None:
    upload_both(linkage, cast, project)
    run = linkage.run(cast.steward, project)
    assert linkage.work() == 1
    linkage.s.refresh(run)
    job = linkage.s.get(Job, run.job_id)
    assert job is not None
    assert job.status is JobStatus.SUCCEEDED, job.error
    assert run.quality is not None
    assert run.quality["at_threshold"]["links"] == 4  # p1..p4; p5, p6, p7 appear once
    assert run.quality["at_threshold"]["f1"] == 1.0

    dwp = {r["record_id"]: r for r in mapping_rows(linkage, world, cast.dwp_owner, run.id)}
    moj = {r["record_id"]: r for r in mapping_rows(linkage, world, cast.moj_owner, run.id)}
    assert set(dwp) == {"a1", "a2", "a3", "a4", "a5", "a6"}
    assert set(moj) == {
        "b1",
        "b2",
        "b3",
        "b4",
        "b5",
    }
    for a, b in (("a1", "b1"), ("a2", "b2"), ("a3", "b3"), ("a4", "b4")):
        assert dwp[a]["link_id"] == moj[b]["link_id"]
        assert float(dwp[a]["match_confidence"]) >= 0.8
    assert dwp["a5"]["match_confidence"] == ""
    assert moj["b5"]["link_id"] not in {r["link_id"] for r in dwp.values()}

    for user in (cast.steward, cast.admin, cast.dwp_colleague):
        with pytest.raises((PermissionDenied, NotFound)):
            exchange.download_mapping(
                linkage.s, actor=world.actor(user), run_id=run.id, root=linkage.root
            )
    downloads = linkage.s.scalars(select(MappingDownload)).all()
    assert {d.user_id for d in downloads} == {cast.dwp_owner.id, cast.moj_owner.id}


def test_one_owner_cannot_download_another_departments_mapping(
    linkage: LinkageWorld, world: World, cast: Cast, project
) -> None:
    upload_both(linkage, cast, project)
    run = linkage.run(cast.steward, project)
    linkage.work()
    moj_mapping = exchange.own_mapping(linkage.s, actor=world.actor(cast.moj_owner), run_id=run.id)
    dwp_mapping = exchange.own_mapping(linkage.s, actor=world.actor(cast.dwp_owner), run_id=run.id)
    assert moj_mapping.organisation_id == cast.moj.id
    assert dwp_mapping.organisation_id == cast.dwp.id
    dwp_ids = {r["record_id"] for r in mapping_rows(linkage, world, cast.dwp_owner, run.id)}
    assert not dwp_ids & {"b1", "b2", "b3", "b4", "b5"}


def test_uploads_and_downloads_are_in_the_audit_log_without_raw_identifiers(
    linkage: LinkageWorld, world: World, cast: Cast, project
) -> None:
    upload_both(linkage, cast, project)
    run = linkage.run(cast.steward, project)
    linkage.work()
    mapping_rows(linkage, world, cast.dwp_owner, run.id)
    linkage.s.flush()
    events = linkage.s.scalars(
        select(AuditEvent).where(
            AuditEvent.record_type == "linkage_projects", AuditEvent.record_id == str(project.id)
        )
    ).all()
    kinds = {(e.entity_type, e.actor_user_id) for e in events}
    assert ("linkage_uploads", cast.dwp_owner.id) in kinds
    assert ("linkage_uploads", cast.moj_owner.id) in kinds
    assert ("linkage_downloads", cast.dwp_owner.id) in kinds
    stored = b"".join(p.read_bytes() for p in linkage.root.rglob("*.parquet"))
    logged = " ".join(str(e.after) for e in events)
    for raw in [*RAW_VALUES, SECRET.decode()]:
        if len(raw) >= 4:
            assert raw.encode() not in stored, raw
            assert raw.upper().encode() not in stored, raw
            assert raw not in logged, raw


def test_uploads_from_non_owners_are_refused(linkage: LinkageWorld, cast: Cast, project) -> None:
    path = linkage.encode(project, PEOPLE_A, A_OPTIONS)
    with pytest.raises(PermissionDenied):
        linkage.upload(cast.steward, project, path)
    for user in (cast.dwp_colleague, cast.outsider):  # not in the project: it is not disclosed
        with pytest.raises(NotFound):
            linkage.upload(user, project, path)


def stored_nothing(linkage: LinkageWorld) -> bool:
    return not linkage.s.scalars(select(EncodingUpload)).all() and not list(
        linkage.root.rglob("*.parquet")
    )


def test_encodings_of_another_schema_version_or_project_are_refused_and_nothing_stored(
    linkage: LinkageWorld, cast: Cast, project
) -> None:
    import json

    old = linkage.encode(project, PEOPLE_A, A_OPTIONS)
    definition = linkage.schema(project).model_dump(mode="json", exclude={"version", "project"})
    projects.new_schema_version(
        linkage.s,
        actor=linkage.world.actor(cast.steward),
        project_id=project.id,
        definition=json.dumps(definition),
    )
    with pytest.raises(Invalid, match="version 1 of the schema; the project uses version 2"):
        linkage.upload(cast.dwp_owner, project, old)
    other = linkage.project(cast.steward, [cast.dwp, cast.moj], name="Another project")
    foreign = linkage.encode(other, PEOPLE_A, A_OPTIONS)
    with pytest.raises(Invalid, match="made with another linkage schema"):
        linkage.upload(cast.dwp_owner, project, foreign)
    not_encodings = linkage.tmp / "plain.parquet"
    PEOPLE_A.to_parquet(not_encodings)
    with pytest.raises(Invalid, match="no linkage metadata"):
        linkage.upload(cast.dwp_owner, project, not_encodings)
    assert stored_nothing(linkage)


def test_encodings_with_another_secret_are_refused(
    linkage: LinkageWorld, cast: Cast, project
) -> None:
    linkage.upload(cast.dwp_owner, project, linkage.encode(project, PEOPLE_A, A_OPTIONS))
    wrong = linkage.encode(
        project, PEOPLE_B, B_OPTIONS, secret=b"another-secret-nobody-agreed-to-0123456789"
    )
    with pytest.raises(Invalid, match="different secret"):
        linkage.upload(cast.moj_owner, project, wrong)


def test_a_tampered_file_is_refused_whole(linkage: LinkageWorld, cast: Cast, project) -> None:
    import pyarrow.parquet as pq

    path = linkage.encode(project, PEOPLE_A, A_OPTIONS)
    table = pq.read_table(path)
    pq.write_table(table.drop_columns(["mk_name_dob"]), path)
    with pytest.raises(Invalid, match="column mk_name_dob: is missing"):
        linkage.upload(cast.dwp_owner, project, path)
    assert stored_nothing(linkage)


def test_a_run_waits_for_every_department(
    linkage: LinkageWorld, world: World, cast: Cast, project
) -> None:
    linkage.upload(cast.dwp_owner, project, linkage.encode(project, PEOPLE_A, A_OPTIONS))
    with pytest.raises(Conflict, match="Waiting for encodings from Ministry of Justice"):
        linkage.run(cast.steward, project)
    with pytest.raises(PermissionDenied):
        linkage.run(cast.dwp_owner, project)
    assert not linkage.s.scalars(select(LinkRun)).all()


def test_three_departments_link_in_one_run(linkage: LinkageWorld, world: World, cast: Cast) -> None:
    hmt = cast.outsider.organisation
    project = linkage.project(cast.steward, [cast.dwp, cast.moj, hmt])
    for user in (cast.dwp_owner, cast.moj_owner, cast.outsider):
        linkage.owner(project, user, steward=cast.steward)
    upload_both(linkage, cast, project)
    third = PEOPLE_A.iloc[[0, 1, 5]].assign(id=["h1", "h2", "h3"])
    linkage.upload(cast.outsider, project, linkage.encode(project, third, A_OPTIONS))
    run = linkage.run(cast.steward, project, method="match-keys")
    linkage.work()
    linkage.s.refresh(run)
    assert run.quality is not None
    assert len(run.quality["records"]) == 3
    hmt_rows = {
        r["record_id"]: r["link_id"] for r in mapping_rows(linkage, world, cast.outsider, run.id)
    }
    dwp_rows = {
        r["record_id"]: r["link_id"] for r in mapping_rows(linkage, world, cast.dwp_owner, run.id)
    }
    moj_rows = {
        r["record_id"]: r["link_id"] for r in mapping_rows(linkage, world, cast.moj_owner, run.id)
    }
    assert hmt_rows["h1"] == dwp_rows["a1"] == moj_rows["b1"]  # exact in all three
    assert hmt_rows["h3"] == dwp_rows["a6"]  # Rhys Price: in DWP and HMT only
    assert hmt_rows["h2"] == dwp_rows["a2"] == moj_rows["b2"]  # initial, date of birth, postcode
    assert dwp_rows["a4"] != moj_rows["b4"]  # Tomasz/Tomas who moved: no match key agrees


def test_a_link_job_is_seen_only_by_the_projects_members(
    linkage: LinkageWorld, world: World, cast: Cast
) -> None:
    """A review finding: any colleague in the steward's organisation could read the job."""
    from missionhub.jobs import service as jobs

    project = linkage.project(cast.steward, [cast.dwp, cast.moj])
    linkage.owner(project, cast.dwp_owner, steward=cast.steward)
    linkage.owner(project, cast.moj_owner, steward=cast.steward)
    upload_both(linkage, cast, project)
    run = linkage.run(cast.steward, project, method="match-keys")
    assert run.job_id is not None
    for member in (cast.steward, cast.dwp_owner, cast.moj_owner, cast.admin):
        assert jobs.get_job(linkage.s, actor=world.actor(member), job_id=run.job_id)
    cabinet_colleague = world.member(cast.cabinet)
    for outsider in (cabinet_colleague, cast.dwp_colleague, cast.outsider):
        with pytest.raises(PermissionDenied):
            jobs.get_job(linkage.s, actor=world.actor(outsider), job_id=run.job_id)
