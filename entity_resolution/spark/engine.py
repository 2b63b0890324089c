"""What pipeline.run calls when settings.engine is "spark": one SparkSession for the run, a scratch folder for
the Parquet that passes between Spark and the run's DuckDB database, and the phases that run on Spark."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..settings import Settings
from .session import require_pyspark, spark_session

if TYPE_CHECKING:
    import duckdb
    from pyspark.sql import SparkSession

    from ..match.resolve import ResolveCounts


@dataclass
class SparkEngine:
    scratch: Path
    settings: Settings
    _stack: ExitStack
    _spark: SparkSession | None = None
    pairs_scored: int = 0

    @property
    def spark(self) -> SparkSession:
        """The run's session, started at first use: input that fails validation never waits for a JVM."""
        if self._spark is None:
            self._spark = self._stack.enter_context(spark_session(self.settings, self.scratch))
        return self._spark

    def standardise(self, con: duckdb.DuckDBPyConnection) -> None:
        """std_* on Spark (standardise.py), then identifier_observations as the DuckDB engine writes it."""
        from ..ingest.standardise.observations import write_observations
        from .standardise import standardise_on_spark

        standardise_on_spark(con, self.spark, self.scratch)
        write_observations(con)

    def predict(self, con: duckdb.DuckDBPyConnection, model_path: Path, constraints: Any = None) -> ResolveCounts:
        """Score on Spark (score.py), then the shared identity veto and clustering (match/resolve.py)."""
        from ..match.resolve import finish_predictions
        from .score import score

        s = self.settings
        scored = score(con, self.spark, model_path, self.scratch, link_floor=s.link_floor)
        self.pairs_scored = scored.pairs
        counts = finish_predictions(con, scored.table, scored.columns, link_floor=s.link_floor,
                                    match_threshold=s.match_threshold, cluster_threshold=s.cluster_threshold,
                                    min_personal_weight=s.min_personal_weight, prior=scored.prior,
                                    constraints=constraints)
        con.execute(f"DROP TABLE IF EXISTS {scored.table}")
        return counts


@contextmanager
def spark_engine(settings: Settings) -> Iterator[SparkEngine]:
    """The engine for one run; its session (if one was started) is stopped and its scratch folder removed after."""
    require_pyspark()  # before any folder is made: a missing extra is bad input (exit 2), nothing written
    scratch = Path(tempfile.mkdtemp(prefix="er-spark-", dir=settings.spill_dir))
    try:
        with ExitStack() as stack:
            yield SparkEngine(scratch, settings, stack)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
