"""`er forget`: no value of a forgotten account remains in the graph, the run folder or later runs."""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import neo4j
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from entity_resolution import pipeline
from entity_resolution.cli import app
from entity_resolution.demo.generator import generate
from entity_resolution.errors import InputError
from entity_resolution.forget import forget
from entity_resolution.graph.loader import load_run
from entity_resolution.ingest import Inputs
from entity_resolution.settings import Settings

# Every identifying value an account brings, with the account it belongs to (raw and standardised forms):
# (table, its account id column, kind, value column).
USES = [
    ("in_accounts", "account_id", "id", "account_id"), ("in_accounts", "account_id", "email", "email"),
    ("std_accounts", "account_id", "email", "email_canonical"), ("in_accounts", "account_id", "phone", "phone"),
    ("std_accounts", "account_id", "phone", "phone_e164"), ("in_accounts", "account_id", "name", "full_name"),
    ("std_accounts", "account_id", "name", "name_norm"), ("profiles", "unique_id", "name", "first_name"),
    ("profiles", "unique_id", "name", "last_name"), ("in_payments", "account_id", "name", "cardholder_name"),
    ("in_accounts", "account_id", "ip", "signup_ip"), ("in_devices", "account_id", "device", "device_id"),
    ("in_devices", "account_id", "ip", "ip"), ("in_payments", "account_id", "card", "card_fingerprint"),
]
USES_SQL = " UNION ALL ".join(f"SELECT {key} AS account_id, '{kind}' AS kind, {col} AS v FROM {table}"
                              for table, key, kind, col in USES)  # test SQL over our own names
KINDS = ("id", "email", "phone", "name", "ip", "device", "card")


def _own_values(db: Path, account_ids: list[str]) -> dict[str, set[str]]:
    """For each account: the values of USES_SQL that no other account has (what must vanish with it)."""
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(
            f"SELECT account_id, kind, v FROM ({USES_SQL}) WHERE v IS NOT NULL AND v IN ("  # test SQL, no data
            f"  SELECT v FROM ({USES_SQL}) WHERE v IS NOT NULL GROUP BY v HAVING count(DISTINCT account_id) = 1)"
            " AND account_id IN (SELECT unnest($ids::VARCHAR[]))", {"ids": account_ids}).fetchall()
    out: dict[str, set[str]] = {a: set() for a in account_ids}
    for account_id, _, value in rows:
        out[account_id].add(value)
    return out


def _pick_victims(db: Path, run: Path) -> list[str]:
    """An account with an own e-mail, phone, name, device, card and IP; and a ring's bridge account."""
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(
            f"WITH own AS (SELECT v FROM ({USES_SQL}) WHERE v IS NOT NULL GROUP BY v "
            "HAVING count(DISTINCT account_id) = 1) "
            f"SELECT account_id FROM ({USES_SQL}) u WHERE v IN (SELECT v FROM own) "
            "GROUP BY account_id HAVING count(DISTINCT kind) = $k ORDER BY account_id LIMIT 1",
            {"k": len(KINDS)}).fetchall()
    assert rows, "the demo data should hold an account with its own value of every kind"
    bridges = [a for ids in pq.read_table(run / "rings.parquet")["bridge_account_ids"].to_pylist() for a in ids]
    assert bridges, "the demo run should have a ring with a bridge account"
    return [rows[0][0], sorted(bridges)[0]]


