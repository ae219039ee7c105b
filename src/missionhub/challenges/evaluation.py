"""Assemble the engine's numbers into one JSON-able result for a suite and its submissions.

Pure: arrays in, plain dicts out (NaN becomes None). The services store the result; the report
reads it. Nothing per case is kept in the result: only aggregates over cells.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from missionhub.challenges import metrics as m

DEFAULT_RESAMPLES = 1000
DEFAULT_SEED = 20260101
Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class SuiteArrays:
    """A hidden suite as arrays: gold labels and the attributes cells are made of."""

    gold: NDArray[np.bool_]
    groups: dict[str, tuple[NDArray[np.int64], list[str]]]
    functionality: tuple[NDArray[np.int64], list[str]] | None = None
    template: NDArray[np.int64] | None = None  # -1 where a case has no template


@dataclass(frozen=True)
class SubmissionArrays:
    key: str
    name: str
    pred: NDArray[np.bool_]
    scores: NDArray[np.float64] | None = None


def clean(value: Any) -> Any:
    """Floats that are NaN or infinite become None; NumPy scalars become Python ones."""
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    return value


def evaluate(
    suite: SuiteArrays,
    submissions: Sequence[SubmissionArrays],
    *,
    min_denominator: int = 30,
    n_resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
    primary_metric: str = "f1",
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Every metric for every cell and submission, with intervals, tests and a ranking."""
    tick = progress or (lambda done, total, message: None)
    n = int(suite.gold.size)
    groupings = m.build_groupings(n, dict(suite.groups), suite.functionality)
    total = len(submissions) + 2
    tick(0, total, "Drawing the shared bootstrap resamples")
    boot = m.paired_bootstrap(
        groupings, suite.gold, [s.pred for s in submissions], n_resamples=n_resamples, seed=seed
    )
    tick(1, total, "Resamples drawn")
    results = []
    for i, sub in enumerate(submissions):
        results.append(_submission(suite, sub, groupings, boot.counts[i], min_denominator))
        tick(2 + i, total, f"Evaluated {sub.name}")
    overall = [_overall_samples(boot.counts[i][0]) for i in range(len(submissions))]
    return clean(
        {
            "n": n,
            "positives": int(suite.gold.sum()),
            "negatives": int(n - suite.gold.sum()),
            "settings": {
                "min_denominator": min_denominator,
                "n_resamples": n_resamples,
                "seed": seed,
                "confidence": 0.95,
                "primary_metric": primary_metric,
            },
            "groupings": [
                {"name": g.name, "dimension": g.dimension, "cells": g.labels} for g in groupings
            ],
            "submissions": results,
            "comparisons": _comparisons(submissions, overall),
            "ranking": _ranking(submissions, results, overall, primary_metric),
            "largest_gaps": largest_gaps(results),
        }
    )


# One submission ----------------------------------------------------------------------------


def _submission(
    suite: SuiteArrays,
    sub: SubmissionArrays,
    groupings: list[m.Grouping],
    boot_counts: list[m.Counts],
    min_n: int,
) -> dict[str, Any]:
    cells: list[dict[str, Any]] = []
    summary: dict[str, Any] = {}
    overall_counts = m.confusion_counts(groupings[0].codes, 1, suite.gold, sub.pred)
    overall_vals = m.metric_values(overall_counts)
    overall_auc = _auc(groupings[0], suite.gold, sub.scores)
    overall_boot = m.metric_values(boot_counts[0])
    for gi, g in enumerate(groupings):
        counts = m.confusion_counts(g.codes, g.size, suite.gold, sub.pred)
        block = _grouping_cells(
            g, counts, overall_counts[0], overall_vals, boot_counts[gi], overall_boot, min_n
        )
        auc = _auc(g, suite.gold, sub.scores)
        if auc is not None:
            _add_auc(block, auc, float(overall_auc[0]) if overall_auc is not None else math.nan)
        cells += block
        if g.dimension != "overall":
            summary[g.name] = _grouping_summary(block)
    _adjust(cells)
    tested = [c for cell in cells for c in cell["metrics"].values() if math.isfinite(c["p"])]
    result: dict[str, Any] = {
        "key": sub.key,
        "name": sub.name,
        "has_scores": sub.scores is not None,
        "cells": cells,
        "summary": summary,
        "tests": len(tested),
        "significant": sum(1 for c in tested if c["q"] < 0.05),
    }
    if suite.template is not None and suite.groups:
        name, (codes, labels) = next(iter(suite.groups.items()))
        cf = m.counterfactual_consistency(suite.template, codes, labels, sub.pred)
        low, high = m.wilson(np.array([cf.consistent]), np.array([cf.templates]))
        result["counterfactual"] = {
            "attribute": name,
            "templates": cf.templates,
            "consistent": cf.consistent,
            "rate": cf.consistent / cf.templates if cf.templates else None,
            "low": float(low[0]),
            "high": float(high[0]),
            "by_group": [
                {"group": k, "templates": t, "odd_one_out": o} for k, (t, o) in cf.by_group.items()
            ],
        }
    return result


