"""The exchange at the hub: owners upload encodings, a steward starts a link run (a background
job), and each owner downloads its own department's mapping. Every upload and download is a row,
so the audit log records it; a file is stored only after every check has passed.
"""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import select
from sqlalchemy.orm import Session

from missionhub.accounts.permissions import Actor, require
from missionhub.db.base import utcnow
from missionhub.errors import Conflict, Invalid, NotFound
from missionhub.jobs import service as jobs
from missionhub.jobs.models import Job
from missionhub.linkage import matching, quality
from missionhub.linkage.encodings_file import Encodings, read_encodings
from missionhub.linkage.models import (
    EncodingUpload,
    LinkageProject,
    LinkMapping,
    LinkRun,
    MappingDownload,
)
from missionhub.linkage.projects import (
    current_schema,
    get_project,
    owner_party,
    role_in,
    stewarded_project,
)
from missionhub.linkage.schemas import RunIn

JOB_KIND = "linkage.link"


def storage_root(var_dir: Path) -> Path:
    return var_dir / "linkage"


def upload_path(root: Path, upload: EncodingUpload) -> Path:
    return root / f"project-{upload.project_id}" / "uploads" / f"{upload.id}.parquet"


def mapping_path(root: Path, run: LinkRun, organisation_id: int) -> Path:
    return root / f"project-{run.project_id}" / "runs" / str(run.id) / f"{organisation_id}.parquet"


# Uploads ---------------------------------------------------------------------------------------


def latest_uploads(session: Session, project: LinkageProject) -> dict[int, EncodingUpload]:
    """Each party's newest upload for the project's current schema version."""
    rows = session.scalars(
        select(EncodingUpload)
        .where(
            EncodingUpload.project_id == project.id,
            EncodingUpload.schema_version == project.schema_version,
        )
        .order_by(EncodingUpload.id)
    )
    return {row.organisation_id: row for row in rows}


def _check_secret_agrees(
    session: Session, project: LinkageProject, organisation_id: int, key_check: str
) -> None:
    for other in latest_uploads(session, project).values():
        if other.organisation_id != organisation_id and other.key_check != key_check:
            raise Invalid(
                "These encodings were made with a different secret from the encodings "
                f"{other.organisation.name} uploaded. Agree one secret for this project with "
                "the other data owners and encode again",
                field="file",
            )


def upload_encodings(
    session: Session,
    *,
    actor: Actor,
    project_id: int,
    path: Path,
    filename: str,
    sha256: str,
    root: Path,
) -> EncodingUpload:
    """Check an owner's encodings file in full, then keep it for the owner's department."""
    project = get_project(session, actor=actor, project_id=project_id)
    party = owner_party(project, actor)
    require(party is not None, "Only a data owner of a participating department can upload")
    assert party is not None
    encodings = read_encodings(path, current_schema(session, project))
    _check_secret_agrees(session, project, party, encodings.meta.key_check)
    upload = EncodingUpload(
        project_id=project.id,
        organisation_id=party,
        schema_version=encodings.meta.version,
        fingerprint=encodings.meta.fingerprint,
        key_check=encodings.meta.key_check,
        records=len(encodings),
        has_truth=encodings.truth is not None,
        filename=filename[:200],
        sha256=sha256,
        uploaded_by_id=actor.user_id,
    )
    session.add(upload)
    session.flush()
    target = upload_path(root, upload)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, target)
    return upload


def list_uploads(session: Session, *, actor: Actor, project_id: int) -> list[EncodingUpload]:
    project = get_project(session, actor=actor, project_id=project_id)
    return list(
        session.scalars(
            select(EncodingUpload)
            .where(EncodingUpload.project_id == project.id)
            .order_by(EncodingUpload.id.desc())
        )
    )


# Link runs -------------------------------------------------------------------------------------


