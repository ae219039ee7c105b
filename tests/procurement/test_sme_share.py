"""SME share on the Cabinet Office method, checked against its published figures and against
an independent calculation over the real files."""

from __future__ import annotations

import html
import json
import re
from collections import defaultdict
from datetime import date
from decimal import Decimal

import pandas as pd
import pytest

from missionhub.procurement import awards as rules
from missionhub.procurement.reports import rows_behind, sme_share_report
from missionhub.procurement.sme_share import share_table
from tests.conftest import require_data

D = ["department", "financial_year", "basis", "supplier", "amount", "is_sme"]
R = ["department", "financial_year", "prime", "revenue", "sme_paid", "source"]


def frames(b: float, c: float, e: float, f: float, h: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    direct = pd.DataFrame(
        [("X", "2020-21", "spend", 1, c, True), ("X", "2020-21", "spend", 2, b - c, False)],
        columns=D,
    )
    returns = pd.DataFrame(
        [("X", "2020-21", "big", e, f, "supplier"), ("X", "2020-21", "dept", 0.0, h, "department")],
        columns=R,
    )
    return direct, returns


@pytest.mark.parametrize(
    ("published", "extrapolated"),
    [
        # Department for Education 2020/21 (£m): B 769, C 223, E 402, F 41, H 0 -> I 546, J 56
        (
            {"B": 769, "C": 223, "E": 402, "F": 41, "H": 0, "I": 546, "J": 56, "K": 56, "M": 279},
            True,
        ),
        # BEIS 2020/21 (£m): B 3153, C 486, E 1439, F 59, H 19 -> no extrapolation, K 78, M 563
        (
            {"B": 3153, "C": 486, "E": 1439, "F": 59, "H": 19, "I": 0, "J": 0, "K": 78, "M": 563},
            False,
        ),
    ],
    ids=["DfE-2020-21", "BEIS-2020-21"],
)
def test_reproduces_the_published_cabinet_office_rows(published: dict, extrapolated: bool) -> None:
    p = published
    [row] = share_table(*frames(p["B"], p["C"], p["E"], p["F"], p["H"]))
    assert row["extrapolated"] is extrapolated
    for key in ("I", "J", "K", "M"):
        assert row[key] == pytest.approx(p[key], abs=1.0), key  # published figures are rounded
    assert row["N"] == pytest.approx(row["M"] / p["B"])
    assert row["R"] == pytest.approx(p["E"] / (p["B"] - p["C"] - p["H"]))


def test_coverage_of_exactly_70_percent_is_not_extrapolated() -> None:
    [row] = share_table(*frames(1000, 0, 700, 70, 0))
    assert row["R"] == pytest.approx(0.70)
    assert not row["extrapolated"]
    assert row["K"] == 70


def test_awards_count_only_where_a_department_has_no_spend_for_the_year() -> None:
    direct = pd.DataFrame(
        [("X", "2024-25", "spend", 1, 100.0, True), ("X", "2024-25", "award", 2, 900.0, False),
         ("Y", "2024-25", "award", 2, 900.0, False)], columns=D,
    )  # fmt: skip
    rows = {r["department"]: r for r in share_table(direct, pd.DataFrame([], columns=R))}
    assert rows["X"]["B"] == 100
    assert rows["X"]["basis"] == "spend"
    assert rows["Y"]["B"] == 900
    assert rows["Y"]["basis"] == "award"


def simple_name(name: str) -> str:
    words = re.sub(r"[^a-z0-9]+", " ", html.unescape(name).lower().replace("&", " and ")).split()
    while words and words[-1] in ("limited", "ltd", "plc", "llp"):
        words.pop()
    return " ".join(words)


def supplier_status() -> dict[str, bool]:
    """Each supplier's latest statement of its size, across both files (by release date)."""
    said: dict[str, tuple[str, bool]] = {}
    for name in (
        "contracts_finder_2025_release_package.json",
        "contracts_finder_2017_2020_legacy_release_package.json",
    ):
        for release in json.loads(require_data("procurement", name).read_text())["releases"]:
            for p in release["parties"]:
                scale = (p.get("details") or {}).get("scale")
                flag = scale in ("sme", "micro") if scale else p.get("sme")
                if "supplier" in p.get("roles", []) and isinstance(flag, bool) and p.get("name"):
                    key = simple_name(p["name"])
                    if key not in said or release["date"] >= said[key][0]:
                        said[key] = (release["date"], flag)
    return {k: v for k, (_, v) in said.items()}


def independent_award_figures() -> dict[tuple[str, str], tuple[Decimal, Decimal]]:
    """B and C per buyer and year from the raw JSON files, with plain loops: each award as its
    latest release states it; ceilings count 0; shares by named values or equally."""
    latest: dict[tuple[str, str], tuple[str, dict, dict]] = {}
    for name in (
        "contracts_finder_2025_release_package.json",
        "contracts_finder_2017_2020_legacy_release_package.json",
    ):
        for release in json.loads(require_data("procurement", name).read_text())["releases"]:
            for award in release.get("awards", []):
                key = (release["ocid"], award["id"])
                if key not in latest or release["date"] >= latest[key][0]:
                    latest[key] = (release["date"], release, award)
    status = supplier_status()
    figures: dict[tuple[str, str], list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for _, release, award in latest.values():
        suppliers = {s["id"]: s for s in award["suppliers"]}.values()
        day = date.fromisoformat((award.get("date") or release["date"])[:10])
        start = day.year if day.month >= 4 else day.year - 1
        fy = f"{start}-{(start + 1) % 100:02d}"
        value = Decimal(str(award["value"]["amount"]))
        if rules.agreement_reason(release, len(suppliers)):
            value = Decimal(0)
        parties = {p["id"]: p for p in release["parties"]}
        named = [Decimal(str((parties[s["id"]].get("x_awardValue") or {}).get("amount") or 0))
                 for s in suppliers]  # fmt: skip
        if len(suppliers) > 1 and all(named) and sum(named) > 0:
            shares = [n / sum(named) for n in named]
        else:
            shares = [Decimal(1) / len(suppliers)] * len(suppliers)
        row = figures[(release["buyer"]["name"], fy)]
        row[0] += value
        for s, share in zip(suppliers, shares, strict=True):
            if status.get(simple_name(parties.get(s["id"], s).get("name") or "")):
                row[1] += value * share
    return {k: (v[0], v[1]) for k, v in figures.items()}


def test_figures_on_the_real_files_match_an_independent_calculation(buying, session) -> None:
    for name in (
        "contracts_finder_2025_release_package.json",
        "contracts_finder_2017_2020_legacy_release_package.json",
    ):
        buying.ingest(require_data("procurement", name).read_bytes(), keep_valid=True)
    from missionhub.accounts.permissions import Actor

    report = sme_share_report(session, actor=Actor.system())
    ours = {(r["department"], r["financial_year"]): (r["B"], r["C"]) for r in report.rows}
    expected = independent_award_figures()
    assert set(ours) == set(expected)
    for key, (b, c) in expected.items():
        assert ours[key][0] == pytest.approx(float(b), abs=0.05), key
        assert ours[key][1] == pytest.approx(float(c), abs=0.05), key
    total_b = sum(b for b, _ in expected.values())
    assert report.totals["B"] == pytest.approx(float(total_b), abs=1)
    some = next(k for k, v in expected.items() if v[1] > 0)
    behind = rows_behind(session, actor=Actor.system(), department=some[0],
                         financial_year=some[1], column="C")  # fmt: skip
    assert sum(r["amount"] for r in behind) == pytest.approx(float(expected[some][1]), abs=0.05)


def test_large_suppliers_paid_are_counted_once_each() -> None:
    rows = [("X", "2024-25", "spend", s, a, sme) for s, a, sme in [
        (7, 10.0, False), (7, 20.0, False), (9, 5.0, False), (3, 1.0, True), (11, -4.0, False),
        (1000, 1.0, False),
    ]]  # fmt: skip
    direct = pd.DataFrame(rows, columns=D)
    [row] = share_table(direct, pd.DataFrame([], columns=R))
    expected = direct[~direct.is_sme & (direct.amount > 0)].supplier.nunique()
    assert row["O"] == expected == 3
