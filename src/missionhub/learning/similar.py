"""Similar projects: the in-process similarity index over the search documents, kept in step
with the database, and the duplicate-candidates report with remembered decisions.

The index (learning.similarity) lives in the process, one per database. Before each query it
reads the documents changed since its last look (``updated_at`` with a margin, so late commits
are not missed) and rebuilds whole if the number of documents differs. Candidates it returns
are checked again in SQL, so a document the actor may not read, or one that no longer
exists, is never shown.
"""

from __future__ import annotations

import threading
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from missionhub.accounts.permissions import Actor, require, visible_clause
from missionhub.db.base import utcnow
from missionhub.errors import Invalid, NotFound
from missionhub.learning.models import (
    CaseStudy,
    DocKind,
    DuplicateDecision,
    SearchDocument,
    Verdict,
)
from missionhub.learning.similarity import SimilarityIndex
from missionhub.portfolio.models import Project
from missionhub.portfolio.projects import get_project

Doc = SearchDocument
MARGIN = timedelta(seconds=10)  # a request's transaction commits within this
REBUILD_EVERY = timedelta(hours=1)
# Counting documents (to notice deletions) scans the table: at most this often. A deleted
# document the index still holds is never shown: candidates are read back from the database.
COUNT_EVERY = timedelta(seconds=5)
THRESHOLD = 0.2  # cosine below which a record is not shown as similar
DUPLICATE_THRESHOLD = 0.45  # shown in the duplicate-candidates report
CANDIDATES = 50


@dataclass
class _State:
    index: SimilarityIndex = field(default_factory=SimilarityIndex)
    versions: dict[int, datetime] = field(default_factory=dict)  # document id -> updated_at
    seen_until: datetime | None = None
    built_at: datetime | None = None
    counted_at: datetime | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


_STATES: dict[str, _State] = {}
_STATES_LOCK = threading.Lock()


def _state(session: Session) -> _State:
    key = str(session.get_bind().engine.url)
    with _STATES_LOCK:
        return _STATES.setdefault(key, _State())


def document_text(title: str, body: str) -> str:
    return f"{title}\n{body}"


def _stale(state: _State, total: int, now: datetime) -> bool:
    """Start again if documents were added or removed unseen, or after REBUILD_EVERY (which
    catches an update committed more than MARGIN after it was written)."""
    return (
        state.seen_until is None
        or state.built_at is None
        or len(state.versions) != total
        or now - state.built_at > REBUILD_EVERY
    )


def sync(session: Session) -> SimilarityIndex:
    """The process's index for this database, brought up to date."""
    state = _state(session)
    with state.lock:
        now = utcnow()
        total = len(state.versions)
        if state.counted_at is None or now - state.counted_at > COUNT_EVERY:
            total = session.scalar(select(func.count()).select_from(Doc)) or 0
            state.counted_at = now
        if _stale(state, total, now):
            state.index, state.versions, state.built_at = SimilarityIndex(), {}, now
            changed = select(Doc.id, Doc.updated_at)
        else:
            assert state.seen_until is not None
            changed = select(Doc.id, Doc.updated_at).where(
                Doc.updated_at >= state.seen_until - MARGIN
            )
        fresh = {i: at for i, at in session.execute(changed) if state.versions.get(i) != at}
        for start in range(0, len(fresh), 5000):
            chunk = list(fresh)[start : start + 5000]
            rows = session.execute(
                select(Doc.id, Doc.organisation_name, Doc.title, Doc.body).where(Doc.id.in_(chunk))
            ).all()
            state.index.upsert(
                [(r.id, r.organisation_name, document_text(r.title, r.body)) for r in rows]
            )
        state.versions.update(fresh)
        state.seen_until = now
        return state.index


@dataclass(frozen=True, slots=True)
class Similar:
    document: SearchDocument
    score: float
    decision: DuplicateDecision | None = None


def similar_to_text(
    session: Session,
    *,
    actor: Actor,
    text: str,
    organisation: str | None = None,
    exclude: Collection[tuple[DocKind, int]] = (),
    limit: int = 5,
    threshold: float = THRESHOLD,
) -> list[Similar]:
    """Records the actor may see that are most like ``text``, best first."""
    if len(text.split()) < 3:
        return []
    index = sync(session)
    found = index.query(text, organisation=organisation, k=CANDIDATES)
    scored = {doc_id: score for doc_id, score in found if score >= threshold}
    if not scored:
        return []
    docs = session.scalars(
        select(Doc).where(
            Doc.id.in_(scored),
            visible_clause(actor, Doc.organisation_id, Doc.visibility),  # type: ignore[arg-type]
        )
    ).all()
    kept = [d for d in docs if (d.kind, d.ref_id) not in exclude]
    kept.sort(key=lambda d: (-scored[d.id], d.id))
    return [Similar(d, scored[d.id]) for d in kept[:limit]]


