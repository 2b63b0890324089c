"""Pseudonymised runs: no raw identifier reaches Neo4j or any export, and `er lookup` finds values again.

One pseudonymised run of a small generated data set is loaded into the managed Neo4j and detected on twice
(Neo4j and in-process); the graph, the run folder (every file but er.duckdb, the raw evidence store), both
detection exports and the bulk-import files are scanned for every raw and standardised identifier of the
input. The scanner is first shown to find those values in the input itself, so a silent scanner fails.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import neo4j
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from entity_resolution.cli import app
from entity_resolution.demo.generator import GeneratedPaths, generate
from entity_resolution.graph.bulk_import import export_files
from entity_resolution.graph.cypher import load_cypher
from entity_resolution.pseudonym import Key, publish_sql
from entity_resolution.settings import Settings

KEY = "test-key-0123456789-abcdefghijklmnop"
ENV = {"ER_PSEUDONYM_KEY": KEY}
HEX64 = re.compile(r"[0-9a-f]{64}")
runner = CliRunner()

# Input columns holding identifiers, and the standardised columns (er.duckdb) derived from them.
RAW_COLUMNS = {"accounts": ("email", "phone", "signup_ip"), "devices": ("device_id", "ip"),
               "payments": ("card_fingerprint",)}
STD_SQL = """
SELECT email_canonical FROM std_accounts UNION SELECT phone_e164 FROM std_accounts
UNION SELECT signup_ip FROM std_accounts UNION SELECT signup_ip_prefix FROM std_accounts
UNION SELECT email_local FROM std_accounts UNION SELECT email_handle FROM std_accounts_ext
UNION SELECT device_id FROM std_devices UNION SELECT ip FROM std_devices UNION SELECT ip_prefix FROM std_devices
UNION SELECT card_fingerprint FROM std_payments UNION SELECT value FROM main.resolution_hubs
"""


def _args(data: GeneratedPaths) -> list[str]:
    return ["-a", str(data.accounts), "-d", str(data.devices), "-p", str(data.payments)]


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> GeneratedPaths:
    return generate(tmp_path_factory.mktemp("pseudo") / "input", n_accounts=1000, seed=11, fmt="csv")


def _strings(value: Any) -> Iterator[str]:
    """Every string in a value, and its parts split at separators (lists joined into one cell, reasons)."""
    if isinstance(value, str):
        yield value
        yield from (p for p in re.split(r"[\s,;|\"'\[\](){}]+", value) if p)
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _strings(v)


def _file_strings(path: Path) -> Iterator[str]:
    if path.suffix == ".parquet":
        yield from _strings(pq.read_table(path).to_pylist())
    elif path.suffix == ".csv":
        with path.open(encoding="utf-8", newline="") as fh:
            yield from _strings(list(csv.reader(fh)))
    elif path.suffix == ".json":
        yield from _strings(json.loads(path.read_text(encoding="utf-8")))
    elif path.suffix == ".html":  # report.html: the text between tags, and attribute values
        yield from _strings(re.split(r"[<>=]", path.read_text(encoding="utf-8")))
    else:
        raise AssertionError(f"unexpected export file {path}")


def _leaks(strings: Iterable[str], secrets: set[str]) -> set[str]:
    return {s for s in strings if s in secrets}


def _rows(path: Path) -> list[dict[str, Any]]:
    if path.suffix == ".parquet":
        rows: list[dict[str, Any]] = pq.read_table(path).to_pylist()
        return rows
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _raw_identifiers(data: Any, run: Path) -> set[str]:
    """data: anything with accounts, devices and payments paths (CSV or Parquet)."""
    values: set[str] = set()
    for source, columns in RAW_COLUMNS.items():
        for row in _rows(getattr(data, source)):
            values.update(row[c].strip() for c in columns if row[c] and row[c].strip())
    with duckdb.connect(str(run / "er.duckdb"), read_only=True) as con:
        values.update(v for (v,) in con.execute(STD_SQL).fetchall() if v)
    # Values short enough to occur by chance as a whole cell elsewhere (a 2-letter e-mail handle) are left out.
    return {v for v in values if len(v) >= 5}


@pytest.fixture(scope="module")
def pseudo_run(data: GeneratedPaths, neo4j_driver: neo4j.Driver,
               tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from entity_resolution.graph.snapshot import wipe

    wipe(neo4j_driver)
    root = tmp_path_factory.mktemp("pseudo-run")
    run = root / "run"
    result = runner.invoke(app, ["run", *_args(data), "--out", str(run), "--pseudonymise", "--neo4j"], env=ENV)
    assert result.exit_code == 0, result.output
    outputs = [result.output]
    for args in (["detect", "--out", str(root / "graph-export")],
                 ["detect", "--from", str(run), "--out", str(root / "inprocess-export")]):
        detected = runner.invoke(app, args, env=ENV)
        assert detected.exit_code == 0, detected.output
        outputs.append(detected.output)
    return {"run": run, "root": root, "outputs": outputs}


def test_scanner_finds_raw_identifiers_in_the_input(data: GeneratedPaths, pseudo_run: dict[str, Any]) -> None:
    raw = _raw_identifiers(data, pseudo_run["run"])
    assert len(raw) > 2000
    found = _leaks((s for p in (data.accounts, data.devices, data.payments) for s in _file_strings(p)), raw)
    assert len(found) > 2000


def test_no_raw_identifier_in_any_export(data: GeneratedPaths, pseudo_run: dict[str, Any], tmp_path: Path) -> None:
    run, root = pseudo_run["run"], pseudo_run["root"]
    raw = _raw_identifiers(data, run)
    bulk = export_files(run, "run-x", tmp_path / "bulk")  # the files `er neo4j import` feeds neo4j-admin
    exports = [p for p in root.rglob("*") if p.is_file() and p.name != "er.duckdb" and not p.name.startswith(".")]
    exports += [p for p in bulk.folder.iterdir() if p.suffix == ".csv"]
    kinds = {p.suffix for p in exports}
    assert {".csv", ".parquet", ".json"} <= kinds and len(exports) > 40
    for path in exports:
        assert not _leaks(_file_strings(path), raw), path
    hubs = pq.read_table(run / "resolution_hubs.parquet").column("value").to_pylist()
    assert hubs and all(HEX64.fullmatch(v) for v in hubs)
    manifest = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["pseudonymised"]["key_id"] == Key(KEY.encode()).key_id
    assert all(KEY not in out for out in pseudo_run["outputs"])


def test_no_raw_identifier_in_the_graph(data: GeneratedPaths, pseudo_run: dict[str, Any],
                                        neo4j_driver: neo4j.Driver) -> None:
    raw = _raw_identifiers(data, pseudo_run["run"])
    nodes = neo4j_driver.execute_query(load_cypher("admin/graph_snapshot_nodes")).records
    rels = neo4j_driver.execute_query(load_cypher("admin/graph_snapshot_rels")).records
    runs = neo4j_driver.execute_query("MATCH (r:Run) RETURN properties(r) AS props").records
    assert len(nodes) > 3000
    for record in [*nodes, *rels, *runs]:
        assert not _leaks(_strings(record["props"]), raw), record["props"]
    keys = neo4j_driver.execute_query(
        "MATCH (n) WHERE n:Email OR n:Phone OR n:Device OR n:Card OR n:IP OR n:IPPrefix "
        "RETURN coalesce(n.value, n.device_id, n.fingerprint, n.address, n.prefix) AS v").records
    assert len(keys) > 2000 and all(HEX64.fullmatch(r["v"]) for r in keys)


def test_lookup_finds_an_account_in_the_graph(data: GeneratedPaths, pseudo_run: dict[str, Any],
                                              neo4j_driver: neo4j.Driver) -> None:
    with data.accounts.open(encoding="utf-8", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["email"] and r["phone"] and not r["phone"].startswith("+")]
    row = rows[0]
    # As an investigator would type it: other case, blanks around it.
    email = runner.invoke(app, ["-q", "lookup", f"  {row['email'].upper()} ", "--kind", "email"], env=ENV)
    assert email.exit_code == 0, email.output
    assert KEY not in email.output
    kind, pseudonym = email.stdout.split()
    assert kind == "email" and HEX64.fullmatch(pseudonym)
    found = neo4j_driver.execute_query(
        "MATCH (a:Account)-[:USED_EMAIL]->(:Email {value: $v}) RETURN collect(a.account_id) AS ids",
        v=pseudonym).records[0]["ids"]
    assert row["account_id"] in found
    phone = runner.invoke(app, ["-q", "lookup", row["phone"], "--kind", "phone", "--country", row["country"]],
                          env=ENV)
    assert phone.exit_code == 0, phone.output
    found = neo4j_driver.execute_query(
        "MATCH (a:Account)-[:USED_PHONE]->(:Phone {value: $v}) RETURN collect(a.account_id) AS ids",
        v=phone.stdout.split()[1]).records[0]["ids"]
    assert row["account_id"] in found


def test_lookup_standardises_as_ingest_does(pseudo_run: dict[str, Any]) -> None:
    """For every input account, `lookup`'s pseudonyms of its raw e-mail, phone and sign-up IP are the ones the
    run published (ingest SQL and rules.py agree)."""
    from entity_resolution.pseudonym import lookup

    key = Key(KEY.encode())
    with duckdb.connect(str(pseudo_run["run"] / "er.duckdb"), read_only=True) as con:
        rows = con.execute(
            "SELECT i.email, i.phone, s.country, i.signup_ip, p.email_canonical, p.phone_e164, p.signup_ip, "
            "p.signup_ip_prefix FROM main.in_accounts i JOIN main.std_accounts s USING (account_id) "
            "JOIN pseudo.std_accounts p USING (account_id)").fetchall()
    assert len(rows) == 1000
    checked = 0
    for email, phone, country, ip, *published in rows:
        got: dict[str, str | None] = {"email": None, "phone": None, "ip": None, "ip_prefix": None}
        for raw, kind in ((email, "email"), (phone, "phone"), (ip, "ip")):
            if raw is not None:
                got.update({item.kind: item.pseudonym for item in lookup(raw, key, kind, country)})
        assert list(got.values()) == published, (email, phone, country, ip)
        checked += sum(v is not None for v in published)
    assert checked > 2500


def test_a_plain_run_is_not_loaded_over_a_pseudonymised_graph(data: GeneratedPaths, pseudo_run: dict[str, Any],
                                                               neo4j_driver: neo4j.Driver, tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    assert runner.invoke(app, ["-q", "run", *_args(data), "--out", str(plain)]).exit_code == 0
    before = neo4j_driver.execute_query("MATCH (n) RETURN count(n) AS n").records[0]["n"]
    for env in ({}, {"ER_PSEUDONYM_KEY": "another-key-0123456789"}):
        refused = runner.invoke(app, ["load", "--from", str(plain)], env=env)
        assert refused.exit_code == 1 and "pseudonymised under key id" in refused.output, refused.output
    other_key = tmp_path / "other-key"
    ran = runner.invoke(app, ["-q", "run", *_args(data), "--out", str(other_key), "--pseudonymise"],
                        env={"ER_PSEUDONYM_KEY": "another-key-0123456789"})
    assert ran.exit_code == 0, ran.output
    refused = runner.invoke(app, ["load", "--from", str(other_key)])
    assert refused.exit_code == 1 and Key(KEY.encode()).key_id in refused.output, refused.output
    assert neo4j_driver.execute_query("MATCH (n) RETURN count(n) AS n").records[0]["n"] == before
    again = runner.invoke(app, ["-q", "load", "--from", str(pseudo_run["run"])])  # same key: fine, idempotent
    assert again.exit_code == 0, again.output


def test_no_key_is_bad_input_and_writes_nothing(data: GeneratedPaths, tmp_path: Path) -> None:
    out = tmp_path / "run"
    for env in ({"ER_PSEUDONYM_KEY": ""}, {"ER_PSEUDONYM_KEY": "short"}):
        result = runner.invoke(app, ["run", *_args(data), "--out", str(out), "--pseudonymise"], env=env)
        assert result.exit_code == 2, result.output
        assert "ER_PSEUDONYM_KEY" in result.output and "Traceback" not in result.output
        assert not out.exists() and not any(tmp_path.iterdir())
    # the setting, from the environment, turns it on as the flag does
    no_key: dict[str, str | None] = {"ER_PSEUDONYMISE": "true", "ER_PSEUDONYM_KEY": None}
    result = runner.invoke(app, ["run", *_args(data), "--out", str(out)], env=no_key)
    assert result.exit_code == 2 and not out.exists()
    demo = runner.invoke(app, ["demo", "--size", "1000", "--out", str(out), "--pseudonymise"], env=no_key)
    assert demo.exit_code == 2 and not out.exists(), demo.output
    looked = runner.invoke(app, ["lookup", "a@example.com"], env={"ER_PSEUDONYM_KEY": ""})
    assert looked.exit_code == 2 and "Traceback" not in looked.output


def test_key_file_setting_and_no_key_in_a_settings_file(tmp_path: Path) -> None:
    key_file = tmp_path / "key"
    key_file.write_text(KEY + "\n", encoding="utf-8")
    config = tmp_path / "er.toml"
    config.write_text(f'pseudonymise = true\npseudonym_key_file = "{key_file}"\n', encoding="utf-8")
    env: dict[str, str | None] = {"ER_CONFIG": str(config), "ER_PSEUDONYM_KEY": None}
    with_file = runner.invoke(app, ["-q", "lookup", "a@example.com"], env=env)
    with_env = runner.invoke(app, ["-q", "lookup", "a@example.com"], env=ENV)
    assert with_file.exit_code == 0 and with_file.stdout == with_env.stdout
    settings = Settings.load(config, environ={})
    assert settings.pseudonymise is True and KEY not in repr(settings)
    config.write_text(f'pseudonym_key = "{KEY}"\n', encoding="utf-8")
    refused = runner.invoke(app, ["lookup", "a@example.com"], env={"ER_CONFIG": str(config)})
    assert refused.exit_code != 0 and KEY not in refused.output


@pytest.mark.parametrize("secret", [b"k" * 16, b"a much longer key than the sixty-four byte block " * 3])
def test_sql_hmac_equals_python_hmac(secret: bytes) -> None:
    values = ["alice@example.com", "+442079460958", "zoë@exämple.com", "'); DROP TABLE x; --", "a\nb", ""]
    key = Key(secret)
    ipad, opad = key.pads()
    con = duckdb.connect()
    con.execute("CREATE TABLE resolution_hubs AS SELECT 'device' AS kind, unnest($v) AS value, 1 AS account_count",
                {"v": values})
    con.execute("CREATE SCHEMA pseudo")
    con.execute(publish_sql("resolution_hubs"), {"ipad": ipad, "opad": opad})
    got = dict(con.execute("SELECT r.value, p.value FROM main.resolution_hubs r "
                           "POSITIONAL JOIN pseudo.resolution_hubs p").fetchall())
    assert got == {v: hmac.new(secret, v.encode(), hashlib.sha256).hexdigest() for v in values}
    assert got == {v: key.hash(v) for v in values}


def test_incremental_runs_match_on_raw_values_and_publish_hashes(tmp_path: Path, pseudo_run: dict[str, Any],
                                                                 neo4j_driver: neo4j.Driver) -> None:
    from entity_resolution.demo.split import split_newest
    from entity_resolution.graph.snapshot import wipe
    from entity_resolution.ingest import Inputs

    data = generate(tmp_path / "all", n_accounts=1000, seed=13, fmt="parquet")
    base, new = split_newest(Inputs(data.accounts, data.devices, data.payments), 0.1,
                             tmp_path / "base-in", tmp_path / "new-in")
    entities = {}
    for mode, flag in (("plain", []), ("pseudo", ["--pseudonymise"])):
        first, second = tmp_path / f"{mode}-base", tmp_path / f"{mode}-inc"
        for inputs, out, extra in ((base, first, []), (new, second, ["--previous", str(first), "--incremental"])):
            args = ["-a", str(inputs.accounts), "-d", str(inputs.devices), "-p", str(inputs.payments)]
            result = runner.invoke(app, ["-q", "run", *args, "--out", str(out), *flag, *extra], env=ENV)
            assert result.exit_code == 0, result.output
        entities[mode] = sorted(pq.read_table(second / "entities.parquet").to_pylist(), key=str)
        hubs = pq.read_table(second / "resolution_hubs.parquet").column("value").to_pylist()
        assert hubs and all(bool(HEX64.fullmatch(v)) == (mode == "pseudo") for v in hubs)
    assert entities["plain"] == entities["pseudo"]  # the same resolution: matching saw the raw values
    # `er load --since` compares the two runs' published tables (DuckDB catalogs prev and cur)
    try:
        wipe(neo4j_driver)
        for args in (["--from", str(tmp_path / "pseudo-base")],
                     ["--from", str(tmp_path / "pseudo-inc"), "--since", str(tmp_path / "pseudo-base")]):
            loaded = runner.invoke(app, ["-q", "load", *args])
            assert loaded.exit_code == 0, loaded.output
        raw = _raw_identifiers(data, tmp_path / "pseudo-inc")
        nodes = neo4j_driver.execute_query(load_cypher("admin/graph_snapshot_nodes")).records
        assert sum("Account" in r["labels"] for r in nodes) == 1000
        for record in nodes:
            assert not _leaks(_strings(record["props"]), raw), record["props"]
    finally:  # leave the graph as the module's other tests expect it
        wipe(neo4j_driver)
        assert runner.invoke(app, ["-q", "load", "--from", str(pseudo_run["run"])]).exit_code == 0
