"""The evaluation engine against independent references: Fairlearn's MetricFrame (every metric,
every cell, to 1e-12), scikit-learn's ROC AUC, row-level resampling for the bootstrap, a
textbook Wilson interval and Benjamini-Hochberg by hand."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import (
    MetricFrame,
    false_negative_rate,
    false_positive_rate,
    selection_rate,
)
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score, roc_auc_score

from missionhub.challenges import metrics as m
from missionhub.challenges.evaluation import SubmissionArrays, SuiteArrays, evaluate

FAIRLEARN = {
    "accuracy": accuracy_score,
    "precision": precision_score,
    "recall": recall_score,
    "fpr": false_positive_rate,
    "fnr": false_negative_rate,
    "selection_rate": selection_rate,
    "f1": f1_score,
}
TOL = 1e-12


def _data(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    a = rng.choice(list("ABCDEFG"), size=n, p=[0.3, 0.2, 0.15, 0.15, 0.1, 0.05, 0.05])
    b = rng.choice(["w", "x", "y", "z"], size=n)
    gold = rng.random(n) < np.where(a == "A", 0.6, 0.35)
    score = np.clip(gold * 0.3 + rng.random(n) * 0.8 + (b == "z") * 0.1, 0, 1).round(2)
    pred = score > 0.5
    return pd.DataFrame({"a": a, "b": b, "gold": gold, "pred": pred, "score": score})


def _frame(df: pd.DataFrame, features: list[str]) -> MetricFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return MetricFrame(
            metrics=FAIRLEARN,
            y_true=df.gold.astype(int),
            y_pred=df.pred.astype(int),
            sensitive_features=df[features],
        )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_metric_in_every_cell_equals_fairlearns_metricframe(seed: int) -> None:
    df = _data(5000, seed)
    codes_a, labels_a = m.encode(df.a.to_numpy())
    codes_b, labels_b = m.encode(df.b.to_numpy())
    groupings = m.build_groupings(len(df), {"a": (codes_a, labels_a), "b": (codes_b, labels_b)})
    gold, pred = df.gold.to_numpy(), df.pred.to_numpy()
    features = {"a": ["a"], "b": ["b"], "a" + m.SEP + "b": ["a", "b"]}
    compared = 0
    for g in groupings:
        ours = m.metric_values(m.confusion_counts(g.codes, g.size, gold, pred))
        if g.dimension == "overall":
            frame = _frame(df.assign(all="x"), ["all"])
            for metric in m.METRICS:
                assert abs(ours[metric][0] - frame.overall[metric]) < TOL
            continue
        frame = _frame(df, features[g.name])
        for k, label in enumerate(g.labels):
            index = tuple(label.split(m.SEP)) if m.SEP in label else label
            for metric in m.METRICS:
                assert abs(ours[metric][k] - frame.by_group.loc[index, metric]) < TOL, (
                    g.name,
                    label,
                    metric,
                )
                compared += 1
    assert compared == 7 * (7 + 4 + 28)


def test_gaps_and_ratios_equal_fairlearns_difference_and_ratio() -> None:
    df = _data(4000, 7)
    codes, labels = m.encode(df.a.to_numpy())
    result = evaluate(
        SuiteArrays(df.gold.to_numpy(), {"a": (codes, labels)}),
        [SubmissionArrays("s1", "S1", df.pred.to_numpy())],
        n_resamples=50,
    )
    summary = result["submissions"][0]["summary"]["a"]
    frame = _frame(df, ["a"])
    for metric in m.METRICS:
        between = frame.difference(method="between_groups")[metric]
        to_overall = frame.difference(method="to_overall")[metric]
        assert abs(summary[metric]["difference"] - between) < TOL
        assert abs(summary[metric]["ratio"] - frame.ratio(method="between_groups")[metric]) < TOL
        assert abs(summary[metric]["to_overall"] - to_overall) < TOL


def test_roc_auc_per_cell_equals_scikit_learn_with_ties() -> None:
    df = _data(3000, 11)
    codes, labels = m.encode(df.b.to_numpy())
    ours = m.roc_auc_by_cell(codes, len(labels), df.gold.to_numpy(), df.score.to_numpy())
    frame = MetricFrame(
        metrics=roc_auc_score,
        y_true=df.gold.astype(int),
        y_pred=df.score,
        sensitive_features=df.b,
    )
    for k, label in enumerate(labels):
        assert abs(ours[k] - frame.by_group[label]) < TOL


def test_undefined_rates_are_not_silently_zero() -> None:
    gold = np.array([True, True, False])
    pred = np.array([False, False, False])
    values = m.metric_values(m.confusion_counts(np.zeros(3, np.int64), 1, gold, pred))
    assert math.isnan(values["precision"][0]), "no predicted positives: precision is undefined"
    assert values["fnr"][0] == 1.0
    auc = m.roc_auc_by_cell(np.zeros(2, np.int64), 1, np.array([True, True]), np.array([0.1, 0.2]))
    assert math.isnan(auc[0])


def test_wilson_interval_matches_the_textbook_formula() -> None:
    # Newcombe (1998) example: 81 of 263 -> 0.2553 to 0.3662
    low, high = m.wilson(np.array([81.0]), np.array([263.0]))
    assert round(float(low[0]), 4) == 0.2553
    assert round(float(high[0]), 4) == 0.3662
    low, high = m.wilson(np.array([0.0]), np.array([10.0]))
    assert low[0] == 0.0
    assert round(float(high[0]), 4) == 0.2775


def test_benjamini_hochberg_by_hand() -> None:
    p = np.array([0.01, 0.04, 0.03, 0.005, np.nan])
    q = m.benjamini_hochberg(p)
    # sorted: 0.005, 0.01, 0.03, 0.04 (m = 4) -> 0.02, 0.02, 0.04, 0.04
    assert np.allclose(q[:4], [0.02, 0.04, 0.04, 0.02])
    assert math.isnan(q[4])


def test_pattern_bootstrap_equals_resampling_rows() -> None:
    """For any drawn set of rows, counts via patterns equal counts over the rows themselves."""
    df = _data(2000, 5)
    rng = np.random.default_rng(0)
    codes, labels = m.encode(df.a.to_numpy())
    groupings = m.build_groupings(len(df), {"a": (codes, labels)})
    gold = df.gold.to_numpy()
    preds = [df.pred.to_numpy(), rng.random(len(df)) < 0.4]
    row_atom, atom_cells = m.atoms(groupings)
    pats = m.patterns(row_atom, gold, preds)
    assert pats.counts.sum() == len(df)
    key = {
        (int(a), int(g), *map(int, p)): i
        for i, (a, g, *p) in enumerate(zip(pats.atom, pats.gold, *pats.preds, strict=True))
    }
    row_pattern = np.array(
        [
            key[(int(a), int(g), *(int(p[i]) for p in preds))]
            for i, (a, g) in enumerate(zip(row_atom, gold, strict=True))
        ]
    )
    drawn = rng.integers(0, len(df), size=(3, len(df)))
    weights = np.stack([np.bincount(row_pattern[d], minlength=len(pats.counts)) for d in drawn])
    for s, pred in enumerate(preds):
        via = m.cell_counts_from_patterns(
            weights, atom_cells[pats.atom, 1], pats.gold, pats.preds[s], groupings[1].size
        )
        for r, rows in enumerate(drawn):
            direct = m.confusion_counts(codes[rows], len(labels), gold[rows], pred[rows])
            assert (via[r] == direct).all()


def test_bootstrap_is_paired_and_reproducible() -> None:
    df = _data(3000, 9)
    codes, labels = m.encode(df.a.to_numpy())
    groupings = m.build_groupings(len(df), {"a": (codes, labels)})
    pred = df.pred.to_numpy()
    one = m.paired_bootstrap(groupings, df.gold.to_numpy(), [pred, pred], n_resamples=200)
    again = m.paired_bootstrap(groupings, df.gold.to_numpy(), [pred], n_resamples=200)
    assert (one.counts[0][1] == one.counts[1][1]).all(), "same predictions, same resamples"
    assert (one.counts[0][1] == again.counts[0][1]).all(), "same seed, same resamples"
    total = one.counts[0][0].sum(axis=(1, 2))
    assert (total == len(df)).all()


def test_counterfactual_consistency_finds_the_odd_group_out() -> None:
    template = np.array([0, 0, 0, 1, 1, 1, 2, -1])
    group = np.array([0, 1, 2, 0, 1, 2, 0, 1])
    pred = np.array([True, True, False, True, True, True, False, True])
    cf = m.counterfactual_consistency(template, group, ["a", "b", "c"], pred)
    assert (cf.templates, cf.consistent) == (2, 1)  # template 2 has one group only
    assert cf.by_group == {"a": (2, 0), "b": (2, 0), "c": (2, 1)}


def test_missing_group_values_are_a_group_of_their_own() -> None:
    codes, labels = m.encode(["women", None, float("nan"), "", "women"])
    assert labels == [m.NOT_STATED, "women"]
    assert codes.tolist() == [1, 0, 0, 0, 1]


def test_evaluate_flags_small_cells_and_ranks_with_uncertainty() -> None:
    df = _data(3000, 13)
    codes, labels = m.encode(df.a.to_numpy())
    good = df.gold.to_numpy() ^ (np.random.default_rng(1).random(len(df)) < 0.1)
    result = evaluate(
        SuiteArrays(df.gold.to_numpy(), {"a": (codes, labels)}),
        [
            SubmissionArrays("weak", "Weak", df.pred.to_numpy(), df.score.to_numpy()),
            SubmissionArrays("strong", "Strong", good),
        ],
        min_denominator=200,
        n_resamples=200,
        primary_metric="accuracy",
    )
    assert [r["key"] for r in result["ranking"]] == ["strong", "weak"]
    assert result["ranking"][0]["p_best"] > 0.95
    cells = {c["cell"]: c for c in result["submissions"][0]["cells"]}
    assert cells["G"]["metrics"]["accuracy"]["small"] is True
    assert cells["Everyone"]["metrics"]["accuracy"]["small"] is False
    assert cells["A"]["metrics"]["roc_auc"]["value"] is not None
    assert "roc_auc" not in result["submissions"][1]["cells"][0]["metrics"]
    assert result["submissions"][0]["tests"] == 7 * 6
    for cell in result["submissions"][0]["cells"]:
        acc = cell["metrics"]["accuracy"]
        assert acc["low"] <= acc["value"] <= acc["high"]
        assert cell["n"] == cell["positives"] + cell["negatives"]


def test_hatecheck_with_a_demo_baseline_equals_metricframe_in_every_cell() -> None:
    """Real data: HateCheck's groups and functionalities, a demo baseline's predictions."""
    from missionhub.challenges.demo import lexicon_with_negation
    from missionhub.challenges.suites import import_hatecheck, parse_suite, suite_arrays
    from tests.conftest import require_data

    parsed = parse_suite(
        import_hatecheck(require_data("assurance", "hatecheck_test_suite_cases.csv")),
        1,
        ("hateful", "non-hateful"),
    )
    frame = parsed.frame
    arrays = suite_arrays(frame, "hateful")
    answer = lexicon_with_negation(frame["text"].astype(str))
    pred = (answer["label"] == "hateful").to_numpy()
    df = pd.DataFrame(
        {
            "gold": arrays.gold.astype(int),
            "pred": pred.astype(int),
            "target": frame["group_target"].replace("", m.NOT_STATED),
            "functionality": frame["functionality"],
        }
    )
    groupings = m.build_groupings(len(df), arrays.groups, arrays.functionality)
    for g in groupings[1:]:
        column = "target" if g.name == "target" else "functionality"
        ours = m.metric_values(m.confusion_counts(g.codes, g.size, arrays.gold, pred))
        frame_ = _frame(df, [column])
        for k, label in enumerate(g.labels):
            for metric in m.METRICS:
                theirs = frame_.by_group.loc[label, metric]
                if math.isnan(ours[metric][k]):  # undefined here; scikit-learn says 0.0
                    assert theirs == 0.0
                else:
                    assert abs(ours[metric][k] - theirs) < TOL