def _auc(g: m.Grouping, gold: NDArray[np.bool_], scores: NDArray[np.float64] | None) -> Any:
    if scores is None:
        return None
    return m.roc_auc_by_cell(g.codes, g.size, gold, scores)


def _grouping_cells(
    g: m.Grouping,
    counts: m.Counts,
    overall_counts: m.Counts,
    overall_vals: dict[str, m.Floats],
    boot: m.Counts,
    overall_boot: dict[str, m.Floats],
    min_n: int,
) -> list[dict[str, Any]]:
    parts = m.numerators_denominators(counts.astype(np.float64))
    totals = m.numerators_denominators(overall_counts.astype(np.float64))
    vals = m.metric_values(counts)
    boot_vals = m.metric_values(boot)
    per_metric: dict[str, dict[str, m.Floats]] = {}
    for metric in m.METRICS:
        num, den = parts[metric]
        value = vals[metric]
        low, high = m.wilson(num, den) if metric in m.RATE_METRICS else (value * np.nan,) * 2
        gap_low, gap_high = m.percentile_interval(boot_vals[metric] - overall_boot[metric])
        best = m.reference_values(value, metric)
        tot_num, tot_den = totals[metric]
        p = (
            m.two_proportion_p(num, den, tot_num - num, tot_den - den)
            if metric in m.RATE_METRICS and g.dimension != "overall"
            else value * np.nan
        )
        per_metric[metric] = {
            "value": value,
            "low": low,
            "high": high,
            "num": num,
            "den": den,
            "gap_overall": value - overall_vals[metric][0],
            "gap_low": gap_low,
            "gap_high": gap_high,
            "ratio_overall": m._ratio(value, np.full_like(value, overall_vals[metric][0])),
            "gap_best": value - best,
            "ratio_best": m._ratio(value, np.full_like(value, best)),
            "p": p,
        }
    cells = []
    for k, label in enumerate(g.labels):
        tn, fp, fn, tp = (int(x) for x in counts[k])
        cell_metrics = {}
        for metric, arrays in per_metric.items():
            entry = {name: float(arr[k]) for name, arr in arrays.items()}
            entry["small"] = entry["den"] < min_n
            entry["q"] = math.nan
            cell_metrics[metric] = entry
        cells.append(
            {
                "grouping": g.name,
                "dimension": g.dimension,
                "cell": label,
                "n": tn + fp + fn + tp,
                "positives": fn + tp,
                "negatives": tn + fp,
                "predicted_positive": tp + fp,
                "tn": tn,
                "fp": fp,
                "fn": fn,
                "tp": tp,
                "metrics": cell_metrics,
            }
        )
    return cells


def _add_auc(block: list[dict[str, Any]], auc: m.Floats, overall: float) -> None:
    best = m.reference_values(auc, "roc_auc")
    for k, cell in enumerate(block):
        value = float(auc[k])
        cell["metrics"]["roc_auc"] = {
            "value": value,
            "num": math.nan,
            "den": float(min(cell["positives"], cell["negatives"])),
            "small": min(cell["positives"], cell["negatives"]) < 1,
            "gap_overall": value - overall,
            "ratio_overall": value / overall if overall else math.nan,
            "gap_best": value - best,
            "ratio_best": value / best if best else math.nan,
            "low": math.nan,
            "high": math.nan,
            "gap_low": math.nan,
            "gap_high": math.nan,
            "p": math.nan,
            "q": math.nan,
        }


def _adjust(cells: list[dict[str, Any]]) -> None:
    """Benjamini-Hochberg across every cell and metric tested for this submission."""
    entries = [e for cell in cells for e in cell["metrics"].values()]
    q = m.benjamini_hochberg(np.array([e["p"] for e in entries], dtype=np.float64))
    for entry, value in zip(entries, q, strict=True):
        entry["q"] = float(value)