def start_run(
    session: Session, *, actor: Actor, project_id: int, data: RunIn, root: Path
) -> LinkRun:
    """Queue a link run over every party's newest encodings (all parties must have uploaded)."""
    project = stewarded_project(session, actor=actor, project_id=project_id)
    uploads = latest_uploads(session, project)
    waiting = [p.organisation.name for p in project.parties if p.organisation_id not in uploads]
    if waiting:
        raise Conflict("Waiting for encodings from " + ", ".join(waiting))
    if len({u.key_check for u in uploads.values()}) > 1:
        raise Conflict("The parties' encodings were made with different secrets")
    schema = current_schema(session, project)
    if data.method == "match-keys" and not schema.match_keys:
        raise Invalid("This project's schema has no match keys", field="method")
    if data.method == "clk" and schema.clk is None:
        raise Invalid("This project's schema has no CLK encoding", field="method")
    run = LinkRun(
        project_id=project.id,
        schema_version=project.schema_version,
        method=data.method,
        threshold=data.threshold or schema.threshold,
        upload_ids=[str(uploads[p.organisation_id].id) for p in project.parties],
        started_by_id=actor.user_id,
    )
    session.add(run)
    session.flush()
    job = jobs.enqueue(
        session,
        actor=actor,
        kind=JOB_KIND,
        title=f"Link encodings for {project.name}",
        params={"run_id": run.id, "root": str(root)},
    )
    run.job_id = job.id
    session.flush()
    return run


def _party(upload: EncodingUpload, encodings: Encodings) -> matching.Party:
    return matching.Party(
        name=str(upload.organisation_id),
        record_ids=encodings.record_ids,
        clks=encodings.clks,
        match_keys=encodings.match_keys,
        truth=encodings.truth,
    )


@dataclass(frozen=True)
class RunInputs:
    run_id: int
    threshold: float
    method: str
    organisation_ids: list[int]
    parties: list[matching.Party]


def load_run(session: Session, run_id: int, root: Path) -> RunInputs:
    """Everything a run compares: its settings and each party's checked encodings."""
    run = session.get(LinkRun, run_id)
    if run is None:
        raise NotFound("The link run no longer exists")
    project = session.get(LinkageProject, run.project_id)
    assert project is not None
    schema = current_schema(session, project)
    uploads = [session.get(EncodingUpload, int(i)) for i in run.upload_ids]
    present = [u for u in uploads if u is not None]
    parties = [_party(u, read_encodings(upload_path(root, u), schema)) for u in present]
    orgs = [u.organisation_id for u in present]
    return RunInputs(run.id, run.threshold, run.method, orgs, parties)


def compare(inputs: RunInputs, progress: matching.Progress | None = None) -> matching.LinkOutcome:
    method: matching.Method = "match-keys" if inputs.method == "match-keys" else "clk"
    params = matching.LinkParams(threshold=inputs.threshold, method=method)
    return matching.link(inputs.parties, params, progress)


def record_run(
    session: Session, inputs: RunInputs, outcome: matching.LinkOutcome, root: Path
) -> LinkRun:
    """Write each party's mapping file and row, and keep the quality report with the run."""
    run = session.get(LinkRun, inputs.run_id)
    if run is None:
        raise NotFound("The link run no longer exists")
    written: list[Path] = []
    try:
        for org_id, mapping in zip(inputs.organisation_ids, outcome.mappings, strict=True):
            path = mapping_path(root, run, org_id)
            _write_mapping(path, mapping)
            written.append(path)
            session.add(
                LinkMapping(
                    run_id=run.id,
                    organisation_id=org_id,
                    records=len(mapping.record_ids),
                    matched=mapping.matched,
                )
            )
        run.quality = quality.summarise(outcome, inputs.threshold)
        run.finished_at = utcnow()
        session.flush()
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    return run


def _members_only(session: Session, actor: Actor, job: Job) -> bool:
    """A link job is seen only by the linkage project's steward and data owners."""
    run = session.get(LinkRun, int(job.params.get("run_id", 0)))
    project = session.get(LinkageProject, run.project_id) if run is not None else None
    return project is not None and role_in(project, actor) is not None


