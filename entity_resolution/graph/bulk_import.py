"""Bulk path for an initial load: `neo4j-admin database import full` from files DuckDB writes.

For a first load into an empty database this replaces `load_run`'s batched MERGEs: DuckDB writes one header
file and one data file (CSV) per node label and relationship type, built on the loader's own step queries
(`loader.STEPS`), so the graph gets the same nodes, relationships, properties and types as an online load.
The managed server is stopped, the admin tool (org.neo4j.cli.AdminTool, what `neo4j-admin` runs) imports
the files with `--overwrite-destination`, the server is started again, and the schema (cypher/schema) and the
loader's own bookkeeping (Run node, one LoadStep per step, finish_run) are written with the loader's Cypher.
A later `load_run` of a newer run then works on top of it exactly as after an online load, and `load_run` of
the same run finds every step done.

Only for the managed server (the admin tool works on the server's files), and only into a database without
data unless `force` is given (the import replaces the database).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from neo4j import Driver, GraphDatabase, ManagedTransaction

from ..dbutil import scalar
from ..errors import GraphError
from ..progress import PhaseTimer, ProgressFn
from ..pseudonym import open_run_db
from ..runfolder import RunPaths
from . import server
from .cypher import load_cypher
from .evidence import FIELDS, register_levels, set_display
from .loader import ISO_UTC, STEPS, apply_schema, open_run
from .server.home import locked, read_json, running_pid
from .server.process import write_conf

PHASES = ("check", "export", "stop", "import", "start", "schema")
INDEX_WAIT_SECONDS = 3600

# --- the files: header columns and DuckDB queries over the run's er.duckdb ------------------------------
# Every query reads the loader's step query for the same rows, so both paths load the same data. Header
# types follow what the online load stores: timestamps as datetime (ISO text with the [UTC] zone id, as the
# loader sends them), counts as long, probabilities and weights as double. Empty fields are absent
# properties (the online load's `SET x = null`), "" stays an empty string.

_STEP_SQL = {step: sql for step, _name, sql in STEPS}
# step -> (identifier label, key property, relationship type), as in cypher/load/merge_used_*.cypher
USES: dict[str, tuple[str, str, str]] = {
    "used_email": ("Email", "value", "USED_EMAIL"),
    "used_phone": ("Phone", "value", "USED_PHONE"),
    "used_device": ("Device", "device_id", "USED_DEVICE"),
    "used_card": ("Card", "fingerprint", "USED_CARD"),
    "used_ip": ("IP", "address", "USED_IP"),
}


def _ts(column: str) -> str:
    return f"strftime({column} AT TIME ZONE 'UTC', '{ISO_UTC}')"


def _dbl(column: str) -> str:
    """A double as text Java parses (DuckDB writes inf/nan, Double.parseDouble wants Infinity/NaN)."""
    return (f"CASE WHEN isnan({column}) THEN 'NaN' WHEN {column} = 'inf'::DOUBLE THEN 'Infinity' "
            f"WHEN {column} = '-inf'::DOUBLE THEN '-Infinity' ELSE {column}::VARCHAR END")


def _evidence_header() -> list[str]:
    """MATCHES' evidence per field (graph/evidence.py), as the online load's `SET m += row.evidence` stores it."""
    return [h for f in FIELDS for h in (f"ev_{f}", f"mw_{f}:double")]


def _evidence_select() -> str:
    return ", ".join(c for f in FIELDS for c in (f"evidence.ev_{f}", _dbl(f"evidence.mw_{f}")))


def _accounts_sql(steps: Mapping[str, str]) -> str:
    return f"SELECT account_id FROM ({steps['accounts']})"


@dataclass(frozen=True)
class ImportFile:
    kind: str  # "nodes" or "relationships"
    name: str  # label or relationship type
    header: tuple[str, ...]
    sql: str  # DuckDB, one parameter: $run_id


def import_files(steps: Mapping[str, str] | None = None) -> list[ImportFile]:
    """Every node label and relationship type `load_run` writes (bookkeeping nodes aside).

    steps: the rows of each loader step as SQL; default the step queries themselves (export_files passes
    the temporary tables it materialised them into)."""
    s = _STEP_SQL if steps is None else steps
    accounts = _accounts_sql(s)
    files = [
        ImportFile("nodes", "Account",
                   ("account_id:ID(Account)", "created_at:datetime", "country", "email_disposable:boolean",
                    "run_id"),
                   f"SELECT account_id, {_ts('created_at')}, country, email_disposable, $run_id "
                   f"FROM ({s['accounts']})"),
        # the online load sets size row by row in account order: the last account's value wins
        ImportFile("nodes", "Entity", ("entity_id:ID(Entity)", "size:long", "run_id"),
                   f"SELECT entity_id, arg_max(entity_size, account_id), $run_id FROM ({s['memberships']}) "
                   "GROUP BY entity_id"),
        ImportFile("relationships", "MEMBER_OF", (":START_ID(Account)", ":END_ID(Entity)", "run_id"),
                   f"SELECT account_id, entity_id, $run_id FROM ({s['memberships']}) "
                   f"WHERE account_id IN ({accounts})"),
    ]
    for step, (label, key, rel_type) in USES.items():
        files.append(ImportFile("nodes", label, (f"{key}:ID({label})", "run_id"),
                                f"SELECT DISTINCT value, $run_id FROM ({s[step]})"))
        files.append(ImportFile(
            "relationships", rel_type,
            (":START_ID(Account)", f":END_ID({label})", "first_seen:datetime", "last_seen:datetime", "count:long",
             "disputed:long", "run_id"),
            f"SELECT account_id, value, {_ts('first_seen')}, {_ts('last_seen')}, n, disputed, $run_id "
            f"FROM ({s[step]}) WHERE account_id IN ({accounts})"))
    files += [
        ImportFile("nodes", "IPPrefix", ("prefix:ID(IPPrefix)", "run_id"),
                   f"SELECT DISTINCT prefix, $run_id FROM ({s['ip_prefixes']})"),
        ImportFile("relationships", "IN_PREFIX", (":START_ID(IP)", ":END_ID(IPPrefix)", "run_id"),
                   f"SELECT value, prefix, $run_id FROM ({s['ip_prefixes']}) "
                   f"WHERE value IN (SELECT value FROM ({s['used_ip']}))"),
        ImportFile("relationships", "MATCHES",
                   (":START_ID(Account)", ":END_ID(Account)", "match_probability:double", "match_weight:double",
                    "personal_weight:double", "same_person:boolean", "first_run_id", "last_run_id",
                    "active:boolean", *_evidence_header()),
                   f"SELECT l, r, {_dbl('match_probability')}, {_dbl('match_weight')}, {_dbl('personal_weight')}, "
                   f"same_person, $run_id, $run_id, true, {_evidence_select()} FROM ({s['matches']}) "
                   f"WHERE l IN ({accounts}) AND r IN ({accounts})"),
    ]
    return files


# Text columns the files carry (the identifier values from identifier_observations); a line break in any of
# them needs the importer's (slower) multi-line mode.
MULTILINE_SQL = """
SELECT count(*) FROM (
    SELECT value AS v FROM identifier_observations
    UNION ALL SELECT account_id FROM std_accounts UNION ALL SELECT country FROM std_accounts
    UNION ALL SELECT signup_ip_prefix FROM std_accounts UNION ALL SELECT ip_prefix FROM std_devices
    UNION ALL SELECT entity_id FROM entities
) WHERE contains(v, chr(10)) OR contains(v, chr(13))
"""


@dataclass(frozen=True)
class Export:
    folder: Path
    counts: dict[tuple[str, str], int]  # (kind, name) -> rows written
    args: list[str]  # --nodes=... / --relationships=... arguments for the admin tool
    multiline: bool
    step_rows: dict[str, int]  # rows of each loader step (what LoadStep records)


def export_files(run_dir: Path, run_id: str, folder: Path) -> Export:
    """Write header + data files for every label and type into `folder` (created; caller removes it)."""
    folder.mkdir(parents=True, exist_ok=True)
    con = open_run_db(RunPaths(run_dir).db)  # reads hashed identifiers if the run is pseudonymised
    try:
        register_levels(con, run_dir)
        # Each step's rows are read by several files (a used_* step by its nodes and its relationships, the
        # accounts by every relationship's filter) and counted for LoadStep: evaluated once into a temporary
        # table (in memory, spilling to the run's temp folder), not once per use (docs/performance.md: the CSV
        # formatting, not these queries, is most of the export time).
        step_rows: dict[str, int] = {}
        for step, _name, sql in STEPS:
            con.execute(f"CREATE TEMP TABLE {_step_table(step)} AS {sql}")  # our constant names and SQL
            step_rows[step] = int(scalar(con, f"SELECT count(*) FROM {_step_table(step)}"))
        counts: dict[tuple[str, str], int] = {}
        args: list[str] = []
        for item in import_files({step: f"SELECT * FROM {_step_table(step)}" for step, _n, _s in STEPS}):
            stem = f"{item.kind}-{item.name}"
            header, data = folder / f"{stem}.header.csv", folder / f"{stem}.csv"
            header.write_text(",".join(item.header) + "\n", encoding="utf-8")
            copy = f"COPY ({item.sql}) TO $path (FORMAT csv, HEADER false)"  # our own SQL
            written = con.execute(copy, {"run_id": run_id, "path": str(data)}).fetchall()
            counts[(item.kind, item.name)] = int(written[0][0])
            args.append(f"--{item.kind}={item.name}={header},{data}")
        multiline = int(scalar(con, MULTILINE_SQL)) > 0
    finally:
        con.close()
    return Export(folder, counts, args, multiline, step_rows)


def _step_table(step: str) -> str:
    return f"bulk_step_{step}"


# --- the import -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BulkImportResult:
    run_id: str
    database: str
    nodes: dict[str, int]  # label -> nodes imported
    relationships: dict[str, int]  # type -> relationships imported
    rows: dict[str, int]  # loader step -> rows (as recorded in LoadStep)
    seconds: dict[str, float]  # phase -> seconds (check, export, stop, import, start, schema)
    replaced_data: bool  # the database held data and `force` replaced it

    @property
    def total_seconds(self) -> float:
        return sum(self.seconds.values())


def bulk_import(config: server.ServerConfig, run_dir: Path, *, database: str = "neo4j", force: bool = False,
                progress: ProgressFn | None = None, max_off_heap: str | None = None) -> BulkImportResult:
    """Import the run folder `run_dir` into `database` of the managed server with neo4j-admin.

    Refuses (GraphError) when the database holds data, unless `force`. Starts the managed server first if it
    is not running (the check and the system database need it); leaves it running.
    """
    run = open_run(run_dir)  # InputError (exit 2) unless a run folder of ours
    manifest = run.manifest.to_dict()
    run_id = run.manifest.run_id
    paths = server.ServerPaths.of(config)
    clock = PhaseTimer(progress)

    with clock.phase("check", f"checking that {database} on the managed server has no data"):
        if server.managed_connection(config) is None:
            server.start(config)
        config = _running_config(config, paths)
        with _driver(config) as driver:
            replaced = _check_target(driver, database, force)

    paths.import_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="er-bulk-", dir=paths.import_dir))
    try:
        with clock.phase("export", "writing node and relationship files with DuckDB"):
            export = export_files(run_dir, run_id, work)
        with clock.phase("stop", "stopping Neo4j"):
            server.stop(config)
        try:
            with clock.phase("import", "neo4j-admin database import full"):
                _run_import(config, paths, export, database, max_off_heap or config.pagecache)
        finally:
            with clock.phase("start", "starting Neo4j"):
                server.start(config)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    with clock.phase("schema", "constraints, indexes and load markers"), _driver(config) as driver:
        _check_counts(driver, database, export)
        apply_schema(driver, database)
        driver.execute_query(load_cypher("admin/await_indexes"), seconds=INDEX_WAIT_SECONDS, database_=database)
        _write_markers(driver, database, manifest, export.step_rows)

    return BulkImportResult(
        run_id=run_id, database=database,
        nodes={name: n for (kind, name), n in export.counts.items() if kind == "nodes"},
        relationships={name: n for (kind, name), n in export.counts.items() if kind == "relationships"},
        rows=export.step_rows, seconds=clock.seconds, replaced_data=replaced,
    )  # fmt: skip


def _running_config(config: server.ServerConfig, paths: server.ServerPaths) -> server.ServerConfig:
    """The config with the ports the server actually runs on (it may have been started with other flags)."""
    state = read_json(paths.state_file) or {}
    bolt, http = state.get("bolt_port"), state.get("http_port")
    return replace(config, bolt_port=bolt if isinstance(bolt, int) else config.bolt_port,
                   http_port=http if isinstance(http, int) else config.http_port)


@contextmanager
def _driver(config: server.ServerConfig) -> Iterator[Driver]:
    conn = server.managed_connection(config)
    if conn is None:
        raise GraphError(f"the managed Neo4j in {server.ServerPaths.of(config).home} is not running")
    uri, user, password = conn
    driver = GraphDatabase.driver(uri, auth=(user, password))
    try:
        driver.verify_connectivity()
        yield driver
    finally:
        driver.close()


def _check_target(driver: Driver, database: str, force: bool) -> bool:
    """Raise unless `database` exists and holds no data (or `force`); return whether it held data."""
    records, _, _ = driver.execute_query(load_cypher("admin/databases"), database_="system")
    states = {r["name"]: r["status"] for r in records}
    if database not in states:
        raise GraphError(f"database {database!r} does not exist on the managed server (it has: "
                         f"{', '.join(sorted(set(states) - {'system'}))}); Neo4j Community serves one database")
    if states[database] != "online":  # e.g. left unusable by a failed import
        if not force:
            raise GraphError(f"database {database!r} is {states[database]}, not online; --force replaces it")
        return True
    has_data = bool(driver.execute_query(load_cypher("admin/has_data"), database_=database).records[0]["has_data"])
    if has_data and not force:
        raise GraphError(f"database {database!r} is not empty: the bulk import replaces the whole database, "
                         "so it only runs on an empty one. Use `er load` for an incremental load, or --force "
                         "to replace everything in it")
    return has_data


def _admin_command(config: server.ServerConfig, paths: server.ServerPaths, export: Export, database: str,
                   max_off_heap: str) -> list[str]:
    # the database name first: --nodes/--relationships take any number of values and would swallow it
    args = ["database", "import", "full", database, "--overwrite-destination=true", "--bad-tolerance=0",
            f"--report-file={export.folder / 'import.report'}", f"--max-off-heap-memory={max_off_heap}",
            *export.args]  # fmt: skip
    if export.multiline:
        args.append("--multiline-fields=true")
    return [config.java, *server.JVM_FLAGS, f"-Xmx{config.heap}", "-cp", f"{paths.lib}/*", server.ADMIN_TOOL,
            *args]  # fmt: skip


def _run_import(config: server.ServerConfig, paths: server.ServerPaths, export: Export, database: str,
                max_off_heap: str) -> None:
    """Run the admin tool's import on the stopped server's files; output in logs/bulk-import.log."""
    cmd = _admin_command(config, paths, export, database, max_off_heap)
    env = {**os.environ, "NEO4J_HOME": str(paths.home), "NEO4J_CONF": str(paths.conf)}
    log = paths.logs / "bulk-import.log"
    paths.logs.mkdir(parents=True, exist_ok=True)
    with locked(paths):
        if running_pid(paths) is not None:
            raise GraphError(f"the managed Neo4j in {paths.home} was started again during the import; stop it")
        write_conf(config, paths)
        with log.open("w", encoding="utf-8") as out:
            out.write("$ " + " ".join(cmd) + "\n")
            out.flush()
            result = subprocess.run(cmd, env=env, cwd=export.folder, stdin=subprocess.DEVNULL, stdout=out,
                                    stderr=subprocess.STDOUT, check=False)  # fmt: skip
    if result.returncode != 0:
        tail = "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-15:])
        raise GraphError(f"neo4j-admin database import failed (exit code {result.returncode}; log {log}):\n{tail}")


def _check_counts(driver: Driver, database: str, export: Export) -> None:
    record = driver.execute_query(load_cypher("admin/graph_counts"), database_=database).records[0]
    want_nodes = sum(n for (kind, _), n in export.counts.items() if kind == "nodes")
    want_rels = sum(n for (kind, _), n in export.counts.items() if kind == "relationships")
    if (record["nodes"], record["relationships"]) != (want_nodes, want_rels):
        raise GraphError(f"after the import {database} holds {record['nodes']:,} nodes and "
                         f"{record['relationships']:,} relationships; the files had {want_nodes:,} and {want_rels:,}")


def _mark_steps(tx: ManagedTransaction, run_id: str, step_rows: dict[str, int]) -> None:
    for step, rows in step_rows.items():
        if rows:  # the online load marks a step only once a batch of it is written
            tx.run(load_cypher("load/mark_step"), run_id=run_id, step=step, rows=rows).consume()


def _write_markers(driver: Driver, database: str, manifest: dict[str, Any], step_rows: dict[str, int]) -> None:
    """The Run node, a LoadStep per step and the finished flag, with the online loader's own Cypher."""
    run_id = manifest["run_id"]
    driver.execute_query(load_cypher("load/run"), run_id=run_id, as_of=manifest["as_of"],
                         manifest=json.dumps(manifest), steps=[s[0] for s in STEPS], database_=database)
    with driver.session(database=database) as session:
        session.execute_write(_mark_steps, run_id, step_rows)
    set_display(driver, database)
    driver.execute_query(load_cypher("load/finish_run"), run_id=run_id, database_=database)