def _cells(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [c for v in value.values() for c in _cells(v)]
    if isinstance(value, list | tuple):
        return [c for v in value for c in _cells(v)]
    return [str(value)] if value is not None else []


def _hits_in_folder(folder: Path, values: set[str]) -> list[str]:
    """Where any of the values is in the folder: a Parquet or CSV cell (or list element), JSON text,
    any er.duckdb column (lists included), or the raw bytes of er.duckdb."""
    hits: list[str] = []
    for path in sorted(folder.iterdir()):
        if path.suffix == ".parquet":
            found = {c for c in _cells(pq.read_table(path).to_pylist()) if c in values}
        elif path.suffix == ".csv":
            with path.open(newline="", encoding="utf-8") as fh:
                found = {p for row in csv.reader(fh) for cell in row for p in [cell, *cell.split("|")] if p in values}
        elif path.suffix == ".json":
            text = path.read_text(encoding="utf-8")
            found = {v for v in values if v in text}
        elif path.name == "er.duckdb":
            raw = path.read_bytes()
            found = {f"raw bytes: {v}" for v in values if len(v) >= 6 and v.encode() in raw}
            with duckdb.connect(str(path), read_only=True) as con:
                for (table,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall():
                    rows = con.execute(f'SELECT * FROM "{table}"').fetchall()  # our own table names
                    found |= {f"{table}: {c}" for c in _cells(rows) if c in values}
        else:
            continue
        hits += [f"{path.name}: {h}" for h in sorted(found)]
    return hits


def _hits_in_graph(driver: neo4j.Driver, values: set[str]) -> list[str]:
    nodes, _, _ = driver.execute_query("MATCH (n) RETURN labels(n) AS what, properties(n) AS props")
    rels, _, _ = driver.execute_query("MATCH ()-[r]->() RETURN type(r) AS what, properties(r) AS props")
    hits = []
    for record in [*nodes, *rels]:
        for cell in _cells(record["props"]):
            hits += [f"{record['what']}: {v}" for v in values if v == cell or (len(v) >= 6 and v in cell)]
    return hits


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A demo run, two accounts to forget and the values only they had."""
    work = tmp_path_factory.mktemp("forget")
    data = generate(work / "input", n_accounts=1000, seed=11, fmt="csv")
    inputs = Inputs(data.accounts, data.devices, data.payments)
    settings = Settings(forget_list=work / "data" / "forget-list.jsonl")
    pipeline.run(inputs, work / "pristine", settings)
    victims = _pick_victims(work / "pristine" / "er.duckdb", work / "pristine")
    own = _own_values(work / "pristine" / "er.duckdb", victims)
    return {"work": work, "inputs": inputs, "settings": settings, "victims": victims,
            "values": set().union(*own.values()), "own": own}


def test_forget_erases_graph_run_folder_and_later_runs(graph: neo4j.Driver, demo: dict[str, Any],
                                                       tmp_path: Path) -> None:
    run = tmp_path / "run"
    shutil.copytree(demo["work"] / "pristine", run)
    settings = Settings(forget_list=tmp_path / "forget-list.jsonl")
    victims, values = demo["victims"], demo["values"]
    load_run(graph, run)
    # the checks can fail: before erasure every value is there
    assert _hits_in_graph(graph, values)
    before = _hits_in_folder(run, values)
    assert {h.split(":")[0] for h in before} >= {"er.duckdb", "entities.csv", "entities.parquet", "signals.csv",
                                                  "rings.parquet", "rings.csv"}
    assert any("raw bytes" in h for h in before)
    accounts_before = len(pq.read_table(run / "entities.parquet"))

    result = forget(victims, [run], settings, reason="test erasure", driver=graph)

    assert (result.requested, result.newly_listed, result.found_in_runs) == (2, 2, 2)
    assert _hits_in_graph(graph, values) == []
    assert _hits_in_folder(run, values) == []
    assert result.graph is not None and result.graph.accounts_deleted == 2
    # the tombstones and the forget list hold hashes, when and why; never the id
    hashes = {hashlib.sha256(v.encode()).hexdigest() for v in victims}
    records, _, _ = graph.execute_query("MATCH (t:Tombstone) RETURN t.account_sha256 AS h, t.reason AS why")
    assert {(r["h"], r["why"]) for r in records} == {(h, "test erasure") for h in hashes}
    listed = [json.loads(line) for line in settings.forget_list.read_text().splitlines()]
    assert {e["account_sha256"] for e in listed} == hashes
    assert not any(v in settings.forget_list.read_text() for v in victims)
    assert oct(settings.forget_list.stat().st_mode & 0o777) == "0o600"
    # everyone else is intact, and the graph agrees with the rewritten run folder
    entities = pq.read_table(run / "entities.parquet")
    assert len(entities) == accounts_before - 2
    records, _, _ = graph.execute_query("MATCH (a:Account)-[:MEMBER_OF]->(e:Entity) RETURN a.account_id, e.entity_id")
    assert {(r[0], r[1]) for r in records} == set(zip(entities["account_id"].to_pylist(),
                                                      entities["entity_id"].to_pylist(), strict=True))
    links = pq.read_table(run / "links.parquet")
    records, _, _ = graph.execute_query("MATCH (a:Account)-[m:MATCHES]->(b:Account) RETURN a.account_id, b.account_id")
    assert {(r[0], r[1]) for r in records} == set(zip(links["account_id_l"].to_pylist(),
                                                      links["account_id_r"].to_pylist(), strict=True))
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["forgotten"][0]["accounts"] == 2

    # again: nothing left to do, nothing changes
    again = forget(victims, [run], settings, reason="test erasure", driver=graph)
    assert (again.newly_listed, again.found_in_runs, again.folders[0].files_rewritten) == (0, 0, [])
    assert again.graph is not None and again.graph.accounts_deleted == 0 and again.graph.tombstones == 2

    # a later run on the same inputs drops them at ingest, and so does a load of it
    later = tmp_path / "later"
    pipeline.run(demo["inputs"], later, settings)
    assert _hits_in_folder(later, values) == []
    assert len(pq.read_table(later / "entities.parquet")) == accounts_before - 2
    load_run(graph, later)
    assert _hits_in_graph(graph, values) == []


def test_forget_removes_the_identifier_observations(demo: dict[str, Any], tmp_path: Path) -> None:
    """The identifier table (what the loader and detection read) loses the forgotten accounts' uses and their
    values; everyone else's uses stay, row for row."""
    run = tmp_path / "run"
    shutil.copytree(demo["work"] / "pristine", run)
    victims, values = demo["victims"], demo["values"]
    query = "SELECT account_id, kind, value FROM identifier_observations"

    def rows() -> list[tuple[str, str, str]]:
        with duckdb.connect(str(run / "er.duckdb"), read_only=True) as con:
            return [tuple(r) for r in con.execute(query).fetchall()]

    before = rows()
    assert {r[0] for r in before} >= set(victims)
    assert {r[2] for r in before if r[0] in victims} & values  # their own values are there to be removed

    forget(victims, [run], Settings(forget_list=tmp_path / "list.jsonl"), graph=False)

    after = rows()
    assert not [r for r in after if r[0] in victims or r[2] in values]
    assert sorted(after) == sorted(r for r in before if r[0] not in victims)


def test_er_forget_command(demo: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run = tmp_path / "run"
    shutil.copytree(demo["work"] / "pristine", run)
    forget_list = tmp_path / "list.jsonl"
    monkeypatch.setenv("ER_FORGET_LIST", str(forget_list))
    ids = tmp_path / "ids.txt"
    ids.write_text("account_id\n" + demo["victims"][0] + "\n\n", encoding="utf-8")
    runner = CliRunner()

    ok = runner.invoke(app, ["forget", "--file", str(ids), demo["victims"][1], "--from", str(run), "--no-graph"])
    assert ok.exit_code == 0, ok.output
    assert _hits_in_folder(run, demo["values"]) == []
    assert len(forget_list.read_text().splitlines()) == 2
    assert not any(v in ok.output for v in demo["victims"])  # the ids are not echoed into logs

    # bad input: exit 2 with where/expected/found, nothing written
    forget_list.unlink()
    written = (run / "er.duckdb").stat().st_mtime_ns
    alien = tmp_path / "alien"
    alien.mkdir()
    (alien / "manifest.json").write_text("{}", encoding="utf-8")
    duckdb.connect(str(alien / "er.duckdb")).close()
    for args, says in (
        (["forget", "x", "--from", str(tmp_path / "nowhere"), "--no-graph"], "no such folder"),
        (["forget", "x", "--from", str(tmp_path), "--no-graph"], "neither"),
        (["forget", "--from", str(run), "--no-graph"], "at least one account id"),
        (["forget", "--file", str(tmp_path / "missing.txt"), "--from", str(run), "--no-graph"], "no such file"),
        (["forget", "x", "--from", str(run), "--no-graph", "--reason", ""], "--reason"),
        (["forget", "x", "--from", str(run), "--from", str(alien), "--no-graph"], "no table std_accounts"),
    ):
        bad = runner.invoke(app, args)
        assert bad.exit_code == 2, (args, bad.output)
        assert says in bad.output, (args, bad.output)
        assert "Traceback" not in bad.output
        assert not forget_list.exists()
    assert (run / "er.duckdb").stat().st_mtime_ns == written  # the refused ones did not touch the run folder


def test_a_damaged_forget_list_stops_runs(demo: dict[str, Any], tmp_path: Path) -> None:
    damaged = tmp_path / "forget-list.jsonl"
    damaged.write_text('{"account_sha256": "' + "a" * 64 + '"}\nnot json\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"forget-list.jsonl row 2, column account_sha256"):
        pipeline.run(demo["inputs"], tmp_path / "out", Settings(forget_list=damaged))
    assert not (tmp_path / "out").exists()


def test_csv_rewrite_keeps_other_records_byte_for_byte(tmp_path: Path) -> None:
    from entity_resolution.forget.run_folder import Forbidden, scrub_folder

    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "detect_manifest.json").write_text("{}", encoding="utf-8")
    lines = [
        '"ring_id","note","bridge_account_ids","n"\r\n',
        '"R-1","a, quoted ""comma""","acct_gone|acct_kept",3\r\n',  # list cell edited, the rest kept as written
        '"R-2","line\none","acct_kept",2\r\n',  # quoted newline: untouched
        "\"R-3\",\"'=evil\",\"\",1\r\n",  # the id =evil, neutralised for spreadsheets: the record goes
        '"R-4","x","acct_gone",\r\n',  # a one-element list: emptied, not dropped
    ]
    (folder / "rings.csv").write_text("".join(lines), encoding="utf-8", newline="")
    result = scrub_folder(folder, Forbidden(frozenset({"acct_gone", "=evil"}), frozenset()), datetime.now(UTC), "test")
    assert result.files_rewritten == ["rings.csv"]
    assert (folder / "rings.csv").read_bytes().decode("utf-8") == "".join([
        lines[0], '"R-1","a, quoted ""comma""","acct_kept",3\r\n', lines[2], '"R-4","x","",\r\n'])
    assert [p.name for p in folder.iterdir() if p.name.startswith(".")] == []  # no temporary left behind
