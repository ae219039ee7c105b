"""Normalise identifying values before encoding, column at a time (Arrow kernels, no row loop).

Each function takes an Arrow array of strings and returns the normalised array, with null for a
missing value, and where a value can be invalid, a boolean mask of the invalid rows so that the
caller can name them. The same normalisation runs at every data owner: two spellings that a
person would call the same should come out identical (case, accents, spacing, punctuation,
titles; date and postcode layouts). Pure: no database, no web.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from missionhub.linkage.linkage_schema import FieldSpec, OnInvalid

TITLES = r"^(?:MR|MRS|MS|MISS|MX|DR|PROF|SIR|DAME|REV|LORD|LADY) +([A-Z])"
UK_POSTCODE = r"^[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}$"
# GIR 0AA, the one postcode outside the pattern.
UK_POSTCODE_SPECIAL = ("GIR0AA",)
_DATE_TOKEN = {"%Y": r"(.{4})", "%m": r"(.{1,2}?)", "%d": r"(.{1,2}?)"}


@dataclass(frozen=True)
class Normalised:
    """Normalised values (null when missing) and which rows held an invalid value."""

    values: pa.Array
    invalid: np.ndarray


def _as_strings(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if not pa.types.is_string(values.type) and not pa.types.is_large_string(values.type):
        values = pc.cast(values, pa.string())
    return values


def _blank_to_null(values: pa.Array) -> pa.Array:
    return pc.if_else(pc.equal(values, ""), pa.scalar(None, pa.string()), values)


def _ascii_upper(values: pa.Array) -> pa.Array:
    """Accents dropped (é -> E), upper case."""
    decomposed = pc.utf8_normalize(values, "NFKD")
    return pc.utf8_upper(pc.replace_substring_regex(decomposed, r"\p{M}", ""))


def name(values: pa.Array | pa.ChunkedArray) -> Normalised:
    """Names: upper case ASCII letters only; a leading title (Mr, Dr, ...) is dropped, and so are
    spaces, hyphens and apostrophes, so O'Brien = OBRIEN and Jean-Paul = JEAN PAUL."""
    out = _ascii_upper(_as_strings(values))
    out = pc.replace_substring_regex(out, r"[^A-Z]+", " ")
    out = pc.utf8_trim_whitespace(out)
    out = pc.replace_substring_regex(out, TITLES, r"\1")
    out = pc.replace_substring(out, " ", "")
    return Normalised(_blank_to_null(out), np.zeros(len(out), dtype=bool))


def text(values: pa.Array | pa.ChunkedArray) -> Normalised:
    """Free text (an address line): upper case letters and digits, single spaces."""
    out = _ascii_upper(_as_strings(values))
    out = pc.utf8_trim_whitespace(pc.replace_substring_regex(out, r"[^A-Z0-9]+", " "))
    return Normalised(_blank_to_null(out), np.zeros(len(out), dtype=bool))


def number(values: pa.Array | pa.ChunkedArray) -> Normalised:
    """Numbers and reference numbers: the digits only, leading zeros kept."""
    out = pc.replace_substring_regex(_as_strings(values), r"[^0-9]+", "")
    return Normalised(_blank_to_null(out), np.zeros(len(out), dtype=bool))


def code(values: pa.Array | pa.ChunkedArray) -> Normalised:
    """A coded value compared whole (sex, country): upper case letters and digits; for a value
    such as Female/Male/F/M only the first letter is kept, so spellings agree."""
    out = _ascii_upper(_as_strings(values))
    out = pc.replace_substring_regex(out, r"[^A-Z0-9]+", "")
    out = pc.if_else(
        pc.match_substring_regex(out, r"^(F|M|FEMALE|MALE)$"),
        pc.utf8_slice_codeunits(out, 0, 1),
        out,
    )
    return Normalised(_blank_to_null(out), np.zeros(len(out), dtype=bool))


def _apply_invalid(
    values: pa.Array, invalid: np.ndarray, on_invalid: OnInvalid, keep: pa.Array
) -> Normalised:
    """Rows marked invalid: left for the caller to reject, blanked, or replaced by ``keep``."""
    if not invalid.any() or on_invalid == "reject":
        return Normalised(values, invalid)
    mask = pa.array(invalid)
    replacement = pa.nulls(len(values), pa.string()) if on_invalid == "blank" else keep
    out = pc.if_else(mask, replacement, values)
    return Normalised(_blank_to_null(out), np.zeros(len(values), dtype=bool))


