"""Scale: N x N synthetic people with realistic errors, encoded and linked end to end.

    python -m benchmarks.linkage_scale              # 1,000,000 x 1,000,000 (the goal)
    python -m benchmarks.linkage_scale --size 100000

Stages timed: each department encodes its Parquet file offline (`encode_file`: read, normalise,
CLK + match keys, write), the hub reads and checks both files, links them (LSH blocking, Dice,
one-to-one assignment) and writes both mappings. Goal: under 10 minutes on 2 cores and 8 GB;
encoding at least 20,000 records a second. The data are generated first in a separate process,
so the peak memory reported is the pipeline's own.

Peers, in the same run: the textbook encoder (one HMAC per q-gram per hash function, record by
record, as CLK encoders are usually written) on a sample, and all-pairs comparison (no
blocking) timed on a sample and extrapolated to N x N.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import multiprocessing
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from missionhub.linkage import matching
from missionhub.linkage.encoder import EncodeOptions, encode_file
from missionhub.linkage.encodings_file import read_encodings
from missionhub.linkage.exchange import _write_mapping
from missionhub.linkage.linkage_schema import LinkageSchema, parse_schema, person_template
from missionhub.linkage.quality import summarise

SECRET = b"benchmark-secret-not-for-use-anywhere-0123456789"


def schema() -> LinkageSchema:
    """The person template, keeping mistyped dates and postcodes (noisy administrative data)."""
    template = person_template()
    for field in template["fields"]:
        if field["kind"] in ("date", "postcode"):
            field["on_invalid"] = "keep"
    return parse_schema({**template, "project": "lp-" + "5" * 16, "version": 1})


def _generate(n: int, folder: str) -> None:
    from benchmarks.linkage_synthetic import two_departments

    a, b = two_departments(n)
    a.to_parquet(Path(folder) / "a.parquet", index=False)
    b.to_parquet(Path(folder) / "b.parquet", index=False)


def peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def textbook_encode(rows: list[dict[str, str | None]], s: LinkageSchema) -> list[bytes]:
    """The peer: per record, per field, per q-gram, per hash function, one HMAC."""
    assert s.clk is not None
    bits = s.clk.bits
    out = []
    for row in rows:
        filter_ = bytearray(bits // 8)
        for spec in s.fields:
            value = row.get(spec.name)
            if not value:
                continue
            padded = "_" + str(value).upper() + "_"
            for g in range(len(padded) - 1):
                for k in range(spec.weight):
                    digest = hmac.new(
                        SECRET, f"{spec.name}{k}{padded[g : g + 2]}".encode(), hashlib.sha256
                    )
                    pos = int.from_bytes(digest.digest()[:4], "little") % bits
                    filter_[pos >> 3] |= 1 << (7 - (pos & 7))
        out.append(bytes(filter_))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", type=int, default=1_000_000, help="records per department")
    args = parser.parse_args()
    n, s = args.size, schema()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        child = multiprocessing.get_context("spawn").Process(target=_generate, args=(n, tmp))
        child.start()
        child.join()
        print(f"generated {n:,} + {n:,} records in {time.perf_counter() - t0:.0f} s (not counted)")

        start = time.perf_counter()
        encode_seconds = 0.0
        for name in ("a", "b"):
            t = time.perf_counter()
            options = EncodeOptions(
                id_column="record_id",
                truth_column="person",
                date_formats={"date_of_birth": ["%Y-%m-%d"] if name == "a" else ["%d/%m/%Y"]},
            )
            encode_file(
                folder / f"{name}.parquet", folder / f"{name}-enc.parquet", s, SECRET, options
            )
            encode_seconds += time.perf_counter() - t
        rate = 2 * n / encode_seconds
        print(f"encode: {2 * n:,} records in {encode_seconds:.1f} s = {rate:,.0f} records/s")

        t = time.perf_counter()
        parties = []
        for name in ("a", "b"):
            enc = read_encodings(folder / f"{name}-enc.parquet", s)
            parties.append(
                matching.Party(name, enc.record_ids, enc.clks, enc.match_keys, enc.truth)
            )
        read_seconds = time.perf_counter() - t
        t = time.perf_counter()
        outcome = matching.link(parties, matching.LinkParams(threshold=s.threshold))
        link_seconds = time.perf_counter() - t
        t = time.perf_counter()
        for name, mapping in zip(("a", "b"), outcome.mappings, strict=True):
            _write_mapping(folder / f"{name}-mapping.parquet", mapping)
        write_seconds = time.perf_counter() - t
        total = time.perf_counter() - start
        report = summarise(outcome, s.threshold)["at_threshold"]
        print(
            f"hub: read+check {read_seconds:.1f} s, link {link_seconds:.1f} s "
            f"({outcome.candidates:,} pairs compared), write mappings {write_seconds:.1f} s"
        )
        print(
            f"quality at {s.threshold}: precision {report['precision']:.4f} "
            f"recall {report['recall']:.4f} F1 {report['f1']:.4f}"
        )
        print(
            f"END TO END: {total:.0f} s ({total / 60:.1f} min; goal < 10 min), "
            f"peak memory {peak_rss_gb():.2f} GB (goal < 8 GB)"
        )

        sample = pq.read_table(folder / "a.parquet").slice(0, 2000).to_pylist()
        t = time.perf_counter()
        textbook_encode(sample, s)
        peer_rate = len(sample) / (time.perf_counter() - t)
        print(
            f"peer encoder (textbook, per-q-gram HMAC): {peer_rate:,.0f} records/s; "
            f"ratio ours/peer = {rate / peer_rate:.1f}x"
        )

        a, b = parties[0].clks, parties[1].clks
        assert a is not None
        assert b is not None
        m = 2000
        ia, ib = np.repeat(np.arange(m), m), np.tile(np.arange(m), m)
        t = time.perf_counter()
        matching.dice(a, b, ia, ib)
        per_pair = (time.perf_counter() - t) / (m * m)
        all_pairs = per_pair * n * n
        print(
            f"peer all-pairs Dice (no blocking), extrapolated: {all_pairs / 3600:.1f} h; "
            f"ratio all-pairs/ours (link stage) = {all_pairs / link_seconds:.0f}x"
        )


if __name__ == "__main__":
    main()
