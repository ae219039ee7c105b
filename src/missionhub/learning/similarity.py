"""Similar-project detection: TF-IDF cosine over words and word pairs, hashed so the index can
grow one record at a time, plus a small bonus when two records share an organisation.

Pure: works on texts and arrays, knows nothing of the database or the web. The benchmark
(benchmarks/learning_similarity.py) measures it on the real US inventories.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import HashingVectorizer

from missionhub.learning.textnorm import features

N_FEATURES = 2**20
ORGANISATION_BONUS = 0.1

_HASHER = HashingVectorizer(
    analyzer=features, n_features=N_FEATURES, alternate_sign=False, norm=None, dtype=np.float32
)


def term_counts(texts: Sequence[str]) -> sparse.csr_matrix:
    """Rows of sublinear term frequencies (1 + log tf) for each text."""
    counts = _HASHER.transform(texts).tocsr()
    counts.data = 1.0 + np.log(counts.data)
    return counts


def idf(document_frequency: np.ndarray, n_documents: int) -> np.ndarray:
    """Smoothed inverse document frequency, as scikit-learn's TfidfTransformer computes it."""
    return (np.log((1 + n_documents) / (1 + document_frequency)) + 1).astype(np.float32)


def weigh(counts: sparse.csr_matrix, weights: np.ndarray) -> sparse.csr_matrix:
    """Apply IDF weights and scale each row to unit length (in place on a copy, O(non-zeros))."""
    weighted = counts.astype(np.float32, copy=True).tocsr()
    weighted.data *= weights[weighted.indices]
    lengths = np.diff(weighted.indptr)
    rows = np.repeat(np.arange(weighted.shape[0]), lengths)
    norms = np.sqrt(np.bincount(rows, weights=weighted.data**2, minlength=weighted.shape[0]))
    norms[norms == 0] = 1.0
    weighted.data /= norms[rows].astype(np.float32)
    return weighted


def scores(
    query: sparse.csr_matrix,
    matrix: sparse.csr_matrix,
    query_orgs: Sequence[str] | None = None,
    orgs: np.ndarray | None = None,
    bonus: float = ORGANISATION_BONUS,
    transposed: sparse.csr_matrix | None = None,
) -> np.ndarray:
    """Cosine of each query row with each matrix row, plus ``bonus`` where organisations match.
    ``transposed`` (features x records, CSR) makes a query touch only its own terms' postings."""
    by_feature = transposed if transposed is not None else matrix.T.tocsr()
    result = (query @ by_feature).toarray()
    if query_orgs is not None and orgs is not None and bonus:
        result += bonus * (np.asarray(query_orgs)[:, None] == orgs[None, :])
    return result


def top_k(row: np.ndarray, k: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
    """Indices and scores of the ``k`` highest positive scores (only where ``allowed``)."""
    candidates = row if allowed is None else np.where(allowed, row, -np.inf)
    k = min(k, len(candidates))
    if k == 0:
        return []
    best = np.argpartition(-candidates, k - 1)[:k]
    best = best[np.argsort(-candidates[best], kind="stable")]
    return [(int(i), float(candidates[i])) for i in best if candidates[i] > 0]


@dataclass
class SimilarityIndex:
    """Records by key, with their organisation; add or replace one at a time, query many."""

    keys: list[Hashable] = field(default_factory=list)
    orgs: list[str] = field(default_factory=list)
    _rows: list[sparse.csr_matrix] = field(default_factory=list)
    _position: dict[Hashable, int] = field(default_factory=dict)
    _matrix: sparse.csr_matrix | None = None
    _by_feature: sparse.csr_matrix | None = None
    _org_codes: np.ndarray | None = None
    _org_names: dict[str, int] = field(default_factory=dict)
    _idf: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.keys)

    def upsert(self, items: Sequence[tuple[Hashable, str, str]]) -> None:
        """Add or replace (key, organisation, text) items."""
        if not items:
            return
        rows = term_counts([text for _, _, text in items])
        for i, (key, org, _) in enumerate(items):
            row = rows.getrow(i)
            if key in self._position:
                pos = self._position[key]
                self._rows[pos], self.orgs[pos] = row, org
            else:
                self._position[key] = len(self.keys)
                self.keys.append(key)
                self.orgs.append(org)
                self._rows.append(row)
        self._matrix = None

    def matrix(self) -> tuple[sparse.csr_matrix, np.ndarray]:
        """The weighted, normalised matrix of every record, and the IDF weights."""
        if self._matrix is None or self._idf is None:
            counts = sparse.vstack(self._rows, format="csr") if self._rows else _empty()
            df = np.bincount(counts.indices, minlength=N_FEATURES)
            self._idf = idf(df, counts.shape[0])
            self._matrix = weigh(counts, self._idf)
            self._by_feature = self._matrix.T.tocsr()
            self._org_codes = None
        return self._matrix, self._idf

    def query(
        self,
        text: str,
        *,
        organisation: str | None = None,
        k: int = 10,
        allowed: np.ndarray | None = None,
    ) -> list[tuple[Hashable, float]]:
        """The ``k`` most similar records to ``text`` (only where ``allowed``), best first."""
        if not self.keys:
            return []
        matrix, weights = self.matrix()
        query = weigh(term_counts([text]), weights)
        row = scores(query, matrix, transposed=self._by_feature)[0]
        if organisation:
            row += ORGANISATION_BONUS * (self._codes() == self._code(organisation))
        return [(self.keys[i], s) for i, s in top_k(row, k, allowed)]

    def by_feature(self) -> sparse.csr_matrix:
        """The weighted matrix transposed (features x records), as queries use it."""
        self.matrix()
        assert self._by_feature is not None
        return self._by_feature

    def _codes(self) -> np.ndarray:
        if self._org_codes is None:
            self._org_names = {name: i for i, name in enumerate(dict.fromkeys(self.orgs))}
            self._org_codes = np.array([self._org_names[o] for o in self.orgs], dtype=np.int64)
        return self._org_codes

    def _code(self, organisation: str) -> int:
        self._codes()
        return self._org_names.get(organisation, -1)


def _empty() -> sparse.csr_matrix:
    return sparse.csr_matrix((0, N_FEATURES), dtype=np.float32)


def recall_at(ranks: np.ndarray, k: int) -> float:
    """Share of queries whose true match is within the first ``k`` (ranks are 0-based)."""
    return float(np.mean(ranks < k)) if len(ranks) else 0.0


def rank_of_truth(score_matrix: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """0-based rank of each row's true column (ties counted against the truth)."""
    true_scores = score_matrix[np.arange(len(truth)), truth]
    return (score_matrix > true_scores[:, None]).sum(axis=1) + (
        (score_matrix == true_scores[:, None]).sum(axis=1) - 1
    )
