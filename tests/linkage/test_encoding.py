"""Encodings made at the data owner: similar records give similar filters, keys depend on the
secret, project, version and field, and nothing raw is in the output."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from missionhub.errors import Invalid
from missionhub.linkage import encoding, normalise
from missionhub.linkage.encoder import EncodeOptions, encode_file
from missionhub.linkage.encodings_file import read_encodings, read_meta
from missionhub.linkage.linkage_schema import LinkageSchema, parse_schema, person_template
from tests.linkage.factories import A_OPTIONS, B_OPTIONS, PEOPLE_A, PEOPLE_B, RAW_VALUES, SECRET


def schema(**changes: object) -> LinkageSchema:
    return parse_schema({**person_template(), "project": "lp-" + "a" * 16, "version": 1, **changes})


def encode_frame(
    tmp_path: Path, frame, options, s: LinkageSchema, secret: bytes = SECRET, suffix=".csv"
) -> Path:
    source = tmp_path / f"in{suffix}"
    if suffix == ".csv":
        frame.to_csv(source, index=False)
    else:
        frame.to_parquet(source, index=False)
    out = tmp_path / "out.parquet"
    encode_file(source, out, s, secret, options)
    return out


def dice_reference(a: bytes, b: bytes) -> float:
    """Dice of two bit strings, counted bit by bit in plain Python."""
    bits_a = "".join(f"{x:08b}" for x in a)
    bits_b = "".join(f"{x:08b}" for x in b)
    both = sum(1 for x, y in zip(bits_a, bits_b, strict=True) if x == y == "1")
    return 2 * both / (bits_a.count("1") + bits_b.count("1"))


def test_token_positions_follow_hmac_derived_keys_independently() -> None:
    s = schema()
    key = encoding.derive_key(SECRET, s, "clk", "first_name")
    label = b"\x1f".join(
        [b"missionhub-linkage-v1", s.project.encode(), b"person", b"1", b"clk", b"first_name"]
    )
    assert key == hmac.new(SECRET, label, hashlib.sha256).digest()
    expected = (
        np.frombuffer(
            hashlib.blake2b(b"\x00" + b"_S", key=key, digest_size=64).digest()[:40], "<u4"
        )
        % 1024
    )
    assert encoding.token_positions(key, b"_S", 10, 1024).tolist() == expected.tolist()


def test_the_same_name_in_two_fields_projects_or_versions_sets_different_bits() -> None:
    s = schema()
    keys = {
        encoding.derive_key(SECRET, s, "clk", "first_name"),
        encoding.derive_key(SECRET, s, "clk", "last_name"),
        encoding.derive_key(SECRET, schema(project="lp-" + "b" * 16), "clk", "first_name"),
        encoding.derive_key(SECRET, schema(version=2), "clk", "first_name"),
        encoding.derive_key(SECRET[::-1], s, "clk", "first_name"),
    }
    assert len(keys) == 5


def test_similar_records_have_similar_filters_and_dice_matches_a_bitwise_count(
    tmp_path: Path,
) -> None:
    s = schema()
    a = read_encodings(encode_frame(tmp_path, PEOPLE_A, A_OPTIONS, s), s)
    b = read_encodings(encode_frame(tmp_path, PEOPLE_B, B_OPTIONS, s), s)
    assert a.clks is not None
    assert b.clks is not None
    same = dice_reference(a.clks[0].tobytes(), b.clks[0].tobytes())  # Olivia Hughes in both
    near = dice_reference(a.clks[1].tobytes(), b.clks[1].tobytes())  # Mohammed / Mohammad
    other = dice_reference(a.clks[0].tobytes(), b.clks[4].tobytes())  # different people
    assert same == 1.0
    assert 0.85 < near < 1.0
    assert other < 0.75
    assert np.bitwise_count(a.clks).sum(axis=1).tolist() == [1024] * len(a)  # balanced


def test_match_keys_agree_exactly_and_are_missing_when_a_part_is(tmp_path: Path) -> None:
    s = schema()
    a = read_encodings(encode_frame(tmp_path, PEOPLE_A, A_OPTIONS, s), s)
    b = read_encodings(encode_frame(tmp_path, PEOPLE_B, B_OPTIONS, s), s)
    name_dob_a, name_dob_b = a.match_keys["name_dob"], b.match_keys["name_dob"]
    assert name_dob_a[0] == name_dob_b[0]  # same person, same spelling
    assert name_dob_a[1] != name_dob_b[1]  # Mohammed / Mohammad: exact keys differ
    cols = {f.name: pa.array([None], pa.string()) for f in s.fields}
    assert encoding.match_key(SECRET, s, s.match_keys[0], cols) == [None]


def test_no_raw_identifier_or_secret_is_in_the_output(tmp_path: Path) -> None:
    s = schema()
    for frame, options in ((PEOPLE_A, A_OPTIONS), (PEOPLE_B, B_OPTIONS)):
        out = encode_frame(tmp_path, frame, options, s)
        blob = out.read_bytes()
        table = pq.read_table(out)
        text = " ".join(str(v) for col in table.columns for v in col.to_pylist())
        meta = str(table.schema.metadata)
        for raw in [*RAW_VALUES, SECRET.decode()]:
            for form in {
                raw,
                raw.upper(),
                normalise.name(pa.array([raw])).values[0].as_py() or raw,
            }:
                if len(form) >= 3:
                    assert form.encode() not in blob, form
                    assert form not in text, form
                    assert form not in meta, form


def test_parquet_and_csv_inputs_give_identical_encodings(tmp_path: Path) -> None:
    s = schema(clk={"bits": 1024, "hardening": {"balance": True}})
    (tmp_path / "c").mkdir()
    (tmp_path / "p").mkdir()
    from_csv = read_encodings(encode_frame(tmp_path / "c", PEOPLE_A, A_OPTIONS, s), s)
    from_parquet = read_encodings(
        encode_frame(tmp_path / "p", PEOPLE_A, A_OPTIONS, s, suffix=".parquet"), s
    )
    assert np.array_equal(from_csv.clks, from_parquet.clks)
    assert from_csv.record_ids.tolist() == ["a1", "a2", "a3", "a4", "a5", "a6"]


def test_hardening_options_change_length_and_weight(tmp_path: Path) -> None:
    plain = schema(clk={"bits": 512, "hardening": {"balance": False}})
    folded = schema(clk={"bits": 512, "hardening": {"balance": False, "xor_fold": True}})
    blip = schema(clk={"bits": 512, "hardening": {"balance": False, "blip": 0.1}})
    assert (plain.encoded_bits, folded.encoded_bits) == (512, 256)
    cols = {
        "first_name": pa.array(["OLIVIA"]),
        "last_name": pa.array(["HUGHES"]),
        "date_of_birth": pa.array(["19840312"]),
        "postcode": pa.array(["CF101AA"]),
        "sex": pa.array(["F"]),
    }
    base = encoding.ClkEncoder(plain, SECRET).encode(cols, 1)
    noisy = encoding.ClkEncoder(blip, SECRET, rng=np.random.default_rng(1)).encode(cols, 1)
    flips = int(np.bitwise_count(base ^ noisy).sum())
    assert 20 < flips < 90  # about 10% of 512 bits flipped
    assert encoding.ClkEncoder(folded, SECRET).encode(cols, 1).shape == (1, 32)


def test_a_short_secret_is_refused() -> None:
    with pytest.raises(encoding.SecretError, match="at least 32"):
        encoding.check_secret(b"password")


def test_missing_columns_and_bad_values_are_named_and_nothing_is_written(tmp_path: Path) -> None:
    s = schema()
    frame = PEOPLE_A.drop(columns=["postcode"])
    with pytest.raises(Invalid) as missing:
        encode_frame(tmp_path, frame, A_OPTIONS, s)
    assert "column postcode: is missing from the input" in str(missing.value)
    bad = PEOPLE_A.copy()
    bad.loc[2, "date_of_birth"] = "1975-02-30"
    bad.loc[4, "postcode"] = "NOT A POSTCODE"
    with pytest.raises(Invalid) as invalid:
        encode_frame(tmp_path, bad, A_OPTIONS, s)
    message = str(invalid.value)
    assert "line 4, column date_of_birth: not a real date" in message
    assert "line 6, column postcode: not a UK postcode" in message
    assert not (tmp_path / "out.parquet").exists()
    assert not list(tmp_path.glob("*.partial"))


def test_record_ids_must_be_unique_and_not_an_identifying_field(tmp_path: Path) -> None:
    s = schema()
    dupes = PEOPLE_A.copy()
    dupes.loc[3, "id"] = "a1"
    with pytest.raises(Invalid, match="line 5, column id: repeats an earlier record id"):
        encode_frame(tmp_path, dupes, A_OPTIONS, s)
    with pytest.raises(Invalid, match="identifying field"):
        encode_frame(tmp_path, PEOPLE_A, EncodeOptions(id_column="last_name"), s)


def test_encodings_carry_the_schema_and_a_key_check_not_the_secret(tmp_path: Path) -> None:
    s = schema()
    meta = read_meta(encode_frame(tmp_path, PEOPLE_A, A_OPTIONS, s))
    assert (meta.schema_name, meta.version, meta.fingerprint) == ("person", 1, s.fingerprint)
    assert meta.key_check == encoding.key_check(SECRET, s)
    assert meta.key_check != encoding.key_check(SECRET[::-1], s)
    assert meta.records == 6
    assert meta.has_truth
