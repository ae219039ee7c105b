"""Linkage quality: the score distribution, what each threshold would accept, and, when ground
truth was supplied for evaluation, precision, recall and F1 at every threshold.

Pairs are counted across parties: a group of three records from three parties makes three
linked pairs. Pure: works on the matching outcome, knows nothing of files or the web.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from missionhub.linkage.matching import LinkOutcome, Merge

HISTOGRAM_BINS = 20


@dataclass(frozen=True)
class ThresholdRow:
    threshold: float
    links: int
    pairs: int
    true_pairs: int | None
    precision: float | None
    recall: float | None
    f1: float | None


def precision_recall_f1(
    predicted: int, correct: int, actual: int
) -> tuple[float | None, float | None, float | None]:
    precision = correct / predicted if predicted else None
    recall = correct / actual if actual else None
    if not precision or not recall:
        return precision, recall, 0.0 if precision is not None and recall is not None else None
    return precision, recall, 2 * precision * recall / (precision + recall)


def histogram(scores: np.ndarray, bins: int = HISTOGRAM_BINS) -> list[dict[str, float | int]]:
    counts, edges = np.histogram(scores, bins=bins, range=(0.0, 1.0))
    return [
        {"lower": round(float(lo), 3), "upper": round(float(hi), 3), "count": int(c)}
        for lo, hi, c in zip(edges[:-1], edges[1:], counts, strict=True)
    ]


def threshold_rows(
    merges: list[Merge], thresholds: list[float], true_total: int | None
) -> list[ThresholdRow]:
    """What the greedy assignment accepts at each threshold (its merges are best first)."""
    scores = np.array([m.score for m in merges], dtype=np.float64)
    pairs = np.cumsum([m.pairs for m in merges], dtype=np.int64)
    correct = np.cumsum([m.true_pairs for m in merges], dtype=np.int64)
    rows = []
    for t in thresholds:
        k = int(np.count_nonzero(scores >= t - 1e-9))
        n_pairs = int(pairs[k - 1]) if k else 0
        n_true = int(correct[k - 1]) if k else 0
        p, r, f = (
            precision_recall_f1(n_pairs, n_true, true_total)
            if true_total is not None
            else (None, None, None)
        )
        rows.append(
            ThresholdRow(
                round(t, 3), k, n_pairs, n_true if true_total is not None else None, p, r, f
            )
        )
    return rows


def threshold_grid(lowest: float, threshold: float, step: float = 0.02) -> list[float]:
    start = np.floor(min(lowest, threshold) / step) * step
    grid = {round(float(t), 3) for t in np.arange(start, 1.0 + 1e-9, step)}
    return sorted(grid | {round(threshold, 3)})


def summarise(outcome: LinkOutcome, threshold: float) -> dict[str, Any]:
    """A JSON-able quality report, kept with the link run."""
    lowest = min((m.score for m in outcome.merges), default=threshold)
    rows = threshold_rows(outcome.merges, threshold_grid(lowest, threshold), outcome.true_pairs)
    chosen = next(r for r in rows if abs(r.threshold - round(threshold, 3)) < 1e-9)
    return {
        "threshold": threshold,
        "candidates": outcome.candidates,
        "histogram": histogram(outcome.candidate_scores),
        "thresholds": [asdict(r) for r in rows],
        "at_threshold": asdict(chosen),
        "has_truth": outcome.true_pairs is not None,
        "true_pairs": outcome.true_pairs,
        "matched": [m.matched for m in outcome.mappings],
        "records": [len(m.record_ids) for m in outcome.mappings],
    }
