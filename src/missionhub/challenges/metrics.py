"""The evaluation engine: efficacy and bias metrics from per-cell confusion counts.

Pure functions over NumPy arrays; nothing here knows of the web, the ORM or files.

Every metric is computed from the confusion counts of a *cell* (everyone, one group, one
intersection of groups, one functionality): one ``bincount`` per grouping gives every cell's
true negatives, false positives, false negatives and true positives at once. A rate whose
denominator is zero is undefined (NaN here, ``None`` in results), never silently zero.

Uncertainty:
- Wilson score intervals for every rate;
- a paired bootstrap for gaps and for differences between submissions. Rows are resampled
  with replacement; because every metric depends only on how many resampled rows fall in each
  *pattern* (cell atom x gold label x every submission's prediction), a resample is drawn as
  one multinomial over the distinct patterns. That is the same distribution as resampling rows,
  shares each resample across all submissions (paired), and costs nothing per row;
- two-proportion z-tests of each cell against the rest of its grouping, with
  Benjamini-Hochberg false discovery rate control across every cell and metric tested.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import combinations

import numpy as np
from numpy.typing import NDArray

Z95 = 1.959963984540054
TN, FP, FN, TP = 0, 1, 2, 3  # column order of a confusion-count array: index = 2*gold + pred

RATE_METRICS = ("accuracy", "precision", "recall", "fpr", "fnr", "selection_rate")
METRICS = (*RATE_METRICS, "f1")
HIGHER_IS_BETTER = {
    "accuracy": True,
    "precision": True,
    "recall": True,
    "fpr": False,
    "fnr": False,
    "selection_rate": True,  # no better or worse: the gap is measured to the highest group
    "f1": True,
    "roc_auc": True,
}
METRIC_LABELS = {
    "accuracy": "Accuracy",
    "precision": "Precision",
    "recall": "Recall (true positive rate)",
    "fpr": "False positive rate",
    "fnr": "False negative rate",
    "selection_rate": "Selection rate",
    "f1": "F1 score",
    "roc_auc": "ROC AUC",
}
NOT_STATED = "(not stated)"
SEP = " \u00d7 "  # joins the parts of an intersection: "women x 25-44"

Counts = NDArray[np.int64]
Floats = NDArray[np.float64]


# Cells -------------------------------------------------------------------------------------


def encode(values: Sequence[object] | NDArray[np.object_]) -> tuple[NDArray[np.int64], list[str]]:
    """Integer codes and sorted labels for a group attribute; a missing value is a group of
    its own ("(not stated)"), so no row is ever dropped."""
    text = np.array([NOT_STATED if _missing(v) else str(v) for v in values], dtype=object)
    labels, codes = np.unique(text.astype(str), return_inverse=True)
    return codes.astype(np.int64), [str(x) for x in labels]


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value == ""


@dataclass(frozen=True)
class Grouping:
    """A partition of the rows into cells: everyone, one attribute, an intersection, ..."""

    name: str
    dimension: str  # "overall" | "group" | "intersection" | "functionality"
    codes: NDArray[np.int64]
    labels: list[str]

    @property
    def size(self) -> int:
        return len(self.labels)


def intersect(name: str, parts: Sequence[Grouping]) -> Grouping:
    """The observed combinations of several groupings (empty combinations are not cells)."""
    stacked = np.stack([p.codes for p in parts], axis=1)
    combos, codes = np.unique(stacked, axis=0, return_inverse=True)
    labels = [SEP.join(p.labels[c] for p, c in zip(parts, row, strict=True)) for row in combos]
    return Grouping(name, "intersection", codes.reshape(-1).astype(np.int64), labels)


def build_groupings(
    n: int,
    groups: dict[str, NDArray[np.int64] | tuple[NDArray[np.int64], list[str]]],
    functionality: tuple[NDArray[np.int64], list[str]] | None = None,
) -> list[Grouping]:
    """Overall, each group attribute, every intersection of two or more, and functionality."""
    result = [Grouping("overall", "overall", np.zeros(n, dtype=np.int64), ["Everyone"])]
    singles = []
    for name, value in groups.items():
        codes, labels = value if isinstance(value, tuple) else (value, _code_labels(value))
        singles.append(Grouping(name, "group", codes, labels))
    result += singles
    for size in range(2, len(singles) + 1):
        for combo in combinations(singles, size):
            result.append(intersect(SEP.join(g.name for g in combo), combo))
    if functionality is not None:
        result.append(Grouping("functionality", "functionality", *functionality))
    return result


def _code_labels(codes: NDArray[np.int64]) -> list[str]:
    return [str(i) for i in range(int(codes.max()) + 1 if codes.size else 0)]


def confusion_counts(
    codes: NDArray[np.int64], size: int, gold: NDArray[np.bool_], pred: NDArray[np.bool_]
) -> Counts:
    """(cells, 4) counts [tn, fp, fn, tp] per cell, in one pass."""
    key = codes * 4 + gold.astype(np.int64) * 2 + pred.astype(np.int64)
    return np.bincount(key, minlength=size * 4).reshape(size, 4).astype(np.int64)


# Metrics from counts -----------------------------------------------------------------------


def _ratio(num: NDArray[np.float64], den: NDArray[np.float64]) -> Floats:
    out = np.full(np.broadcast(num, den).shape, np.nan)
    np.divide(num, den, out=out, where=den > 0)
    return out


def numerators_denominators(c: NDArray[np.float64]) -> dict[str, tuple[Floats, Floats]]:
    """For each rate: (numerator, denominator) arrays over the last axis of counts."""
    tn, fp, fn, tp = c[..., TN], c[..., FP], c[..., FN], c[..., TP]
    n = tn + fp + fn + tp
    return {
        "accuracy": (tp + tn, n),
        "precision": (tp, tp + fp),
        "recall": (tp, tp + fn),
        "fpr": (fp, fp + tn),
        "fnr": (fn, fn + tp),
        "selection_rate": (tp + fp, n),
        "f1": (2 * tp, 2 * tp + fp + fn),
    }


def metric_values(counts: Counts | NDArray[np.float64]) -> dict[str, Floats]:
    """Every metric for every cell (any leading shape); NaN where the denominator is zero."""
    c = np.asarray(counts, dtype=np.float64)
    return {m: _ratio(num, den) for m, (num, den) in numerators_denominators(c).items()}


def wilson(x: Floats, n: Floats, z: float = Z95) -> tuple[Floats, Floats]:
    """Wilson score interval for x successes in n trials (NaN where n is zero)."""
    x, n = np.asarray(x, dtype=np.float64), np.asarray(n, dtype=np.float64)
    safe = np.where(n > 0, n, 1.0)
    p = x / safe
    denom = 1 + z * z / safe
    centre = (p + z * z / (2 * safe)) / denom
    half = z * np.sqrt(p * (1 - p) / safe + z * z / (4 * safe * safe)) / denom
    low = np.where(n > 0, np.clip(centre - half, 0.0, 1.0), np.nan)
    high = np.where(n > 0, np.clip(centre + half, 0.0, 1.0), np.nan)
    return low, high


def roc_auc_by_cell(
    codes: NDArray[np.int64], size: int, gold: NDArray[np.bool_], scores: Floats
) -> Floats:
    """ROC AUC per cell by the Mann-Whitney statistic with average ranks for ties
    (NaN for a cell without both classes)."""
    order = np.lexsort((scores, codes))
    c, s, g = codes[order], scores[order], gold[order]
    n = len(c)
    new_run = np.ones(n, dtype=bool)
    if n > 1:
        new_run[1:] = (c[1:] != c[:-1]) | (s[1:] != s[:-1])
    run_id = np.cumsum(new_run) - 1
    run_start = np.flatnonzero(new_run)
    run_len = np.diff(np.append(run_start, n))
    cell_start = np.zeros(size, dtype=np.int64)
    counts = np.bincount(c, minlength=size)
    cell_start[1:] = np.cumsum(counts)[:-1]
    # average 1-based rank of each run, relative to the start of its cell
    avg_rank = run_start + (run_len + 1) / 2.0 - cell_start[c[run_start]]
    rank = avg_rank[run_id]
    pos = np.bincount(c, weights=g.astype(np.float64), minlength=size)
    neg = counts - pos
    rank_sum = np.bincount(c, weights=np.where(g, rank, 0.0), minlength=size)
    u = rank_sum - pos * (pos + 1) / 2.0
    return _ratio(u, pos * neg)


# Gaps, tests, false discovery --------------------------------------------------------------


def reference_values(values: Floats, metric: str) -> float:
    """The best cell's value of a metric (lowest for error rates, highest otherwise)."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return math.nan
    return float(finite.max() if HIGHER_IS_BETTER[metric] else finite.min())


