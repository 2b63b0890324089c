"""Jaro-Winkler on Spark as DuckDB computes it, so both engines put every pair on the same comparison level.

Splink's Spark backend scores `jaro_winkler(...)` with a Scala UDF from its jar, which counts transpositions
without rounding half of them down; DuckDB's `jaro_winkler_similarity` (the model was trained with it) rounds
them down, as rapidfuzz does. They disagree on a string pair now and then ("cristina"/"crstina": 0.9095 against
0.9286, either side of the 0.92 level): at 1M accounts 82 of 1,131,692 scored pairs landed on another level and
4 same-person links were lost (docs/scaling.md). DuckDB's function is rapidfuzz's algorithm, so the Spark engine
registers rapidfuzz's Jaro-Winkler under the name the Spark rendering of the model calls, after Splink has
registered its jar's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd
    from pyspark.sql import SparkSession

FUNCTION = "jaro_winkler"  # the name in Splink's Spark rendering of JaroWinklerLevel


def jaro_winkler(left: pd.Series, right: pd.Series) -> pd.Series:
    """DuckDB's jaro_winkler_similarity over two columns: NULL when either side is NULL, 0.0 for two empty strings
    (rapidfuzz says 1.0 there; DuckDB 0.0), else rapidfuzz's Jaro-Winkler (prefix weight 0.1, on code points)."""
    import numpy as np
    import pandas as pd
    from rapidfuzz.distance import JaroWinkler
    from rapidfuzz.process import cpdist

    known = (left.notna() & right.notna()).to_numpy()
    out = np.full(len(left), np.nan)  # NaN becomes NULL on the way back to Spark (pandas UDFs mask nulls)
    if known.any():
        a, b = left[known].astype(str).tolist(), right[known].astype(str).tolist()
        scores = cpdist(a, b, scorer=JaroWinkler.normalized_similarity, dtype=np.float64, workers=1)
        empty = np.array([x == "" and y == "" for x, y in zip(a, b, strict=True)], dtype=bool)
        out[known] = np.where(empty, 0.0, scores)
    return pd.Series(out, index=left.index, dtype="float64")


def register(spark: SparkSession) -> None:
    """Register `jaro_winkler` in the session, replacing Splink's Scala UDF of that name (call after SparkAPI)."""
    import pandas as pd
    from pyspark.sql.functions import pandas_udf

    # pandas_udf reads the argument types from real annotations (this module's are strings).
    def udf(left: pd.Series, right: pd.Series) -> pd.Series:
        return jaro_winkler(left, right)

    udf.__annotations__ = {"left": pd.Series, "right": pd.Series, "return": pd.Series}
    spark.udf.register(FUNCTION, pandas_udf(udf, "double"))  # type: ignore[call-overload]
