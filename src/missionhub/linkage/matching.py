"""The hub's comparison: blocking suited to encodings, Dice similarity, one-to-one assignment.

1. Candidates. Locality-sensitive hashing for Hamming distance over the Bloom filters: each of
   ``bands`` hash tables keys a record by ``band_bits`` bit positions sampled at random, so two
   encodings that agree on most bits share a key in some table with high probability, while
   unrelated ones rarely do. Records that share a match key are candidates too.
2. Similarity. The Dice coefficient of the two filters, 2|A and B| / (|A| + |B|).
3. Assignment. Candidate pairs at or above the threshold, best first, join records into groups
   that hold at most one record from each party (a greedy solver: for two parties, a one-to-one
   assignment). Three or more parties are linked in the same pass. Because the greedy order is
   by score, the groups at any higher threshold are a prefix of the same pass: the quality
   report at every threshold comes from one run.

Works on NumPy arrays and knows nothing of files, the database or the web.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

Progress = Callable[[int, int, str], None]
Method = Literal["clk", "match-keys"]
MATCH_KEY_STEP = 0.05  # score of the r-th match key (0-based) is 1 - r * step


@dataclass(frozen=True)
class Party:
    """One data owner's encodings, as arrays."""

    name: str
    record_ids: np.ndarray
    clks: np.ndarray | None
    match_keys: dict[str, np.ndarray] = field(default_factory=dict)
    truth: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.record_ids)


@dataclass(frozen=True)
class LinkParams:
    threshold: float = 0.8
    floor: float | None = None  # lowest threshold reported in the quality table
    method: Method = "clk"
    bands: int = 40
    band_bits: int | None = None  # None: chosen from the data for the candidate budget
    candidates_per_record: float = 40.0  # over all bands: the budget that sets band_bits
    min_candidates: int = 2_000_000  # ... but never a smaller budget than this
    all_pairs_up_to: int = 30_000_000  # smaller problems compare every pair, no blocking
    max_bucket_pairs: int = 2_500
    edges_per_record: int = 3  # the quality table's floor rises until edges fit this budget
    seed: int = 20_250_101

    @property
    def lowest(self) -> float:
        return min(self.threshold, self.floor if self.floor is not None else self.threshold - 0.2)


@dataclass(frozen=True)
class Mapping:
    """One party's result: each record's link id and match confidence (NaN: no match)."""

    record_ids: np.ndarray
    link_ids: np.ndarray
    confidence: np.ndarray

    @property
    def matched(self) -> int:
        return int(np.count_nonzero(~np.isnan(self.confidence)))


@dataclass(frozen=True)
class Merge:
    score: float
    pairs: int
    true_pairs: int


@dataclass(frozen=True)
class LinkOutcome:
    mappings: list[Mapping]
    merges: list[Merge]
    candidate_scores: np.ndarray
    candidates: int
    true_pairs: int | None


# Candidates ------------------------------------------------------------------------------------


