"""Incremental runs: the newest 1% of accounts added to a baseline run, checked against full runs."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from entity_resolution.demo.generator import GeneratedPaths
from entity_resolution.demo.split import split_newest
from entity_resolution.errors import InputError
from entity_resolution.ingest import Inputs
from entity_resolution.pipeline import resolve_pinned, run
from entity_resolution.settings import Settings

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def runs(small_data: GeneratedPaths, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    work = tmp_path_factory.mktemp("incremental")
    everything = Inputs(small_data.accounts, small_data.devices, small_data.payments)
    base_in, new_in = split_newest(everything, 0.02, work / "in_base", work / "in_new")
    run(base_in, work / "base", Settings())
    run(new_in, work / "inc", Settings(), previous=work / "base", incremental=True)
    resolve_pinned(everything, work / "base", work / "pinned.duckdb", Settings())
    run(everything, work / "full", Settings(), previous=work / "base")
    return {"work": work, "base": work / "base", "inc": work / "inc", "full": work / "full",
            "pinned": work / "pinned.duckdb", "new_accounts": new_in.accounts}


def _diff(con: duckdb.DuckDBPyConnection, left: str, right: str, op: str = "EXCEPT") -> tuple[int, int]:
    only_left = con.execute(f"SELECT count(*) FROM (({left}) {op} ({right}))").fetchall()[0][0]
    only_right = con.execute(f"SELECT count(*) FROM (({right}) {op} ({left}))").fetchall()[0][0]
    return int(only_left), int(only_right)


def test_incremental_equals_a_full_run_with_the_baselines_statistics(runs: dict[str, Path]) -> None:
    con = duckdb.connect()
    con.execute("ATTACH $p AS inc (READ_ONLY)", {"p": str(runs["inc"] / "er.duckdb")})
    con.execute("ATTACH $p AS ref (READ_ONLY)", {"p": str(runs["pinned"])})
    con.execute("ATTACH $p AS base (READ_ONLY)", {"p": str(runs["base"] / "er.duckdb")})
    for table, cols in (("entities", "account_id, entity_id, entity_size"),
                        ("predictions", "unique_id_l, unique_id_r, match_key, round(match_probability, 12), "
                                        "round(personal_weight, 9), same_person"),
                        ("profiles", "*"), ("std_accounts", "*"), ("std_devices", "*"), ("std_payments", "*"),
                        ("resolution_hubs", "*"), ("resolution_shared", "*")):
        assert _diff(con, f"SELECT {cols} FROM inc.{table}", f"SELECT {cols} FROM ref.{table}") == (0, 0), table
    # every use, counted: a device seen twice on one account is two observations in both
    observations = "SELECT * FROM {}.identifier_observations"
    assert _diff(con, observations.format("inc"), observations.format("ref"), "EXCEPT ALL") == (0, 0)
    assert con.execute("SELECT count(*) FROM inc.identifier_observations WHERE account_id IN "
                       "(SELECT account_id FROM inc.std_accounts EXCEPT SELECT account_id FROM base.std_accounts)"
                       ).fetchall()[0][0] > 0  # the new accounts' uses were appended
    manifest = json.loads((runs["inc"] / "manifest.json").read_text())
    assert manifest["incremental"]["affected_accounts"] >= 40  # the 2% new accounts at least
    assert manifest["incremental"]["pairs_scored"] > 0
    # hubs and shared values: only the values the new rows hold are counted again, the rest carried over from
    # the baseline; the comparison with the pinned full run above holds only if that is exact, and it is
    # tested on data where the carried-over and the recounted parts both matter
    assert manifest["incremental"]["hubs_and_shared"]["mode"] == "incremental"
    assert manifest["incremental"]["hubs_and_shared"]["values_recounted"] > 0
    for table in ("resolution_hubs", "resolution_shared"):
        changed = _diff(con, f"SELECT * FROM inc.{table}", f"SELECT * FROM base.{table}")
        kept = con.execute(f"SELECT count(*) FROM (SELECT * FROM inc.{table} INTERSECT SELECT * FROM base.{table})"
                           ).fetchall()[0][0]
        assert sum(changed) > 0 and kept > 0, (table, changed, kept)


def test_incremental_is_close_to_a_fresh_full_run(runs: dict[str, Path]) -> None:
    con = duckdb.connect()
    inc = f"read_parquet('{runs['inc'] / 'entities.parquet'}')"
    full = f"read_parquet('{runs['full'] / 'entities.parquet'}')"
    total = con.execute(f"SELECT count(*) FROM {full}").fetchall()[0][0]
    assert con.execute(f"SELECT count(*) FROM {inc}").fetchall()[0][0] == total
    moved = _diff(con, f"SELECT account_id, entity_id FROM {inc}", f"SELECT account_id, entity_id FROM {full}")
    # The fresh run re-estimates the prior and term frequencies over 2% more accounts; only pairs within a
    # hair of a threshold can move.
    assert moved[0] <= 0.005 * total, moved
    rings = _diff(con, f"SELECT ring_id, account_count FROM read_parquet('{runs['inc'] / 'rings.parquet'}')",
                  f"SELECT ring_id, account_count FROM read_parquet('{runs['full'] / 'rings.parquet'}')")
    assert rings[0] <= 2 and rings[1] <= 2, rings


def test_new_accounts_keep_old_entity_ids_when_they_join(runs: dict[str, Path]) -> None:
    con = duckdb.connect()
    base = f"read_parquet('{runs['base'] / 'entities.parquet'}')"
    inc = f"read_parquet('{runs['inc'] / 'entities.parquet'}')"
    # Every baseline entity whose members all stay together keeps its id.
    lost = con.execute(f"""
        WITH b AS (SELECT b.entity_id AS old, i.entity_id AS new FROM {base} b JOIN {inc} i USING (account_id))
        SELECT count(*) FROM (SELECT old FROM b GROUP BY old HAVING count(DISTINCT new) = 1 AND min(new) <> old)
    """).fetchall()[0][0]
    assert lost == 0


def test_incremental_rejects_accounts_already_in_the_baseline(runs: dict[str, Path], tmp_path: Path) -> None:
    base_accounts = str(runs["work"] / "in_base" / "accounts.parquet")
    duckdb.connect().sql(f"SELECT * FROM read_parquet('{base_accounts}') LIMIT 3").to_parquet(
        str(tmp_path / "acc.parquet"))
    new = runs["work"] / "in_new"
    with pytest.raises(InputError) as info:
        run(Inputs(tmp_path / "acc.parquet", new / "devices.parquet", new / "payments.parquet"), tmp_path / "out",
            Settings(), previous=runs["base"], incremental=True)
    text = str(info.value)
    assert "already in the previous run" in text and "account_id" in text
    assert not (tmp_path / "out").exists()


def test_incremental_accepts_new_rows_for_baseline_accounts(runs: dict[str, Path], tmp_path: Path) -> None:
    """Devices of old accounts only (no new accounts): references resolve against the baseline."""
    work = runs["work"]
    devices = str(work / "in_base" / "devices.parquet")
    duckdb.connect().sql(f"SELECT * FROM read_parquet('{devices}') "
               "LIMIT 5").to_parquet(str(tmp_path / "dev.parquet"))
    accounts = str(work / "in_new" / "accounts.parquet")
    duckdb.connect().sql(f"SELECT * FROM read_parquet('{accounts}') LIMIT 0").to_parquet(str(tmp_path / "acc.parquet"))
    payments = str(work / "in_new" / "payments.parquet")
    duckdb.connect().sql(f"SELECT * FROM read_parquet('{payments}') LIMIT 0").to_parquet(str(tmp_path / "pay.parquet"))
    result = run(Inputs(tmp_path / "acc.parquet", tmp_path / "dev.parquet", tmp_path / "pay.parquet"),
                 tmp_path / "out", Settings(), previous=runs["base"], incremental=True)
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert 1 <= manifest["incremental"]["affected_accounts"] <= 5
    assert result.counts["accounts"] == duckdb.connect().sql(
        f"SELECT count(*) FROM read_parquet('{runs['base'] / 'entities.parquet'}')").fetchall()[0][0]


def test_incremental_needs_a_previous_run(runs: dict[str, Path], tmp_path: Path) -> None:
    new = runs["work"] / "in_new"
    with pytest.raises(InputError, match="previous"):
        run(Inputs(new / "accounts.parquet", new / "devices.parquet", new / "payments.parquet"), tmp_path / "out",
            Settings(), incremental=True)


def _increment_on_a_baseline_without(runs: dict[str, Path], tmp_path: Path, table: str) -> duckdb.DuckDBPyConnection:
    """The increment run again on a copy of the baseline without `table` (as an older version wrote it), into
    tmp_path/inc; a connection with that run attached as `a` and the test's own incremental run as `b`."""
    import shutil

    old = tmp_path / "old_base"
    shutil.copytree(runs["base"], old)
    with duckdb.connect(str(old / "er.duckdb")) as con:
        con.execute(f"DROP TABLE {table}")
    new = runs["work"] / "in_new"
    run(Inputs(new / "accounts.parquet", new / "devices.parquet", new / "payments.parquet"), tmp_path / "inc",
        Settings(), previous=old, incremental=True)
    con = duckdb.connect()
    con.execute("ATTACH $p AS a (READ_ONLY)", {"p": str(tmp_path / "inc" / "er.duckdb")})
    con.execute("ATTACH $p AS b (READ_ONLY)", {"p": str(runs["inc"] / "er.duckdb")})
    return con


def test_incremental_on_a_baseline_without_the_identifier_table(runs: dict[str, Path], tmp_path: Path) -> None:
    """A baseline written before identifier_observations existed: the incremental run derives the baseline's
    observations from its std_* tables first, and ends with the same table as on a current baseline."""
    con = _increment_on_a_baseline_without(runs, tmp_path, "identifier_observations")
    observations = "SELECT * FROM {}.identifier_observations"
    assert _diff(con, observations.format("a"), observations.format("b"), "EXCEPT ALL") == (0, 0)


def test_incremental_on_a_baseline_without_shared_values(runs: dict[str, Path], tmp_path: Path) -> None:
    """A baseline made before shared values existed has none to carry over: every value is counted again (the
    manifest says so), and the result is the same as on a current baseline."""
    con = _increment_on_a_baseline_without(runs, tmp_path, "resolution_shared")
    how = json.loads((tmp_path / "inc" / "manifest.json").read_text())["incremental"]["hubs_and_shared"]
    assert how["mode"] == "full" and "no shared values" in how["reason"]
    for table in ("resolution_hubs", "resolution_shared"):
        assert _diff(con, f"SELECT * FROM a.{table}", f"SELECT * FROM b.{table}") == (0, 0), table
