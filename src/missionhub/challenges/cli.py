"""`missionhub challenges ...`: evaluate predictions against a suite from the command line,
and list challenges. ``evaluate`` needs no database: it reads files and prints aggregates."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from missionhub.accounts.permissions import Actor
from missionhub.challenges import predictions as preds
from missionhub.challenges import service, suites
from missionhub.challenges.evaluation import SubmissionArrays, evaluate
from missionhub.challenges.metrics import METRIC_LABELS, METRICS
from missionhub.clitools import console, database, fail, progress_bar
from missionhub.errors import ServiceError

NAME = "challenges"
app = typer.Typer(help="Challenges and AI assurance.", no_args_is_help=True)


class SuiteFormat(StrEnum):
    SUITE = "suite"
    HATECHECK = "hatecheck"
    MHC = "mhc"
    ADULT = "adult"


def _load_suite(
    path: Path, fmt: SuiteFormat, positive: str | None, negative: str | None
) -> tuple[suites.ParsedSuite, tuple[str, str]]:
    if fmt is SuiteFormat.SUITE:
        raw, first_row = suites.read_table(path)
    else:
        importer = {
            SuiteFormat.HATECHECK: suites.import_hatecheck,
            SuiteFormat.MHC: suites.import_multilingual_hatecheck,
            SuiteFormat.ADULT: suites.import_adult,
        }[fmt]
        raw, first_row = importer(path), 1
    default = suites.IMPORTERS.get(fmt.value, ("", (None, None)))[1]
    pos = positive or default[0]
    if pos is None:
        raise fail("give --positive (the label the model looks for)")
    others = sorted({str(v).strip() for v in raw["label"]} - {pos}) if "label" in raw else []
    neg = negative or default[1] or (others[0] if len(others) == 1 else None)
    if neg is None:
        raise fail("give --negative (the other label)")
    return suites.parse_suite(raw, first_row, (pos, neg)), (pos, neg)


@app.command("evaluate")
def evaluate_command(
    suite: Annotated[Path, typer.Option("--suite", exists=True, help="Suite file or folder.")],
    predictions: Annotated[
        list[Path],
        typer.Option("--predictions", exists=True, help="Predictions file (repeat for more)."),
    ],
    suite_format: Annotated[
        SuiteFormat, typer.Option("--format", help="suite, hatecheck, mhc or adult.")
    ] = SuiteFormat.SUITE,
    positive: Annotated[str | None, typer.Option(help="Positive label.")] = None,
    negative: Annotated[str | None, typer.Option(help="Negative label.")] = None,
    metric: Annotated[str, typer.Option(help="Ranking metric.")] = "f1",
    min_denominator: Annotated[int, typer.Option(min=1, help="Flag smaller cells.")] = 30,
    resamples: Annotated[int, typer.Option(min=10, help="Bootstrap resamples.")] = 1000,
    seed: Annotated[int, typer.Option(help="Bootstrap seed.")] = 20260101,
    as_json: Annotated[bool, typer.Option("--json", help="Print every figure as JSON.")] = False,
) -> None:
    """Evaluate one or more predictions files against a suite (aggregates only)."""
    if metric not in METRICS:
        raise fail(f"--metric must be one of {', '.join(METRICS)}")
    try:
        parsed, labels = _load_suite(suite, suite_format, positive, negative)
        answers = []
        for path in predictions:
            raw, first_row = suites.read_table(path)
            p = preds.parse_predictions(raw, first_row, parsed.frame["case_id"], labels)
            scores = p.frame["score"].to_numpy(dtype=float) if p.has_scores else None
            pred = (p.frame["label"] == labels[0]).to_numpy()
            answers.append(SubmissionArrays(path.name, path.stem, pred, scores))
    except ServiceError as exc:
        raise fail(str(exc)) from exc
    with progress_bar() as bar:
        task = bar.add_task("Evaluating", total=None)
        results = evaluate(
            suites.suite_arrays(parsed.frame, labels[0]),
            answers,
            min_denominator=min_denominator,
            n_resamples=resamples,
            seed=seed,
            primary_metric=metric,
            progress=lambda done, total, message: bar.update(task, completed=done, total=total),
        )
    results["suite"] = {"filename": suite.name, "content_sha256": parsed.content_sha256}
    if as_json:
        json.dump(results, sys.stdout, indent=1)
        sys.stdout.write("\n")
        return
    for row in results["ranking"]:
        console.print(
            f"{row['rank']}. {row['name']}: {METRIC_LABELS[metric]} {row['value']:.3f} "
            f"({row['low']:.3f}-{row['high']:.3f}), first in {row['p_best']:.0%} of resamples"
        )


@app.command("list")
def list_command() -> None:
    """List every challenge with its status."""
    with database().transaction(Actor.system("cli")) as session:
        page = service.list_challenges(session, actor=Actor.system("cli"), page_size=200)
        for c in page.items:
            console.print(f"{c.id}\t{c.status.value}\t{c.organisation.name}\t{c.title}")
