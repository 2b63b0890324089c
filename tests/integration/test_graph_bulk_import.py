"""The bulk path (`er neo4j import`, neo4j-admin) against the real managed Neo4j: the same graph as `load_run`.

The import stops and restarts the managed server the test session runs (ServerConfig.from_env(), the same
ER_NEO4J_* variables as `er neo4j start`).
"""

from __future__ import annotations

import subprocess
import sys
from contextlib import closing
from pathlib import Path
from typing import Any

import duckdb
import neo4j
import pytest
from neo4j_support import managed_driver

from entity_resolution import pipeline
from entity_resolution.demo.generator import GeneratedPaths
from entity_resolution.errors import GraphError
from entity_resolution.graph.bulk_import import bulk_import, import_files
from entity_resolution.graph.loader import load_run
from entity_resolution.graph.server import ServerConfig
from entity_resolution.graph.snapshot import snapshot, wipe
from entity_resolution.ingest import Inputs
from entity_resolution.settings import Settings

CLI = [sys.executable, "-m", "entity_resolution.cli"]


@pytest.fixture(scope="module")
def demo_runs(demo_data: GeneratedPaths, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The demo data resolved as of the 80th percentile of sign-ups, then in full with stricter thresholds."""
    base = tmp_path_factory.mktemp("bulk_runs")
    inputs = Inputs(demo_data.accounts, demo_data.devices, demo_data.payments)
    as_of = duckdb.connect().sql(
        "SELECT quantile_disc(created_at::TIMESTAMPTZ, 0.8) FROM read_csv($p)", params={"p": str(demo_data.accounts)}
    ).fetchall()[0][0]
    pipeline.run(inputs, base / "early", Settings(), as_of=as_of)
    strict = Settings(link_floor=0.9, match_threshold=0.999, cluster_threshold=0.999)
    pipeline.run(inputs, base / "full", strict, previous=base / "early")
    return {"early": base / "early", "full": base / "full"}


def _bookkeeping(driver: neo4j.Driver) -> list[tuple[Any, ...]]:
    """Run and LoadStep markers, minus the wall-clock times (started_at, loaded_at) that differ by nature."""
    records, _, _ = driver.execute_query(
        "MATCH (r:Run)-[:HAS_STEP]->(s:LoadStep) "
        "RETURN r.run_id, r.as_of, r.manifest, r.steps, r.done, r.complete, r.loaded_at IS NOT NULL, "
        "s.run_id, s.step, s.rows ORDER BY r.run_id, s.step"
    )
    versions, _, _ = driver.execute_query("MATCH (v:SchemaVersion) RETURN v.version, v.applied_at IS NOT NULL")
    return [tuple(r) for r in records] + [("schema", *tuple(v)) for v in versions]


def _schema(driver: neo4j.Driver) -> set[tuple[Any, ...]]:
    constraints, _, _ = driver.execute_query("SHOW CONSTRAINTS YIELD name, type, labelsOrTypes, properties")
    indexes, _, _ = driver.execute_query(
        "SHOW INDEXES YIELD name, type, labelsOrTypes, properties WHERE type <> 'LOOKUP'"
    )
    return {tuple(str(v) for v in r) for r in [*constraints, *indexes]}


def test_bulk_import_refuses_a_database_with_data(graph: neo4j.Driver, demo_runs: dict[str, Path]) -> None:
    graph.execute_query("CREATE (:Account {account_id: 'already-here'})")
    proc = subprocess.run([*CLI, "neo4j", "import", "--from", str(demo_runs["early"])],
                          capture_output=True, text=True, timeout=300, check=False)  # fmt: skip
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "is not empty" in proc.stderr and "--force" in proc.stderr
    with pytest.raises(GraphError, match="is not empty"):
        bulk_import(ServerConfig.from_env(), demo_runs["early"])
    # refused before anything was stopped or written
    records, _, _ = graph.execute_query("MATCH (n) RETURN count(n) AS n")
    assert records[0]["n"] == 1


def test_bulk_import_gives_the_online_graph_and_takes_later_runs(
    graph: neo4j.Driver, demo_runs: dict[str, Path]
) -> None:
    # the reference: online loads of the early run, then of the later one on top
    online_early = load_run(graph, demo_runs["early"])
    early_graph, early_books, early_schema = snapshot(graph), _bookkeeping(graph), _schema(graph)
    # the comparison below covers every label and type the import writes, each with data in it
    assert {f.name for f in import_files() if f.kind == "nodes"} == set(dict(early_graph.labels))
    assert {f.name for f in import_files() if f.kind == "relationships"} == set(dict(early_graph.types))
    assert all(n > 0 for _, n in (*early_graph.labels, *early_graph.types))
    online_full = load_run(graph, demo_runs["full"])
    full_graph, full_books = snapshot(graph), _bookkeeping(graph)
    assert online_full.retired_links > 0  # the later run retires links: the incremental path is exercised

    # the bulk path, through the CLI; --force because the database holds the online load
    proc = subprocess.run(
        [*CLI, "neo4j", "import", "--from", str(demo_runs["early"]), "--force", "--timeout", "900"],
        capture_output=True, text=True, timeout=1800, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # A new driver: the import restarts the database's transaction ids, so the bookmarks the old driver's
    # execute_query kept point past them (Neo.TransientError.Transaction.BookmarkTimeout).
    with closing(managed_driver()) as fresh:
        imported = snapshot(fresh)
        assert (imported.labels, imported.types) == (early_graph.labels, early_graph.types)
        assert imported == early_graph  # every node, relationship, property, value and value type
        assert _bookkeeping(fresh) == early_books
        assert _schema(fresh) == early_schema

        # loading the same run online finds every step done and changes nothing
        again = load_run(fresh, demo_runs["early"])
        assert again.resumed_steps == {k: v for k, v in online_early.rows.items() if v}
        assert snapshot(fresh) == early_graph

        # a later run loads online on top of the imported graph exactly as on top of an online load
        after = load_run(fresh, demo_runs["full"])
        assert (after.rows, after.retired_links, after.removed_entities) == (
            online_full.rows, online_full.retired_links, online_full.removed_entities)
        assert snapshot(fresh) == full_graph
        assert _bookkeeping(fresh) == full_books


@pytest.mark.neo4j
def test_the_digest_sees_value_types_not_only_text() -> None:
    """What makes the comparison above strict: a datetime the importer parsed as text, with an offset instead of
    the zone id, or a count as a double would each give the same digest if only values' text were compared."""
    # its own driver: one opened before an import holds bookmarks the restarted database has not reached
    with closing(managed_driver()) as graph:
        wipe(graph)
        try:
            _digest_sees_types(graph)
        finally:
            wipe(graph)


def _digest_sees_types(graph: neo4j.Driver) -> None:
    graph.execute_query("CREATE (:Account {account_id: 'a', created_at: datetime('2024-01-02T03:04:05[UTC]')})"
                        "-[:USED_DEVICE {count: 2}]->(:Device {device_id: 'd'})")
    base = snapshot(graph)
    variants = [
        "MATCH (a:Account) SET a.created_at = toString(a.created_at)",
        "MATCH (a:Account) SET a.created_at = datetime('2024-01-02T03:04:05+00:00')",
        "MATCH (a:Account) SET a.created_at = localdatetime('2024-01-02T03:04:05')",
        "MATCH ()-[u:USED_DEVICE]->() SET u.count = 2.0",
    ]
    for change in variants:
        graph.execute_query("MATCH (n) DETACH DELETE n")
        graph.execute_query("CREATE (:Account {account_id: 'a', created_at: datetime('2024-01-02T03:04:05[UTC]')})"
                            "-[:USED_DEVICE {count: 2}]->(:Device {device_id: 'd'})")
        assert snapshot(graph) == base
        graph.execute_query(change)
        assert snapshot(graph) != base, change
