"""The side-by-side report: one view of an evaluation for the page, the PDF and the CSV.

Everything shown comes from the stored evaluation (aggregates only), so the page, the PDF, the
CSV and the charts carry the same numbers.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

from missionhub.challenges.metrics import HIGHER_IS_BETTER, METRIC_LABELS, METRICS
from missionhub.challenges.models import Challenge, Evaluation
from missionhub.challenges.suites import public_source
from missionhub.csvout import safe_cell

CSV_COLUMNS = [
    "submission_id",
    "submission",
    "grouping",
    "dimension",
    "cell",
    "metric",
    "value",
    "ci_low",
    "ci_high",
    "numerator",
    "denominator",
    "n",
    "positives",
    "negatives",
    "below_minimum_denominator",
    "gap_to_overall",
    "gap_ci_low",
    "gap_ci_high",
    "ratio_to_overall",
    "gap_to_best",
    "ratio_to_best",
    "p_value",
    "q_value_bh",
    "suite_version",
    "suite_content_sha256",
]


@dataclass(frozen=True)
class Row:
    """One cell of one grouping, side by side across submissions, for one metric."""

    grouping: str
    cell: str
    n: int
    positives: int
    negatives: int
    entries: list[dict[str, Any]]  # per submission: the metric entry (value, low, high, ...)


def all_metrics(results: dict[str, Any]) -> list[str]:
    has_auc = any(s["has_scores"] for s in results["submissions"])
    return [*METRICS, "roc_auc"] if has_auc else list(METRICS)


def side_by_side(results: dict[str, Any], metric: str) -> dict[str, list[Row]]:
    """grouping -> rows of cells, each with every submission's entry for ``metric``."""
    out: dict[str, list[Row]] = {}
    subs = results["submissions"]
    if not subs:
        return out
    for i, cell in enumerate(subs[0]["cells"]):
        entries = [s["cells"][i]["metrics"].get(metric, {}) for s in subs]
        row = Row(
            cell["grouping"], cell["cell"], cell["n"], cell["positives"], cell["negatives"], entries
        )
        out.setdefault(cell["grouping"], []).append(row)
    return out


