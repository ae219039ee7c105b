"""Keep the search documents in step with what they describe.

A flush hook sees every project, mission link, case study, component and imported record
written in the session and rewrites their documents in the same transaction, with core SQL
on the session's connection (the FTS5 and tsvector triggers then update the full-text index).
``reindex_all`` rebuilds everything, e.g. for a database filled before this domain existed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any, cast

from sqlalchemy import Connection, Table, delete, insert, select, update
from sqlalchemy.orm import Session

from missionhub.accounts.models import Organisation
from missionhub.accounts.permissions import Visibility
from missionhub.db.base import utcnow
from missionhub.learning.models import (
    CaseStudy,
    CaseStudyStatus,
    Component,
    DocKind,
    ImportedRecord,
    SearchDocument,
)
from missionhub.learning.tags import document_tags
from missionhub.portfolio.models import MissionLink, Project

UK = "United Kingdom"
LOCAL_SOURCE = "mission-hub"
CHUNK = 500
Row = dict[str, Any]


def _paragraphs(*parts: str | None) -> str:
    return "\n\n".join(p.strip() for p in parts if p and p.strip())


def _project_docs(conn: Connection, ids: list[int]) -> list[Row]:
    p, o = Project.__table__, Organisation.__table__
    missions: dict[int, list[int]] = defaultdict(list)
    for project_id, mission_id in conn.execute(
        select(MissionLink.project_id, MissionLink.mission_id).where(
            MissionLink.project_id.in_(ids)
        )
    ):
        missions[project_id].append(mission_id)
    rows = conn.execute(
        select(p, o.c.name.label("org_name"))
        .join(o, o.c.id == p.c.organisation_id)
        .where(p.c.id.in_(ids))
    ).mappings()
    return [
        {
            "ref_id": r["id"],
            "title": r["title"],
            "body": _paragraphs(r["summary"], r["problem"], r["users"], r["approach"]),
            "organisation_id": r["organisation_id"],
            "organisation_name": r["org_name"],
            "country": UK,
            "source": r["source"] or LOCAL_SOURCE,
            "stage": r["stage"],
            "topic": r["atrs_capability"],
            "mission_ids": "".join(f",{m}" for m in sorted(set(missions[r["id"]]))) + ","
            if missions[r["id"]]
            else "",
            "visibility": r["visibility"],
            "url": f"/projects/{r['id']}",
        }
        for r in rows
    ]


def _case_study_docs(conn: Connection, ids: list[int]) -> list[Row]:
    c, o, p = CaseStudy.__table__, Organisation.__table__, Project.__table__
    rows = conn.execute(
        select(c, o.c.name.label("org_name"), p.c.stage.label("project_stage"))
        .join(o, o.c.id == c.c.organisation_id)
        .outerjoin(p, p.c.id == c.c.project_id)
        .where(c.c.id.in_(ids))
    ).mappings()
    return [
        {
            "ref_id": r["id"],
            "title": r["title"],
            "body": _paragraphs(
                r["summary"],
                r["problem"],
                r["approach"],
                r["outcomes"],
                r["worked"],
                r["did_not_work"],
            ),
            "organisation_id": r["organisation_id"],
            "organisation_name": r["org_name"],
            "country": UK,
            "source": LOCAL_SOURCE,
            "stage": r["project_stage"],
            "topic": None,
            "mission_ids": "",
            "visibility": Visibility.PUBLISHED
            if r["status"] == CaseStudyStatus.PUBLISHED
            else Visibility.DRAFT,
            "url": f"/case-studies/{r['id']}",
        }
        for r in rows
    ]


def _component_docs(conn: Connection, ids: list[int]) -> list[Row]:
    c, o = Component.__table__, Organisation.__table__
    rows = conn.execute(
        select(c, o.c.name.label("org_name"))
        .join(o, o.c.id == c.c.organisation_id)
        .where(c.c.id.in_(ids))
    ).mappings()
    return [
        {
            "ref_id": r["id"],
            "title": r["name"],
            "body": _paragraphs(r["description"], f"Owner: {r['owner']}"),
            "organisation_id": r["organisation_id"],
            "organisation_name": r["org_name"],
            "country": UK,
            "source": LOCAL_SOURCE,
            "stage": None,
            "topic": str(r["kind"]),
            "mission_ids": "",
            "visibility": r["visibility"],
            "url": f"/components/{r['id']}",
        }
        for r in rows
    ]


def _record_docs(conn: Connection, ids: list[int]) -> list[Row]:
    t = ImportedRecord.__table__
    rows = conn.execute(select(t).where(t.c.id.in_(ids))).mappings()
    return [record_document(dict(r)) for r in rows]


def record_document(r: Row) -> Row:
    """The document of an imported record (a row of learning_records)."""
    return {
        "ref_id": r["id"],
        "title": r["title"],
        "body": r["description"],
        "organisation_id": None,
        "organisation_name": r["organisation"][:200],
        "country": r["country"],
        "source": r["source"],
        "stage": r["stage"],
        "topic": (r["capability"] or r["topic"] or None),
        "mission_ids": "",
        "visibility": Visibility.PUBLISHED,
        "url": f"/learning/records/{r['id']}",
    }


BUILDERS: dict[DocKind, Callable[[Connection, list[int]], list[Row]]] = {
    DocKind.PROJECT: _project_docs,
    DocKind.CASE_STUDY: _case_study_docs,
    DocKind.COMPONENT: _component_docs,
    DocKind.RECORD: _record_docs,
}
KIND_OF: dict[type, DocKind] = {
    Project: DocKind.PROJECT,
    CaseStudy: DocKind.CASE_STUDY,
    Component: DocKind.COMPONENT,
    ImportedRecord: DocKind.RECORD,
}


def _touched(session: Session) -> dict[DocKind, set[int]]:
    touched: dict[DocKind, set[int]] = defaultdict(set)
    for obj in [*session.new, *session.dirty, *session.deleted]:
        kind = KIND_OF.get(type(obj))
        if kind is not None and getattr(obj, "id", None) is not None:
            touched[kind].add(obj.id)
        elif isinstance(obj, MissionLink) and obj.project_id is not None:
            touched[DocKind.PROJECT].add(obj.project_id)
    return touched


def after_flush(session: Session, _context: Any = None) -> None:
    """The flush hook: rewrite the documents of everything this flush touched."""
    touched = _touched(session)
    if touched:
        conn = session.connection()
        for kind, ids in touched.items():
            refresh(conn, kind, sorted(ids))


def refresh(conn: Connection, kind: DocKind, ids: Iterable[int]) -> None:
    """Rewrite (or remove, if their record is gone) the documents of ``ids``."""
    ids = list(ids)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        rows = BUILDERS[kind](conn, chunk)
        write(conn, kind, rows)
        gone = set(chunk) - {r["ref_id"] for r in rows}
        if gone:
            conn.execute(
                delete(SearchDocument).where(
                    SearchDocument.kind == kind, SearchDocument.ref_id.in_(gone)
                )
            )


COMPARED = (
    "tags",
    "title",
    "body",
    "organisation_id",
    "organisation_name",
    "country",
    "source",
    "stage",
    "topic",
    "mission_ids",
    "visibility",
    "url",
)


def write(conn: Connection, kind: DocKind, rows: list[Row]) -> None:
    """Insert new documents and update changed ones (unchanged ones are left alone)."""
    if not rows:
        return
    d = table_of(SearchDocument)
    existing = {
        r["ref_id"]: r
        for r in conn.execute(
            select(d.c.id, d.c.ref_id, *(d.c[c] for c in COMPARED)).where(
                d.c.kind == kind, d.c.ref_id.in_([r["ref_id"] for r in rows])
            )
        ).mappings()
    }
    now = utcnow()
    new = []
    for row in rows:
        row = {**row, "title": row["title"][:300], "stage": _value(row["stage"])}
        row["visibility"] = Visibility(_value(row["visibility"]))
        row["tags"] = document_tags({**row, "kind": kind})
        old = existing.get(row["ref_id"])
        if old is None:
            new.append({**row, "kind": kind, "updated_at": now})
        elif any(_value(old[c]) != _value(row[c]) for c in COMPARED):
            conn.execute(update(d).where(d.c.id == old["id"]).values(**row, updated_at=now))
    if new:
        conn.execute(insert(d), new)


def table_of(model: type[Any]) -> Table:
    """The model's table, typed as a Table."""
    return cast(Table, model.__table__)


def _value(value: Any) -> Any:
    return getattr(value, "value", value)


def reindex_all(session: Session) -> int:
    """Rebuild every document from its record; returns how many there are."""
    conn = session.connection()
    for kind, model in (
        (DocKind.PROJECT, Project),
        (DocKind.CASE_STUDY, CaseStudy),
        (DocKind.COMPONENT, Component),
        (DocKind.RECORD, ImportedRecord),
    ):
        ids = list(conn.execute(select(model.id)).scalars())
        refresh(conn, kind, ids)
        stale = select(SearchDocument.id).where(
            SearchDocument.kind == kind, SearchDocument.ref_id.not_in(select(model.id))
        )
        conn.execute(delete(SearchDocument).where(SearchDocument.id.in_(stale)))
    return session.query(SearchDocument).count()
