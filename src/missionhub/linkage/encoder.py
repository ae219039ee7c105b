"""The data owner's side, offline: read a CSV or Parquet file of people, normalise each field,
and write CLK encodings and match keys. Nothing raw leaves: the output holds the owner's record
reference, packed bits and keyed hashes. Every problem in the input is collected and reported by
line or row and column before anything is written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from missionhub.errors import FieldError, Invalid, row_error
from missionhub.linkage import normalise
from missionhub.linkage.encoding import (
    ClkEncoder,
    check_secret,
    key_check,
    match_key,
    truth_hash,
)
from missionhub.linkage.encodings_file import (
    MAX_RECORD_ID,
    EncodingsMeta,
    arrow_table,
    write_encodings,
)
from missionhub.linkage.linkage_schema import LinkageSchema

CHUNK = 50_000
MAX_ROW_ERRORS = 20
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class EncodeOptions:
    """How this owner's file maps onto the schema (its column names and date layouts)."""

    columns: dict[str, str] = field(default_factory=dict)
    date_formats: dict[str, list[str]] = field(default_factory=dict)
    id_column: str | None = None
    truth_column: str | None = None

    def column_for(self, field_name: str) -> str:
        return self.columns.get(field_name, field_name)


@dataclass(frozen=True)
class InputFile:
    table: pa.Table
    source: str  # "line" for CSV (header is line 1), "row" for Parquet
    first: int  # the line or row number of the first record

    def where(self, index: int) -> int:
        return self.first + index


def read_input(path: Path) -> InputFile:
    """A CSV (every column read as text) or Parquet file of records."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        try:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[])
        except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
            raise Invalid(f"The CSV file cannot be read: {exc}", field="input") from exc
        return InputFile(pa.Table.from_pandas(frame, preserve_index=False), "line", 2)
    if suffix == ".parquet":
        try:
            return InputFile(pq.read_table(path), "row", 1)
        except (pa.ArrowInvalid, OSError) as exc:
            raise Invalid(f"The Parquet file cannot be read: {exc}", field="input") from exc
    raise Invalid("The input must be a .csv or .parquet file", field="input")


def _column_errors(
    table: pa.Table, schema: LinkageSchema, options: EncodeOptions
) -> list[FieldError]:
    wanted = [options.column_for(f.name) for f in schema.fields]
    wanted += [c for c in (options.id_column, options.truth_column) if c]
    missing = [c for c in dict.fromkeys(wanted) if c not in table.column_names]
    errors = [FieldError(f"column {c}", "is missing from the input") for c in missing]
    if options.id_column and options.id_column in {
        options.column_for(f.name) for f in schema.fields
    }:
        errors.append(
            FieldError(
                f"column {options.id_column}",
                "is an identifying field and cannot be the record id",
            )
        )
    return errors


def _record_ids(inp: InputFile, options: EncodeOptions) -> tuple[list[str], list[FieldError]]:
    n = inp.table.num_rows
    if not options.id_column:
        return [str(i + 1) for i in range(n)], []
    values = ["" if v is None else str(v) for v in inp.table.column(options.id_column).to_pylist()]
    errors, seen = [], set()
    for i, value in enumerate(values):
        if not value or len(value) > MAX_RECORD_ID:
            errors.append(
                row_error(inp.where(i), "must be 1 to 64 characters", options.id_column, inp.source)
            )
        elif value in seen:
            errors.append(
                row_error(
                    inp.where(i), "repeats an earlier record id", options.id_column, inp.source
                )
            )
        seen.add(value)
    return values, errors


def normalised_columns(
    inp: InputFile, schema: LinkageSchema, options: EncodeOptions
) -> tuple[dict[str, pa.Array], list[FieldError]]:
    """Every field normalised, and a row error for each invalid value (a bad date, postcode)."""
    columns, errors = {}, []
    for spec in schema.fields:
        column = options.column_for(spec.name)
        formats = options.date_formats.get(spec.name)
        result = normalise.normalise_field(spec, inp.table.column(column), formats)
        columns[spec.name] = result.values
        message = normalise.invalid_message(spec, formats)
        errors += [
            row_error(inp.where(int(i)), message, column, inp.source)
            for i in np.flatnonzero(result.invalid)
        ]
    return columns, errors


def _raise_if(errors: list[FieldError]) -> None:
    if not errors:
        return
    shown = errors[:MAX_ROW_ERRORS]
    if len(errors) > MAX_ROW_ERRORS:
        shown.append(FieldError("", f"and {len(errors) - MAX_ROW_ERRORS} more problems"))
    raise Invalid(shown)


def encode_table(
    inp: InputFile,
    schema: LinkageSchema,
    secret: bytes,
    options: EncodeOptions,
    progress: Progress | None = None,
) -> list[pa.Table]:
    """Check the whole input, then encode it in batches; ``Invalid`` before any output."""
    secret = check_secret(secret)
    _raise_if(_column_errors(inp.table, schema, options))
    record_ids, id_errors = _record_ids(inp, options)
    columns, value_errors = normalised_columns(inp, schema, options)
    _raise_if(id_errors + value_errors)
    meta = EncodingsMeta(
        schema_name=schema.name,
        project=schema.project,
        version=schema.version,
        fingerprint=schema.fingerprint,
        key_check=key_check(secret, schema),
        records=inp.table.num_rows,
        match_keys=[k.name for k in schema.match_keys],
        has_truth=options.truth_column is not None,
    )
    truth_values = (
        inp.table.column(options.truth_column).combine_chunks().cast(pa.string())
        if options.truth_column
        else None
    )
    clk = ClkEncoder(schema, secret) if schema.clk else None
    n, tables = inp.table.num_rows, []
    for start in range(0, max(n, 1), CHUNK):
        stop = min(start + CHUNK, n)
        batch = {name: values.slice(start, stop - start) for name, values in columns.items()}
        tables.append(
            arrow_table(
                meta,
                record_ids[start:stop],
                clk.encode(batch, stop - start) if clk else None,
                {k.name: match_key(secret, schema, k, batch) for k in schema.match_keys},
                truth_hash(secret, schema, truth_values.slice(start, stop - start))
                if truth_values is not None
                else None,
            )
        )
        if progress:
            progress(stop, n)
    return tables


def encode_file(
    input_path: Path,
    output_path: Path,
    schema: LinkageSchema,
    secret: bytes,
    options: EncodeOptions | None = None,
    progress: Progress | None = None,
) -> int:
    """Encode ``input_path`` (CSV or Parquet) to ``output_path`` (Parquet); returns the count."""
    if output_path.suffix.lower() != ".parquet":
        raise Invalid("The output must be a .parquet file", field="output")
    inp = read_input(input_path)
    tables = encode_table(inp, schema, secret, options or EncodeOptions(), progress)
    write_encodings(output_path, tables)
    return inp.table.num_rows
