"""The SparkSession of one run, built from the settings (spark_master, spark_shuffle_partitions,
spark_driver_memory, spark_conf), with Splink's similarity functions registered."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import EntityResolutionError, InputError, Problem
from ..settings import Settings

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

INSTALL_HINT = "pip install 'entity-resolution[spark]'"


def require_pyspark() -> None:
    """InputError (exit 2, before anything is written) when the optional Spark extra is not installed."""
    try:
        import pandas  # noqa: F401  (pyspark[sql]: standardisation's pandas UDFs)
        import pyspark  # noqa: F401
        import rapidfuzz  # noqa: F401  (DuckDB's Jaro-Winkler on Spark: similarity.py)
        import splink.backends.spark  # noqa: F401
    except ImportError as exc:
        raise InputError([Problem("--engine spark", None, None,
                                  f"pyspark installed (the optional extra: {INSTALL_HINT})",
                                  f"not importable ({exc.name or exc})")]) from exc


def conf_pairs(settings: Settings) -> list[tuple[str, str]]:
    """The Spark configuration the settings ask for, in the order it is applied (spark_conf last: it wins)."""
    pairs = [("spark.sql.shuffle.partitions", str(settings.spark_shuffle_partitions)),
             # Timestamps are read, compared and written in UTC, as the DuckDB engine does (SET TimeZone).
             ("spark.sql.session.timeZone", "UTC"),
             ("spark.ui.enabled", "false"),
             ("spark.ui.showConsoleProgress", "false"),  # the CLI shows its own progress
             # Timestamps as Parquet TIMESTAMP (UTC-adjusted), which DuckDB reads back as TIMESTAMPTZ.
             ("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")]
    if settings.spark_master.startswith("local"):
        # Python workers (standardisation's UDFs) run this interpreter, which has our package and its rules. On a
        # cluster the executors' own Python (with the package installed) is named in spark_conf instead.
        pairs.append(("spark.pyspark.python", sys.executable))
    # Errors only from the JVM (log4j2.properties beside this module); a spark_conf of the user's replaces it.
    log_config = Path(__file__).with_name("log4j2.properties")
    pairs.append(("spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile={log_config.as_uri()}"))
    if settings.spark_driver_memory:
        pairs.append(("spark.driver.memory", settings.spark_driver_memory))
    for item in (settings.spark_conf or "").split(";"):
        if item.strip():
            key, value = item.split("=", 1)
            pairs.append((key.strip(), value.strip()))
    return pairs


@contextmanager
def spark_session(settings: Settings, scratch: Path) -> Iterator[SparkSession]:
    """A session for one run; stopped afterwards. scratch: a folder for Spark's checkpoints (Splink uses them)."""
    require_pyspark()
    from pyspark.sql import SparkSession
    from splink.backends.spark import similarity_jar_location

    if settings.spark_master.startswith("local"):
        # Local mode starts Python workers from PYSPARK_PYTHON (else "python3" on the PATH, which may lack this
        # package), whatever spark.pyspark.python says.
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.master(settings.spark_master).appName("entity-resolution")
    # Splink's fuzzy comparisons (jaro_winkler, damerau_levenshtein) are Scala UDFs shipped in this jar.
    builder = builder.config("spark.jars", similarity_jar_location())
    # Spark's catalog creates ./spark-warehouse in the user's working folder by default (Splink's Spark jobs
    # touch it); keep it in the run's scratch folder, removed with it.
    builder = builder.config("spark.sql.warehouse.dir", str(scratch / "warehouse"))
    for key, value in conf_pairs(settings):
        builder = builder.config(key, value)
    try:
        spark = builder.getOrCreate()
    except Exception as exc:  # pyspark raises its own errors (no JVM, a bad master URL, a refused setting)
        raise EntityResolutionError(
            f"Spark did not start ({type(exc).__name__}: {str(exc).splitlines()[0][:300] if str(exc) else ''}); "
            "it needs a JDK 17 (java on PATH or JAVA_HOME) and a reachable spark_master "
            f"({settings.spark_master}); docs/spark.md") from exc
    spark.sparkContext.setLogLevel("ERROR")
    (scratch / "checkpoints").mkdir(parents=True, exist_ok=True)
    spark.sparkContext.setCheckpointDir(str(scratch / "checkpoints"))
    try:
        yield spark
    finally:
        spark.stop()
