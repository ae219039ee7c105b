"""What a supplier is shown once the owner releases results: its own submissions' aggregates.

Small cells are withheld, not shown: with fewer cases than the challenge's minimum
denominator, an aggregate could come close to revealing a hidden case's gold label to the one
party that knows its own predictions (decision 0052). The owner's report flags those cells
instead; neither drops them silently.
"""

from __future__ import annotations

from typing import Any

SHOWN = ("value", "low", "high", "den")


def released_view(results: dict[str, Any], mine: set[str], min_n: int) -> dict[str, Any]:
    return {
        "released": True,
        "min_denominator": min_n,
        "suite": {
            k: results.get("suite", {}).get(k) for k in ("version", "content_sha256", "source")
        },
        "submissions": [
            {
                "key": sub["key"],
                "name": sub["name"],
                "cells": [_cell(c, min_n) for c in sub["cells"]],
            }
            for sub in results["submissions"]
            if sub["key"] in mine
        ],
    }


def _cell(cell: dict[str, Any], min_n: int) -> dict[str, Any]:
    withheld = cell["n"] < min_n
    metrics = {}
    for name, entry in cell["metrics"].items():
        den = entry.get("den")
        hide = withheld or den is None or den < min_n
        metrics[name] = (
            {"withheld": True} if hide else {k: entry.get(k) for k in SHOWN} | {"withheld": False}
        )
    return {
        "grouping": cell["grouping"],
        "dimension": cell["dimension"],
        "cell": cell["cell"],
        "n": None if withheld else cell["n"],
        "withheld": withheld,
        "metrics": metrics,
    }