def project_text(project: Project) -> str:
    parts = (project.summary, project.problem, project.users, project.approach)
    return document_text(project.title, "\n".join(p for p in parts if p))


def similar_to_project(
    session: Session, *, actor: Actor, project_id: int, limit: int = 5
) -> list[Similar]:
    """What resembles a project the actor can read (not itself, nor its own case studies),
    with any remembered decision."""
    project = get_project(session, actor=actor, project_id=project_id)
    own_studies = session.scalars(select(CaseStudy.id).where(CaseStudy.project_id == project.id))
    found = similar_to_text(
        session,
        actor=actor,
        text=project_text(project),
        exclude={(DocKind.PROJECT, project.id), *((DocKind.CASE_STUDY, i) for i in own_studies)},
        limit=limit,
    )
    decisions = _decisions(session, [project.id])
    return [
        Similar(
            s.document, s.score, decisions.get((project.id, s.document.kind, s.document.ref_id))
        )
        for s in found
    ]


def _decisions(
    session: Session, project_ids: list[int]
) -> dict[tuple[int, DocKind, int], DuplicateDecision]:
    rows = session.scalars(
        select(DuplicateDecision).where(DuplicateDecision.project_id.in_(project_ids))
    )
    return {(d.project_id, d.other_kind, d.other_ref_id): d for d in rows}


@dataclass(frozen=True, slots=True)
class Candidate:
    project: Project
    other: SearchDocument
    score: float


def can_review_duplicates(actor: Actor) -> bool:
    return actor.is_admin or (actor.role is not None and actor.role.value == "cio")


def duplicate_candidates(
    session: Session, *, actor: Actor, limit_projects: int = 200
) -> list[Candidate]:
    """Pairs (a department's project, a record like it) with no decision yet: the CIO's own
    department's projects, or every department's for an admin."""
    require(can_review_duplicates(actor), "Only a Chief Innovation Officer or an admin can")
    stmt = select(Project).where(Project.source.is_(None))
    if not actor.is_admin:
        stmt = stmt.where(Project.organisation_id == actor.organisation_id)
    projects = session.scalars(stmt.order_by(Project.updated_at.desc()).limit(limit_projects))
    projects_list = list(projects)
    decided = _decisions(session, [p.id for p in projects_list])
    found: list[Candidate] = []
    for project in projects_list:
        for s in similar_to_text(
            session,
            actor=actor,
            text=project_text(project),
            exclude={(DocKind.PROJECT, project.id)},
            threshold=DUPLICATE_THRESHOLD,
        ):
            if (project.id, s.document.kind, s.document.ref_id) not in decided:
                found.append(Candidate(project, s.document, s.score))
    return sorted(found, key=lambda c: -c.score)


def decide(
    session: Session,
    *,
    actor: Actor,
    project_id: int,
    other_kind: DocKind,
    other_ref_id: int,
    verdict: Verdict,
    note: str | None = None,
) -> DuplicateDecision:
    """Remember a verdict on a candidate pair (the owning CIO, or an admin)."""
    project = get_project(session, actor=actor, project_id=project_id)
    require(
        actor.is_admin or actor.is_cio_of(project.organisation_id),
        "Only the owning department's Chief Innovation Officer or an admin can decide",
    )
    other = session.scalar(select(Doc).where(Doc.kind == other_kind, Doc.ref_id == other_ref_id))
    if other is None:
        raise NotFound("No such record to compare with")
    if note and len(note) > 2000:
        raise Invalid("Note must be 2000 characters or fewer", field="note")
    decision = session.scalar(
        select(DuplicateDecision).where(
            DuplicateDecision.project_id == project_id,
            DuplicateDecision.other_kind == other_kind,
            DuplicateDecision.other_ref_id == other_ref_id,
        )
    )
    if decision is None:
        decision = DuplicateDecision(
            project_id=project_id, other_kind=other_kind, other_ref_id=other_ref_id
        )
        session.add(decision)
    decision.verdict, decision.note = verdict, note
    decision.decided_by_id, decision.decided_at = actor.user_id, utcnow()
    session.flush()
    return decision
