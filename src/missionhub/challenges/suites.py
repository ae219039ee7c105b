"""Hidden test suites: read a CSV or Parquet file, check it, normalise it, hash it; and the
ready-made importers for HateCheck, Multilingual HateCheck and UCI Adult.

A suite file has one row per case:

- ``case_id`` (required, unique), ``label`` (required: the gold label);
- one or more ``group_<attribute>`` columns (e.g. ``group_target``), blank where not stated;
- optional ``template_id`` (cases filled from the same template for different groups) and
  ``functionality`` (what the case tests);
- every other column is an input the model sees (``text``, or features).
"""

from __future__ import annotations

import hashlib
import io
import math
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from missionhub.challenges.evaluation import SuiteArrays
from missionhub.challenges.metrics import encode
from missionhub.errors import FieldError, Invalid

GROUP_PREFIX = "group_"
RESERVED = ("case_id", "label", "template_id", "functionality")
MAX_LISTED = 10


def rows_error(rows: Iterable[int], message: str, column: str | None = None) -> FieldError:
    """One problem found in several rows: "rows 3, 7 and 9, column case_id" (the first ten)."""
    rows = list(rows)
    shown = ", ".join(str(r) for r in rows[:MAX_LISTED])
    more = f" and {len(rows) - MAX_LISTED} more" if len(rows) > MAX_LISTED else ""
    where = ("row " if len(rows) == 1 else "rows ") + shown + more
    return FieldError(where + (f", column {column}" if column else ""), message)


TABLES = (".csv", ".parquet")  # the files read_table reads


