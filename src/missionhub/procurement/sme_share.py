"""SME share of spend on the Cabinet Office's published method, column by column, in DuckDB.

Pure: takes two tables (Arrow, pandas or anything DuckDB can scan) and knows nothing of the web
or the ORM.

``direct``: one row per payment or award share —
    department, financial_year, basis ('spend' | 'award'), supplier (an integer key), amount,
    is_sme
``returns``: one row per supply-chain return —
    department, financial_year, prime (key), revenue, sme_paid, source ('supplier' | 'department')

For each department and year, where a department has spend lines for the year those are its
direct spend; otherwise its awards are (framework ceilings already at 0). The columns follow the
annex of "Central government direct and indirect spend with SMEs":

B total procurement spend            C direct spend with SMEs          D = C / B
E responding suppliers' revenue      F their subcontracted SME spend   G = F / E
H indirect SME spend the department collected outside the returns
I in-scope spend for extrapolation = B - C - H, where responses cover more than 70% of it
J extrapolated indirect = I x G      K total indirect = H + J if extrapolated, else F + H
L = K / B      M total SME spend = C + K      N = M / B (against the 33% target)
O large suppliers paid (asked to respond)     P responding suppliers     Q = P / O
R responding suppliers' revenue as a share of available spend = E / (B - C - H)
"""

from __future__ import annotations

from typing import Any

import duckdb

TARGET = 0.33
COVERAGE_THRESHOLD = 0.70

COLUMNS: dict[str, str] = {
    "B": "Total procurement spend",
    "C": "Direct spend with SMEs",
    "D": "Direct SME share",
    "E": "Responding suppliers' revenue",
    "F": "Responding suppliers' subcontracted SME spend",
    "G": "Subcontracted SME share of revenue",
    "H": "Additional indirect SME spend (department)",
    "I": "In-scope spend for extrapolation",
    "J": "Extrapolated indirect SME spend",
    "K": "Total indirect SME spend",
    "L": "Indirect SME share",
    "M": "Total SME spend",
    "N": "Total SME share",
    "O": "Large suppliers paid",
    "P": "Responding suppliers",
    "Q": "Response rate",
    "R": "Responses' coverage of available spend",
}
RATIOS = frozenset("DGLNQR")
COUNTS = frozenset("OP")

SHARE_SQL = """
WITH by_basis AS (
    SELECT department, financial_year, basis,
           sum(amount) AS B,
           coalesce(sum(amount) FILTER (WHERE is_sme), 0) AS C,
           coalesce(bit_count(bitstring_agg(supplier, {low}, {high})
                              FILTER (WHERE NOT is_sme AND amount > 0)), 0) AS O
    FROM direct GROUP BY department, financial_year, basis
),
d AS (
    SELECT * FROM by_basis a
    WHERE a.basis = 'spend' OR NOT EXISTS (
        SELECT 1 FROM by_basis s
        WHERE s.basis = 'spend' AND s.department = a.department
          AND s.financial_year = a.financial_year
    )
),
r AS (
    SELECT department, financial_year,
           coalesce(sum(revenue) FILTER (WHERE source = 'supplier'), 0) AS E,
           coalesce(sum(sme_paid) FILTER (WHERE source = 'supplier'), 0) AS F,
           coalesce(sum(sme_paid) FILTER (WHERE source = 'department'), 0) AS H,
           count(DISTINCT prime) FILTER (WHERE source = 'supplier') AS P
    FROM returns GROUP BY department, financial_year
),
j AS (
    SELECT coalesce(d.department, r.department) AS department,
           coalesce(d.financial_year, r.financial_year) AS financial_year,
           d.basis,
           coalesce(d.B, 0) AS B, coalesce(d.C, 0) AS C,
           coalesce(r.E, 0) AS E, coalesce(r.F, 0) AS F, coalesce(r.H, 0) AS H,
           coalesce(d.O, 0) AS O, coalesce(r.P, 0) AS P
    FROM d FULL OUTER JOIN r USING (department, financial_year)
),
k AS (
    SELECT *, B - C - H AS available,
           CASE WHEN B - C - H > 0 THEN E / (B - C - H) END AS R,
           CASE WHEN E > 0 THEN F / E END AS G
    FROM j
),
x AS (
    SELECT *, coalesce(R > $threshold, false) AS extrapolated FROM k
)
SELECT department, financial_year, basis, B, C,
       CASE WHEN B <> 0 THEN C / B END AS D,
       E, F, G, H,
       CASE WHEN extrapolated THEN available ELSE 0 END AS I,
       CASE WHEN extrapolated THEN available * G ELSE 0 END AS J,
       CASE WHEN extrapolated THEN H + available * G ELSE F + H END AS K,
       O, P, CASE WHEN O > 0 THEN P / O END AS Q, R, extrapolated
FROM x
"""

FINAL_SQL = """
SELECT *, CASE WHEN B <> 0 THEN K / B END AS L, C + K AS M,
       CASE WHEN B <> 0 THEN (C + K) / B END AS N,
       CASE WHEN B <> 0 THEN (C + K) / B >= $target END AS meets_target
FROM ({share}) ORDER BY financial_year, department
"""


def share_table(
    direct: Any,
    returns: Any,
    *,
    threshold: float = COVERAGE_THRESHOLD,
    target: float = TARGET,
    connection: duckdb.DuckDBPyConnection | None = None,
) -> list[dict[str, Any]]:
    """One row per department and financial year, with columns B to R (see module doc)."""
    con = connection or duckdb.connect()
    con.register("direct", direct)
    con.register("returns", returns)
    try:
        # Distinct large suppliers (O) are counted with a bitmap over the integer keys: exact,
        # and far faster than count(DISTINCT) over millions of rows.
        low, high = con.execute("SELECT min(supplier), max(supplier) FROM direct").fetchone() or (
            0,
            0,
        )
        share = SHARE_SQL.format(low=int(low or 0), high=int(high or 0))
        sql = FINAL_SQL.format(share=share)
        result = con.execute(sql, {"threshold": threshold, "target": target})
        names = [d[0] for d in result.description]
        return [dict(zip(names, row, strict=True)) for row in result.fetchall()]
    finally:
        con.unregister("direct")
        con.unregister("returns")
        if connection is None:
            con.close()


def totals(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """All departments together for one set of rows (the same columns, summed then divided)."""
    keys = ("B", "C", "E", "F", "H", "I", "J", "K", "M", "O", "P")
    out: dict[str, Any] = {k: sum(float(r[k] or 0) for r in rows) for k in keys}
    b = out["B"]
    out["D"] = out["C"] / b if b else None
    out["G"] = out["F"] / out["E"] if out["E"] else None
    out["L"] = out["K"] / b if b else None
    out["N"] = out["M"] / b if b else None
    out["Q"] = out["P"] / out["O"] if out["O"] else None
    available = b - out["C"] - out["H"]
    out["R"] = out["E"] / available if available > 0 else None
    out["meets_target"] = out["N"] is not None and out["N"] >= TARGET
    return out
