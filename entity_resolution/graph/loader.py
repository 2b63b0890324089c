"""Load a run folder into Neo4j: batched `UNWIND $rows ... MERGE`, idempotent, incremental and resumable.

Each batch and the step's progress counter on the Run node commit in one managed transaction, so a load
killed at any point resumes exactly where it stopped (`load_run` again with the same folder), and a
finished run loaded again rewrites the same values (idempotent).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, LiteralString

import duckdb
from neo4j import Driver, ManagedTransaction

from ..dbutil import scalar
from ..errors import GraphError
from ..pseudonym import open_run_db, use_catalog
from ..runfolder import RunFolder, RunPaths
from ..runfolder import open as open_run_folder
from ..tables import INCREMENTAL_AFFECTED, RUN_TABLES, require_tables
from .cypher import load_cypher, statements
from .evidence import EVIDENCE_SQL, register_levels, set_display

SCHEMA_VERSION = 1


def used_sql(kind: str, only: str = "") -> str:
    """One USED_* relationship per (account, identifier) of `kind`, aggregated from identifier_observations:
    first and last use, number of uses, disputed payments (cards only; NULL for the other kinds).
    only: an extra condition on account_id (the delta load's affected accounts, _AFFECTED_ONLY)."""
    disputed = "count(*) FILTER (WHERE disputed)" if kind == "card" else "NULL::BIGINT"
    return ("SELECT account_id, value, min(observed_at) AS first_seen, max(observed_at) AS last_seen, "
            f"count(*) AS n, {disputed} AS disputed FROM identifier_observations WHERE kind = '{kind}' "
            f"{only}GROUP BY account_id, value ORDER BY account_id, value")  # kind, only: ours (STEPS, below)


def accounts_sql(only: str = "") -> str:
    return f"SELECT account_id, created_at, country, email_disposable FROM std_accounts {only}ORDER BY account_id"


def ip_prefixes_sql(only: str = "") -> str:
    return ("SELECT DISTINCT value, prefix FROM ("
            "  SELECT ip AS value, ip_prefix AS prefix FROM std_devices"
            "  UNION ALL SELECT signup_ip, signup_ip_prefix FROM std_accounts"
            f") WHERE value IS NOT NULL AND prefix IS NOT NULL {only}ORDER BY value")


def matches_sql(only: str = "") -> str:
    return ("SELECT unique_id_l AS l, unique_id_r AS r, match_probability, match_weight, personal_weight, "
            "same_person, " + EVIDENCE_SQL + " "  # evidence per field (graph/evidence.py)
            f"FROM predictions {only}ORDER BY l, r")


# (step, cypher file, DuckDB query over the run's er.duckdb). Order matters: accounts before their uses.
STEPS: list[tuple[str, str, str]] = [
    ("accounts", "load/merge_accounts", accounts_sql()),
    ("memberships", "load/merge_memberships",
     "SELECT account_id, entity_id, entity_size FROM entities ORDER BY account_id"),
    ("used_email", "load/merge_used_email", used_sql("email")),
    ("used_phone", "load/merge_used_phone", used_sql("phone")),
    ("used_device", "load/merge_used_device", used_sql("device")),
    ("used_card", "load/merge_used_card", used_sql("card")),
    ("used_ip", "load/merge_used_ip", used_sql("ip")),
    ("ip_prefixes", "load/merge_ip_prefixes", ip_prefixes_sql()),
    ("matches", "load/merge_matches", matches_sql()),
]

# The delta load of an incremental run on top of `since` (match/incremental.py): the run copied since's
# database and changed only the rows of its affected accounts (new accounts, accounts with new device or
# payment rows, and those re-profiled and re-scored), which it lists in INCREMENTAL_AFFECTED. Every row of these
# steps carries its account ids, so the rows of other accounts are the same in both runs and the delta is
# found among the affected accounts' rows alone: the same rows, without aggregating 2 x 3.8M identifier
# uses at 1M accounts. Memberships (entities merge and grow around affected accounts) are compared in full.
# An IP prefix row carries no account id, but one that is new must come from an affected account's row: both
# runs' rows are compared for the IPs those rows hold (_AFFECTED_IPS, from the current run, made first).
_IN_AFFECTED = f"IN (SELECT account_id FROM cur.main.{INCREMENTAL_AFFECTED})"
_AFFECTED_IPS = "delta_affected_ips"
_AFFECTED_IPS_SQL = (
    f"CREATE OR REPLACE TEMP TABLE {_AFFECTED_IPS} AS "
    f"SELECT ip AS value FROM std_devices WHERE account_id {_IN_AFFECTED} "
    f"UNION SELECT signup_ip FROM std_accounts WHERE account_id {_IN_AFFECTED}")
_AFFECTED_ONLY: dict[str, str] = {
    "accounts": accounts_sql(f"WHERE account_id {_IN_AFFECTED} "),
    **{f"used_{k}": used_sql(k, f"AND account_id {_IN_AFFECTED} ") for k in ("email", "phone", "device", "card",
                                                                           "ip")},
    "ip_prefixes": ip_prefixes_sql(f"AND value IN (SELECT value FROM temp.main.{_AFFECTED_IPS}) "),
    "matches": matches_sql(f"WHERE unique_id_l {_IN_AFFECTED} OR unique_id_r {_IN_AFFECTED} "),
}

ProgressFn = Callable[[str, int, int], None]  # (step, rows done, rows total)


@dataclass(frozen=True)
class LoadResult:
    run_id: str
    rows: dict[str, int]
    retired_links: int
    removed_entities: int
    resumed_steps: dict[str, int]
    retired_accounts: int = 0  # accounts of earlier loads that this run lacks (docs/graph-model.md)


def apply_schema(driver: Driver, database: str) -> int:
    """Create constraints and indexes (idempotent); return the schema version now in place."""
    for stmt in statements(f"schema/v{SCHEMA_VERSION}"):
        driver.execute_query(stmt, database_=database)
    return SCHEMA_VERSION


# Timestamp columns go to Neo4j as ISO-8601 text, parsed by `datetime(...)` in the Cypher: the driver turns
# each Python datetime into a neo4j.time.DateTime in pure Python, which cost more client CPU than the rest of
# the load together. The `[UTC]` suffix keeps the zone id the driver would send (same stored values).
TIMESTAMP_COLUMNS = ("created_at", "first_seen", "last_seen")
ISO_UTC = "%Y-%m-%dT%H:%M:%S.%fZ[UTC]"


def wire_sql(con: duckdb.DuckDBPyConnection, sql: str) -> str:
    """The step's query with its timestamp columns rendered as the text the load Cypher parses."""
    columns = [c for c in con.sql(sql).columns if c in TIMESTAMP_COLUMNS]
    if not columns:
        return sql
    replace = ", ".join(f"strftime({c} AT TIME ZONE 'UTC', '{ISO_UTC}') AS {c}" for c in columns)
    return f"SELECT * REPLACE ({replace}) FROM ({sql})"


def _batches(con: duckdb.DuckDBPyConnection, sql: str, size: int, skip: int) -> Iterator[list[dict[str, Any]]]:
    reader = con.sql(wire_sql(con, sql)).to_arrow_reader(size)
    seen = 0
    for batch in reader:
        rows = batch.to_pylist()
        if seen + len(rows) <= skip:
            seen += len(rows)
            continue
        if seen < skip:
            rows = rows[skip - seen:]
            seen = skip
        seen += len(rows)
        yield rows


def _write_batch(tx: ManagedTransaction, query: LiteralString, rows: list[dict[str, Any]], run_id: str,
                 step: str, done: int) -> None:
    tx.run(query, rows=rows, run_id=run_id).consume()
    tx.run(load_cypher("load/mark_step"), run_id=run_id, step=step, rows=done).consume()


def open_run(run_dir: Path) -> RunFolder:
    """The run folder (InputError, exit 2, unless it is one), after checking its er.duckdb has the tables the
    steps read (a run folder of an earlier version may lack identifier_observations)."""
    run = open_run_folder(run_dir)
    con = open_run_db(run.paths.db)
    try:
        require_tables(con, RUN_TABLES, run.paths.db)
    finally:
        con.close()
    return run


def load_run(driver: Driver, run_dir: Path, *, database: str = "neo4j", batch_size: int = 5000,
             progress: ProgressFn | None = None, since: Path | None = None) -> LoadResult:
    """Load (or finish loading) the run folder `run_dir` into Neo4j.

    since: the run folder last loaded into this graph. Then only the rows that differ from it are written
    (new accounts, moved memberships, new or changed identifier uses and links) and the links it had that
    this run lacks are retired: the result equals a full load of `run_dir`, for a fraction of the writes.

    Either way a load is the whole truth of its run: accounts of earlier loads that the run lacks are retired
    (out of their entities, kept as history), and so are the links it no longer predicts.
    """
    run = open_run(run_dir)
    manifest = run.manifest.to_dict()
    db_path = run.paths.db
    run_id = run.manifest.run_id
    apply_schema(driver, database)
    last = driver.execute_query(load_cypher("load/last_complete_run"), database_=database).records
    if last:
        _check_same_pseudonyms(manifest, last[0]["run_id"], json.loads(last[0]["manifest"] or "{}"))
    if since is not None:
        base_id = open_run(since).manifest.run_id
        if not last or last[0]["run_id"] != base_id:
            found = last[0]["run_id"] if last else "no complete run"
            raise GraphError(f"--since {since} is run {base_id}, but the graph's last complete load is {found}: "
                             "load without --since (a full, idempotent load) instead")
    driver.execute_query(load_cypher("load/restart_stale_run"), run_id=run_id, database_=database)
    records, _, _ = driver.execute_query(
        load_cypher("load/run"),
        run_id=run_id, as_of=manifest["as_of"], manifest=json.dumps(manifest), steps=[s[0] for s in STEPS],
        database_=database,
    )
    del records
    con = _open(db_path, since)
    affected_only = since is not None and _built_on(con, manifest, since)
    if affected_only:
        con.execute(_AFFECTED_IPS_SQL)  # the current run's tables (published ones if pseudonymised)
    register_levels(con, run_dir)
    rows_out: dict[str, int] = {}
    resumed: dict[str, int] = {}
    try:
        with driver.session(database=database) as session:
            for step, cypher_name, step_sql in STEPS:
                if since is None:
                    sql = step_sql
                else:
                    sql = _delta(con, step, _AFFECTED_ONLY.get(step, step_sql) if affected_only else step_sql)
                total = scalar(con, f"SELECT count(*) FROM ({sql})")  # our own SQL
                done = _done_rows(session, run_id, step)
                if done:
                    resumed[step] = done
                query = load_cypher(cypher_name)
                if progress:
                    progress(step, done, total)
                for rows in _batches(con, sql, batch_size, done):
                    done += len(rows)
                    session.execute_write(_write_batch, query, rows, run_id, step, done)
                    if progress:
                        progress(step, done, total)
                rows_out[step] = int(total)
        if since is not None:
            use_catalog(con, "cur")
            # in full: a run that `er forget` rewrote lacks links of accounts it did not list as affected
            gone = [dict(zip(("l", "r"), row, strict=True)) for row in con.execute(
                "SELECT unique_id_l, unique_id_r FROM prev.predictions "
                "EXCEPT SELECT unique_id_l, unique_id_r FROM cur.predictions").fetchall()]
            left = [row[0] for row in con.execute(
                "SELECT account_id FROM prev.std_accounts EXCEPT SELECT account_id FROM cur.std_accounts "
                "ORDER BY 1").fetchall()]
    finally:
        con.close()
    # Accounts first: an entity that only retired accounts kept is then empty and removed below. Auto-commit
    # session: the account retirements run in batches (CALL ... IN TRANSACTIONS).
    with driver.session(database=database) as session:
        if since is not None:
            left_out = session.run(load_cypher("load/retire_listed_accounts"), ids=left, run_id=run_id).single(
                strict=True)
        else:
            left_out = session.run(load_cypher("load/retire_absent_accounts"), run_id=run_id).single(strict=True)
    if since is not None:
        retired = driver.execute_query(load_cypher("load/retire_listed_matches"), rows=gone, run_id=run_id,
                                       database_=database)
    else:
        retired = driver.execute_query(load_cypher("load/retire_matches"), run_id=run_id, database_=database)
    removed = driver.execute_query(load_cypher("load/remove_empty_entities"), database_=database)
    set_display(driver, database)
    driver.execute_query(load_cypher("load/finish_run"), run_id=run_id, database_=database)
    return LoadResult(run_id, rows_out, int(retired.records[0]["retired"]), int(removed.records[0]["removed"]),
                      resumed, int(left_out["retired"]))


def _check_same_pseudonyms(manifest: dict[str, Any], last_id: str, last: dict[str, Any]) -> None:
    """Identifier nodes are keyed by value: raw values, or hashes under one key. Loading a run of another kind
    would add a second, unconnected copy of every identifier (and raw values next to hashed ones)."""
    def kind(m: dict[str, Any]) -> str:
        p = m.get("pseudonymised")
        return f"pseudonymised under key id {p['key_id']}" if p else "not pseudonymised"

    if kind(manifest) != kind(last):
        raise GraphError(f"run {manifest['run_id']} is {kind(manifest)}, but the graph's last complete load, "
                         f"run {last_id}, is {kind(last)}: load it into an empty database (--neo4j-database) "
                         "or rerun it with the graph's setting and key (docs/security.md)")


def _open(db_path: Path, since: Path | None) -> duckdb.DuckDBPyConnection:
    if since is None:
        return open_run_db(db_path)  # reads hashed identifiers if the run is pseudonymised
    # both runs side by side: cur (the default catalog) and prev
    con = duckdb.connect()
    con.execute("ATTACH $p AS cur (READ_ONLY)", {"p": str(db_path)})
    con.execute("ATTACH $p AS prev (READ_ONLY)", {"p": str(RunPaths(since).db)})
    con.execute("SET TimeZone = 'UTC'")
    use_catalog(con, "cur")
    return con


def _built_on(con: duckdb.DuckDBPyConnection, manifest: dict[str, Any], since: Path) -> bool:
    """Whether the run is an incremental run on top of `since` that listed its affected accounts."""
    base = (manifest.get("incremental") or {}).get("base_run_id")
    if base is None or base != open_run_folder(since).manifest.run_id:
        return False
    return bool(con.execute("SELECT 1 FROM duckdb_tables() WHERE database_name = 'cur' AND schema_name = 'main' "
                            "AND table_name = $t", {"t": INCREMENTAL_AFFECTED}).fetchall())


def _delta(con: duckdb.DuckDBPyConnection, step: str, sql: str) -> str:
    """Materialise the step's rows in both runs; return SQL for the rows new or changed in this one."""
    for catalog in ("prev", "cur"):
        use_catalog(con, catalog)
        con.execute(f"CREATE OR REPLACE TEMP TABLE delta_{catalog}_{step} AS {sql}")  # our own names and SQL
    use_catalog(con, "cur")
    return f"SELECT * FROM (SELECT * FROM delta_cur_{step} EXCEPT SELECT * FROM delta_prev_{step}) ORDER BY ALL"


def _done_rows(session: Any, run_id: str, step: str) -> int:
    def read(tx: ManagedTransaction) -> int:
        rec = tx.run(load_cypher("load/step_progress"), run_id=run_id, step=step).single()
        return int(rec["rows"]) if rec else 0

    return int(session.execute_read(read))  # a managed transaction: retried like the batches
