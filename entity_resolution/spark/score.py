"""Score the blocked pairs with Splink's SparkAPI: prior, term frequencies and predict run on Spark; the scored
pairs and the term-frequency tables come back into the run's DuckDB database as Parquet."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..match.model import TF_COLUMNS, deterministic_rules
from ..match.resolve import PRIOR_RECALL, SPLINK_LOG_LEVEL, load_model
from . import similarity
from .model import for_spark

if TYPE_CHECKING:
    import duckdb
    from pyspark.sql import SparkSession

PREDICTIONS = "spark_predictions"  # the scored pairs, as read back into DuckDB; dropped after use


@dataclass(frozen=True)
class Scored:
    table: str  # DuckDB table of Splink's predictions (every column Splink keeps)
    columns: set[str]
    prior: float
    pairs: int


def spark_api(spark: SparkSession) -> Any:
    """Splink's SparkAPI for the session, with DuckDB's Jaro-Winkler in place of the jar's (similarity.py)."""
    from splink.backends.spark import SparkAPI

    db_api = SparkAPI(spark_session=spark)  # registers Splink's Scala UDFs, jaro_winkler among them
    similarity.register(spark)
    return db_api


def _linker(spark: SparkSession, profiles: Any, model: dict[str, Any]) -> Any:
    from splink import Linker

    return Linker(spark_api(spark).register(profiles), model, log_level=SPLINK_LOG_LEVEL)


def score(con: duckdb.DuckDBPyConnection, spark: SparkSession, model_path: Path, scratch: Path, *,
          link_floor: float) -> Scored:
    """Score `profiles` (a DuckDB table) on Spark as match.resolve.predict_and_cluster scores it on DuckDB:
    the model's m and u, the prior re-estimated from this data (the model's when no pair is deterministic)."""
    profiles_path = scratch / "profiles.parquet"
    con.table("profiles").write_parquet(str(profiles_path))
    profiles = spark.read.parquet(str(profiles_path))
    model = for_spark(load_model(model_path), str(model_path))
    linker = _linker(spark, profiles, model)
    if profiles.count() >= 2:
        linker.training.estimate_probability_two_random_records_match(deterministic_rules(), recall=PRIOR_RECALL)
    if not linker._settings_obj._probability_two_random_records_match > 0:
        linker = _linker(spark, profiles, model)  # no deterministic match (tiny input): keep the model's prior
    prior = float(linker._settings_obj._probability_two_random_records_match)
    # Term frequencies are kept per run (tf_<column>) so a later incremental run, on DuckDB, scores alike.
    for column in TF_COLUMNS:
        tf = linker.table_management.compute_tf_table(column)
        path = scratch / f"tf_{column}.parquet"
        tf.as_spark_dataframe().write.mode("overwrite").parquet(str(path))
        con.execute(f"CREATE OR REPLACE TABLE tf_{column} AS SELECT * FROM read_parquet($p)",
                    {"p": f"{path}/*.parquet"})
    pred = linker.inference.predict(threshold_match_probability=link_floor)
    pred_path = scratch / "predictions.parquet"
    pred.as_spark_dataframe().write.mode("overwrite").parquet(str(pred_path))
    con.execute(f"CREATE OR REPLACE TABLE {PREDICTIONS} AS SELECT * FROM read_parquet($p)",
                {"p": f"{pred_path}/*.parquet"})
    columns = {str(c[0]) for c in con.execute(f"DESCRIBE {PREDICTIONS}").fetchall()}
    pairs = int(con.execute(f"SELECT count(*) FROM {PREDICTIONS}").fetchall()[0][0])
    return Scored(PREDICTIONS, columns, prior, pairs)