@jobs.handler(JOB_KIND, can_view=_members_only)
def _link_job(session: Session, ctx: jobs.JobContext) -> dict[str, Any]:
    # Read in a short transaction of its own and write only at the end: the handler's session
    # is first used after the last progress report, so SQLite never holds a stale snapshot.
    root = Path(ctx.params["root"])
    with ctx.db.transaction() as reading:
        inputs = load_run(reading, ctx.params["run_id"], root)
    outcome = compare(inputs, ctx.progress)
    run = record_run(session, inputs, outcome, root)
    links = run.quality["at_threshold"]["links"] if run.quality else 0
    return {
        "link": f"/linkage/runs/{run.id}",
        "link_text": "See the linkage quality report",
        "links": links,
    }


def _write_mapping(path: Path, mapping: matching.Mapping) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    confidence = [None if np.isnan(c) else round(float(c), 4) for c in mapping.confidence]
    table = pa.table(
        {
            "record_id": pa.array(mapping.record_ids.tolist(), pa.string()),
            "link_id": pa.array(mapping.link_ids.tolist(), pa.string()),
            "match_confidence": pa.array(confidence, pa.float64()),
        }
    )
    pq.write_table(table, path)


def get_run(session: Session, *, actor: Actor, run_id: int) -> LinkRun:
    run = session.get(LinkRun, run_id)
    if run is None:
        raise NotFound(f"No link run with id {run_id}")
    get_project(session, actor=actor, project_id=run.project_id)
    return run


def list_runs(session: Session, *, actor: Actor, project_id: int) -> list[LinkRun]:
    project = get_project(session, actor=actor, project_id=project_id)
    return list(
        session.scalars(
            select(LinkRun).where(LinkRun.project_id == project.id).order_by(LinkRun.id.desc())
        )
    )


def run_status(run: LinkRun) -> str:
    job: Job | None = run.job
    return job.status.value if job is not None else "queued"


# Mappings --------------------------------------------------------------------------------------


def own_mapping(session: Session, *, actor: Actor, run_id: int) -> LinkMapping:
    """The actor's department's mapping of a run. Only its data owners may have it: not other
    departments' owners, not the steward, not an administrator."""
    run = get_run(session, actor=actor, run_id=run_id)
    project = session.get(LinkageProject, run.project_id)
    assert project is not None
    party = owner_party(project, actor)
    require(party is not None, "Only a data owner can download their department's mapping")
    mapping = next((m for m in run.mappings if m.organisation_id == party), None)
    if mapping is None:
        raise NotFound("This run has no mapping for your department (has it finished?)")
    return mapping


def download_mapping(
    session: Session, *, actor: Actor, run_id: int, root: Path
) -> tuple[LinkMapping, Iterator[str]]:
    """The actor's own mapping as CSV lines; the download is recorded for the audit log."""
    mapping = own_mapping(session, actor=actor, run_id=run_id)
    run = session.get(LinkRun, mapping.run_id)
    assert run is not None
    path = mapping_path(root, run, mapping.organisation_id)
    if not path.exists():
        raise NotFound("The mapping file is missing at the hub")
    session.add(
        MappingDownload(mapping_id=mapping.id, user_id=actor.user_id, project_id=run.project_id)
    )
    session.flush()
    return mapping, _csv_lines(pq.read_table(path))


def _csv_lines(table: pa.Table) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(table.column_names)
    yield buffer.getvalue()
    for batch in table.to_batches(max_chunksize=50_000):
        buffer.seek(0)
        buffer.truncate()
        columns = batch.to_pydict()
        for rid, lid, conf in zip(
            columns["record_id"], columns["link_id"], columns["match_confidence"], strict=True
        ):
            writer.writerow([rid, lid, "" if conf is None else f"{conf:.4f}"])
        yield buffer.getvalue()