def read_table(path: Path) -> tuple[pd.DataFrame, int]:
    """A CSV or Parquet file as text columns (blank for missing), and the row number of its
    first data row as a person counts it (2 in a CSV, after the header)."""
    try:
        if path.suffix.lower() == ".parquet":
            frame = pd.read_parquet(path)
            return frame.astype(object).where(frame.notna(), ""), 1
        return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig"), 2
    except (ValueError, OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise Invalid(f"The file could not be read as {path.suffix[1:]}: {exc}", "file") from exc


def _text(series: pd.Series) -> pd.Series:
    return series.map(lambda v: "" if v is None else str(v).strip())


@dataclass(frozen=True)
class ParsedSuite:
    frame: pd.DataFrame  # normalised: case_id, label, template_id, functionality, groups, inputs
    group_columns: list[str]
    input_columns: list[str]
    content_sha256: str

    @property
    def cases(self) -> int:
        return len(self.frame)

    @property
    def has_templates(self) -> bool:
        return bool((self.frame["template_id"] != "").any())

    @property
    def has_functionality(self) -> bool:
        return bool((self.frame["functionality"] != "").any())

    def positives(self, positive_label: str) -> int:
        return int((self.frame["label"] == positive_label).sum())


def parse_suite(raw: pd.DataFrame, first_row: int, labels: tuple[str, str]) -> ParsedSuite:
    """Check every row of a suite and normalise it; raise Invalid naming every bad row."""
    raw = raw.rename(columns=lambda c: str(c).strip())
    problems = _missing_columns(raw)
    if problems:
        raise Invalid(problems)
    frame = pd.DataFrame({"case_id": _text(raw["case_id"]), "label": _text(raw["label"])})
    for column in ("template_id", "functionality"):
        frame[column] = _text(raw[column]) if column in raw else ""
    groups = sorted(c for c in raw.columns if c.startswith(GROUP_PREFIX))
    for column in groups:
        frame[column] = _text(raw[column])
    inputs = [c for c in raw.columns if c not in RESERVED and c not in groups]
    for column in inputs:
        frame[column] = _numeric_or_text(raw[column])
    problems = _case_id_problems(frame["case_id"], first_row) + label_problems(
        frame["label"], first_row, f"the labels are {labels[0]!r} and {labels[1]!r}", labels
    )
    if problems:
        raise Invalid(problems)
    return ParsedSuite(frame.reset_index(drop=True), groups, inputs, content_hash(frame))


def _missing_columns(raw: pd.DataFrame) -> list[FieldError]:
    problems = [
        FieldError("file", f"The file has no {name} column")
        for name in ("case_id", "label")
        if name not in raw.columns
    ]
    if not any(str(c).startswith(GROUP_PREFIX) for c in raw.columns):
        problems.append(
            FieldError("file", "The file needs at least one group column, e.g. group_target")
        )
    if len(raw) == 0:
        problems.append(FieldError("file", "The file has no cases"))
    return problems


def _numeric_or_text(series: pd.Series) -> pd.Series:
    text = _text(series)
    numbers = pd.to_numeric(text.where(text != "", None), errors="coerce")
    if text.ne("").all() and numbers.notna().all():
        return numbers
    return text


def _case_id_problems(ids: pd.Series, first_row: int) -> list[FieldError]:
    problems = []
    blank = np.flatnonzero((ids == "").to_numpy()) + first_row
    if blank.size:
        problems.append(rows_error(blank, "Enter a case id", "case_id"))
    dup = ids[(ids != "") & ids.duplicated(keep=False)]
    for case_id, rows in dup.groupby(dup).groups.items():
        problems.append(
            rows_error(
                [int(r) + first_row for r in rows], f"Case id {case_id!r} is repeated", "case_id"
            )
        )
    return problems


def label_problems(
    values: pd.Series, first_row: int, hint: str, labels: tuple[str, str]
) -> list[FieldError]:
    """One error per unknown (or blank) label, naming its rows, with ``hint`` after it."""
    bad = values[~values.isin(labels)]
    return [
        rows_error(
            [int(r) + first_row for r in rows],
            f"{f'Unknown label {value!r}' if value else 'Enter a label'}; {hint}",
            "label",
        )
        for value, rows in bad.groupby(bad).groups.items()
    ]


def content_hash(frame: pd.DataFrame) -> str:
    """SHA-256 of the normalised cases as CSV (the same cases give the same hash, whatever
    file format or column order they arrived in)."""
    ordered = frame[sorted(frame.columns)]
    return hashlib.sha256(ordered.to_csv(index=False, lineterminator="\n").encode()).hexdigest()


def to_parquet(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


def from_parquet(data: bytes) -> pd.DataFrame:
    return pd.read_parquet(io.BytesIO(data))


def suite_arrays(frame: pd.DataFrame, positive_label: str) -> SuiteArrays:
    """The arrays the engine needs: gold labels, group codes, functionality, templates."""
    groups = {
        c.removeprefix(GROUP_PREFIX): encode(frame[c].to_numpy())
        for c in frame.columns
        if c.startswith(GROUP_PREFIX)
    }
    functionality = None
    if (frame["functionality"] != "").any():
        functionality = encode(frame["functionality"].to_numpy())
    template = None
    if (frame["template_id"] != "").any():
        codes, labels = encode(frame["template_id"].to_numpy())
        blank = labels.index("(not stated)") if "(not stated)" in labels else -1
        template = np.where(codes == blank, -1, codes).astype(np.int64)
    gold = (frame["label"] == positive_label).to_numpy()
    return SuiteArrays(gold, groups, functionality, template)


def inputs_frame(frame: pd.DataFrame, input_columns: list[str]) -> pd.DataFrame:
    """What a supplier may see of a suite: case ids and inputs; no labels, groups or
    templates."""
    return frame[["case_id", *input_columns]].copy()


# Importers ---------------------------------------------------------------------------------


IMPORTERS = {
    "hatecheck": ("HateCheck (English)", ("hateful", "non-hateful")),
    "mhc": ("Multilingual HateCheck (10 languages)", ("hateful", "non-hateful")),
    "adult": ("UCI Adult census income (test split)", (">50K", "<=50K")),
}
PUBLIC_WARNING = (
    "This suite comes from a public dataset ({name}). Its cases and gold labels are published, "
    "so suppliers may know them: use it for practice, not to decide who gets money."
)


def public_source(source: str | None) -> str | None:
    """The dataset's name if a suite came from a public dataset (its labels may be known)."""
    return IMPORTERS[source][0] if source in IMPORTERS else None


def public_warning(source: str | None) -> str | None:
    name = public_source(source)
    return PUBLIC_WARNING.format(name=name) if name else None


def opaque_ids(frame: pd.DataFrame) -> pd.DataFrame:
    """The cases in a random order with random ids, so that neither a case's id nor its place
    in the test inputs leads back to its row in the public file (where its label is). The
    inputs themselves can still be looked up: see :data:`PUBLIC_WARNING`."""
    order = np.random.default_rng(secrets.randbits(128)).permutation(len(frame))
    shuffled = frame.iloc[order].reset_index(drop=True)
    ids: list[str] = []
    seen: set[str] = set()
    while len(ids) < len(shuffled):
        case_id = "case-" + secrets.token_hex(8)
        if case_id not in seen:
            seen.add(case_id)
            ids.append(case_id)
    return shuffled.assign(case_id=ids)


def import_hatecheck(path: Path) -> pd.DataFrame:
    """HateCheck (Röttger et al. 2021, CC BY 4.0): target identity as the group attribute."""
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    return pd.DataFrame(
        {
            "case_id": raw["case_id"],
            "text": raw["test_case"].str.strip(),
            "label": raw["label_gold"],
            "group_target": raw["target_ident"],
            "template_id": raw["templ_id"],
            "functionality": raw["functionality"],
        }
    )


def import_multilingual_hatecheck(folder: Path) -> pd.DataFrame:
    """Every language file of Multilingual HateCheck (Röttger et al. 2022, CC BY 4.0);
    language and target identity as group attributes; templates are per language."""
    frames = []
    for path in sorted(folder.glob("hatecheck_cases_final_*.csv")):
        raw = pd.read_csv(path, dtype=str, keep_default_na=False)
        language = path.stem.removeprefix("hatecheck_cases_final_")
        frames.append(
            pd.DataFrame(
                {
                    "case_id": raw["mhc_case_id"],
                    "text": raw["test_case"].str.strip(),
                    "label": raw["label_gold"],
                    "group_target": raw["target_ident"],
                    "group_language": language,
                    "template_id": language + "-" + raw["templ_id"],
                    "functionality": raw["functionality"],
                }
            )
        )
    if not frames:
        raise Invalid(f"No Multilingual HateCheck files in {folder}", "file")
    return pd.concat(frames, ignore_index=True)


ADULT_COLUMNS = [
    "age",
    "workclass",
    "fnlwgt",
    "education",
    "education_num",
    "marital_status",
    "occupation",
    "relationship",
    "race",
    "sex",
    "capital_gain",
    "capital_loss",
    "hours_per_week",
    "native_country",
    "income",
]


def import_adult(path: Path) -> pd.DataFrame:
    """UCI Adult (CC BY 4.0): sex, race and age band as group attributes; the features
    (without sex and race) as inputs. ``?`` (unknown) stays as given."""
    raw = pd.read_csv(
        path,
        header=None,
        names=ADULT_COLUMNS,
        skipinitialspace=True,
        comment="|",
        dtype=str,
        keep_default_na=False,
    )
    raw = raw[raw["income"] != ""].reset_index(drop=True)
    ages = raw["age"].astype(int)
    bands = pd.cut(ages, [0, 25, 45, 65, 200], right=False, labels=["<25", "25-44", "45-64", "65+"])
    inputs = [c for c in ADULT_COLUMNS if c not in ("race", "sex", "income")]
    frame = pd.DataFrame({"case_id": [f"{path.stem}-{i + 1}" for i in range(len(raw))]})
    frame["label"] = raw["income"].str.rstrip(".")
    frame["group_sex"] = raw["sex"]
    frame["group_race"] = raw["race"]
    frame["group_age"] = bands.astype(str)
    for column in inputs:
        frame[column] = raw[column]
    return frame


def import_source(source: str, data_dir: Path) -> tuple[pd.DataFrame, str]:
    """A ready-made suite from the shared datasets: (raw frame, file name), its cases in a
    random order under random ids (:func:`opaque_ids`)."""
    assurance = data_dir / "assurance"
    if source == "hatecheck":
        path = assurance / "hatecheck_test_suite_cases.csv"
        return opaque_ids(import_hatecheck(_exists(path))), path.name
    if source == "mhc":
        folder = _exists(assurance / "multilingual_hatecheck")
        return opaque_ids(import_multilingual_hatecheck(folder)), folder.name
    if source == "adult":
        path = assurance / "adult.test"
        return opaque_ids(import_adult(_exists(path))), path.name
    raise Invalid(f"Unknown ready-made suite {source!r}", "source")


def _exists(path: Path) -> Path:
    if not path.exists():
        raise Invalid(f"The dataset {path} is not on this server", "source")
    return path


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    if path.is_dir():
        for child in sorted(path.iterdir()):
            digest.update(child.read_bytes())
    else:
        digest.update(path.read_bytes())
    return digest.hexdigest()


def finite(value: object) -> bool:
    return isinstance(value, int | float) and math.isfinite(value)