def two_proportion_p(x1: Floats, n1: Floats, x2: Floats, n2: Floats) -> Floats:
    """Two-sided p-value of a pooled two-proportion z-test (NaN where a side is empty)."""
    ok = (n1 > 0) & (n2 > 0)
    s1, s2 = np.where(ok, n1, 1.0), np.where(ok, n2, 1.0)
    pooled = np.clip((x1 + x2) / (s1 + s2), 0.0, 1.0)
    se = np.sqrt(pooled * (1 - pooled) * (1 / s1 + 1 / s2))
    diff = np.abs(x1 / s1 - x2 / s2)
    z = np.divide(diff, se, out=np.zeros_like(diff), where=se > 0)
    p = np.array([math.erfc(v / math.sqrt(2)) for v in np.ravel(z)]).reshape(z.shape)
    return np.where(ok, p, np.nan)


def benjamini_hochberg(p: Floats) -> Floats:
    """BH-adjusted q-values for the finite p-values (NaN stays NaN)."""
    p = np.asarray(p, dtype=np.float64)
    q = np.full(p.shape, np.nan)
    idx = np.flatnonzero(np.isfinite(p))
    m = idx.size
    if m == 0:
        return q
    order = idx[np.argsort(p[idx], kind="stable")]
    ranked = p[order] * m / np.arange(1, m + 1)
    q[order] = np.minimum(np.minimum.accumulate(ranked[::-1])[::-1], 1.0)
    return q


