"""Linkage in the clear with Splink 5, for a department's own cleaning and deduplication (and as
the reference that privacy-preserving linkage is measured against).

Names, date of birth, postcode and sex are normalised exactly as the encoder does, then compared
by Splink: Jaro-Winkler name levels, a date-of-birth comparison, a postcode comparison and an
exact match on sex. The model is trained without labels (u by random sampling, m by EM) and its
JSON and charts are kept as artefacts. DuckDB runs in-process; Spark is selected with
``backend="spark"`` and a Spark session, for data beyond one machine (docs/linkage.md).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import pyarrow as pa

from missionhub.errors import Invalid, ServiceError
from missionhub.linkage import normalise

Backend = Literal["duckdb", "spark"]
FIELDS = ("first_name", "last_name", "date_of_birth", "postcode", "sex")
DEFAULT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%Y%m%d"]
# Dates of birth are normalised to YYYYMMDD; each engine names that layout in its own pattern
# language (DuckDB strptime, Spark's datetime patterns).
DATE_OF_BIRTH_FORMAT: dict[str, str] = {"duckdb": "%Y%m%d", "spark": "yyyyMMdd"}


@dataclass(frozen=True)
class Columns:
    """Which input column holds each field (absent fields are simply not compared)."""

    mapping: dict[str, str] = field(default_factory=dict)
    date_formats: list[str] = field(default_factory=lambda: list(DEFAULT_FORMATS))
    id_column: str | None = None

    def column(self, name: str) -> str:
        return self.mapping.get(name, name)


def prepare(frame: pd.DataFrame, columns: Columns) -> pd.DataFrame:
    """``unique_id`` plus each present field, normalised as the encoder normalises it."""
    frame = frame.reset_index(drop=True)
    out = pd.DataFrame(index=frame.index)
    ids = frame[columns.id_column] if columns.id_column else pd.Series(range(1, len(frame) + 1))
    out["unique_id"] = ids.astype(str).to_numpy()
    for name in FIELDS:
        source = columns.column(name)
        if source not in frame.columns:
            continue
        values = pa.array(frame[source].astype("object").where(frame[source].notna(), None))
        if name in ("first_name", "last_name"):
            result = normalise.name(values)
        elif name == "date_of_birth":
            result = normalise.date(values, columns.date_formats, "keep")
        elif name == "postcode":
            result = normalise.postcode(values, "keep")
        else:
            result = normalise.code(values)
        out[name] = result.values.to_pandas()
    if len([c for c in out.columns if c != "unique_id"]) < 2:
        raise Invalid("Give at least two of: " + ", ".join(FIELDS), field="columns")
    return out


def comparisons(present: list[str], backend: Backend = "duckdb") -> list[Any]:
    import splink.comparison_library as cl

    table: dict[str, Any] = {
        "first_name": cl.NameComparison("first_name"),
        "last_name": cl.NameComparison("last_name"),
        "date_of_birth": cl.DateOfBirthComparison(
            "date_of_birth",
            input_is_string=True,
            datetime_format=DATE_OF_BIRTH_FORMAT[backend],
            invalid_dates_as_null=False,
        ),
        "postcode": cl.LevenshteinAtThresholds("postcode", [1, 2]),
        "sex": cl.ExactMatch("sex"),
    }
    return [table[name] for name in FIELDS if name in present]


def blocking_rules(present: list[str]) -> list[Any]:
    from splink import block_on

    rules = []
    if {"first_name", "last_name"} <= set(present):
        rules.append(block_on("first_name", "last_name"))
    if "date_of_birth" in present:
        rules.append(block_on("date_of_birth"))
    if {"last_name", "postcode"} <= set(present):
        rules.append(block_on("last_name", "postcode"))
    if {"first_name", "date_of_birth"} <= set(present):
        rules.append(block_on("substr(first_name, 1, 1)", "substr(date_of_birth, 1, 4)"))
    return rules


def db_api(backend: Backend, spark_session: Any = None) -> Any:
    """The Splink database API: DuckDB in-process, or Spark given (or starting) a session."""
    if backend == "duckdb":
        from splink import DuckDBAPI

        return DuckDBAPI()
    try:
        from splink.backends.spark import SparkAPI
    except ImportError as exc:
        raise ServiceError(
            "The Spark backend needs pyspark (the spark extra: pip install '.[spark]') and Java 17"
        ) from exc
    if spark_session is None:
        spark_session = start_spark()
    add_splink_functions(spark_session)
    return SparkAPI(
        spark_session=spark_session,
        break_lineage_method=break_lineage_method(spark_session),
        register_udfs_automatically=False,
    )


def start_spark() -> Any:
    """The session from the environment (``spark-submit``, ``PYSPARK_SUBMIT_ARGS``,
    ``spark-defaults.conf``), started if there is none; local mode when nothing names a master."""
    from pyspark.sql import SparkSession

    try:
        return SparkSession.builder.appName("missionhub-linkage").getOrCreate()
    except Exception as exc:  # pyspark's error when no Java runtime can be started
        raise ServiceError(
            f"Could not start Spark (it needs Java 17 or later, on PATH or JAVA_HOME): {exc}"
        ) from exc


def add_splink_functions(spark: Any) -> None:
    """Register Splink's Spark SQL functions (Jaro-Winkler and others, used by the name
    comparisons). Their classes are in a jar shipped inside the splink package; when the session
    was not started with it (``--jars``), it is added at run time (``ADD JAR``, which also ships
    it to the executors). Nothing is downloaded."""
    from pyspark.errors import AnalysisException
    from splink.backends.spark import similarity_jar_location
    from splink.internals.spark.jar_location import get_scala_udfs  # the list SparkAPI registers

    def register() -> None:
        for name, java_class, return_type in get_scala_udfs():
            spark.udf.registerJavaFunction(name, java_class, return_type)

    try:
        register()
    except AnalysisException:
        jar = similarity_jar_location()
        spark.sql(f"ADD JAR '{jar}'")
        try:
            register()
        except AnalysisException as exc:
            raise ServiceError(
                f"Spark could not load Splink's functions from {jar}: start the session "
                f"with --jars {jar} (or spark.jars)"
            ) from exc


def break_lineage_method(spark: Any) -> str:
    """How Splink keeps intermediate tables: as Parquet in the session's checkpoint directory
    when one is set (Splink's default; use shared storage on a cluster), otherwise persisted
    (executor memory, spilling to disk)."""
    return "parquet" if spark.sparkContext.getCheckpointDir() else "persist"


def train(
    frames: list[pd.DataFrame],
    *,
    backend: Backend = "duckdb",
    spark_session: Any = None,
    max_pairs: float = 2e6,
    seed: int = 7,
) -> Any:
    """A Splink linker for one frame (deduplicate) or two (link only), trained without labels."""
    from splink import Linker, SettingsCreator, block_on

    present = [c for c in FIELDS if all(c in f.columns for f in frames)]
    api = db_api(backend, spark_session)
    tables = [api.register(f, dataset_display_name=f"input_{i}") for i, f in enumerate(frames)]
    settings = SettingsCreator(
        link_type="dedupe_only" if len(frames) == 1 else "link_only",
        comparisons=comparisons(present, backend),
        blocking_rules_to_generate_predictions=blocking_rules(present),
        retain_intermediate_calculation_columns=False,
    )
    linker = Linker(tables if len(tables) > 1 else tables[0], settings, log_level=logging.WARNING)
    deterministic: list[Any] = [
        block_on(*[c for c in ("first_name", "last_name", "date_of_birth") if c in present])
    ]
    linker.training.estimate_probability_two_random_records_match(deterministic, recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=max_pairs, seed=seed)
    for rule in blocking_rules(present)[:2]:
        linker.training.estimate_parameters_using_expectation_maximisation(rule)
    return linker


def predict_pairs(linker: Any, threshold: float = 0.5) -> pd.DataFrame:
    """Scored pairs at or above ``threshold`` match probability."""
    frame: pd.DataFrame = linker.inference.predict(
        threshold_match_probability=threshold
    ).as_pandas_dataframe()
    return frame


@dataclass(frozen=True)
class DedupeResult:
    records: int
    pairs: int
    clusters: int
    duplicates: int
    artefacts: list[str]


def dedupe(
    frame: pd.DataFrame,
    out_dir: Path,
    *,
    columns: Columns | None = None,
    backend: Backend = "duckdb",
    threshold: float = 0.9,
    spark_session: Any = None,
) -> DedupeResult:
    """Find duplicate records in one department's file; write the model, charts and clusters
    (record id to cluster id, no identifying values) to ``out_dir``."""
    prepared = prepare(frame, columns or Columns())
    linker = train([prepared], backend=backend, spark_session=spark_session)
    predictions = linker.inference.predict(threshold_match_probability=threshold)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=threshold
    ).as_pandas_dataframe()[["unique_id", "cluster_id"]]
    out_dir.mkdir(parents=True, exist_ok=True)
    linker.misc.save_model_to_json(str(out_dir / "model.json"), overwrite=True)
    charts = {
        "match_weights.html": linker.visualisations.match_weights_chart(),
        "m_u_parameters.html": linker.visualisations.m_u_parameters_chart(),
    }
    for name, chart in charts.items():  # self-contained HTML: the libraries are inlined
        (out_dir / name).write_text(chart.to_html(inline=True), encoding="utf-8")
    clusters.rename(columns={"unique_id": "record_id"}).to_csv(
        out_dir / "clusters.csv", index=False
    )
    sizes = clusters["cluster_id"].value_counts()
    result = DedupeResult(
        records=len(prepared),
        pairs=int(predictions.as_pandas_dataframe().shape[0]),
        clusters=len(sizes),
        duplicates=int((sizes[sizes > 1] - 1).sum()),
        artefacts=["model.json", "match_weights.html", "m_u_parameters.html", "clusters.csv"],
    )
    (out_dir / "summary.json").write_text(json.dumps(result.__dict__, indent=2))
    return result
