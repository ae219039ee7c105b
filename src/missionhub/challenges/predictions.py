"""A supplier's predictions (``case_id``, ``label``, optional ``score``), checked against a
suite: every problem is named by row (or by case id, for cases with no prediction), and
nothing is stored unless the whole file is right."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from missionhub.challenges.suites import MAX_LISTED, label_problems, rows_error
from missionhub.errors import FieldError, Invalid


@dataclass(frozen=True)
class ParsedPredictions:
    frame: pd.DataFrame  # case_id, label, score (NaN without scores), in the suite's order
    has_scores: bool
    sha256: str


def parse_predictions(
    raw: pd.DataFrame, first_row: int, suite_ids: pd.Series, labels: tuple[str, str]
) -> ParsedPredictions:
    raw = raw.rename(columns=lambda c: str(c).strip())
    missing = [c for c in ("case_id", "label") if c not in raw.columns]
    if missing:
        raise Invalid(
            [FieldError("file", f"The file has no {c} column") for c in missing]
            + [
                FieldError(
                    "file", "Predictions need the columns case_id, label and (optional) score"
                )
            ]
        )
    ids = raw["case_id"].map(_text)
    given = raw["label"].map(_text)
    problems = _id_problems(ids, suite_ids, first_row)
    problems += label_problems(given, first_row, f"use {labels[0]!r} or {labels[1]!r}", labels)
    has_scores = "score" in raw.columns
    scores = pd.Series(np.nan, index=raw.index)
    if has_scores:
        scores, bad = _scores(raw["score"])
        if bad.size:
            problems.append(rows_error(bad + first_row, "Enter the score as a number", "score"))
    problems += _coverage(ids, suite_ids)
    if problems:
        raise Invalid(problems)
    frame = pd.DataFrame({"case_id": ids, "label": given, "score": scores})
    frame = frame.set_index("case_id").loc[suite_ids.to_numpy()].reset_index()
    digest = hashlib.sha256(frame.to_csv(index=False, lineterminator="\n").encode()).hexdigest()
    return ParsedPredictions(frame, has_scores, digest)


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()


def _id_problems(ids: pd.Series, suite_ids: pd.Series, first_row: int) -> list[FieldError]:
    problems = []
    blank = np.flatnonzero((ids == "").to_numpy()) + first_row
    if blank.size:
        problems.append(rows_error(blank, "Enter a case id", "case_id"))
    dup = ids[(ids != "") & ids.duplicated(keep=False)]
    for case_id, rows in dup.groupby(dup).groups.items():
        problems.append(
            rows_error(
                [int(r) + first_row for r in rows],
                f"Case id {case_id!r} has more than one prediction",
                "case_id",
            )
        )
    unknown = np.flatnonzero(((ids != "") & ~ids.isin(set(suite_ids))).to_numpy())
    if unknown.size:
        names = ", ".join(repr(ids.iloc[i]) for i in unknown[:MAX_LISTED])
        problems.append(
            rows_error(unknown + first_row, f"Not a case in this suite: {names}", "case_id")
        )
    return problems


def _scores(column: pd.Series) -> tuple[pd.Series, np.ndarray]:
    numbers = pd.to_numeric(column.map(_text).replace("", None), errors="coerce")
    bad = ~np.isfinite(numbers.to_numpy(dtype=np.float64, na_value=np.nan))
    return numbers.astype(np.float64), np.flatnonzero(bad)


def _coverage(ids: pd.Series, suite_ids: pd.Series) -> list[FieldError]:
    absent = suite_ids[~suite_ids.isin(set(ids))]
    if absent.empty:
        return []
    shown = ", ".join(repr(x) for x in absent.iloc[:MAX_LISTED])
    more = f" and {len(absent) - MAX_LISTED} more" if len(absent) > MAX_LISTED else ""
    return [
        FieldError(
            "file",
            f"No prediction for {len(absent)} case{'s' if len(absent) != 1 else ''} "
            f"of the suite: {shown}{more}",
        )
    ]
