"""The pure rules: scores, the appetite scale, material changes, escalation steps, heat maps."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from missionhub.risk.models import AppetiteLevel, RiskCategory
from missionhub.risk.scoring import (
    DEFAULT_SCALE,
    RiskState,
    band,
    heat_map,
    material_changes,
    median_days,
    next_step,
    scale_problems,
    score,
    threshold,
)

TODAY = date(2026, 6, 1)
TECH = RiskCategory.TECHNOLOGY


@pytest.mark.parametrize(("likelihood", "impact"), [(0, 3), (6, 3), (3, 0), (3, 6)])
def test_a_score_outside_1_to_5_is_refused_naming_the_axis(likelihood: int, impact: int) -> None:
    axis = "likelihood" if likelihood not in range(1, 6) else "impact"
    with pytest.raises(ValueError, match=axis):
        score(likelihood, impact)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1, "low"), (4, "low"), (5, "medium"), (9, "medium"), (10, "high"), (16, "high"),
     (20, "very-high"), (25, "very-high")],
)  # fmt: skip
def test_bands_split_the_matrix_at_4_9_and_16(value: int, expected: str) -> None:
    assert band(value) == expected


def test_the_default_scale_rises_with_the_level_and_is_valid() -> None:
    assert scale_problems(DEFAULT_SCALE) == []
    assert threshold(None) == DEFAULT_SCALE[AppetiteLevel.CAUTIOUS]
    assert threshold(AppetiteLevel.EAGER, {**DEFAULT_SCALE, AppetiteLevel.EAGER: 20}) == 20


def test_a_scale_that_does_not_rise_names_the_level_at_fault() -> None:
    scale = {**DEFAULT_SCALE, AppetiteLevel.OPEN: 9}  # open equal to cautious
    assert scale_problems(scale) == [
        (AppetiteLevel.OPEN, "Open must allow a higher score than Cautious")
    ]


def test_a_scale_missing_a_level_or_out_of_range_names_it() -> None:
    scale = {**DEFAULT_SCALE, AppetiteLevel.EAGER: 26}
    del scale[AppetiteLevel.AVERSE]
    assert [level for level, _ in scale_problems(scale)] == [
        AppetiteLevel.AVERSE,
        AppetiteLevel.EAGER,
    ]


SNAPSHOT = {"residual_score": 12, "category": "technology"}


@pytest.mark.parametrize(
    ("state", "expires", "expected"),
    [
        (RiskState(TECH, 3, 4), TODAY, []),  # unchanged; expiry day itself still stands
        (RiskState(TECH, 4, 3), TODAY, []),  # same score, other axes
        (RiskState(TECH, 2, 4), TODAY, []),  # score down
        (RiskState(TECH, 4, 4), TODAY, ["residual score up from 12 to 16"]),
        (
            RiskState(RiskCategory.LEGAL, 3, 4),
            None,
            ["category changed from Technology to Legal"],
        ),
        (RiskState(TECH, 3, 4), TODAY - timedelta(days=1), ["decision expired on 2026-05-31"]),
    ],
)
def test_material_changes_against_the_snapshot(
    state: RiskState, expires: date | None, expected: list[str]
) -> None:
    assert material_changes(SNAPSHOT, state, expires, TODAY) == expected


def _step(state: RiskState, *, pending: bool = False, standing: bool = False, limit: int = 9):
    return next_step(
        state,
        limit,
        pending=pending,
        standing=SNAPSHOT if standing else None,
        expires_on=TODAY + timedelta(days=10),
        today=TODAY,
    )


def test_escalation_steps() -> None:
    beyond, within = RiskState(TECH, 3, 4), RiskState(TECH, 3, 3)
    assert _step(within).escalate is False
    assert _step(beyond).escalate is True
    assert _step(beyond, pending=True).escalate is False, "one escalation at a time"
    assert _step(beyond, standing=True) == _step(within), "a standing decision holds"
    assert _step(within, pending=True).withdraw == "the risk is back within appetite"
    worse = _step(RiskState(TECH, 4, 4), standing=True)
    assert (worse.reopen, worse.escalate) == (["residual score up from 12 to 16"], True)
    moved = _step(RiskState(RiskCategory.LEGAL, 3, 4), standing=True, limit=12)
    assert moved.reopen, "re-opened..."
    assert not moved.escalate, "...but within the new category's limit"
    closed = _step(RiskState(TECH, 5, 5, live=False), pending=True)
    assert (closed.withdraw, closed.escalate) == ("the risk was closed", False)


cells = st.lists(st.tuples(st.integers(1, 5), st.integers(1, 5)), max_size=200)


@given(cells)
def test_heat_map_counts_match_numpy_histogram2d(pairs: list[tuple[int, int]]) -> None:
    reference, _, _ = np.histogram2d(
        [p[0] for p in pairs], [p[1] for p in pairs], bins=[5, 5], range=[[0.5, 5.5], [0.5, 5.5]]
    )
    hm = heat_map(pairs)
    assert hm.total == len(pairs)
    for lik in range(1, 6):
        for imp in range(1, 6):
            assert hm.count(lik, imp) == int(reference[lik - 1, imp - 1])
    assert [row[0] for row in hm.rows()] == [5, 4, 3, 2, 1], "likelihood 5 at the top"
    assert sum(hm.by_band().values()) == len(pairs)


def test_heat_map_refuses_a_cell_outside_the_matrix() -> None:
    with pytest.raises(ValueError, match="impact"):
        heat_map([(1, 6)])


@given(st.lists(st.floats(0, 400), min_size=1, max_size=50))
def test_median_days_matches_numpy(days: list[float]) -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    spans = [(start, start + timedelta(days=d)) for d in days]
    assert median_days(spans) == pytest.approx(float(np.median(days)), abs=1e-6)
    assert median_days([]) is None
