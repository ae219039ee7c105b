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
from collections.abc import Callable
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
    """The packed bit vector of every token seen so far in one field (a cache across chunks).
    Row 0 is the empty vector, used to pad records with fewer tokens."""

    key: bytes
    k: int
    bits: int
    place: Callable[[np.ndarray], np.ndarray]
    width: int  # bits in each stored vector (after ``place``)
    index: dict[bytes, int] = field(default_factory=dict)
    vectors: list[np.ndarray] = field(default_factory=list)
    _matrix: np.ndarray | None = None

    def ids(self, tokens: list[bytes]) -> np.ndarray:
        out = np.empty(len(tokens), dtype=np.int64)
        for i, token in enumerate(tokens):
            found = self.index.get(token)
            if found is None:
                found = self.index[token] = len(self.vectors) + 1
                row = np.zeros(self.width, dtype=bool)
                row[self.place(token_positions(self.key, token, self.k, self.bits))] = True
                self.vectors.append(np.packbits(row))
                self._matrix = None
            out[i] = found
        return out

    def matrix(self) -> np.ndarray:
        """All vectors as 64-bit words, row 0 empty."""
        if self._matrix is None:
            rows = [np.zeros(self.width // 8, np.uint8), *self.vectors]
            self._matrix = np.ascontiguousarray(np.vstack(rows)).view(np.uint64)
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


@dataclass(frozen=True)
class Tokens:
    """The tokens of one column: the row and position of each, and each one's distinct index."""

    rows: np.ndarray
    positions: np.ndarray
    distinct: list[bytes]
    inverse: np.ndarray


def qgram_tokens(values: pa.Array, q: int) -> Tokens:
    """Every padded q-gram of every value. ``SMITH`` with q=2 gives _S SM MI IT TH H_.
    Missing values give no tokens."""
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
    return Tokens(rows, within, [int(c).to_bytes(q, "little") for c in unique], inverse)


def whole_tokens(values: pa.Array) -> Tokens:
    """One token per present value (for coded fields such as sex)."""
    encoded = pc.dictionary_encode(values)
    indices = np.asarray(encoded.indices.fill_null(-1))
    rows = np.nonzero(indices >= 0)[0]
    distinct = [v.encode() for v in encoded.dictionary.to_pylist()]
    return Tokens(rows, np.zeros(len(rows), np.int64), distinct, indices[rows])


def field_tokens(spec: FieldSpec, values: pa.Array) -> Tokens:
    return whole_tokens(values) if spec.kind == "code" else qgram_tokens(values, spec.q)


@dataclass
class ClkEncoder:
    """Encodes batches of normalised columns into packed CLKs, keeping per-field token caches.

    Balancing (Schnell 2016) is concat(B, not B) under a keyed permutation. It is computed on
    packed words: each token's vector holds its bits' places in both halves, so the balanced
    filter is OR(first places) | (second-half mask AND NOT OR(second places))."""

    schema: LinkageSchema
    secret: bytes
    tables: dict[str, TokenTable] = field(default_factory=dict)
    rng: np.random.Generator = field(default_factory=np.random.default_rng)

    def __post_init__(self) -> None:
        assert self.schema.clk is not None
        bits = self.schema.clk.bits
        seed = int.from_bytes(derive_key(self.secret, self.schema, "balance")[:16], "little")
        permutation = np.random.default_rng(seed).permutation(2 * bits)
        self.inverse = np.argsort(permutation)
        self.balanced = self.schema.clk.hardening.balance
        self.second_half = np.packbits(permutation >= bits).view(np.uint64)
        width = 4 * bits if self.balanced else bits
        for spec in self.schema.fields:
            if spec.weight:
                key = derive_key(self.secret, self.schema, "clk", spec.name)
                self.tables[spec.name] = TokenTable(key, spec.weight, bits, self._place, width)

    def _place(self, positions: np.ndarray) -> np.ndarray:
        if not self.balanced:
            return positions
        bits = len(self.inverse) // 2
        return np.concatenate([self.inverse[positions], 2 * bits + self.inverse[bits + positions]])

    def encode(self, columns: dict[str, pa.Array], n: int) -> np.ndarray:
        """Packed CLKs (n x bytes) for ``n`` records whose normalised fields are ``columns``."""
        assert self.schema.clk is not None
        words = self._accumulate(columns, n)
        if self.balanced:
            half = words.shape[1] // 2
            words = words[:, :half] | (self.second_half & ~words[:, half:])
        out = np.ascontiguousarray(words).view(np.uint8)
        hardening = self.schema.clk.hardening
        if hardening.xor_fold:
            half = out.shape[1] // 2
            out = out[:, :half] ^ out[:, half:]
        if hardening.blip:
            flips = np.packbits(self.rng.random((n, out.shape[1] * 8)) < hardening.blip, axis=1)
            out = out ^ flips
        return np.ascontiguousarray(out)

    def _accumulate(self, columns: dict[str, pa.Array], n: int) -> np.ndarray:
        """OR of every token vector of each record, as 64-bit words."""
        width = next(iter(self.tables.values())).width if self.tables else 64
        acc = np.zeros((n, width // 64), dtype=np.uint64)
        for name, table in self.tables.items():
            tokens = field_tokens(self.schema.field(name), columns[name])
            if not len(tokens.rows):
                continue
            ids = table.ids(tokens.distinct)[tokens.inverse]
            dense = np.zeros((n, int(tokens.positions.max()) + 1), dtype=np.int64)
            dense[tokens.rows, tokens.positions] = ids
            matrix = table.matrix()
            for j in range(dense.shape[1]):
                acc |= matrix[dense[:, j]]
        return acc


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
