"""Paired bootstrap at 1,000,000 rows: 1,000 resamples shared by 5 submissions.

Goal: under 60 s on 2 cores. The peer is the direct method, resampling row indices and
counting each resample (run on fewer resamples and scaled, because at full size it takes
minutes); the ratio is printed.

    python -m benchmarks.challenges_bootstrap [--rows N] [--resamples N] [--peer-resamples N]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from missionhub.challenges import metrics as m
from missionhub.challenges.evaluation import SubmissionArrays, SuiteArrays, evaluate


def data(rows: int, submissions: int, seed: int = 0):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 7, rows).astype(np.int64)
    b = rng.integers(0, 4, rows).astype(np.int64)
    gold = rng.random(rows) < 0.3
    preds = [np.where(rng.random(rows) < 0.7 + 0.05 * s, gold, ~gold) for s in range(submissions)]
    return a, b, gold, preds


def direct(a, b, gold, preds, resamples: int) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(1)
    n = len(gold)
    for _ in range(resamples):
        rows = rng.integers(0, n, n)
        for pred in preds:
            for codes, size in ((a, 7), (b, 4), (a * 4 + b, 28)):
                m.confusion_counts(codes[rows], size, gold[rows], pred[rows])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--submissions", type=int, default=5)
    parser.add_argument("--peer-resamples", type=int, default=20)
    args = parser.parse_args()
    a, b, gold, preds = data(args.rows, args.submissions)
    groupings = m.build_groupings(
        len(gold), {"a": (a, [str(i) for i in range(7)]), "b": (b, [str(i) for i in range(4)])}
    )
    start = time.perf_counter()
    m.paired_bootstrap(groupings, gold, preds, n_resamples=args.resamples)
    t_boot = time.perf_counter() - start
    start = time.perf_counter()
    evaluate(
        SuiteArrays(
            gold, {"a": (a, [str(i) for i in range(7)]), "b": (b, [str(i) for i in range(4)])}
        ),
        [SubmissionArrays(str(i), f"S{i}", p) for i, p in enumerate(preds)],
        n_resamples=args.resamples,
    )
    t_full = time.perf_counter() - start
    start = time.perf_counter()
    direct(a, b, gold, preds, args.peer_resamples)
    t_peer = (time.perf_counter() - start) * args.resamples / args.peer_resamples
    print(f"rows: {args.rows:,}; submissions: {args.submissions}; resamples: {args.resamples:,}")
    print(f"paired bootstrap (counts for every cell, submission, resample): {t_boot:.2f} s")
    print(
        f"whole evaluation (all metrics, intervals, tests, ranking): {t_full:.2f} s (goal < 60 s)"
    )
    print(f"direct row resampling, scaled from {args.peer_resamples} resamples: {t_peer:.1f} s")
    print(f"ratio (direct / ours): {t_peer / t_boot:.0f}x")


if __name__ == "__main__":
    main()
