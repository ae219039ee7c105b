"""Direct plus indirect SME share (Cabinet Office method, columns B to R) over 10 million
synthetic spend transactions and 20,000 supply-chain returns, in DuckDB; beside a pandas
group-by computing the same B, C, E, F and H in the same run.

    python -m benchmarks.procurement_sme_share [--transactions 10000000] [--repeat 3]

Goal: under 2 s for the whole table. Not a test: it never fails on speed.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
import pyarrow as pa

from missionhub.procurement.sme_share import share_table


def synthetic(transactions: int, seed: int = 7) -> tuple[pa.Table, pa.Table]:
    rng = np.random.default_rng(seed)
    departments = np.array([f"Department {i:02d}" for i in range(20)])
    years = np.array(["2022-23", "2023-24", "2024-25"])
    supplier = rng.integers(0, 50_000, transactions)
    direct = pa.table({
        "department": pa.DictionaryArray.from_arrays(
            rng.integers(0, 20, transactions), departments
        ),
        "financial_year": pa.DictionaryArray.from_arrays(rng.integers(0, 3, transactions), years),
        "basis": pa.DictionaryArray.from_arrays(np.zeros(transactions, dtype=np.int8), ["spend"]),
        "supplier": supplier,
        "amount": np.round(rng.lognormal(10.5, 1.2, transactions), 2),
        "is_sme": supplier % 10 < 3,
    })  # fmt: skip
    n = 20_000
    revenue = np.round(rng.lognormal(14, 1, n), 2)
    returns = pa.table({
        "department": departments[rng.integers(0, 20, n)],
        "financial_year": years[rng.integers(0, 3, n)],
        "prime": rng.integers(0, 5_000, n).astype(str),
        "revenue": revenue,
        "sme_paid": np.round(revenue * rng.uniform(0, 0.3, n), 2),
        "source": np.where(rng.uniform(size=n) < 0.9, "supplier", "department"),
    })  # fmt: skip
    return direct, returns


def pandas_peer(direct: pa.Table, returns: pa.Table) -> pd.DataFrame:
    d = direct.to_pandas()
    r = returns.to_pandas()
    d["sme_amount"] = d["amount"].where(d["is_sme"], 0.0)
    b = d.groupby(["department", "financial_year"], observed=True).agg(
        B=("amount", "sum"), C=("sme_amount", "sum")
    )
    r["E"] = r["revenue"].where(r["source"] == "supplier", 0.0)
    r["F"] = r["sme_paid"].where(r["source"] == "supplier", 0.0)
    r["H"] = r["sme_paid"].where(r["source"] == "department", 0.0)
    e = r.groupby(["department", "financial_year"], observed=True)[["E", "F", "H"]].sum()
    return b.join(e, how="outer").fillna(0)


def best(fn, repeat: int) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transactions", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    direct, returns = synthetic(args.transactions)
    ours_s, rows = best(lambda: share_table(direct, returns), args.repeat)
    peer_s, frame = best(lambda: pandas_peer(direct, returns), args.repeat)
    assert isinstance(rows, list)
    assert isinstance(frame, pd.DataFrame)
    by_key = {(r["department"], r["financial_year"]): r for r in rows}
    worst = max(abs(by_key[k]["C"] - frame.loc[k, "C"]) for k in frame.index)
    print(f"{args.transactions:,} transactions, {returns.num_rows:,} returns, {len(rows)} rows")
    print(f"missionhub sme_share (DuckDB, columns B-R): {ours_s:.3f} s (best of {args.repeat})")
    print(f"pandas group-by (B, C, E, F, H only)      : {peer_s:.3f} s")
    print(
        f"ratio: {peer_s / ours_s:.2f}x; goal < 2 s: {'met' if ours_s < 2 else 'not met'}; "
        f"largest difference in C: £{worst:.2f}"
    )


if __name__ == "__main__":
    main()
