"""Identifiers full of Cypher, SQL and shell metacharacters travel end to end and are stored verbatim.

A small generated data set gets hostile account ids, device ids, card fingerprints, names and e-mail
addresses; `er run --neo4j` and `er detect` must succeed, and the run folder (Parquet), er.duckdb and the
graph (queried back by parameter) must hold each value exactly as given (e-mails in their canonical form),
with nothing lost: the `MATCH (n) DETACH DELETE n` and `DROP TABLE` ids delete nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import neo4j
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from entity_resolution.cli import app
from entity_resolution.demo.generator import GeneratedPaths, generate
from entity_resolution.ingest import rules

runner = CliRunner()

HOSTILE = [
    "o'brien",
    'say "hi"',
    "back\\slash\\",
    "`tick` `MATCH`",
    "semi;colon;",
    "$dollar $rows",
    "{brace} {0} {}",
    "// comment",
    "MATCH (n) DETACH DELETE n",
    "'); DROP TABLE std_accounts; --",
    "\"); DROP TABLE x; --",
    "$(rm -rf /)",
    "; rm -rf / #",
    "%s %d %(x)s ${x}",
    "zoë-日本語-🙂-ünï",
    # Tabs, line breaks and zero-width characters in identifiers are refused at validation (tests/hostile).
]
# Valid addresses whose local parts carry quote, backtick, brace, dollar, slash and other atext characters.
HOSTILE_EMAILS = [
    "o'brien`{x}$y@example.com",
    "a/b=c|d&e%f@example.com",
    "x'--@example.org",
    "{0}{}$rows@example.net",
    "match-n-detach-delete-n+tag@example.com",
]


def _with_hostile_values(data: GeneratedPaths, out: Path) -> dict[str, Path]:
    """Copy the data set with HOSTILE as the ids of its first accounts, each with one more device and
    payment whose id/fingerprint is the same hostile text, hostile names, and HOSTILE_EMAILS on the first few."""
    accounts, devices, payments = (pq.read_table(p) for p in (data.accounts, data.devices, data.payments))
    old_ids = accounts.column("account_id").to_pylist()[: len(HOSTILE)]
    rename = dict(zip(old_ids, HOSTILE, strict=True))

    def renamed(table: pa.Table) -> pa.Table:
        ids = [rename.get(v, v) for v in table.column("account_id").to_pylist()]
        return table.set_column(table.schema.get_field_index("account_id"), "account_id", pa.array(ids))

    accounts, devices, payments = renamed(accounts), renamed(devices), renamed(payments)
    names = accounts.column("full_name").to_pylist()
    emails = accounts.column("email").to_pylist()
    names[: len(HOSTILE)] = HOSTILE
    for i, email in enumerate(HOSTILE_EMAILS):
        emails[i] = email
    accounts = accounts.set_column(accounts.schema.get_field_index("full_name"), "full_name", pa.array(names))
    accounts = accounts.set_column(accounts.schema.get_field_index("email"), "email", pa.array(emails))
    created = accounts.column("created_at").to_pylist()[: len(HOSTILE)]

    def extra(table: pa.Table, values: dict[str, Any]) -> pa.Table:
        rows = {name: values.get(name, [None] * len(HOSTILE)) for name in table.column_names}
        return pa.concat_tables([table, pa.table(rows, schema=table.schema)])

    devices = extra(devices, {"account_id": HOSTILE, "observed_at": created, "device_id": HOSTILE,
                              "user_agent": HOSTILE})
    payments = extra(payments, {"account_id": HOSTILE, "observed_at": created, "card_fingerprint": HOSTILE,
                                "cardholder_name": HOSTILE,
                                "disputed": [False] * len(HOSTILE)})
    out.mkdir(parents=True)
    paths = {}
    for name, table in (("accounts", accounts), ("devices", devices), ("payments", payments)):
        paths[name] = out / f"{name}.parquet"
        pq.write_table(table, paths[name])
    return paths


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory, neo4j_driver: neo4j.Driver) -> dict[str, Any]:
    from entity_resolution.graph.snapshot import wipe

    root = tmp_path_factory.mktemp("hostile")
    data = generate(root / "base", n_accounts=1000, seed=5, fmt="parquet")
    files = _with_hostile_values(data, root / "input")
    run = root / "run"
    wipe(neo4j_driver)
    result = runner.invoke(app, ["-q", "run", "-a", str(files["accounts"]), "-d", str(files["devices"]),
                                 "-p", str(files["payments"]), "--out", str(run), "--neo4j"])
    assert result.exit_code == 0, result.output
    detected = runner.invoke(app, ["-q", "detect", "--out", str(root / "exports")])
    assert detected.exit_code == 0, detected.output
    return {"run": run, "exports": root / "exports", "accounts": pq.read_table(files["accounts"]).num_rows}


def test_run_folder_keeps_the_values_verbatim(hostile: dict[str, Any]) -> None:
    run = hostile["run"]
    ids = set(pq.read_table(run / "entities.parquet").column("account_id").to_pylist())
    assert set(HOSTILE) <= ids and len(ids) == hostile["accounts"]
    signals = set(pq.read_table(run / "signals.parquet").column("account_id").to_pylist())
    assert set(HOSTILE) <= signals
    with duckdb.connect(str(run / "er.duckdb"), read_only=True) as con:
        tables = {t for (t,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        assert {"std_accounts", "std_devices", "std_payments", "entities", "predictions"} <= tables
        devices = dict(con.execute("SELECT device_id, account_id FROM std_devices WHERE device_id = ANY($v)",
                                   {"v": HOSTILE}).fetchall())
        cards = dict(con.execute("SELECT card_fingerprint, account_id FROM std_payments "
                                 "WHERE card_fingerprint = ANY($v)", {"v": HOSTILE}).fetchall())
        names = dict(con.execute("SELECT account_id, full_name_raw FROM std_accounts WHERE account_id = ANY($v)",
                                 {"v": HOSTILE}).fetchall())
    assert devices == {h: h for h in HOSTILE} and cards == {h: h for h in HOSTILE}
    assert names == {h: h for h in HOSTILE}


def test_graph_holds_the_values_verbatim(hostile: dict[str, Any], neo4j_driver: neo4j.Driver) -> None:
    accounts = neo4j_driver.execute_query("MATCH (a:Account) RETURN count(a) AS n").records[0]["n"]
    assert accounts == hostile["accounts"]  # nothing deleted, nothing doubled
    for value in HOSTILE:
        records = neo4j_driver.execute_query(
            "MATCH (a:Account {account_id: $v}) "
            "OPTIONAL MATCH (a)-[:USED_DEVICE]->(d:Device {device_id: $v}) "
            "OPTIONAL MATCH (a)-[:USED_CARD]->(c:Card {fingerprint: $v}) "
            "OPTIONAL MATCH (a)-[:MEMBER_OF]->(e:Entity) "
            "RETURN a.account_id AS id, d.device_id AS device, c.fingerprint AS card, e.entity_id AS entity",
            v=value).records
        assert len(records) == 1, value
        row = records[0]
        assert (row["id"], row["device"], row["card"]) == (value, value, value)
        assert row["entity"]
    for i, raw in enumerate(HOSTILE_EMAILS):
        canonical = rules.canonical_email(raw)
        assert canonical is not None, raw
        found = neo4j_driver.execute_query(
            "MATCH (:Account {account_id: $id})-[:USED_EMAIL]->(e:Email) RETURN e.value AS v",
            id=HOSTILE[i]).records
        assert [r["v"] for r in found] == [canonical]


def test_detect_export_keeps_the_ids(hostile: dict[str, Any]) -> None:
    latest = hostile["exports"] / "latest"
    signals = pq.read_table(latest / "signals.parquet")
    hit = signals.filter(pc.is_in(signals.column("account_id"), pa.array(HOSTILE)))
    assert sorted(hit.column("account_id").to_pylist()) == sorted(HOSTILE)
    assert signals.num_rows == hostile["accounts"]
