"""In-the-clear deduplication of a department's own file, run as a background job.

The uploaded file is read once by the job and deleted; what is kept are the job's artefacts:
the Splink model (JSON), its charts (HTML), the clusters (record id to cluster id) and a
summary. They are visible to the person who started the job and their organisation's staff.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from missionhub.accounts.permissions import Actor, require
from missionhub.errors import Invalid, NotFound
from missionhub.jobs import service as jobs
from missionhub.jobs.models import Job
from missionhub.linkage import splink_dedupe
from missionhub.linkage.encoder import read_input

JOB_KIND = "linkage.dedupe"
ARTEFACTS = (
    "summary.json",
    "model.json",
    "match_weights.html",
    "m_u_parameters.html",
    "clusters.csv",
)


def job_dir(root: Path, job_id: int) -> Path:
    return root / "dedupe" / f"job-{job_id}"


def start_dedupe(session: Session, *, actor: Actor, path: Path, filename: str, root: Path) -> Job:
    """Queue deduplication of the uploaded file. If it is refused, the file (people's raw
    details) is deleted at once, whatever the reason."""
    try:
        require(actor.is_civil_servant, "Only civil servants can deduplicate records here")
        columns = read_input(path).table.column_names
        present = [c for c in splink_dedupe.FIELDS if c in columns]
        if len(present) < 2:
            raise Invalid(
                "The file needs at least two of the columns " + ", ".join(splink_dedupe.FIELDS),
                field="file",
            )
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return jobs.enqueue(
        session,
        actor=actor,
        kind=JOB_KIND,
        title=f"Find duplicates in {filename}",
        params={"path": str(path), "root": str(root)},
    )


def _starter_only(session: Session, actor: Actor, job: Job) -> bool:
    """A deduplication job concerns one department's raw records: only who started it sees it."""
    return actor.user_id is not None and job.created_by_id == actor.user_id


@jobs.handler(JOB_KIND, can_view=_starter_only)
def _dedupe_job(session: Session, ctx: jobs.JobContext) -> dict[str, Any]:
    path, out = Path(ctx.params["path"]), job_dir(Path(ctx.params["root"]), ctx.job_id)
    try:
        ctx.progress(0, 3, "Reading the file")
        frame = read_input(path).table.to_pandas()
        ctx.progress(1, 3, "Training the Splink model and scoring pairs")
        result = splink_dedupe.dedupe(frame, out)
        ctx.progress(3, 3, "Done")
    except BaseException:
        shutil.rmtree(out, ignore_errors=True)
        raise
    finally:
        path.unlink(missing_ok=True)
    return {
        "link": f"/linkage/dedupe/{ctx.job_id}",
        "link_text": "See the duplicates found and the model",
        **result.__dict__,
    }


def artefacts(session: Session, *, actor: Actor, job_id: int) -> tuple[Job, list[str]]:
    job = jobs.get_job(session, actor=actor, job_id=job_id)
    if job.kind != JOB_KIND:
        raise NotFound(f"No deduplication job with id {job_id}")
    root = Path(job.params["root"])
    return job, [a for a in ARTEFACTS if (job_dir(root, job_id) / a).exists()]


def artefact_path(session: Session, *, actor: Actor, job_id: int, name: str) -> Path:
    job, names = artefacts(session, actor=actor, job_id=job_id)
    if name not in names:
        raise NotFound(f"No artefact called {name}")
    return job_dir(Path(job.params["root"]), job.id) / name
