"""The Spark engine's settings and the saved model rendered for Spark (no Spark session needed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from entity_resolution.errors import InputError, ModelError
from entity_resolution.match.resolve import load_model
from entity_resolution.settings import DEFAULT_MODEL, Settings
from entity_resolution.spark.model import for_spark
from entity_resolution.spark.session import conf_pairs


def test_spark_settings_from_toml_env_and_flags(tmp_path: Path) -> None:
    cfg = tmp_path / "er.toml"
    cfg.write_text('engine = "spark"\nspark_master = "local[3]"\nspark_conf = "spark.executor.memory=2g"\n')
    s = Settings.load(cfg, environ={"ER_SPARK_SHUFFLE_PARTITIONS": "3", "ER_SPARK_DRIVER_MEMORY": "2g"},
                      spark_master="local[2]")
    assert (s.engine, s.spark_master, s.spark_shuffle_partitions, s.spark_driver_memory) == (
        "spark", "local[2]", 3, "2g")
    pairs = dict(conf_pairs(s))
    assert pairs["spark.sql.shuffle.partitions"] == "3"
    assert pairs["spark.driver.memory"] == "2g"
    assert pairs["spark.executor.memory"] == "2g"
    assert Settings().engine == "duckdb"


@pytest.mark.parametrize("master", ["local", "local[*]", "local[4]", "local[4,2]", "spark://h:7077", "yarn",
                                    "k8s://https://h:6443"])
def test_spark_masters_accepted(master: str) -> None:
    assert Settings(spark_master=master).spark_master == master


def test_spark_conf_comes_last_so_it_wins() -> None:
    pairs = conf_pairs(Settings(spark_conf="spark.sql.shuffle.partitions=5; spark.x = y"))
    assert pairs[-2:] == [("spark.sql.shuffle.partitions", "5"), ("spark.x", "y")]
    assert dict(pairs)["spark.sql.shuffle.partitions"] == "5"


@pytest.mark.parametrize(("variable", "value", "expected"), [
    ("ER_ENGINE", "flink", "one of duckdb, spark"),
    ("ER_SPARK_SHUFFLE_PARTITIONS", "0", "a whole number >= 1"),
    ("ER_SPARK_DRIVER_MEMORY", "lots", "a Spark size"),
    ("ER_SPARK_CONF", "spark.executor.memory", "key=value pairs"),
    ("ER_SPARK_MASTER", "bogus://x", "a Spark master URL"),
    ("ER_SPARK_MASTER", "local[two]", "a Spark master URL"),
])
def test_bad_spark_settings_name_the_variable(variable: str, value: str, expected: str) -> None:
    with pytest.raises(InputError) as info:
        Settings.load(environ={variable: value})
    assert variable in str(info.value) and expected in str(info.value)


def test_model_rendered_for_spark_keeps_parameters_and_has_no_duckdb_quoting() -> None:
    duck = load_model(DEFAULT_MODEL)
    spark = for_spark(duck, str(DEFAULT_MODEL))
    assert spark["sql_dialect"] == "spark"
    for c_duck, c_spark in zip(duck["comparisons"], spark["comparisons"], strict=True):
        for l_duck, l_spark in zip(c_duck["comparison_levels"], c_spark["comparison_levels"], strict=True):
            assert l_duck.get("m_probability") == l_spark.get("m_probability")
            assert l_duck.get("u_probability") == l_spark.get("u_probability")
            # In Spark SQL "x" is a string literal: a DuckDB-quoted column left in would compare two constants.
            assert '"' not in l_spark["sql_condition"], l_spark["sql_condition"]
    assert all("jaro_winkler_similarity" not in json.dumps(c) for c in spark["comparisons"])
    assert all(r["sql_dialect"] == "spark" for r in spark["blocking_rules_to_generate_predictions"])


def test_model_with_other_comparisons_is_refused() -> None:
    model = load_model(DEFAULT_MODEL)
    model["comparisons"][0]["comparison_levels"][1]["sql_condition"] = '"first_name_l" <> "first_name_r"'
    with pytest.raises(ModelError, match="retrain"):
        for_spark(model, "m.json")
