"""Full-text search over projects, case studies, components and imported records.

SQLite uses the FTS5 index (bm25, title weighted over body); PostgreSQL the weighted tsvector
(ts_rank_cd over websearch_to_tsquery). Both apply the spine's visibility rules in SQL, so a
draft never reaches someone who may not read it. Snippets are made only for the page shown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Select, column, func, literal_column, select, table, text
from sqlalchemy.orm import Session

from missionhub import cache
from missionhub.accounts.permissions import Actor, visible_clause
from missionhub.learning.models import FTS_TABLE, DocKind, SearchDocument
from missionhub.learning.tags import required_tokens, visibility_tokens
from missionhub.learning.textnorm import MARK_END, MARK_START, highlight, snippet, summarise
from missionhub.pagination import Page

_TOKEN = re.compile(r'(-?)"([^"]*)"|(\S+)')
Doc = SearchDocument
FTS = table(FTS_TABLE, column("rowid"))


@dataclass(frozen=True, slots=True)
class SearchQuery:
    text: str = ""
    kind: DocKind | None = None
    organisation: str | None = None
    country: str | None = None
    mission_id: int | None = None
    stage: str | None = None
    topic: str | None = None
    source: str | None = None


@dataclass(frozen=True, slots=True)
class Hit:
    document: SearchDocument
    title_html: str
    snippet_html: str
    score: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def fts5_query(user_text: str) -> str:
    """A safe FTS5 MATCH expression for what a person typed, with web-search habits:
    words must all appear, "quoted words" are a phrase, -word excludes, OR between words."""
    positive: list[str] = []
    negative: list[str] = []
    pending_or = False
    for match in _TOKEN.finditer(user_text):
        minus, phrase, word = match.groups()
        if word is not None and word.upper() == "OR" and positive:
            pending_or = True
            continue
        raw = phrase if phrase is not None else word.lstrip("-")
        if word is not None and word.startswith("-"):
            minus = "-"
        terms = re.findall(r"\w+", raw)
        if not terms:
            continue
        quoted = '"' + " ".join(terms) + '"'
        if minus:
            negative.append(quoted)
        elif pending_or:
            positive[-1] = f"({positive[-1]} OR {quoted})"
            pending_or = False
        else:
            positive.append(quoted)
    if not positive:
        return ""
    expression = " AND ".join(positive)
    return expression + "".join(f" NOT {n}" for n in negative)


def _filters(actor: Actor, q: SearchQuery) -> list[ColumnElement[bool]]:
    where = [visible_clause(actor, Doc.organisation_id, Doc.visibility)]  # type: ignore[arg-type]
    if q.kind:
        where.append(Doc.kind == q.kind)
    if q.organisation:
        where.append(Doc.organisation_name == q.organisation)
    if q.country:
        where.append(Doc.country == q.country)
    if q.stage:
        where.append(Doc.stage == q.stage)
    if q.topic:
        where.append(Doc.topic == q.topic)
    if q.source:
        where.append(Doc.source == q.source)
    if q.mission_id:
        where.append(Doc.mission_ids.contains(f",{q.mission_id},"))
    return where


# At most this many matches are counted and ranked, so a broad query costs no more than a
# narrow one: SQLite ranks the newest RANK_CAP matches, PostgreSQL the first RANK_CAP its index
# scan finds (decision 0031).
RANK_CAP = 500


@dataclass(frozen=True, slots=True)
class SearchPage(Page[Hit]):
    """A page of hits. ``more``: over RANK_CAP matched; ``total`` is then RANK_CAP."""

    more: bool = False

    @property
    def cap(self) -> int:
        return RANK_CAP


def _is_sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def tag_groups(actor: Actor, q: SearchQuery) -> list[list[str]]:
    """Visibility and filters as groups of tag tokens: one token of every group must match."""
    visible = visibility_tokens(actor)
    facets = [
        ("kind", q.kind),
        ("on", q.organisation),
        ("country", q.country),
        ("stage", q.stage),
        ("topic", q.topic),
        ("source", q.source),
        ("mission", q.mission_id),
    ]
    return ([visible] if visible else []) + [[t] for t in required_tokens(facets)]


def fts5_match(user_text: str, groups: list[list[str]]) -> str:
    """The whole FTS5 expression: the words in title or body, every tag group in tags."""
    words = fts5_query(user_text)
    if not words:
        return ""
    tags = [" OR ".join(f'"{t}"' for t in group) for group in groups]
    return " AND ".join([f"{{title body}} : ({words})", *(f"tags : ({t})" for t in tags)])


@dataclass(frozen=True)
class _Plan:
    match: Any  # the words only (the rank reads every phrase it matches): TextClause on SQLite
    rank: ColumnElement[float]
    descending: bool
    candidates: Select[Any]  # ids of the matches, in the order the engine finds them cheapest


def _plan(session: Session, actor: Actor, q: SearchQuery) -> _Plan | None:
    groups = tag_groups(actor, q)
    if _is_sqlite(session):
        expression = fts5_match(q.text, groups)
        if not expression:
            return None
        tagged = text(f"{FTS_TABLE} MATCH :match").bindparams(match=expression)
        words_only = f"{{title body}} : ({fts5_query(q.text)})"
        return _Plan(
            text(f"{FTS_TABLE} MATCH :words").bindparams(words=words_only),
            literal_column(f"bm25({FTS_TABLE}, 8.0, 1.0, 0.0)"),
            False,
            select(FTS.c.rowid).where(tagged).order_by(FTS.c.rowid.desc()),
        )
    words = func.websearch_to_tsquery("english", q.text)
    if not session.scalar(select(func.numnode(words))):
        return None
    tags = " & ".join("(" + " | ".join(g) + ")" for g in groups)
    query = words.op("&&")(func.to_tsquery("simple", tags)) if tags else words
    pg_match = Doc.search_vector.op("@@")(query)
    return _Plan(
        pg_match, func.ts_rank_cd(Doc.search_vector, words, 1), True, select(Doc.id).where(pg_match)
    )


def search(
    session: Session, *, actor: Actor, query: SearchQuery, page: int = 1, page_size: int = 20
) -> SearchPage:
    """One page of results the actor may see, best first (newest first without text)."""
    page = max(1, page)
    if not query.text.strip():
        return _browse(session, actor, query, page, page_size)
    plan = _plan(session, actor, query)
    if plan is None:
        return SearchPage([], 0, page, page_size)
    found = plan.candidates.limit(RANK_CAP + 1).subquery()
    matched = session.scalar(select(func.count()).select_from(found)) or 0
    more = matched > RANK_CAP
    stmt = select(Doc.id, plan.rank.label("rank")).where(*_filters(actor, query))
    if _is_sqlite(session):
        stmt = stmt.select_from(FTS).join(Doc, Doc.id == FTS.c.rowid).where(plan.match)
        if more:
            floor = session.scalar(plan.candidates.offset(RANK_CAP - 1).limit(1))
            stmt = stmt.where(FTS.c.rowid >= floor)
    else:
        stmt = stmt.where(Doc.id.in_(plan.candidates.limit(RANK_CAP)) if more else plan.match)
    order = plan.rank.desc() if plan.descending else plan.rank
    stmt = stmt.order_by(order, Doc.id).offset((page - 1) * page_size).limit(page_size)
    rows = session.execute(stmt).all()
    ids = [r[0] for r in rows]
    docs = {d.id: d for d in session.scalars(select(Doc).where(Doc.id.in_(ids)))}
    marks = _snippets(session, query.text, ids)
    hits = []
    for doc_id, rank in rows:
        doc = docs[doc_id]
        title, snippet = marks.get(doc_id, (_plain(doc.title), _plain(summarise(doc.body))))
        hits.append(Hit(doc, title, snippet, float(rank)))
    return SearchPage(hits, min(matched, RANK_CAP), page, page_size, more=more)


def _browse(session: Session, actor: Actor, q: SearchQuery, page: int, size: int) -> SearchPage:
    stmt = select(Doc).where(*_filters(actor, q)).order_by(Doc.updated_at.desc(), Doc.id.desc())
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    docs = session.scalars(stmt.offset((page - 1) * size).limit(size)).all()
    hits = [Hit(d, _plain(d.title), _plain(summarise(d.body))) for d in docs]
    return SearchPage(hits, total or 0, page, size)


def _plain(value: str) -> str:
    return highlight(value)


def _snippets(session: Session, user_text: str, ids: list[int]) -> dict[int, tuple[str, str]]:
    """Highlighted title and body snippet for each of ``ids``."""
    if not ids:
        return {}
    if not _is_sqlite(session):  # ts_headline costs milliseconds a document: mark in Python
        docs = session.execute(select(Doc.id, Doc.title, Doc.body).where(Doc.id.in_(ids)))
        return {
            i: (highlight(snippet(title, user_text, 60)), highlight(snippet(body, user_text)))
            for i, title, body in docs
        }
    in_ids = ",".join(str(int(i)) for i in ids)
    stmt = text(
        f"SELECT rowid, highlight({FTS_TABLE}, 0, :s, :e), "  # noqa: S608 (ids are ints)
        f"snippet({FTS_TABLE}, 1, :s, :e, '…', 30) FROM {FTS_TABLE} "
        f"WHERE {FTS_TABLE} MATCH :match AND rowid IN ({in_ids})"
    ).bindparams(s=MARK_START, e=MARK_END, match=f"{{title body}} : ({fts5_query(user_text)})")
    return {row[0]: (highlight(row[1]), highlight(row[2])) for row in session.execute(stmt)}


def facet_values(session: Session, *, actor: Actor, column: str, limit: int = 60) -> list[str]:
    """The most common values of a filter column among what the actor can see (cached until
    the next write)."""
    key = ("learning.facets", column, limit, cache.viewer_scope(actor))
    return cache.cached(session, key, lambda: _facet_values(session, actor, column, limit))


def _facet_values(session: Session, actor: Actor, column: str, limit: int) -> list[str]:
    col = getattr(Doc, column)
    stmt = (
        select(col)
        .where(col.is_not(None), col != "", *_filters(actor, SearchQuery()))
        .group_by(col)
        .order_by(func.count().desc(), col)
        .limit(limit)
    )
    return [str(v) for v in session.scalars(stmt)]
