"""The background job that ingests an uploaded OCDS file (progress on the /jobs/{id} page)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from missionhub.accounts.permissions import Actor
from missionhub.jobs.models import Job
from missionhub.jobs.service import JobContext, enqueue, handler
from missionhub.procurement.ingest import ingest_ocds, require_commercial
from missionhub.procurement.spend import rematch

KIND = "procurement.ingest"


def queue_ingest(
    session: Session,
    *,
    actor: Actor,
    path: Path,
    filename: str,
    sha256: str,
    schema_path: Path,
    keep_valid: bool = False,
    encoding: str = "utf-8",
) -> Job:
    require_commercial(actor)
    return enqueue(
        session,
        actor=actor,
        kind=KIND,
        title=f"Load OCDS file {filename}",
        params={
            "path": str(path),
            "filename": filename,
            "sha256": sha256,
            "schema_path": str(schema_path),
            "keep_valid": keep_valid,
            "encoding": encoding,
            "size": path.stat().st_size,
        },
    )


@handler(KIND)
def run_ingest(session: Session, ctx: JobContext) -> dict[str, Any]:
    params = ctx.params
    path = Path(params["path"])
    # SQLite lets one transaction write at a time: once this job has written, a progress update
    # from another transaction would wait for it. So on SQLite progress is reported before
    # writing only; on PostgreSQL throughout.
    live = session.get_bind().dialect.name != "sqlite"
    ctx.progress(0, params.get("size"), "Reading and checking releases")
    try:
        with path.open("rb") as source:
            report = ingest_ocds(
                session,
                actor=ctx.actor,
                source=source,
                filename=params["filename"],
                schema_path=Path(params["schema_path"]),
                keep_valid=bool(params.get("keep_valid")),
                encoding=params.get("encoding") or "utf-8",
                sha256=params.get("sha256"),
                progress=(lambda done, message: ctx.progress(source.tell(), None, message))
                if live
                else None,
            )
        rematch(session)
    finally:
        path.unlink(missing_ok=True)
    summary = report.as_dict()
    return {
        **{k: v for k, v in summary.items() if k not in ("rejected", "warnings")},
        "rejected": len(report.rejected),
        "warnings": len(report.warnings),
        "link": f"/procurement/ingests/{report.ingest_id}",
        "link_text": "See what was loaded",
    }
