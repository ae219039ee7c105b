"""What a supplier is shown once the owner releases results: its own submissions' aggregates.

A supplier knows its own prediction for every case, so exact aggregates can give gold labels
away (decisions 0052 and 0057). What it is shown is therefore:

- withheld where small: a cell with fewer cases than the challenge's minimum denominator, and
  a rate whose denominator is below it (primary suppression);
- withheld where a withheld figure could be worked out by subtraction (complementary
  suppression): cells of a grouping add up to everyone, and cells of an intersection add up to
  the cells of each coarser grouping. In every such sum, a withheld figure must not be the only
  unknown, and the withheld cells under a shown total must together reach the minimum; if not,
  the next-smallest shown cell is withheld too, until every sum holds;
- rounded: case counts to the nearest :data:`COUNT_STEP`, rates and scores to whole
  percentage points (:data:`PLACES` decimals), intervals outwards to the same.

The owner's report keeps every exact figure and flags small cells instead.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

from missionhub.challenges.metrics import SEP

COUNT_STEP = 10
PLACES = 2  # 0.87: a whole percentage point
ADDITIVE = ("accuracy", "precision", "recall", "fpr", "fnr", "selection_rate", "f1")

Key = tuple[str, str]  # (grouping, cell)
Line = tuple[Key, list[Key]]  # a total and the cells that add up to it


def released_view(results: dict[str, Any], mine: set[str], min_n: int) -> dict[str, Any]:
    return {
        "released": True,
        "min_denominator": min_n,
        "rounding": {"count_step": COUNT_STEP, "decimal_places": PLACES},
        "suite": {
            k: results.get("suite", {}).get(k) for k in ("version", "content_sha256", "source")
        },
        "submissions": [
            {"key": sub["key"], "name": sub["name"], "cells": released_cells(sub["cells"], min_n)}
            for sub in results["submissions"]
            if sub["key"] in mine
        ],
    }


def released_cells(cells: list[dict[str, Any]], min_n: int) -> list[dict[str, Any]]:
    """One submission's cells as a supplier sees them: suppressed, then rounded."""
    keys = [_key(c) for c in cells]
    lines = additive_lines(cells)
    sizes = {k: float(c["n"]) for k, c in zip(keys, cells, strict=True)}
    hidden_cells = suppress(sizes, {k for k in keys if sizes[k] < min_n}, lines, min_n)
    hidden: dict[str, set[Key]] = {}
    for metric in _metrics(cells):
        dens = {k: _den(c, metric) for k, c in zip(keys, cells, strict=True)}
        primary = hidden_cells | {k for k in keys if dens[k] < min_n}
        hidden[metric] = (
            suppress(dens, primary, lines, min_n) if metric in ADDITIVE else set(primary)
        )
    return [
        _cell(c, k in hidden_cells, {m: k in h for m, h in hidden.items()})
        for k, c in zip(keys, cells, strict=True)
    ]


def _key(cell: dict[str, Any]) -> Key:
    return str(cell["grouping"]), str(cell["cell"])


def _metrics(cells: list[dict[str, Any]]) -> list[str]:
    names: dict[str, None] = {}
    for cell in cells:
        names.update(dict.fromkeys(cell["metrics"]))
    return list(names)


def _den(cell: dict[str, Any], metric: str) -> float:
    entry = cell["metrics"].get(metric)
    den = entry.get("den") if entry else None
    return float(den) if den is not None and math.isfinite(den) else 0.0


def additive_lines(cells: list[dict[str, Any]]) -> list[Line]:
    """Every sum the cells are known to make: each grouping's cells add up to everyone, and an
    intersection's cells add up, for each part left out, to the cells of the coarser grouping
    (the ``sex x race`` cells with sex F and any race add up to the ``sex`` cell F)."""
    by_grouping: dict[str, list[Key]] = {}
    for cell in cells:
        by_grouping.setdefault(str(cell["grouping"]), []).append(_key(cell))
    overall = by_grouping.pop("overall", [])
    lines: list[Line] = []
    for grouping, members in by_grouping.items():
        if overall:
            lines.append((overall[0], members))
        parts = grouping.split(SEP)
        if len(parts) < 2:
            continue
        for drop in range(len(parts)):
            parent = SEP.join(p for i, p in enumerate(parts) if i != drop)
            if parent not in by_grouping:
                continue
            rows: dict[str, list[Key]] = {}
            for key in members:
                labels = key[1].split(SEP)
                if len(labels) != len(parts):
                    break  # a label with the separator in it: keep to the sum to everyone
                rows.setdefault(SEP.join(x for i, x in enumerate(labels) if i != drop), []).append(
                    key
                )
            else:
                known = set(by_grouping[parent])
                lines += [
                    ((parent, label), ks) for label, ks in rows.items() if (parent, label) in known
                ]
    return lines


def suppress(
    sizes: dict[Key, float], primary: set[Key], lines: Iterable[Line], min_n: int
) -> set[Key]:
    """Withhold ``primary`` and as few more as it takes, smallest first, so that in every
    line no withheld figure is the only unknown and the withheld cells under a shown total
    add up to at least ``min_n``."""
    lines = list(lines)
    withheld = set(primary)
    changed = True
    while changed:
        changed = False
        for total, members in lines:
            if _safe(total, members, withheld, sizes, min_n):
                continue
            shown = [k for k in members if k not in withheld]
            pick = min(shown, key=lambda k: (sizes[k], members.index(k))) if shown else total
            if pick in withheld:
                continue
            withheld.add(pick)
            changed = True
    return withheld


def _safe(
    total: Key, members: list[Key], withheld: set[Key], sizes: dict[Key, float], min_n: int
) -> bool:
    hidden = [k for k in members if k in withheld]
    if total in withheld:  # total unknown: safe unless it is the only unknown in the sum
        return bool(hidden)
    if not hidden:
        return True
    return len(hidden) >= 2 and sum(sizes[k] for k in hidden) >= min_n


def _cell(cell: dict[str, Any], withheld: bool, hidden: dict[str, bool]) -> dict[str, Any]:
    return {
        "grouping": cell["grouping"],
        "dimension": cell["dimension"],
        "cell": cell["cell"],
        "n": None if withheld else round_count(cell["n"]),
        "withheld": withheld,
        "metrics": {
            name: {"withheld": True} if hidden[name] else _rounded(entry) | {"withheld": False}
            for name, entry in cell["metrics"].items()
        },
    }


def _rounded(entry: dict[str, Any]) -> dict[str, Any]:
    return {
        "value": round_rate(entry.get("value")),
        "low": round_rate(entry.get("low"), math.floor),
        "high": round_rate(entry.get("high"), math.ceil),
        "den": round_count(entry.get("den")),
    }


def round_count(value: float | None) -> int | None:
    """A count to the nearest :data:`COUNT_STEP` (halves up): 34 -> 30, 35 -> 40."""
    if value is None or not math.isfinite(value):
        return None
    return math.floor(value / COUNT_STEP + 0.5) * COUNT_STEP


def round_rate(value: float | None, how: Callable[[float], int] | None = None) -> float | None:
    """A rate to whole percentage points: to the nearest (``how`` None), or ``math.floor`` /
    ``math.ceil`` for the ends of an interval, so the rounded interval holds the exact one."""
    if value is None or not math.isfinite(value):
        return None
    scale = 10**PLACES
    scaled = round(value * scale, 6)  # 0.285 * 100 is 28.499999999999996
    whole = math.floor(scaled + 0.5) if how is None else how(scaled)
    return whole / scale
