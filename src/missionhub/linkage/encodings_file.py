"""The encodings file: what a data owner uploads, and how the hub reads and checks it.

A Parquet file with one row per record: ``record_id`` (the owner's own row reference),
``clk`` (the packed Bloom filter), ``mk_<name>`` (16-byte match keys) and, only when supplied
for evaluation, ``truth`` (a keyed hash of the true identity). The Parquet metadata carries the
schema's name, version and fingerprint, and the key check, so the hub can refuse encodings made
with another schema, another version or another secret. Pure: no database, no web.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from missionhub.errors import FieldError, Invalid
from missionhub.linkage.encoding import MATCH_KEY_BYTES
from missionhub.linkage.linkage_schema import LinkageSchema

FORMAT = 1
META_KEY = b"missionhub.linkage"
MAX_RECORD_ID = 64


@dataclass(frozen=True)
class EncodingsMeta:
    schema_name: str
    project: str
    version: int
    fingerprint: str
    key_check: str
    records: int
    match_keys: list[str]
    has_truth: bool

    def to_json(self) -> bytes:
        return json.dumps({"format": FORMAT, **self.__dict__}, sort_keys=True).encode()


@dataclass(frozen=True)
class Encodings:
    """One owner's encodings, as the hub compares them."""

    meta: EncodingsMeta
    record_ids: np.ndarray
    clks: np.ndarray | None
    match_keys: dict[str, np.ndarray]
    truth: np.ndarray | None

    def __len__(self) -> int:
        return len(self.record_ids)


def arrow_table(
    meta: EncodingsMeta,
    record_ids: list[str],
    clks: np.ndarray | None,
    match_keys: dict[str, list[bytes | None]],
    truth: list[bytes | None] | None,
) -> pa.Table:
    columns: dict[str, pa.Array] = {"record_id": pa.array(record_ids, pa.string())}
    if clks is not None:
        width = clks.shape[1]
        columns["clk"] = pa.FixedSizeBinaryArray.from_buffers(
            pa.binary(width), len(clks), [None, pa.py_buffer(np.ascontiguousarray(clks))]
        )
    for name, values in match_keys.items():
        columns[f"mk_{name}"] = pa.array(values, pa.binary(MATCH_KEY_BYTES))
    if truth is not None:
        columns["truth"] = pa.array(truth, pa.binary(MATCH_KEY_BYTES))
    table = pa.table(columns)
    return table.replace_schema_metadata({META_KEY: meta.to_json()})


def write_encodings(path: Path, tables: list[pa.Table]) -> None:
    """Write the batches to ``path`` whole: to a temporary name first, then renamed."""
    tmp = path.with_name(path.name + ".partial")
    with pq.ParquetWriter(tmp, tables[0].schema, compression="zstd") as writer:
        for table in tables:
            writer.write_table(table)
    tmp.replace(path)


def read_meta(path: Path) -> EncodingsMeta:
    """The metadata of an encodings file, or ``Invalid`` if it is not one."""
    try:
        schema = pq.read_schema(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise Invalid("The file is not a Parquet encodings file", field="file") from exc
    raw = (schema.metadata or {}).get(META_KEY)
    if raw is None:
        raise Invalid(
            "The file has no linkage metadata: make it with `missionhub linkage encode`",
            field="file",
        )
    try:
        data: dict[str, Any] = json.loads(raw)
        data.pop("format", None)
        return EncodingsMeta(**data)
    except (ValueError, TypeError) as exc:
        raise Invalid("The file's linkage metadata is unreadable", field="file") from exc


def check_schema(meta: EncodingsMeta, schema: LinkageSchema) -> None:
    """Refuse encodings made for another project or schema, or another version of this one."""
    if meta.project != schema.project or meta.schema_name != schema.name:
        raise Invalid(
            "These encodings were made with another linkage schema "
            f"({meta.schema_name}, project {meta.project}), not this project's "
            f"({schema.name}, project {schema.project})",
            field="file",
        )
    if meta.version != schema.version:
        raise Invalid(
            f"These encodings were made with version {meta.version} of the schema; the project "
            f"uses version {schema.version}. Download the current schema and encode again",
            field="file",
        )
    if meta.fingerprint != schema.fingerprint:
        raise Invalid(
            "These encodings were made with a schema that differs from this project's "
            f"version {schema.version} (fingerprint mismatch): encode again with the schema "
            "downloaded from the project",
            field="file",
        )


def read_encodings(path: Path, schema: LinkageSchema) -> Encodings:
    """Read and check an encodings file against ``schema``; ``Invalid`` names every problem."""
    meta = read_meta(path)
    check_schema(meta, schema)
    table = pq.read_table(path)
    errors = _column_errors(table, schema, meta)
    if errors:
        raise Invalid(errors)
    record_ids = np.asarray(table.column("record_id").to_pylist(), dtype=object)
    errors = _record_id_errors(record_ids)
    if errors:
        raise Invalid(errors)
    return Encodings(
        meta=meta,
        record_ids=record_ids,
        clks=_fixed(table, "clk", schema.encoded_bits // 8) if schema.clk else None,
        match_keys={k.name: _keys(table, f"mk_{k.name}") for k in schema.match_keys},
        truth=_keys(table, "truth") if "truth" in table.column_names else None,
    )


def _column_errors(table: pa.Table, schema: LinkageSchema, meta: EncodingsMeta) -> list[FieldError]:
    expected: dict[str, pa.DataType] = {"record_id": pa.string()}
    if schema.clk:
        expected["clk"] = pa.binary(schema.encoded_bits // 8)
    for key in schema.match_keys:
        expected[f"mk_{key.name}"] = pa.binary(MATCH_KEY_BYTES)
    errors = []
    for name, dtype in expected.items():
        if name not in table.column_names:
            errors.append(FieldError(f"column {name}", "is missing"))
        elif table.schema.field(name).type != dtype:
            errors.append(
                FieldError(
                    f"column {name}", f"must be {dtype}, not {table.schema.field(name).type}"
                )
            )
    if table.num_rows != meta.records:
        errors.append(FieldError("file", f"holds {table.num_rows} rows but says {meta.records}"))
    if table.num_rows == 0:
        errors.append(FieldError("file", "holds no records"))
    return errors


def _record_id_errors(record_ids: np.ndarray) -> list[FieldError]:
    errors = []
    for i, rid in enumerate(record_ids):
        if rid is None or rid == "" or len(rid) > MAX_RECORD_ID:
            errors.append(
                FieldError(f"row {i + 1}, column record_id", "must be 1 to 64 characters")
            )
            if len(errors) >= 20:
                break
    unique, counts = np.unique(
        record_ids[[r is not None for r in record_ids]].astype(str), return_counts=True
    )
    dupes = unique[counts > 1]
    if len(dupes):
        errors.append(
            FieldError("column record_id", f"{len(dupes)} record ids appear more than once")
        )
    return errors


def _fixed(table: pa.Table, name: str, width: int) -> np.ndarray:
    column = table.column(name).combine_chunks()
    if column.null_count:
        raise Invalid(f"{column.null_count} rows have no value", field=f"column {name}")
    data = np.frombuffer(column.buffers()[1], dtype=np.uint8)
    start = column.offset * width
    return data[start : start + len(column) * width].reshape(len(column), width).copy()


def _keys(table: pa.Table, name: str) -> np.ndarray:
    """Match keys as an object array of bytes, None where missing."""
    return np.asarray(table.column(name).to_pylist(), dtype=object)