def _grouping_summary(block: list[dict[str, Any]]) -> dict[str, Any]:
    """Per metric: the difference and ratio between groups (max - min, min / max), the largest
    distance to overall, and the worst and best cells (Fairlearn's difference and ratio)."""
    out = {}
    for metric in block[0]["metrics"]:
        pairs = [
            (c["metrics"][metric]["value"], c["cell"], c["metrics"][metric]["gap_overall"])
            for c in block
            if math.isfinite(c["metrics"][metric]["value"])
        ]
        if not pairs:
            continue
        values = [v for v, _, _ in pairs]
        lo, hi = min(pairs), max(pairs)
        worst, best = (lo, hi) if m.HIGHER_IS_BETTER[metric] else (hi, lo)
        out[metric] = {
            "difference": hi[0] - lo[0],
            "ratio": lo[0] / hi[0] if hi[0] else math.nan,
            "to_overall": max(abs(g) for _, _, g in pairs),
            "worst_cell": worst[1],
            "best_cell": best[1],
            "cells": len(values),
        }
    return out


# Across submissions ------------------------------------------------------------------------


def _overall_samples(counts: m.Counts) -> dict[str, m.Floats]:
    return {k: v[:, 0] for k, v in m.metric_values(counts).items()}


def _comparisons(
    subs: Sequence[SubmissionArrays], overall: list[dict[str, m.Floats]]
) -> list[dict[str, Any]]:
    out = []
    for a in range(len(subs)):
        for b in range(a + 1, len(subs)):
            for metric in m.METRICS:
                diff = overall[a][metric] - overall[b][metric]
                low, high = m.percentile_interval(diff[:, None])
                out.append(
                    {
                        "metric": metric,
                        "a": subs[a].key,
                        "b": subs[b].key,
                        "low": float(low[0]),
                        "high": float(high[0]),
                    }
                )
    return out


def _ranking(
    subs: Sequence[SubmissionArrays],
    results: list[dict[str, Any]],
    overall: list[dict[str, m.Floats]],
    metric: str,
) -> list[dict[str, Any]]:
    if not subs:
        return []
    values = np.array([r["cells"][0]["metrics"][metric]["value"] for r in results])
    samples = np.stack([o[metric] for o in overall], axis=1)  # (resamples, submissions)
    sign = -1.0 if m.HIGHER_IS_BETTER[metric] else 1.0
    filled = np.where(np.isfinite(samples), samples * sign, np.inf)
    ranks = filled.argsort(axis=1).argsort(axis=1) + 1
    point = np.where(np.isfinite(values), values * sign, np.inf).argsort().argsort() + 1
    rows = []
    for i, sub in enumerate(subs):
        low, high = m.percentile_interval(samples[:, i : i + 1])
        rows.append(
            {
                "key": sub.key,
                "name": sub.name,
                "metric": metric,
                "value": values[i],
                "low": float(low[0]),
                "high": float(high[0]),
                "rank": int(point[i]),
                "rank_low": int(np.percentile(ranks[:, i], 2.5, method="lower")),
                "rank_high": int(np.percentile(ranks[:, i], 97.5, method="higher")),
                "p_best": float((ranks[:, i] == 1).mean()),
            }
        )
    return sorted(rows, key=lambda r: r["rank"])


def largest_gaps(results: list[dict[str, Any]], limit: int = 10) -> list[dict[str, Any]]:
    """The largest harmful gaps to overall for groups and intersections of groups (not
    functionalities, not "(not stated)"), among cells big enough to trust."""
    found = []
    for r in results:
        for cell in r["cells"]:
            if cell["dimension"] not in ("group", "intersection") or m.NOT_STATED in cell["cell"]:
                continue
            for metric, e in cell["metrics"].items():
                harm = _harm(metric, e["gap_overall"])
                if harm is None or e["small"] or metric == "selection_rate":
                    continue
                found.append(
                    {
                        "key": r["key"],
                        "name": r["name"],
                        "grouping": cell["grouping"],
                        "cell": cell["cell"],
                        "metric": metric,
                        "value": e["value"],
                        "gap": e["gap_overall"],
                        "low": e["gap_low"],
                        "high": e["gap_high"],
                        "q": e["q"],
                        "harm": harm,
                    }
                )
    found.sort(key=lambda f: -f["harm"])
    return found[:limit]


def _harm(metric: str, gap: float) -> float | None:
    """How much worse than overall a cell is (positive = worse), or None if undefined."""
    if not math.isfinite(gap):
        return None
    harm = -gap if m.HIGHER_IS_BETTER[metric] else gap
    return harm if harm > 0 else None