def postcode(values: pa.Array | pa.ChunkedArray, on_invalid: OnInvalid = "reject") -> Normalised:
    """UK postcodes: upper case, no spaces (``sw1a 1aa`` -> ``SW1A1AA``); a value that is not a
    UK postcode is invalid. ``keep`` keeps its letters and digits as they are."""
    raw = _as_strings(values)
    compact = _blank_to_null(pc.replace_substring_regex(_ascii_upper(raw), r"[^A-Z0-9]+", ""))
    valid = pc.or_(
        pc.match_substring_regex(compact, UK_POSTCODE),
        pc.is_in(compact, pa.array(UK_POSTCODE_SPECIAL)),
    )
    invalid = np.asarray(pc.and_(pc.is_valid(compact), pc.invert(valid)).fill_null(False))
    return _apply_invalid(compact, invalid, on_invalid, compact)


def _positional_pattern(fmt: str) -> re.Pattern[str]:
    parts, order, i = [], [], 0
    while i < len(fmt):
        token = fmt[i : i + 2]
        if token in _DATE_TOKEN:
            parts.append(_DATE_TOKEN[token])
            order.append(token)
            i += 2
        else:
            parts.append(re.escape(fmt[i]))
            i += 1
    return re.compile("^" + "".join(parts) + "$")


def _keep_positional(raw: pd.Series, formats: list[str]) -> pd.Series:
    """An unparseable date's characters arranged as year, month, day by the first format whose
    layout it fits (``07/71/1958`` in %m/%d/%Y -> ``19580771``), else its characters as given."""
    kept = raw.str.lower().str.replace(r"\s+", "", regex=True)
    result = pd.Series(pd.NA, index=raw.index, dtype="object")
    for fmt in formats:
        pattern = _positional_pattern(fmt)
        order = [t for t in re.findall(r"%[Ymd]", fmt)]
        parts = kept.str.extract(pattern)
        if parts.shape[1] != len(order):
            continue
        cols = dict(zip(order, range(len(order)), strict=True))
        if set(cols) != {"%Y", "%m", "%d"}:
            continue
        joined = parts[cols["%Y"]] + parts[cols["%m"]].str.zfill(2) + parts[cols["%d"]].str.zfill(2)
        result = result.where(result.notna(), joined)
    return result.where(result.notna(), kept)


def date(
    values: pa.Array | pa.ChunkedArray,
    formats: list[str],
    on_invalid: OnInvalid = "reject",
) -> Normalised:
    """Dates: ``YYYYMMDD``, read with the first of ``formats`` that gives a real calendar date
    (years 1800 to 2199). A value none of them reads is invalid."""
    raw = _as_strings(values)
    series = pd.Series(raw.to_pandas(), dtype="object").str.strip()
    series = series.where(series != "", None)
    parsed = pd.Series(pd.NaT, index=series.index, dtype="datetime64[ns]")
    for fmt in formats:
        todo = parsed.isna() & series.notna()
        if not todo.any():
            break
        attempt = pd.to_datetime(series[todo], format=fmt, errors="coerce")
        parsed[todo] = attempt
    ok = parsed.notna() & parsed.dt.year.between(1800, 2199)
    out = parsed.dt.strftime("%Y%m%d").where(ok, None)
    invalid = (series.notna() & ~ok).to_numpy()
    values_out = pa.array(out.to_numpy(dtype=object), type=pa.string())
    if not invalid.any() or on_invalid != "keep":
        return _apply_invalid(values_out, invalid, on_invalid, values_out)
    keep = _keep_positional(series.where(invalid, None).dropna(), formats)
    full = pd.Series(out.to_numpy(dtype=object), index=series.index, dtype="object")
    full.loc[keep.index] = keep.to_numpy()
    kept = pa.array(full.to_numpy(dtype=object), type=pa.string())
    return _apply_invalid(values_out, invalid, on_invalid, kept)


def normalise_field(
    spec: FieldSpec, values: pa.Array | pa.ChunkedArray, formats: list[str] | None = None
) -> Normalised:
    """Normalise one column as its field spec says (``formats`` overrides a date's formats)."""
    if spec.kind == "name":
        return name(values)
    if spec.kind == "date":
        return date(values, formats or spec.formats, spec.on_invalid)
    if spec.kind == "postcode":
        return postcode(values, spec.on_invalid)
    if spec.kind == "number":
        return number(values)
    if spec.kind == "code":
        return code(values)
    return text(values)


def invalid_message(spec: FieldSpec, formats: list[str] | None = None) -> str:
    if spec.kind == "date":
        shown = ", ".join(
            f.replace("%Y", "YYYY").replace("%m", "MM").replace("%d", "DD")
            for f in (formats or spec.formats)
        )
        return f"not a real date in the format {shown}"
    return "not a UK postcode"
