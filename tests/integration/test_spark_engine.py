"""`er run --engine spark` gives what the DuckDB engine gives: the same std_* tables, the same entities (the same
partition of the accounts), the same links and the same signals, on demo data in Spark's local mode.

Tolerance: match weights are sums of the same log2 terms on both engines, evaluated in a different order, so they
may differ in the last bits of a double; they are held within 1e-6 (probabilities likewise). Everything else is
compared exactly.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest

from entity_resolution import pipeline
from entity_resolution.demo.generator import generate
from entity_resolution.errors import InputError
from entity_resolution.ingest import Inputs
from entity_resolution.ingest.standardise import standardise
from entity_resolution.settings import Settings

pytestmark = pytest.mark.slow
WEIGHT_TOLERANCE = 1e-6
# Spark's fixed cost dominates small data: two cores and few shuffle partitions keep the test short.
SPARK = {"engine": "spark", "spark_master": "local[2]", "spark_shuffle_partitions": 2}
STD_TABLES = ("std_accounts", "std_devices", "std_payments", "identifier_observations", "profiles")


@dataclass(frozen=True)
class Runs:
    duckdb: Path
    spark: Path
    inputs: Inputs
    cwd: Path  # the working folder the runs ran in


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Runs:
    root = tmp_path_factory.mktemp("spark_engine")
    paths = generate(root / "input", n_accounts=1_500, seed=11, fmt="csv")
    inputs = Inputs(paths.accounts, paths.devices, paths.payments, paths.labels)
    cwd = root / "cwd"
    cwd.mkdir()
    before = Path.cwd()
    os.chdir(cwd)
    try:
        pipeline.run(inputs, root / "duckdb", Settings())
        pipeline.run(inputs, root / "spark", Settings(**SPARK))
    finally:
        os.chdir(before)
    return Runs(root / "duckdb", root / "spark", inputs, cwd)


def test_nothing_written_to_the_working_folder(runs: Runs) -> None:
    # Spark's defaults write ./spark-warehouse (its catalog) and ./metastore_db: not the user's folder to fill.
    assert list(runs.cwd.iterdir()) == []


def test_same_entities(runs: Runs) -> None:
    # Same partition: every pair of accounts is together on one engine exactly when it is on the other.
    partition = ("SELECT list(account_id ORDER BY account_id) AS members FROM read_parquet($p) "
                 "GROUP BY entity_id ORDER BY members")
    with duckdb.connect() as con:
        ours = con.execute(partition, {"p": str(runs.spark / "entities.parquet")}).fetchall()
        theirs = con.execute(partition, {"p": str(runs.duckdb / "entities.parquet")}).fetchall()
    assert len(ours) > 100 and ours == theirs
    assert any(len(m[0]) > 1 for m in ours)  # the demo data has duplicates: the comparison is not vacuous


def test_same_links(runs: Runs) -> None:
    with duckdb.connect() as con:
        row = con.execute("""
            SELECT count(*), count(*) FILTER (WHERE s.account_id_l IS NULL OR d.account_id_l IS NULL),
                   max(abs(s.match_weight - d.match_weight)), max(abs(s.match_probability - d.match_probability)),
                   max(abs(s.personal_weight - d.personal_weight)),
                   count(*) FILTER (WHERE s.same_person IS DISTINCT FROM d.same_person)
            FROM read_parquet($s) s FULL JOIN read_parquet($d) d USING (account_id_l, account_id_r)
        """, {"s": str(runs.spark / "links.parquet"), "d": str(runs.duckdb / "links.parquet")}).fetchone()
    assert row is not None
    pairs, unmatched, d_weight, d_prob, d_personal, d_same = row
    assert pairs > 100 and unmatched == 0 and d_same == 0
    assert d_weight <= WEIGHT_TOLERANCE and d_prob <= WEIGHT_TOLERANCE and d_personal <= WEIGHT_TOLERANCE


def test_same_signals(runs: Runs) -> None:
    for name in ("signals", "rings", "hubs"):
        s, d = str(runs.spark / f"{name}.parquet"), str(runs.duckdb / f"{name}.parquet")
        with duckdb.connect() as con:
            n = con.execute("SELECT count(*) FROM read_parquet($p)", {"p": s}).fetchone()
            differ = con.execute("SELECT count(*) FROM ((FROM read_parquet($s) EXCEPT ALL FROM read_parquet($d)) "
                                 "UNION ALL (FROM read_parquet($d) EXCEPT ALL FROM read_parquet($s)))",
                                 {"s": s, "d": d}).fetchone()
        assert n is not None and n[0] > 0 and differ == (0,), name


def test_same_standardised_tables_and_profiles(runs: Runs) -> None:
    with duckdb.connect() as con:
        con.execute("ATTACH $p AS s (READ_ONLY)", {"p": str(runs.spark / "er.duckdb")})
        con.execute("ATTACH $p AS d (READ_ONLY)", {"p": str(runs.duckdb / "er.duckdb")})
        for table in STD_TABLES:
            assert con.sql(f"DESCRIBE s.{table}").fetchall() == con.sql(f"DESCRIBE d.{table}").fetchall(), table
            differ = con.sql(f"SELECT count(*) FROM ((FROM s.{table} EXCEPT ALL FROM d.{table}) "
                             f"UNION ALL (FROM d.{table} EXCEPT ALL FROM s.{table}))").fetchall()
            assert differ == [(0,)], table


def test_manifest_records_the_same_prior(runs: Runs) -> None:
    import json

    spark = json.loads((runs.spark / "manifest.json").read_text())
    duck = json.loads((runs.duckdb / "manifest.json").read_text())
    assert spark["model"]["prior"] == pytest.approx(duck["model"]["prior"], rel=1e-12)
    assert spark["row_counts"] == duck["row_counts"]
    assert (spark["engine"], duck["engine"]) == ("spark", "duckdb")


# --- the standardisation test cases (tests/unit/test_standardise.py) through both engines ------------------------


def _unit_cases() -> Any:
    """tests/unit/test_standardise.py: its cases and make_con (the tests folders are not packages)."""
    import importlib.util

    path = Path(__file__).resolve().parents[1] / "unit" / "test_standardise.py"
    spec = importlib.util.spec_from_file_location("standardise_cases", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _case_tables(t: Any) -> dict[str, list[dict[str, Any]]]:
    accounts: list[dict[str, Any]] = []
    devices: list[dict[str, Any]] = []
    payments: list[dict[str, Any]] = []
    for i, (raw, *_) in enumerate(t.EMAIL_CASES):
        accounts.append({"account_id": f"email-{i}", "email": raw})
    for i, (raw, country, _) in enumerate(t.PHONE_CASES):
        accounts.append({"account_id": f"phone-{i}", "phone": raw, "country": country})
    for i, (raw, *_) in enumerate(t.NAME_CASES):
        accounts.append({"account_id": f"name-{i}", "full_name": raw})
        payments.append({"account_id": f"name-{i}", "cardholder_name": raw})
    for i, (raw, country, _) in enumerate(t.POSTCODE_CASES):
        accounts.append({"account_id": f"postcode-{i}", "postcode": raw, "country": country})
        payments.append({"account_id": f"postcode-{i}", "billing_postcode": raw, "billing_country": country})
    for i, (raw, *_) in enumerate(t.IP_CASES):
        accounts.append({"account_id": f"ip-{i}", "signup_ip": raw})
        devices.append({"account_id": f"ip-{i}", "device_id": f"d{i}", "ip": raw})
    for i, (raw, lo, _, _) in enumerate(t.CARD_CASES):
        payments.append({"account_id": f"card-{i}", "card_bin" if lo == 6 else "card_last4": raw})
    accounts.append({"account_id": "all-null"})
    return {"accounts": accounts, "devices": devices, "payments": payments}


@pytest.fixture(scope="module")
def case_cons(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[duckdb.DuckDBPyConnection, ...]]:
    from entity_resolution.spark.session import spark_session
    from entity_resolution.spark.standardise import standardise_on_spark

    unit = _unit_cases()
    make_con = unit.make_con
    cases = _case_tables(unit)
    duck = make_con(cases["accounts"], cases["devices"], cases["payments"])
    spark_con = make_con(cases["accounts"], cases["devices"], cases["payments"])
    standardise(duck)
    scratch = tmp_path_factory.mktemp("spark_cases")
    with spark_session(Settings(**SPARK), scratch) as spark:
        standardise_on_spark(spark_con, spark, scratch)
    yield duck, spark_con
    duck.close()
    spark_con.close()


@pytest.mark.parametrize("table", ["std_accounts", "std_devices", "std_payments"])
def test_standardisation_cases_equal(case_cons: tuple[duckdb.DuckDBPyConnection, ...], table: str) -> None:
    duck, spark = case_cons
    order = f"SELECT * FROM {table} ORDER BY ALL"
    assert spark.sql(f"DESCRIBE {table}").fetchall() == duck.sql(f"DESCRIBE {table}").fetchall()
    got, expected = spark.sql(order).fetchall(), duck.sql(order).fetchall()
    assert len(expected) > 10
    assert got == expected


# --- refusals ----------------------------------------------------------------------------------------------


# Pairs where Splink's Spark jar and DuckDB disagree on Jaro-Winkler (found at 1M accounts, each on another
# comparison level: 0.92 / 0.8 / 0.88), then NULLs, empty strings and non-ASCII names.
JW_CASES = [("cristina", "crstina"), ("duncan", "dunncan"), ("erich", "dietrich"), ("shafer", "sceafer"),
            ("daniel", "aiden"), ("caolaina3d991", "caolaind131db"), ("jeffrey", "jeffrey"), ("josé", "jose"),
            ("müller", "muller"), ("日本語", "日本"), ("", ""), ("a", ""), (None, "x"), ("x", None), (None, None)]


def test_jaro_winkler_on_spark_is_duckdbs(tmp_path: Path) -> None:
    from entity_resolution.spark.score import spark_api
    from entity_resolution.spark.session import spark_session

    with spark_session(Settings(**SPARK), tmp_path) as spark:
        frame = spark.createDataFrame([(i, a, b) for i, (a, b) in enumerate(JW_CASES)],
                                      "i int, a string, b string")
        frame.createOrReplaceTempView("jw_cases")
        spark_api(spark)  # what the engine scores with
        ours = [r[0] for r in spark.sql("SELECT jaro_winkler(a, b) FROM jw_cases ORDER BY i").collect()]
        from pyspark.sql.types import DoubleType

        spark.udf.registerJavaFunction("splink_jar_jw", "uk.gov.moj.dash.linkage.JaroWinklerSimilarity",
                                       DoubleType())
        jar = [r[0] for r in spark.sql("SELECT splink_jar_jw(a, b) FROM jw_cases ORDER BY i").collect()]
    with duckdb.connect() as con:
        duck = [r[0] for r in con.execute(
            "SELECT jaro_winkler_similarity(a, b) FROM (SELECT unnest($a) AS a, unnest($b) AS b, "
            "generate_subscripts($a, 1) AS i) ORDER BY i",
            {"a": [a for a, _ in JW_CASES], "b": [b for _, b in JW_CASES]}).fetchall()]
    def rounded(values: list[Any]) -> list[Any]:
        return [None if v is None else round(v, 12) for v in values]

    assert rounded(ours) == rounded(duck)
    assert jar[0] < 0.92 <= duck[0]  # the case the jar's function gets wrong is still in the list


def test_incremental_is_refused_on_spark(runs: Runs, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="--engine duckdb"):
        pipeline.run(runs.inputs, tmp_path / "inc", Settings(**SPARK), previous=runs.duckdb, incremental=True)
    assert not (tmp_path / "inc").exists()


def test_missing_pyspark_names_the_extra(valid_dir: Path, tmp_path: Path) -> None:
    # pyspark stays installed: the child process makes `import pyspark` fail as it fails without the extra.
    code = ("import sys; sys.modules['pyspark'] = None; sys.argv[0] = 'er'; "
            "from entity_resolution.cli import main; main()")
    out = tmp_path / "run"
    args = ["run", "-a", str(valid_dir / "accounts.csv"), "-d", str(valid_dir / "devices.csv"),
            "-p", str(valid_dir / "payments.csv"), "-o", str(out), "--engine", "spark"]
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          env={**os.environ, "COLUMNS": "200"}, timeout=300)
    assert proc.returncode == 2, proc.stderr
    text = " ".join((proc.stdout + proc.stderr).split())
    assert "pip install 'entity-resolution[spark]'" in text
    assert "Traceback" not in text
    assert not out.exists()


def test_same_output_files_and_schemas(runs: Runs) -> None:
    import pyarrow.parquet as pq

    names = sorted(p.name for p in runs.duckdb.iterdir())
    assert sorted(p.name for p in runs.spark.iterdir()) == names
    for name in names:
        if name.endswith(".parquet"):
            assert pq.read_schema(runs.spark / name) == pq.read_schema(runs.duckdb / name), name


def test_tiny_input_with_labels_equal(valid_dir: Path, tmp_path: Path) -> None:
    # The hand-written valid files (a few accounts, labels, one link): Spark's empty partitions and the prior's
    # small-data path give the same run as DuckDB's.
    inputs = Inputs(valid_dir / "accounts.csv", valid_dir / "devices.csv", valid_dir / "payments.csv",
                    valid_dir / "labels.csv")
    duck = pipeline.run(inputs, tmp_path / "duckdb", Settings())
    spark = pipeline.run(inputs, tmp_path / "spark", Settings(**SPARK))
    assert spark.counts == duck.counts
    with duckdb.connect() as con:
        links = ("SELECT account_id_l, account_id_r, same_person, round(match_weight, 6) FROM read_parquet($p) "
                 "ORDER BY ALL")
        assert (con.execute(links, {"p": str(tmp_path / "spark" / "links.parquet")}).fetchall()
                == con.execute(links, {"p": str(tmp_path / "duckdb" / "links.parquet")}).fetchall())
        for name in ("entities", "signals"):
            differ = con.execute("SELECT count(*) FROM ((FROM read_parquet($s) EXCEPT ALL FROM read_parquet($d)) "
                                 "UNION ALL (FROM read_parquet($d) EXCEPT ALL FROM read_parquet($s)))",
                                 {"s": str(tmp_path / "spark" / f"{name}.parquet"),
                                  "d": str(tmp_path / "duckdb" / f"{name}.parquet")}).fetchall()
            assert differ == [(0,)], name
