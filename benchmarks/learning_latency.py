"""Search and similar-project latency over 100,000 records (real inventory text scaled up), on
SQLite and on PostgreSQL, in the same run: p50 and p95, and the PostgreSQL/SQLite ratio.
Similar projects are also timed against the peer a team might reach for first: a brute-force
scikit-learn TF-IDF cosine over the same texts.

    python -m benchmarks.learning_latency [--records 100000] [--queries 200]

Needs PostgreSQL at 127.0.0.1:5432 (trust auth, as for the tests); creates and drops its own
databases.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics.pairwise import linear_kernel
from sqlalchemy import create_engine, insert, text

from missionhub.accounts.permissions import Actor, Visibility
from missionhub.db import migrate
from missionhub.db.session import Database
from missionhub.learning import records, similar
from missionhub.learning.models import DocKind, SearchDocument
from missionhub.learning.search import SearchQuery, search
from missionhub.learning.tags import document_tags
from missionhub.learning.textnorm import words
from missionhub.settings import get_settings

PG_ADMIN = os.environ.get(
    "MISSIONHUB_TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def real_texts(data_dir: Path) -> list[tuple[str, str, str]]:
    """(title, body, organisation) of every record in the real inventories."""
    out = []
    for source, name in records.DEFAULT_FILES:
        if source == records.ATRS_SOURCE:
            continue
        path = data_dir / "registry" / name
        parsed, _, _ = records.parse_file(path, records.file_format(path, source))
        out += [(r.title, r.description, r.organisation) for r in parsed]
    return out


def scaled(texts: list[tuple[str, str, str]], n: int, seed: int = 7) -> list[dict[str, object]]:
    """``n`` documents: each real record's text plus a sentence of another, so copies differ;
    90% published, the rest drafts of 50 organisations."""
    rng = random.Random(seed)
    docs: list[dict[str, object]] = []
    for i in range(n):
        title, body, org = texts[i % len(texts)]
        extra = texts[rng.randrange(len(texts))][1].split(". ")[0]
        draft = rng.random() < 0.1
        docs.append(
            {
                "kind": DocKind.RECORD,
                "ref_id": i + 1,
                "title": title[:300],
                "body": f"{body}\n\n{extra}",
                "organisation_id": rng.randrange(1, 51) if draft else None,
                "organisation_name": org[:200],
                "country": "United States",
                "source": "benchmark",
                "stage": None,
                "topic": None,
                "mission_ids": "",
                "visibility": Visibility.DRAFT if draft else Visibility.PUBLISHED,
                "url": f"/learning/records/{i + 1}",
            }
        )
        docs[-1]["tags"] = document_tags(docs[-1])
    return docs


def load(url: str, docs: list[dict[str, object]]) -> float:
    migrate.upgrade(url)
    engine = create_engine(url)
    start = time.perf_counter()
    with engine.begin() as conn:
        for i in range(0, len(docs), 5000):
            conn.execute(insert(SearchDocument.__table__), docs[i : i + 5000])
    seconds = time.perf_counter() - start
    # What autovacuum does after a bulk load: statistics, and (PostgreSQL) the GIN index's
    # pending list merged, without which the planner will not use the index.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(
            text("VACUUM ANALYZE learning_documents" if "postgresql" in url else "ANALYZE")
        )
    engine.dispose()
    return seconds


def timed(fn: Callable[[], object], repeat: list[float]) -> None:
    start = time.perf_counter()
    fn()
    repeat.append((time.perf_counter() - start) * 1000)


def pct(values: list[float]) -> str:
    q = np.percentile(values, [50, 95])
    return f"p50 {q[0]:6.1f} ms  p95 {q[1]:6.1f} ms"


def measure(url: str, queries: list[str], descriptions: list[str]) -> dict[str, list[float]]:
    db = Database(url)
    member = Actor(1, None, 7, True, "benchmark")  # a civil servant of organisation 7
    out: dict[str, list[float]] = {
        "search (public)": [],
        "search (civil servant)": [],
        "similar projects": [],
    }
    with db.transaction() as session:
        start = time.perf_counter()
        similar.sync(session)
        print(f"  similarity index built in {time.perf_counter() - start:.1f} s (once per process)")
        totals = [
            search(session, actor=Actor.public(), query=SearchQuery(text=q)).total
            for q in queries  # also warms the caches
        ]
        print(
            f"  each search matches {statistics.median(totals):,.0f} documents (median), "
            f"{max(totals):,} at most; {sum(t == 0 for t in totals)} match none"
        )
        for q in queries:
            timed(
                lambda q=q: search(session, actor=Actor.public(), query=SearchQuery(text=q)),
                out["search (public)"],
            )
            timed(
                lambda q=q: search(session, actor=member, query=SearchQuery(text=q)),
                out["search (civil servant)"],
            )
        for d in descriptions:
            timed(
                lambda d=d: similar.similar_to_text(session, actor=Actor.public(), text=d),
                out["similar projects"],
            )
    db.dispose()
    return out


def peer_similar(docs: list[dict[str, object]], descriptions: list[str]) -> list[float]:
    """Brute-force scikit-learn TF-IDF cosine over the same texts (fitted once, not timed)."""
    vectoriser = TfidfVectorizer(sublinear_tf=True, stop_words="english")
    matrix = vectoriser.fit_transform([f"{d['title']}\n{d['body']}" for d in docs])
    times: list[float] = []
    for d in descriptions:
        timed(
            lambda d=d: np.argpartition(-linear_kernel(vectoriser.transform([d]), matrix)[0], 5)[
                :5
            ],
            times,
        )
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--data-dir", type=Path, default=get_settings().data_dir)
    args = parser.parse_args()
    texts = real_texts(args.data_dir)
    docs = scaled(texts, args.records)
    rng = random.Random(11)
    vocab = [w for t, _, _ in texts for w in words(t) if len(w) > 3]
    queries = [
        " ".join(rng.sample(vocab, rng.choice([1, 1, 2, 2, 3]))) for _ in range(args.queries)
    ]
    descriptions = [
        texts[rng.randrange(len(texts))][1] or "chatbot answers questions"
        for _ in range(args.queries // 2)
    ]
    print(
        f"{len(docs):,} documents from {len(texts):,} real records; {len(queries)} searches "
        f"(1-3 words from real titles), {len(descriptions)} similar-project look-ups\n"
    )
    results = {}
    tmp = Path(tempfile.mkdtemp())
    pg_name = f"mh_bench_{secrets.token_hex(3)}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{pg_name}"'))
    urls = {
        "SQLite": f"sqlite:///{tmp / 'bench.db'}",
        "PostgreSQL": PG_ADMIN.rsplit("/", 1)[0] + f"/{pg_name}",
    }
    try:
        for name, url in urls.items():
            print(f"{name}: loading...")
            print(f"  {len(docs):,} documents indexed in {load(url, docs):.1f} s")
            results[name] = measure(url, queries, descriptions)
            for what, values in results[name].items():
                print(f"  {what:<24}{pct(values)}")
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)'))
        admin.dispose()
        shutil.rmtree(tmp, ignore_errors=True)
    print("\nratio PostgreSQL / SQLite (p95):")
    for what in results["SQLite"]:
        a = np.percentile(results["SQLite"][what], 95)
        b = np.percentile(results["PostgreSQL"][what], 95)
        print(f"  {what:<24}{b / a:.2f}")
    peer = peer_similar(docs, descriptions)
    ours = results["SQLite"]["similar projects"]
    print(f"\npeer: brute-force scikit-learn TF-IDF cosine, top 5 of {len(docs):,}: {pct(peer)}")
    print(
        f"ratio Mission Hub similar projects (SQLite, with visibility check) / peer, p50: "
        f"{statistics.median(ours) / statistics.median(peer):.2f}"
    )


if __name__ == "__main__":
    main()