def overall_table(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Per submission, its overall entry for every metric."""
    return [
        {
            "key": s["key"],
            "name": s["name"],
            "metrics": s["cells"][0]["metrics"],
            "n": s["cells"][0]["n"],
            "significant": s["significant"],
            "tests": s["tests"],
            "counterfactual": s.get("counterfactual"),
        }
        for s in results["submissions"]
    ]


def fmt(value: float | None, places: int = 3) -> str:
    return "\u2013" if value is None else f"{value:.{places}f}"


def qfmt(q: float | None) -> str:
    """A q-value as people read it: "< 0.001" rather than 1.2e-55."""
    if q is None:
        return "\u2013"
    return "< 0.001" if q < 0.001 else f"= {q:.3f}"


def summary_sentences(challenge: Challenge, results: dict[str, Any]) -> list[str]:
    """A plain-English summary of the evaluation."""
    metric = results["settings"]["primary_metric"]
    label = METRIC_LABELS[metric]
    suite = results.get("suite", {})
    out = [
        f"{len(results['submissions'])} submission(s) were tested on {results['n']:,} hidden "
        f"cases (version {suite.get('version')} of the suite; {results['positives']:,} labelled "
        f"{challenge.positive_label!r}, {results['negatives']:,} {challenge.negative_label!r})."
    ]
    ranking = results["ranking"]
    if ranking:
        top = ranking[0]
        out.append(
            f"{top['name']} ranks first on {label}: {fmt(top['value'])} (95% interval "
            f"{fmt(top['low'])} to {fmt(top['high'])}); it ranked first in "
            f"{top['p_best']:.0%} of {results['settings']['n_resamples']:,} bootstrap resamples."
        )
        if len(ranking) > 1 and top["p_best"] < 0.95:
            out.append(
                "The ranking is not certain: the intervals overlap, so the difference between "
                "the leading submissions may be chance."
            )
    gaps = results["largest_gaps"]
    if gaps:
        g = gaps[0]
        out.append(
            f"The largest group gap: for {g['name']}, {METRIC_LABELS[g['metric']]} for "
            f"{g['cell']} ({g['grouping']}) is {fmt(g['value'])}, {abs(g['gap']):.3f} "
            f"{'below' if HIGHER_IS_BETTER[g['metric']] else 'above'} its overall figure"
            + (f" (q {qfmt(g['q'])} after Benjamini-Hochberg)." if g["q"] is not None else ".")
        )
    for s in results["submissions"]:
        cf = s.get("counterfactual")
        if cf and cf["templates"]:
            out.append(
                f"{s['name']} gave the same answer for every group in {cf['consistent']:,} of "
                f"{cf['templates']:,} templates ({cf['rate']:.0%})."
            )
    small = sum(
        1
        for c in (results["submissions"][0]["cells"] if results["submissions"] else [])
        if c["n"] < results["settings"]["min_denominator"]
    )
    if small:
        out.append(
            f"{small} cell(s) have fewer than {results['settings']['min_denominator']} cases: "
            "they are shown and flagged, and their figures are less certain."
        )
    return out


def atrs_testing(challenge: Challenge, evaluation: Evaluation) -> list[tuple[str, str]]:
    """The testing fields an ATRS (v3) Tier 2 record asks for, filled from the evaluation."""
    r = evaluation.results
    suite = r.get("suite", {})
    groups = [g["name"] for g in r["groupings"] if g["dimension"] == "group"]
    metrics = ", ".join(METRIC_LABELS[m] for m in all_metrics(r))
    return [
        (
            "Model task",
            f"Classify each case as {challenge.positive_label!r} or {challenge.negative_label!r}.",
        ),
        (
            "Model performance: metrics",
            f"{metrics}; overall, per group ({', '.join(groups)})"
            + (", per intersection of groups" if len(groups) > 1 else "")
            + (
                ", per functionality"
                if any(g["dimension"] == "functionality" for g in r["groupings"])
                else ""
            )
            + ".",
        ),
        (
            "Model performance: results",
            "; ".join(
                f"{row['name']}: {METRIC_LABELS[row['metric']]} {fmt(row['value'])} "
                f"({fmt(row['low'])} to {fmt(row['high'])})"
                for row in r["ranking"]
            ),
        ),
        (
            "Testing data",
            f"Hidden test suite {suite.get('filename')} ({suite.get('source')}), "
            f"version {suite.get('version')}, {r['n']:,} cases; content SHA-256 "
            f"{suite.get('content_sha256')}."
            + (
                f" From the public dataset {public}: its labels may be known to suppliers."
                if (public := public_source(suite.get("source")))
                else ""
            ),
        ),
        ("Sensitive attributes tested", ", ".join(groups) or "None"),
        (
            "Bias testing method",
            "Group gaps and ratios to overall and to the best group; Wilson "
            "95% intervals for rates; paired bootstrap "
            f"({r['settings']['n_resamples']:,} resamples, seed {r['settings']['seed']}) "
            "for gaps and between suppliers; two-proportion z-tests with Benjamini-Hochberg "
            "control; cells under "
            f"{r['settings']['min_denominator']} cases flagged; counterfactual consistency over "
            "templates.",
        ),
        ("Date of testing", evaluation.created_at.date().isoformat()),
        ("Evaluation record", f"SHA-256 of the stored results {evaluation.results_sha256}."),
    ]


def csv_text(evaluation: Evaluation) -> str:
    r = evaluation.results
    suite = r.get("suite", {})
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for s in r["submissions"]:
        for cell in s["cells"]:
            for metric, e in cell["metrics"].items():
                row = {
                    "submission_id": s["key"],
                    "submission": s["name"],
                    "grouping": cell["grouping"],
                    "dimension": cell["dimension"],
                    "cell": cell["cell"],
                    "metric": metric,
                    "value": e["value"],
                    "ci_low": e["low"],
                    "ci_high": e["high"],
                    "numerator": e["num"],
                    "denominator": e["den"],
                    "n": cell["n"],
                    "positives": cell["positives"],
                    "negatives": cell["negatives"],
                    "below_minimum_denominator": e["small"],
                    "gap_to_overall": e["gap_overall"],
                    "gap_ci_low": e["gap_low"],
                    "gap_ci_high": e["gap_high"],
                    "ratio_to_overall": e["ratio_overall"],
                    "gap_to_best": e["gap_best"],
                    "ratio_to_best": e["ratio_best"],
                    "p_value": e["p"],
                    "q_value_bh": e["q"],
                    "suite_version": suite.get("version"),
                    "suite_content_sha256": suite.get("content_sha256"),
                }
                # Submission names and group labels come from suppliers and owners.
                writer.writerow({k: safe_cell(v) for k, v in row.items()})
    return buffer.getvalue()


def pdf_bytes(html: str, base_url: str | None = None) -> bytes:
    from weasyprint import HTML

    return bytes(HTML(string=html, base_url=base_url).write_pdf())
