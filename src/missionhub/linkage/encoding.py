"""Bloom-filter (CLK) encodings and keyed-hash match keys, computed at each data owner.

A cryptographic long-term key (CLK, Schnell et al. 2011) is one Bloom filter per record: every
q-gram of every field sets ``weight`` bits chosen by a keyed hash, so similar values give
similar filters and Dice similarity of filters approximates similarity of the records. Match
keys are keyed hashes of whole normalised values: records match only when they agree exactly.

Keys come from the secret the data owners agreed, never seen by the hub, through HMAC-SHA256
with the project, schema version and field in the label: per-project, per-field keys, so the
same name in two fields or two projects gives unrelated bits. Each token's bit positions come
from its own keyed hash ("random hashing"), not from double hashing, which has a known attack.
Optional hardening: balancing with a keyed permutation, XOR-folding and BLIP (randomised
response). Work is column-wise over Arrow/NumPy arrays. Pure: no database, no web.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from missionhub.linkage.linkage_schema import FieldSpec, LinkageSchema, MatchKeySpec

LABEL = b"missionhub-linkage-v1"
MIN_SECRET_CHARS = 32
MAX_TOKEN_CHARS = 64
MATCH_KEY_BYTES = 16


class SecretError(ValueError):
    """The secret is missing or too weak to key encodings."""


def check_secret(secret: bytes) -> bytes:
    secret = secret.strip()
    if len(secret) < MIN_SECRET_CHARS:
        raise SecretError(
            f"the secret must be at least {MIN_SECRET_CHARS} characters long "
            "(make one with `missionhub linkage keygen`)"
        )
    return secret


def derive_key(secret: bytes, schema: LinkageSchema, *purpose: str) -> bytes:
    """A key for one purpose in one project and schema version (HMAC-SHA256 of the label)."""
    label = b"\x1f".join(
        [LABEL, schema.project.encode(), schema.name.encode(), str(schema.version).encode()]
        + [p.encode() for p in purpose]
    )
    return hmac.new(secret, label, hashlib.sha256).digest()


def key_check(secret: bytes, schema: LinkageSchema) -> str:
    """A short value that shows whether two owners used the same secret, revealing nothing of it."""
    return derive_key(secret, schema, "key-check").hex()[:16]


def token_positions(key: bytes, token: bytes, k: int, bits: int) -> np.ndarray:
    """``k`` bit positions for one token, each from the keyed BLAKE2b stream of the token."""
    stream = b""
    counter = 0
    while len(stream) < 4 * k:
        stream += hashlib.blake2b(bytes([counter]) + token, key=key, digest_size=64).digest()
        counter += 1
    words = np.frombuffer(stream[: 4 * k], dtype="<u4")
    return (words % bits).astype(np.int64)


@dataclass
class TokenTable:
    """The packed bit vector of every token seen so far in one field (a cache across chunks)."""

    key: bytes
    k: int
    bits: int
    index: dict[bytes, int] = field(default_factory=dict)
    vectors: list[np.ndarray] = field(default_factory=list)
    _matrix: np.ndarray | None = None

    def ids(self, tokens: list[bytes]) -> np.ndarray:
        out = np.empty(len(tokens), dtype=np.int64)
        for i, token in enumerate(tokens):
            found = self.index.get(token)
            if found is None:
                found = self.index[token] = len(self.vectors)
                row = np.zeros(self.bits, dtype=bool)
                row[token_positions(self.key, token, self.k, self.bits)] = True
                self.vectors.append(np.packbits(row))
                self._matrix = None
            out[i] = found
        return out

    def matrix(self) -> np.ndarray:
        if self._matrix is None:
            self._matrix = (
                np.vstack(self.vectors) if self.vectors else np.zeros((0, self.bits // 8), np.uint8)
            )
        return self._matrix


def _binary(values: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Offsets, bytes and validity of a string array (values longer than the cap are cut).
    Offsets index the array's own data buffer, so slices are read without copying."""
    values = pc.utf8_slice_codeunits(values, 0, MAX_TOKEN_CHARS)
    binary = pc.cast(values, pa.binary())
    validity = np.asarray(binary.is_valid())
    buffers = binary.buffers()
    offsets = np.frombuffer(buffers[1], dtype=np.int32)[
        binary.offset : binary.offset + len(binary) + 1
    ]
    data = (
        np.frombuffer(buffers[2], dtype=np.uint8)
        if buffers[2] is not None
        else np.zeros(0, np.uint8)
    )
    return offsets, data, validity


def qgram_tokens(values: pa.Array, q: int) -> tuple[np.ndarray, list[bytes], np.ndarray]:
    """Every padded q-gram of every value: (row of each token, distinct tokens, token index).

    ``SMITH`` with q=2 gives _S SM MI IT TH H_. Missing values give no tokens."""
    pad = "_" * (q - 1)
    padded = pc.binary_join_element_wise(pad, values, pad, "")
    offsets, data, validity = _binary(padded)
    lengths = np.diff(offsets).astype(np.int64)
    counts = np.where(validity, np.maximum(lengths - q + 1, 0), 0)
    rows = np.repeat(np.arange(len(counts)), counts)
    starts = np.repeat(offsets[:-1].astype(np.int64), counts)
    within = np.arange(len(rows)) - np.repeat(np.cumsum(counts) - counts, counts)
    at = starts + within
    codes = np.zeros(len(rows), dtype=np.uint32)
    for j in range(q):
        codes |= data[at + j].astype(np.uint32) << np.uint32(8 * j)
    unique, inverse = np.unique(codes, return_inverse=True)
    tokens = [int(c).to_bytes(q, "little") for c in unique]
    return rows, tokens, inverse


