"""Run every benchmark one after another, each in its own process, at the sizes the issues
name (`make bench`). Each prints its own figures and ratio to its peer; this prints a summary of
which ran and how long each took. Pass names to run only some: `python -m benchmarks.run_all
portfolio_pages linkage_quality`.
"""

from __future__ import annotations

import subprocess
import sys
import time

BENCHMARKS = [
    "portfolio_pages",
    "learning_similarity",
    "learning_latency",
    "procurement_ingest",
    "procurement_sme_share",
    "challenges_metrics",
    "challenges_bootstrap",
    "linkage_quality",
    "linkage_scale",
]


def main() -> int:
    chosen = sys.argv[1:] or BENCHMARKS
    unknown = sorted(set(chosen) - set(BENCHMARKS))
    if unknown:
        print(f"unknown benchmarks: {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
        return 2
    summary = []
    for name in chosen:
        print(f"\n=== {name} ===", flush=True)
        started = time.perf_counter()
        code = subprocess.call([sys.executable, "-m", f"benchmarks.{name}"])
        summary.append((name, code, time.perf_counter() - started))
    print("\n=== summary ===")
    for name, code, seconds in summary:
        print(f"{name:24} {'ran' if code == 0 else f'FAILED ({code})':12} {seconds:8.1f} s")
    return max(code for _, code, _ in summary)


if __name__ == "__main__":
    sys.exit(main())
