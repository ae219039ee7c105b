"""Normalisation: spellings a person would call the same come out identical."""

from __future__ import annotations

import pyarrow as pa
import pytest

from missionhub.linkage import normalise


def values(result: normalise.Normalised) -> list[str | None]:
    return result.values.to_pylist()


def test_names_lose_case_accents_titles_and_punctuation() -> None:
    raw = pa.array(["Siobhán O'Neill", "siobhan o neill", " Dr  Jean-Paul ", "Mr", "", None])
    assert values(normalise.name(raw)) == [
        "SIOBHANONEILL",
        "SIOBHANONEILL",
        "JEANPAUL",
        "MR",
        None,
        None,
    ]


def test_uk_postcodes_are_compacted_and_checked() -> None:
    result = normalise.postcode(pa.array(["sw1a 1aa", "EC1A-1BB", "GIR 0AA", "00000", None]))
    assert values(result)[:3] == ["SW1A1AA", "EC1A1BB", "GIR0AA"]
    assert result.invalid.tolist() == [False, False, False, True, False]
    blanked = normalise.postcode(pa.array(["00000", "M1 1AE"]), "blank")
    assert values(blanked) == [None, "M11AE"]
    assert not blanked.invalid.any()


@pytest.mark.parametrize(
    ("raw", "formats", "expected"),
    [
        ("1984-03-12", ["%Y-%m-%d"], "19840312"),
        ("12/03/1984", ["%d/%m/%Y"], "19840312"),
        ("03/12/1984", ["%m/%d/%Y"], "19840312"),
        ("19840312", ["%Y-%m-%d", "%Y%m%d"], "19840312"),
    ],
)
def test_dates_in_any_agreed_layout_become_yyyymmdd(
    raw: str, formats: list[str], expected: str
) -> None:
    assert values(normalise.date(pa.array([raw]), formats)) == [expected]


def test_a_date_that_is_not_real_is_invalid_unless_kept_or_blanked() -> None:
    raw = pa.array(["31/02/2000", "07/71/1958", "", None, "01/01/2000"])
    strict = normalise.date(raw, ["%d/%m/%Y"])
    assert strict.invalid.tolist() == [True, True, False, False, False]
    kept = normalise.date(raw, ["%m/%d/%Y"], "keep")
    assert values(kept)[1] == "19580771"  # positional: still shares most q-grams with 19580707
    assert not kept.invalid.any()
    assert values(normalise.date(raw, ["%d/%m/%Y"], "blank"))[:2] == [None, None]


def test_codes_agree_across_spellings() -> None:
    assert values(normalise.code(pa.array(["Female", "f", "MALE", "m", "X", None]))) == [
        "F",
        "F",
        "M",
        "M",
        "X",
        None,
    ]
