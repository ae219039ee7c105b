"""The labelled set for similar-project quality: US use cases reported in both the 2024 and 2025
inventories under the same agency and name, each unique in both.

For each 2025 record, its name is withheld and only its description fields are used to rank
every 2024 record (their names are withheld too). Pure: reads the two CSV files.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from missionhub.learning import similarity
from missionhub.learning.importers.formats import US_2024_TEXT, US_2025_TEXT


@dataclass(frozen=True)
class PairSet:
    queries: list[str]  # 2025 description text, name withheld
    query_orgs: list[str]
    corpus: list[str]  # every 2024 record's description text, names withheld
    corpus_orgs: np.ndarray
    truth: np.ndarray  # index into corpus of each query's match

    @property
    def has_text(self) -> np.ndarray:
        return np.array([bool(q.strip()) for q in self.queries])


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _text(row: dict[str, str], columns: list[tuple[str, str]]) -> str:
    return "\n".join(row.get(col, "").strip() for col, _ in columns if row.get(col, "").strip())


def load_pairs(path_2024: Path, path_2025: Path) -> PairSet:
    """The pairs keyed on (agency abbreviation, use case name), both trimmed, unique in both."""
    old, new = _rows(path_2024), _rows(path_2025)

    def key_old(r: dict[str, str]) -> tuple[str, str]:
        return r["3_abr"].strip(), r["2_use_case_name"].strip()

    def key_new(r: dict[str, str]) -> tuple[str, str]:
        return r["agency"].strip(), r["use_case_name"].strip()

    count_old, count_new = Counter(map(key_old, old)), Counter(map(key_new, new))
    position = {key_old(r): i for i, r in enumerate(old)}
    matched = [r for r in new if count_new[key_new(r)] == 1 and count_old[key_new(r)] == 1]
    return PairSet(
        queries=[_text(r, US_2025_TEXT) for r in matched],
        query_orgs=[r["agency"].strip() for r in matched],
        corpus=[_text(r, US_2024_TEXT) for r in old],
        corpus_orgs=np.array([r["3_abr"].strip() for r in old], dtype=object),
        truth=np.array([position[key_new(r)] for r in matched]),
    )


def ours(pairs: PairSet) -> np.ndarray:
    """Score matrix of the platform's method (learning.similarity) over the pair set."""
    index = similarity.SimilarityIndex()
    pairs_in = zip(pairs.corpus_orgs, pairs.corpus, strict=True)
    index.upsert([(i, org, text) for i, (org, text) in enumerate(pairs_in)])
    matrix, weights = index.matrix()
    queries = similarity.weigh(similarity.term_counts(pairs.queries), weights)
    return similarity.scores(
        queries, matrix, pairs.query_orgs, pairs.corpus_orgs, transposed=index.by_feature()
    )


def tfidf_baseline(pairs: PairSet) -> np.ndarray:
    """Plain TF-IDF cosine (scikit-learn defaults), fitted on both sides' texts."""
    vectoriser = TfidfVectorizer()
    matrix = vectoriser.fit_transform(pairs.corpus + pairs.queries)
    corpus, queries = matrix[: len(pairs.corpus)], matrix[len(pairs.corpus) :]
    return (queries @ corpus.T).toarray()


@dataclass(frozen=True)
class Recall:
    at_1: float
    at_5: float
    n: int


def recall(score_matrix: np.ndarray, truth: np.ndarray, mask: np.ndarray | None = None) -> Recall:
    ranks = similarity.rank_of_truth(score_matrix, truth)
    if mask is not None:
        ranks = ranks[mask]
    return Recall(similarity.recall_at(ranks, 1), similarity.recall_at(ranks, 5), len(ranks))