# Bootstrap ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Patterns:
    """Distinct (atom, gold, prediction of every submission) patterns and their counts."""

    atom: NDArray[np.int64]  # per pattern: the index of its finest cell
    gold: NDArray[np.int64]
    preds: NDArray[np.int64]  # (submissions, patterns)
    counts: NDArray[np.int64]


def atoms(groupings: Sequence[Grouping]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """The finest partition (row -> atom) and, for each grouping, atom -> cell (stacked)."""
    stacked = np.stack([g.codes for g in groupings], axis=1)
    combos, row_atom = np.unique(stacked, axis=0, return_inverse=True)
    return row_atom.reshape(-1).astype(np.int64), combos.astype(np.int64)


def patterns(
    row_atom: NDArray[np.int64], gold: NDArray[np.bool_], preds: Sequence[NDArray[np.bool_]]
) -> Patterns:
    key = row_atom * 2 + gold.astype(np.int64)
    width = int(row_atom.max()) + 1 if row_atom.size else 1
    if width * 2 ** (len(preds) + 1) < 2**62:
        for p in preds:
            key = key * 2 + p.astype(np.int64)
        uniq, counts = np.unique(key, return_counts=True)
        bits = []
        for _ in preds:
            bits.append(uniq & 1)
            uniq = uniq >> 1
        return Patterns(uniq >> 1, uniq & 1, np.array(bits[::-1]).reshape(len(preds), -1), counts)
    stacked = np.stack([row_atom, gold.astype(np.int64), *[p.astype(np.int64) for p in preds]], 1)
    rows, counts = np.unique(stacked, axis=0, return_counts=True)
    return Patterns(rows[:, 0], rows[:, 1], rows[:, 2:].T.copy(), counts)


def resample_counts(
    rng: np.random.Generator, counts: NDArray[np.int64], n_resamples: int
) -> NDArray[np.int64]:
    """(resamples, patterns): how often each pattern is drawn in a row-level bootstrap."""
    n = int(counts.sum())
    return rng.multinomial(n, counts / n, size=n_resamples).astype(np.int64)


def cell_counts_from_patterns(
    weights: NDArray[np.int64],
    pattern_cell: NDArray[np.int64],
    gold: NDArray[np.int64],
    pred: NDArray[np.int64],
    size: int,
) -> Counts:
    """(resamples, cells, 4) confusion counts from pattern weights, in one bincount."""
    r = weights.shape[0]
    idx = pattern_cell * 4 + gold * 2 + pred
    flat = (np.arange(r, dtype=np.int64)[:, None] * (size * 4) + idx[None, :]).ravel()
    out = np.bincount(flat, weights=weights.ravel().astype(np.float64), minlength=r * size * 4)
    return out.reshape(r, size, 4).astype(np.int64)


@dataclass
class Bootstrap:
    """Per submission and grouping: (resamples, cells, 4) counts from shared resamples."""

    n_resamples: int
    seed: int
    counts: list[list[Counts]] = field(default_factory=list)  # [submission][grouping]


def paired_bootstrap(
    groupings: Sequence[Grouping],
    gold: NDArray[np.bool_],
    preds: Sequence[NDArray[np.bool_]],
    *,
    n_resamples: int = 1000,
    seed: int = 20260101,
    batch: int = 250,
) -> Bootstrap:
    """The same resamples for every submission; counts per cell for each resample."""
    row_atom, atom_cells = atoms(groupings)
    pats = patterns(row_atom, gold, preds)
    rng = np.random.default_rng(seed)
    boot = Bootstrap(n_resamples, seed, [[] for _ in preds])
    parts: list[list[list[Counts]]] = [[[] for _ in groupings] for _ in preds]
    done = 0
    while done < n_resamples:
        w = resample_counts(rng, pats.counts, min(batch, n_resamples - done))
        for s in range(len(preds)):
            for gi, g in enumerate(groupings):
                cell = atom_cells[pats.atom, gi]
                parts[s][gi].append(
                    cell_counts_from_patterns(w, cell, pats.gold, pats.preds[s], g.size)
                )
        done += w.shape[0]
    boot.counts = [[np.concatenate(p, axis=0) for p in sub] for sub in parts]
    return boot


def percentile_interval(samples: Floats, level: float = 0.95) -> tuple[Floats, Floats]:
    """Percentile interval over the first axis, ignoring resamples where it is undefined."""
    tail = 100 * (1 - level) / 2
    with np.errstate(all="ignore"):
        finite = np.isfinite(samples).any(axis=0)
        safe = np.where(np.isfinite(samples), samples, np.nan)
        if not finite.any():
            nan = np.full(samples.shape[1:], np.nan)
            return nan, nan.copy()
        low = np.full(samples.shape[1:], np.nan)
        high = np.full(samples.shape[1:], np.nan)
        low[finite] = np.nanpercentile(safe[:, finite], tail, axis=0)
        high[finite] = np.nanpercentile(safe[:, finite], 100 - tail, axis=0)
    return low, high


# Counterfactual consistency ----------------------------------------------------------------


@dataclass(frozen=True)
class Counterfactual:
    templates: int  # templates filled for two or more groups
    consistent: int  # of which every group got the same prediction
    by_group: dict[str, tuple[int, int]]  # group -> (templates it is in, odd one out)


def counterfactual_consistency(
    template: NDArray[np.int64],
    group: NDArray[np.int64],
    labels: list[str],
    pred: NDArray[np.bool_],
) -> Counterfactual:
    """Same template, different group: was the prediction the same?

    ``template`` is -1 for rows outside any template. A group's prediction in a template is
    its majority prediction there. A group is the *odd one out* when every other group in the
    template agrees and it alone differs."""
    keep = template >= 0
    t, g, p = template[keep], group[keep], pred[keep].astype(np.float64)
    if t.size == 0:
        return Counterfactual(0, 0, {})
    k = len(labels)
    pair = t * k + g
    uniq, inv = np.unique(pair, return_inverse=True)
    share = np.bincount(inv, weights=p) / np.bincount(inv)
    pt, pg, pv = uniq // k, uniq % k, (share >= 0.5).astype(np.int64)
    _, tinv = np.unique(pt, return_inverse=True)
    groups_in = np.bincount(tinv)
    positives = np.bincount(tinv, weights=pv)
    multi = groups_in >= 2
    consistent = multi & ((positives == 0) | (positives == groups_in))
    others_pos = positives[tinv] - pv
    others_n = groups_in[tinv] - 1
    others_agree = (others_pos == 0) | (others_pos == others_n)
    odd = multi[tinv] & others_agree & (pv != (others_pos > 0)) & (others_n >= 1)
    by_group = {}
    for code, label in enumerate(labels):
        mine = (pg == code) & multi[tinv]
        if mine.any():
            by_group[label] = (int(mine.sum()), int((odd & mine).sum()))
    return Counterfactual(int(multi.sum()), int(consistent.sum()), by_group)