def bucket_pairs(
    keys_a: np.ndarray, keys_b: np.ndarray, max_pairs: int
) -> tuple[np.ndarray, np.ndarray]:
    """Every (a, b) pair whose keys are equal, skipping buckets of more than ``max_pairs``."""
    order_a, order_b = np.argsort(keys_a, kind="stable"), np.argsort(keys_b, kind="stable")
    sorted_a, sorted_b = keys_a[order_a], keys_b[order_b]
    unique, start_a, count_a = np.unique(sorted_a, return_index=True, return_counts=True)
    lo = np.searchsorted(sorted_b, unique, "left")
    count_b = np.searchsorted(sorted_b, unique, "right") - lo
    sizes = count_a * count_b
    keep = (count_b > 0) & (sizes <= max_pairs)
    start_a, count_b, lo, sizes = start_a[keep], count_b[keep], lo[keep], sizes[keep]
    bucket = np.repeat(np.arange(len(sizes)), sizes)
    within = np.arange(len(bucket)) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    ia = order_a[start_a[bucket] + within // count_b[bucket]]
    ib = order_b[lo[bucket] + within % count_b[bucket]]
    return ia, ib


def band_keys(clks: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """A 64-bit key from the bits at ``positions`` (bit order as np.packbits writes it)."""
    key = np.zeros(len(clks), dtype=np.uint64)
    for t, pos in enumerate(positions):
        bit = (clks[:, pos >> 3] >> np.uint8(7 - (pos & 7))) & np.uint8(1)
        key |= bit.astype(np.uint64) << np.uint64(t)
    return key


def sorted_unique(values: np.ndarray) -> np.ndarray:
    """Sorted distinct values (a sort and a mask: faster than np.unique's hashing here)."""
    values = np.sort(values)
    return values[np.r_[True, values[1:] != values[:-1]]] if len(values) else values


def _unique_pairs(chunks: list[np.ndarray]) -> np.ndarray:
    return sorted_unique(np.concatenate(chunks)) if chunks else np.zeros(0, np.int64)


def random_agreement(a: np.ndarray, b: np.ndarray, seed: int, samples: int = 4096) -> float:
    """The share of bit positions on which two random encodings agree."""
    rng = np.random.default_rng(seed)
    i, j = rng.integers(0, len(a), samples), rng.integers(0, len(b), samples)
    differ = np.bitwise_count(a[i] ^ b[j]).sum(dtype=np.int64)
    return float(1 - differ / (samples * a.shape[1] * 8))


def choose_band_bits(a: np.ndarray, b: np.ndarray, params: LinkParams) -> int:
    """Bits per band so that unrelated pairs colliding in one band stay within the budget."""
    if params.band_bits is not None:
        return params.band_bits
    p0 = min(max(random_agreement(a, b, params.seed), 0.5), 0.95)
    total = max(params.candidates_per_record * max(len(a), len(b)), params.min_candidates)
    budget = total / params.bands
    wanted = np.log(budget / (len(a) * len(b))) / np.log(p0)
    return int(min(max(np.ceil(wanted), 8), 64))


def lsh_candidates(
    a: np.ndarray, b: np.ndarray, params: LinkParams, progress: Callable[[int], None] | None = None
) -> np.ndarray:
    """Candidate pairs from Hamming LSH, as ``ia * len(b) + ib`` (sorted, unique)."""
    bits = a.shape[1] * 8
    band_bits = choose_band_bits(a, b, params)
    rng = np.random.default_rng(params.seed)
    found: list[np.ndarray] = []
    for band in range(params.bands):
        positions = rng.choice(bits, size=band_bits, replace=False)
        ia, ib = bucket_pairs(
            band_keys(a, positions), band_keys(b, positions), params.max_bucket_pairs
        )
        found.append(ia.astype(np.int64) * len(b) + ib)
        if len(found) >= 8:
            found = [_unique_pairs(found)]
        if progress:
            progress(band + 1)
    return _unique_pairs(found)


def all_pairs(na: int, nb: int) -> np.ndarray:
    return np.arange(na * nb, dtype=np.int64)


def key_candidates(keys_a: np.ndarray, keys_b: np.ndarray, max_pairs: int) -> np.ndarray:
    """Pairs that share a (non-missing) match key, as ``ia * len(b) + ib``."""
    codes, _ = pd.factorize(pd.Series(np.concatenate([keys_a, keys_b]), dtype=object))
    ca, cb = codes[: len(keys_a)], codes[len(keys_a) :]
    ia, ib = bucket_pairs(np.where(ca < 0, -1 - np.arange(len(ca)), ca), cb, max_pairs)
    keep = cb[ib] >= 0
    return ia[keep].astype(np.int64) * len(keys_b) + ib[keep]


# Similarity ------------------------------------------------------------------------------------


def popcounts(clks: np.ndarray) -> np.ndarray:
    return np.bitwise_count(clks).sum(axis=1, dtype=np.int64)


def dice(
    a: np.ndarray, b: np.ndarray, ia: np.ndarray, ib: np.ndarray, chunk: int = 200_000
) -> np.ndarray:
    """The Dice coefficient of each pair (a[ia], b[ib]) of packed filters."""
    wa, wb = a.view(np.uint64), b.view(np.uint64)
    count_a, count_b = popcounts(wa), popcounts(wb)
    out = np.empty(len(ia), dtype=np.float32)
    for s in range(0, len(ia), chunk):
        i, j = ia[s : s + chunk], ib[s : s + chunk]
        common = np.bitwise_count(wa[i] & wb[j]).sum(axis=1, dtype=np.int64)
        total = count_a[i] + count_b[j]
        out[s : s + chunk] = np.where(total > 0, 2 * common / np.maximum(total, 1), 0.0)
    return out


def score_pairs(
    a: Party, b: Party, params: LinkParams, progress: Callable[[int], None] | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Candidate pairs of two parties and their scores: (ia, ib, score)."""
    if params.method == "match-keys":
        return _key_scores(a, b, params)
    assert a.clks is not None
    assert b.clks is not None
    if len(a) * len(b) <= params.all_pairs_up_to:
        flat = all_pairs(len(a), len(b))
    else:
        found = [lsh_candidates(a.clks, b.clks, params, progress)]
        for name in a.match_keys:
            keys_a, keys_b = a.match_keys[name], b.match_keys[name]
            found.append(key_candidates(keys_a, keys_b, params.max_bucket_pairs))
        flat = _unique_pairs(found)
    ia, ib = flat // len(b), flat % len(b)
    return ia, ib, dice(a.clks, b.clks, ia, ib)


def _key_scores(
    a: Party, b: Party, params: LinkParams
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    best: dict[int, float] = {}
    for rank, name in enumerate(a.match_keys):
        score = 1.0 - rank * MATCH_KEY_STEP
        for pair in key_candidates(a.match_keys[name], b.match_keys[name], params.max_bucket_pairs):
            best.setdefault(int(pair), score)
    flat = np.fromiter(best.keys(), dtype=np.int64, count=len(best))
    scores = np.fromiter(best.values(), dtype=np.float32, count=len(best))
    return flat // len(b), flat % len(b), scores


# Assignment ------------------------------------------------------------------------------------


@dataclass
class _Groups:
    """Union-find over all parties' records; a group holds at most one record per party."""

    party_of: np.ndarray
    truth: list[object] | None
    parent: list[int] = field(init=False)
    mask: list[int] = field(init=False)
    size: list[int] = field(init=False)
    counts: dict[int, Counter[object]] = field(init=False)

    def __post_init__(self) -> None:
        n = len(self.party_of)
        self.parent = list(range(n))
        self.mask = [1 << int(p) for p in self.party_of]
        self.size = [1] * n
        self.counts = {}

    def find(self, x: int) -> int:
        root = x
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[x] != root:
            self.parent[x], x = root, self.parent[x]
        return root

    def _truth(self, root: int) -> Counter[object]:
        if root not in self.counts:
            value = self.truth[root] if self.truth is not None else None
            self.counts[root] = Counter([value] if value is not None else [])
        return self.counts[root]

    def merge(self, u: int, v: int, score: float) -> Merge | None:
        ru, rv = self.find(u), self.find(v)
        if ru == rv or self.mask[ru] & self.mask[rv]:
            return None
        true_pairs = 0
        if self.truth is not None:
            cu, cv = self._truth(ru), self._truth(rv)
            small, large = (cu, cv) if len(cu) < len(cv) else (cv, cu)
            true_pairs = sum(n * large.get(t, 0) for t, n in small.items())
        if self.size[ru] < self.size[rv]:
            ru, rv = rv, ru
        merge = Merge(score, self.size[ru] * self.size[rv], true_pairs)
        self.parent[rv] = ru
        self.mask[ru] |= self.mask[rv]
        self.size[ru] += self.size[rv]
        if self.truth is not None:
            self.counts[ru] = self._truth(ru) + self._truth(rv)
            self.counts.pop(rv, None)
        return merge


def assign(
    party_of: np.ndarray,
    u: np.ndarray,
    v: np.ndarray,
    scores: np.ndarray,
    threshold: float,
    truth: list[object] | None = None,
) -> tuple[np.ndarray, np.ndarray, list[Merge]]:
    """Greedy grouping of edges, best first. Returns each record's group and confidence at
    ``threshold``, and every merge down to the lowest score given (for the quality report)."""
    order = np.lexsort((v, u, -scores.astype(np.float64)))
    groups = _Groups(party_of, truth)
    confidence = np.full(len(party_of), np.nan)
    merges: list[Merge] = []
    snapshot: tuple[np.ndarray, np.ndarray] | None = None
    for start in range(0, len(order), 500_000):  # Python lists a chunk at a time, not all
        part = order[start : start + 500_000]
        for x, y, s in zip(u[part].tolist(), v[part].tolist(), scores[part].tolist(), strict=True):
            if snapshot is None and s < threshold:
                snapshot = (_roots(groups), confidence.copy())
            merge = groups.merge(x, y, s)
            if merge is None:
                continue
            merges.append(merge)
            for node in (x, y):
                if np.isnan(confidence[node]):
                    confidence[node] = s
    if snapshot is None:
        snapshot = (_roots(groups), confidence)
    return snapshot[0], snapshot[1], merges


def _roots(groups: _Groups) -> np.ndarray:
    n = len(groups.party_of)
    return np.fromiter((groups.find(i) for i in range(n)), np.int64, n)


def new_link_ids(roots: np.ndarray) -> np.ndarray:
    """A random pseudonymous id for each group (no information from the records)."""
    unique, inverse = np.unique(roots, return_inverse=True)
    raw = np.frombuffer(os.urandom(8 * len(unique)), dtype=">u8")
    ids = np.array([f"L{x:016x}" for x in raw.tolist()], dtype=object)
    return ids[inverse]


def count_true_pairs(parties: Sequence[Party]) -> int | None:
    """Cross-party record pairs that share a true identity (None without ground truth)."""
    if any(p.truth is None for p in parties):
        return None
    counts = [Counter(t for t in p.truth if t is not None) for p in parties]  # type: ignore[union-attr]
    total = 0
    for x in range(len(counts)):
        for y in range(x + 1, len(counts)):
            total += sum(n * counts[y].get(t, 0) for t, n in counts[x].items())
    return total


def _floor(scores: np.ndarray, params: LinkParams, records: int) -> float:
    """The lowest score kept for assignment and the quality table: ``params.lowest``, raised so
    that at most ``edges_per_record`` edges per record are kept (never above the threshold)."""
    budget = params.edges_per_record * records
    if len(scores) <= budget:
        return params.lowest
    kth = float(np.partition(scores, len(scores) - budget)[len(scores) - budget])
    return min(max(params.lowest, kth), params.threshold)


def link(
    parties: Sequence[Party], params: LinkParams, progress: Progress | None = None
) -> LinkOutcome:
    """Link two or more parties' encodings; one mapping per party, in the order given."""
    if len(parties) < 2:
        raise ValueError("linking needs at least two parties")
    offsets = np.cumsum([0] + [len(p) for p in parties])
    pairs = [(x, y) for x in range(len(parties)) for y in range(x + 1, len(parties))]
    steps = len(pairs) * (params.bands + 1) + 1
    edges_u, edges_v, edges_s, all_scores = [], [], [], []
    for n, (x, y) in enumerate(pairs):
        base = n * (params.bands + 1)
        tick = (
            (lambda band, b=base: progress(b + band, steps, "Comparing encodings"))
            if progress
            else None
        )
        ia, ib, scores = score_pairs(parties[x], parties[y], params, tick)
        all_scores.append(scores)
        keep = scores >= _floor(scores, params, len(parties[x]) + len(parties[y]))
        edges_u.append(ia[keep] + offsets[x])
        edges_v.append(ib[keep] + offsets[y])
        edges_s.append(scores[keep])
    if progress:
        progress(steps - 1, steps, "Assigning matches")
    party_of = np.repeat(np.arange(len(parties)), [len(p) for p in parties])
    truth = (
        [t for p in parties for t in p.truth.tolist()]  # type: ignore[union-attr]
        if all(p.truth is not None for p in parties)
        else None
    )
    u, v, s = np.concatenate(edges_u), np.concatenate(edges_v), np.concatenate(edges_s)
    roots, confidence, merges = assign(party_of, u, v, s, params.threshold, truth)
    link_ids = new_link_ids(roots)
    mappings = [
        Mapping(
            p.record_ids,
            link_ids[offsets[i] : offsets[i + 1]],
            confidence[offsets[i] : offsets[i + 1]],
        )
        for i, p in enumerate(parties)
    ]
    scores = np.concatenate(all_scores) if all_scores else np.zeros(0, np.float32)
    if progress:
        progress(steps, steps, "Done")
    return LinkOutcome(mappings, merges, scores, len(scores), count_true_pairs(parties))
