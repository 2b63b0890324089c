"""The saved model (DuckDB SQL) rendered for Spark's SQL dialect by Splink itself.

A model JSON holds each comparison level's SQL as it was rendered for DuckDB. Splink's comparison creators
(match/model.py) render the same levels for any dialect (our custom levels are transpiled from DuckDB SQL with
SQLGlot). The Spark model keeps the saved m, u and term-frequency settings and takes each level's condition from
the Spark rendering, after checking the DuckDB rendering is the saved condition: a model trained for another
comparison layout is refused instead of scored with conditions it was not trained on.
"""

from __future__ import annotations

import copy
from typing import Any

from ..errors import ModelError
from ..match.model import comparisons, prediction_blocking_rules

DIALECT = "spark"


def for_spark(model: dict[str, Any], source: str) -> dict[str, Any]:
    """A copy of `model` (as match.resolve.load_model returns it) whose SQL is Spark's. source: for messages."""
    out = copy.deepcopy(model)
    by_name = {c.get("output_column_name"): c for c in out.get("comparisons", [])}
    for creator in comparisons():
        duck = creator.get_comparison("duckdb").as_dict()
        spark = creator.get_comparison(DIALECT).as_dict()
        saved = by_name.get(duck["output_column_name"])
        saved_sql = [lv.get("sql_condition") for lv in (saved or {}).get("comparison_levels", [])]
        if saved_sql != [lv["sql_condition"] for lv in duck["comparison_levels"]]:
            raise ModelError(f"model file {source}: comparison {duck['output_column_name']} differs from this "
                             "version's, so it cannot be rendered for Spark; retrain with `er train`")
        assert saved is not None
        for level, rendered in zip(saved["comparison_levels"], spark["comparison_levels"], strict=True):
            level["sql_condition"] = rendered["sql_condition"]
    out["sql_dialect"] = DIALECT
    out["blocking_rules_to_generate_predictions"] = [
        br.get_blocking_rule(DIALECT).as_dict() for br in prediction_blocking_rules()]
    return out