def whole_tokens(values: pa.Array) -> tuple[np.ndarray, list[bytes], np.ndarray]:
    """One token per present value (for coded fields such as sex)."""
    encoded = pc.dictionary_encode(values)
    indices = np.asarray(encoded.indices.fill_null(-1))
    rows = np.nonzero(indices >= 0)[0]
    tokens = [v.encode() for v in encoded.dictionary.to_pylist()]
    return rows, tokens, indices[rows]


def field_tokens(spec: FieldSpec, values: pa.Array) -> tuple[np.ndarray, list[bytes], np.ndarray]:
    return whole_tokens(values) if spec.kind == "code" else qgram_tokens(values, spec.q)


@dataclass
class ClkEncoder:
    """Encodes batches of normalised columns into packed CLKs, keeping per-field token caches."""

    schema: LinkageSchema
    secret: bytes
    tables: dict[str, TokenTable] = field(default_factory=dict)
    rng: np.random.Generator = field(default_factory=np.random.default_rng)

    def __post_init__(self) -> None:
        assert self.schema.clk is not None
        bits = self.schema.clk.bits
        for spec in self.schema.fields:
            if spec.weight:
                key = derive_key(self.secret, self.schema, "clk", spec.name)
                self.tables[spec.name] = TokenTable(key, spec.weight, bits)
        seed = int.from_bytes(derive_key(self.secret, self.schema, "balance")[:16], "little")
        self.permutation = np.random.default_rng(seed).permutation(2 * bits)

    def encode(self, columns: dict[str, pa.Array], n: int) -> np.ndarray:
        """Packed CLKs (n x bytes) for ``n`` records whose normalised fields are ``columns``."""
        assert self.schema.clk is not None
        raw = self._bloom(columns, n)
        hardening = self.schema.clk.hardening
        if not (hardening.balance or hardening.xor_fold or hardening.blip):
            return raw
        bits = np.unpackbits(raw, axis=1)
        if hardening.balance:
            bits = np.concatenate([bits, 1 - bits], axis=1)[:, self.permutation]
        if hardening.xor_fold:
            half = bits.shape[1] // 2
            bits = bits[:, :half] ^ bits[:, half:]
        if hardening.blip:
            bits = bits ^ (self.rng.random(bits.shape) < hardening.blip)
        return np.packbits(bits.astype(np.uint8), axis=1)

    def _bloom(self, columns: dict[str, pa.Array], n: int) -> np.ndarray:
        assert self.schema.clk is not None
        width = self.schema.clk.bits // 8
        all_rows, all_vectors = [], []
        for name, table in self.tables.items():
            rows, tokens, inverse = field_tokens(self.schema.field(name), columns[name])
            ids = table.ids(tokens)
            all_rows.append(rows)
            all_vectors.append((table, ids[inverse]))
        rows = np.concatenate(all_rows) if all_rows else np.zeros(0, np.int64)
        vectors = (
            np.concatenate([table.matrix()[ids] for table, ids in all_vectors])
            if all_vectors
            else np.zeros((0, width), np.uint8)
        )
        return or_by_row(rows, vectors, n, width)


def or_by_row(rows: np.ndarray, vectors: np.ndarray, n: int, width: int) -> np.ndarray:
    """OR together the token vectors of each row (rows without tokens stay all zero)."""
    out = np.zeros((n, width), dtype=np.uint8)
    if len(rows) == 0:
        return out
    order = np.argsort(rows, kind="stable")
    rows, vectors = rows[order], vectors[order]
    starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
    out[rows[starts]] = np.bitwise_or.reduceat(vectors, starts, axis=0)
    return out


def _transform(values: pa.Array, transform: str) -> pa.Array:
    if transform == "initial":
        return pc.utf8_slice_codeunits(values, 0, 1)
    if transform == "first3":
        return pc.utf8_slice_codeunits(values, 0, 3)
    if transform == "year":
        return pc.utf8_slice_codeunits(values, 0, 4)
    if transform == "district":
        return pc.utf8_slice_codeunits(values, 0, -3)
    return values


def match_key(
    secret: bytes, schema: LinkageSchema, spec: MatchKeySpec, columns: dict[str, pa.Array]
) -> list[bytes | None]:
    """The keyed hash of the joined parts of one match key; None where any part is missing."""
    key = derive_key(secret, schema, "match-key", spec.name)
    parts = [_transform(columns[p.field], p.transform) for p in spec.parts]
    joined = pc.binary_join_element_wise(*parts, "\x1f", null_handling="emit_null")
    return [
        None if v is None else hashlib.blake2b(v.encode(), key=key, digest_size=16).digest()
        for v in joined.to_pylist()
    ]


def truth_hash(secret: bytes, schema: LinkageSchema, values: pa.Array) -> list[bytes | None]:
    """Ground truth for evaluation, keyed like everything else so the hub never sees it raw."""
    key = derive_key(secret, schema, "truth")
    return [
        None
        if v in (None, "")
        else hashlib.blake2b(str(v).encode(), key=key, digest_size=16).digest()
        for v in values.to_pylist()
    ]
